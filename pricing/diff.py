"""What a rule edit does to real carts: quote the same carts under two rule sets and report
every total, charge and price that moved, with the rule keys responsible on both sides.

A side is a rules folder or a git revision (its rules folder read with ``git archive`` into a
temporary folder). The carts are a merchant's own (JSON lines, one quote request per line) or
:func:`sample_carts`, generated from the rules of both sides so that each market's regimes,
thresholds, regions, tax categories, duty rules and shipping methods are exercised: for every
regime with a value threshold one cart below it (half the threshold) and one above it (one and
a half times), for every tax category and duty rule one cart that uses it, and so on.

:func:`compare` is pure: two engines, the carts and a date in, a :class:`DiffReport` out.
:func:`render_markdown` gives the report as a pull-request comment, :func:`report_dict` as JSON,
:func:`render` as tables (rich on a terminal, plain text when piped).
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pricing.errors import PricingError, Problem, did_you_mean
from pricing.money import Money, precision

__all__ = [
    "Cart",
    "CartDiff",
    "CartsError",
    "ChargeChange",
    "DiffReport",
    "LineChange",
    "Outcome",
    "RulesSide",
    "SideError",
    "charge_text",
    "compare",
    "load_side",
    "missing_rates",
    "read_carts",
    "render",
    "render_markdown",
    "report_dict",
    "sample_carts",
]


# -- the two sides ------------------------------------------------------------------------------

class SideError(Exception):
    """A side that cannot be read: ``usage`` for a revision or folder that does not exist."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        self.message = message
        self.usage = usage
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class RulesSide:
    """One side of a diff: where its rules came from and the folder they are in."""

    label: str
    folder: Path
    revision: str | None = None


def _git(repo: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess[Any]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True,
                              text=not binary, check=False, timeout=120)
    except FileNotFoundError:
        raise SideError("git is not installed; give folders instead of revisions") from None


def _revisions(repo: Path) -> list[str]:
    done = _git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags",
                "refs/remotes")
    return done.stdout.split() if done.returncode == 0 else []


def load_side(spec: str, *, name: str, rules: Path, workdir: Path) -> RulesSide:
    """The rules of ``spec``: a folder (a rules folder, or one holding ``rules/``), else a git
    revision of the repository ``rules`` is in, whose copy of that folder is extracted under
    ``workdir``. ``name`` (``--before``) is how errors name the side."""
    path = Path(spec)
    if path.is_dir():
        folder = path / "rules" if (path / "rules" / "shop.toml").is_file() and not (
            path / "shop.toml").is_file() else path
        return RulesSide(label=spec, folder=folder)
    repo = rules.resolve()
    top = _git(repo, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise SideError(f"{name} {spec!r} is not a folder, and {rules} is not in a git "
                        "repository to read revisions from", usage=True)
    root = Path(top.stdout.strip())
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    if commit.returncode != 0:
        guess = did_you_mean(spec, _revisions(root))
        raise SideError(f"{name} {spec!r} is neither a folder nor a git revision of {root}"
                        + (f"; did you mean {guess!r}?" if guess else ""), usage=True)
    sha = commit.stdout.strip()
    try:
        inside = repo.relative_to(root.resolve()).as_posix() if repo != root.resolve() else "."
    except ValueError:
        raise SideError(f"the rules folder {rules} is not inside the git repository {root}; "
                        f"give {name} as a folder", usage=True) from None
    archive = _git(root, "archive", "--format=tar", sha, "--", inside, binary=True)
    if archive.returncode != 0:
        raise SideError(f"{name} {spec} ({sha[:10]}) has no {inside}/ folder: "
                        + archive.stderr.decode("utf-8", "replace").strip().splitlines()[-1])
    target = Path(tempfile.mkdtemp(prefix=f"{name.strip('-')}-", dir=workdir))
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")  # plain files only: nothing escapes target
    return RulesSide(label=f"{spec} ({sha[:10]})", folder=target / inside, revision=sha)


# -- carts --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Cart:
    """A quote request to try on both sides, with an id and what it is there to exercise."""

    id: str
    request: Mapping[str, Any]
    why: str = ""
    market: str | None = None


#: Where a parcel ships from when it should be an import: the first not in the market's
#: customs territory.
_ABROAD = ("CN", "US", "GB", "JP", "AU")
#: Countries of origin for sample goods, the first a regime accepts is used.
_ORIGINS = ("PT", "CN", "US", "JP", "IN", "BR")
#: An HS code that fits a tax category, so that the category's cart looks like real goods.
_CATEGORY_HS = {"books": "490199", "food": "090210", "clothing": "610910",
                "children_clothing": "611120", "medicine": "300490", "newspapers": "490210"}


def _money_in(value: Money, currency: str, rates: Any) -> Money | None:
    if value.currency == currency:
        return value
    try:
        return rates.convert(value, currency)
    except PricingError:
        return None


def _item(base: str, amount: Decimal, *, sku: str = "SAMPLE-TEE", hs: str = "610910",
          origin: str | None = "PT", category: str | None = None,
          title: str = "Organic cotton T-shirt") -> dict[str, Any]:
    quantum = Decimal(1).scaleb(-precision(base))
    item: dict[str, Any] = {
        "sku": sku, "title": title, "quantity": 1, "hs_code": hs,
        "price": {"amount": str(max(amount, quantum).quantize(quantum, ROUND_HALF_UP)),
                  "currency": base},
        "weight": {"value": "0.4", "unit": "kg"}}
    if origin:
        item["origin"] = origin
    if category:
        item["category"] = category
    return item


def _market_carts(market: Any, rules: Any, rates: Any, *, on: date) -> list[Cart]:
    spec = market.spec
    base = rules.shop.base_currency
    typical = _money_in(Money(Decimal("60.00"), "EUR"), base, rates) or Money(Decimal(60), base)
    territory = set(spec.customs_territory or spec.countries)
    claimed = {c for r in spec.regimes for c in r.ship_from}
    abroad = next((c for c in _ABROAD if c not in territory and c not in claimed),
                  next(c for c in _ABROAD if c not in territory))
    regions: list[str] = []
    for comp in spec.tax.components if spec.tax else ():
        regions += [r for r in comp.regions if r not in regions]
    region = regions[0] if market.requires_region else None
    out: list[Cart] = []

    def add(key: str, why: str, items: list[dict[str, Any]], *, ship_from: str,
            where: str | None = region, method: str | None = None) -> None:
        destination: dict[str, Any] = {"country": (where or spec.countries[0]).split("-")[0]}
        if where:
            destination["region"] = where
        request: dict[str, Any] = {"market": spec.id, "destination": destination,
                                   "date": on.isoformat(), "ship_from": ship_from,
                                   "items": items}
        if method:
            request["shipping_method"] = method
        out.append(Cart(f"{spec.id}/{key}", request, why, spec.id))

    add("from-shop", f"a typical order shipped from the shop ({rules.shop.ship_from})",
        [_item(base, typical.amount)], ship_from=rules.shop.ship_from)
    add("import", f"a typical order shipped from {abroad}", [_item(base, typical.amount)],
        ship_from=abroad)
    limits: list[Money] = []
    for i, regime in enumerate(spec.regimes):
        if not regime.in_force(on):
            continue
        source = regime.ship_from[0] if regime.ship_from else abroad
        # Goods of an origin the regime accepts, to a region it names.
        origin = (regime.origin_in[0] if regime.origin_in else
                  next(c for c in _ORIGINS if c not in regime.origin_not_in))
        where = regime.regions[0] if regime.regions else region
        limit = regime.max_value.at(on) if regime.max_value else None
        local = _money_in(limit, base, rates) if limit is not None else None
        ref = market.rule_ref("regimes", i)
        if limit is None or local is None:
            if regime.ship_from or regime.origin_in or regime.origin_not_in or regime.regions:
                add(f"regime-{regime.id}", f"regime {regime.id} ({ref}): from {source}",
                    [_item(base, typical.amount, origin=origin)], ship_from=source,
                    where=where)
            continue
        limits.append(local)
        for key, factor, side in (("below", Decimal("0.5"), "half"),
                                  ("above", Decimal("1.5"), "one and a half times")):
            # The share is taken in the threshold's own currency, then converted.
            price = _money_in(limit * factor, base, rates) or local * factor
            items = [_item(base, price.amount, origin=origin)]
            if regime.value_basis == "item" and key == "below":
                # Each item under the threshold, the consignment over it: what tells a
                # per-item test from a per-consignment one.
                items = [_item(base, price.amount, origin=origin, sku=f"SAMPLE-TEE-{n}")
                         for n in (1, 2, 3)]
            add(f"regime-{regime.id}-{key}", f"regime {regime.id} ({ref}): {side} its "
                f"max_value {limit}" + (" per item" if regime.value_basis == "item" else "")
                + f", from {source}", items, ship_from=source, where=where)
    dutiable = max((m.amount for m in limits), default=typical.amount) * Decimal("1.5")
    for r in regions:  # a region with taxes of its own (a US state, Madeira, Québec)
        add(f"region-{r}", f"taxes of region {r}", [_item(base, typical.amount)],
            ship_from=abroad, where=r)
    categories: list[str] = []
    for comp in spec.tax.components if spec.tax else ():
        categories += [c for c in comp.categories if c not in categories]
    for cat in categories:
        add(f"category-{cat}", f"tax category {cat}",
            [_item(base, typical.amount, sku=f"SAMPLE-{cat.upper()}", category=cat,
                   hs=_CATEGORY_HS.get(cat, "610910"), title=f"Sample ({cat})")],
            ship_from=abroad)
    for i, rule in enumerate(spec.duty.rules):
        if rule.hs is None and not rule.origins:
            continue
        hs = (rule.hs or "610910").ljust(6, "0")
        origin = rule.origins[0] if rule.origins else "CN"
        add(f"duty-{rule.hs or 'any'}-{origin}",
            f"duty rule {market.rule_ref('duty', 'rules', i)} ({rule.name or rule.hs}), above "
            "every value threshold",
            [_item(base, dutiable, sku=f"SAMPLE-{hs}", hs=hs, origin=origin,
                   title=rule.name or f"HS {hs}")], ship_from=abroad)
    for key, method in spec.shipping.items():
        if not method.default:
            add(f"shipping-{key}", f"shipping method {key}", [_item(base, typical.amount)],
                ship_from=abroad, method=key)
        free = method.free_over.at(on) if method.free_over else None
        over = _money_in(free * Decimal("1.2"), base, rates) if free is not None else None
        if over is not None:
            add(f"free-shipping-{key}", f"just over the {free} free-shipping threshold of "
                f"{key}", [_item(base, over.amount)], ship_from=abroad, method=key)
    return out


def sample_carts(rule_sets: Iterable[Any], rates: Any, *, on: date) -> list[Cart]:
    """Carts for every market of ``rule_sets`` (both sides of a diff), exercising each regime
    and threshold, region, tax category, duty rule and shipping method; identical requests
    once."""
    seen: dict[str, int] = {}
    ids: set[str] = set()
    carts: list[Cart] = []
    for rules in rule_sets:
        for market in rules.markets.values():
            for cart in _market_carts(market, rules, rates, on=on):
                key = json.dumps(cart.request, sort_keys=True)
                if key in seen:  # one cart serves both purposes: say so
                    first = carts[seen[key]]
                    if cart.why not in first.why.split("; "):
                        carts[seen[key]] = replace(first, why=f"{first.why}; {cart.why}")
                    continue
                seen[key] = len(carts)
                cart_id, n = cart.id, 2
                while cart_id in ids:  # the same cart id with another threshold on the other side
                    cart_id, n = f"{cart.id}-{n}", n + 1
                ids.add(cart_id)
                carts.append(Cart(cart_id, cart.request, cart.why, cart.market))
    return carts


def read_carts(path: Path) -> list[Cart]:
    """Carts from a JSON-lines file: one quote request per line (the body of POST
    /v1/quotes), with an optional ``"id"``; blank lines and lines starting with # skipped.

    Every bad line is reported at once, in a :class:`CartsError`."""
    problems: list[Problem] = []
    carts: list[Cart] = []
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SideError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(Problem(str(path), "", f"invalid JSON at column {e.colno}: {e.msg}",
                                    line=no))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(str(path), "", "a cart is a JSON object (a quote request)",
                                    line=no))
            continue
        cart_id = data.pop("id", None)
        if cart_id is not None and not isinstance(cart_id, str | int):
            problems.append(Problem(str(path), "id", "a cart id is a string", line=no))
            continue
        carts.append(Cart(str(cart_id) if cart_id is not None else f"line {no}", data,
                          f"{path.name}:{no}"))
    if problems:
        raise CartsError(problems)
    if not carts:
        raise SideError(f"{path} holds no carts (one JSON quote request per line)")
    return carts


class CartsError(PricingError, ValueError):
    """Lines of a carts file that are not quote requests; ``problems`` names each line."""

    default_message = "the carts file is unusable"
    code = "invalid-carts"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{len(self.problems)} bad line(s) in the carts file")


# -- comparing ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Outcome:
    """One side's answer to a cart: the quote (its ``to_dict()``) or why it was refused."""

    quote: Mapping[str, Any] | None = None
    refused: str | None = None

    @property
    def total(self) -> Decimal | None:
        return Decimal(self.quote["totals"]["total"]["amount"]) if self.quote else None


@dataclass(frozen=True, slots=True)
class ChargeChange:
    """A charge that moved, appeared or went: both sides' charge dicts (None when absent)."""

    kind: str
    name: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class LineChange:
    """An item whose local price moved."""

    sku: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CartDiff:
    """A cart under both rule sets and what moved."""

    cart: Cart
    market: str
    before: Outcome
    after: Outcome
    charges: tuple[ChargeChange, ...] = ()
    lines: tuple[LineChange, ...] = ()
    regime: tuple[str, str] | None = None

    @property
    def changed(self) -> bool:
        b, a = self.before, self.after
        if b.refused or a.refused:
            return b.refused != a.refused or (b.quote is None) != (a.quote is None)
        return bool(self.charges or self.lines or self.regime or b.total != a.total
                    or _totals(b.quote) != _totals(a.quote))

    @property
    def delta(self) -> Decimal | None:
        """after - before of the total, when both sides quoted in the same currency."""
        b, a = self.before.quote, self.after.quote
        if b is None or a is None or b["currency"] != a["currency"]:
            return None
        return Decimal(a["totals"]["total"]["amount"]) - Decimal(b["totals"]["total"]["amount"])


def _totals(quote: Mapping[str, Any] | None) -> dict[str, str]:
    return {k: v["amount"] for k, v in quote["totals"].items()} if quote else {}


_CHARGE_FIELDS = ("amount", "base", "rate", "included", "payable")


def _same_charge(b: Mapping[str, Any], a: Mapping[str, Any]) -> bool:
    def key(c: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple((c[f]["amount"], c[f]["currency"]) if isinstance(c.get(f), dict)
                     else c.get(f) for f in _CHARGE_FIELDS)

    return key(b) == key(a) and (b.get("base_parts") or None) == (a.get("base_parts") or None)


def _charge_changes(before: Mapping[str, Any], after: Mapping[str, Any]
                    ) -> tuple[ChargeChange, ...]:
    """Charges paired by kind and name, in order (a market may have two VAT charges)."""
    def grouped(q: Mapping[str, Any]) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
        out: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        for c in q["charges"]:
            out.setdefault((c["kind"], c["name"]), []).append(c)
        return out

    b, a = grouped(before), grouped(after)
    changes = []
    for key in list(b) + [k for k in a if k not in b]:
        olds, news = b.get(key, []), a.get(key, [])
        for i in range(max(len(olds), len(news))):
            old = olds[i] if i < len(olds) else None
            new = news[i] if i < len(news) else None
            if old is None or new is None or not _same_charge(old, new):
                changes.append(ChargeChange(key[0], key[1], old, new))
    return tuple(changes)


def _line_changes(before: Mapping[str, Any], after: Mapping[str, Any]
                  ) -> tuple[LineChange, ...]:
    return tuple(LineChange(b["sku"], b, a) for b, a in zip(before["lines"], after["lines"],
                                                            strict=False)
                 if (b["unit_price"]["amount"], b["unit_price"]["currency"])
                 != (a["unit_price"]["amount"], a["unit_price"]["currency"]))


def _outcome(engine: Any, cart: Cart, on: date) -> Outcome:
    try:
        return Outcome(quote=engine.quote(dict(cart.request), on=on).to_dict())
    except PricingError as e:
        from pricing.console import one_line

        return Outcome(refused=one_line(e))


def _market_of(cart: Cart, before: Outcome, after: Outcome) -> str:
    for o in (before, after):
        if o.quote is not None:
            return str(o.quote["market"])
    if cart.market:
        return cart.market
    dest = cart.request.get("destination")
    country = dest.get("country") if isinstance(dest, dict) else None
    return str(cart.request.get("market") or (country or "?")).lower()


@dataclass(frozen=True, slots=True)
class DiffReport:
    """Every cart under both rule sets."""

    before: str
    after: str
    day: date
    rates: str
    carts: tuple[CartDiff, ...]
    generated: bool
    versions: tuple[str, str] = ("", "")
    markets: tuple[str, ...] = field(default=())
    #: Things the reader must know to trust the report (e.g. currencies the rates lack).
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> tuple[CartDiff, ...]:
        return tuple(c for c in self.carts if c.changed)


def missing_rates(rule_sets: Iterable[Any], rates: Any, *, markets: Sequence[str] = ()) -> str:
    """A note naming the currencies of ``rule_sets`` (only ``markets`` when given) that
    ``rates`` cannot convert to, and the markets whose carts are therefore refused; empty when
    there are none."""
    lacking: dict[str, list[str]] = {}
    for rules in rule_sets:
        for m in rules.markets.values():
            if markets and m.id not in markets:
                continue
            if m.spec.currency not in rates.currencies:
                found = lacking.setdefault(m.spec.currency, [])
                if m.id not in found:
                    found.append(m.id)
    if not lacking:
        return ""
    markets = sorted({m for ms in lacking.values() for m in ms})
    return (f"the rates ({rates.source}, {rates.as_of}) have no {', '.join(sorted(lacking))}: "
            f"the carts of {len(markets)} market{'s' if len(markets) != 1 else ''} "
            f"({', '.join(markets)}) are refused on both sides and their thresholds untested; "
            "give --rates FILE with those currencies")


def compare(before: Any, after: Any, carts: Sequence[Cart], *, on: date,
            labels: tuple[str, str] = ("before", "after"), generated: bool = False,
            markets: Sequence[str] = (), progress: Callable[[], None] | None = None
            ) -> DiffReport:
    """Quote every cart with the ``before`` and ``after`` engines (same rates, date ``on``);
    only carts of ``markets`` when given."""
    wanted = set(markets)
    results = []
    for cart in carts:
        b, a = _outcome(before, cart, on), _outcome(after, cart, on)
        market = _market_of(cart, b, a)
        if progress is not None:
            progress()
        if wanted and market not in wanted:
            continue
        charges: tuple[ChargeChange, ...] = ()
        lines: tuple[LineChange, ...] = ()
        regime = None
        if b.quote is not None and a.quote is not None:
            charges = _charge_changes(b.quote, a.quote)
            lines = _line_changes(b.quote, a.quote)
            if b.quote["regime"]["id"] != a.quote["regime"]["id"]:
                regime = (b.quote["regime"]["id"], a.quote["regime"]["id"])
        results.append(CartDiff(cart, market, b, a, charges, lines, regime))
    rates = before.rates
    return DiffReport(before=labels[0], after=labels[1], day=on,
                      rates=f"{rates.source}, {rates.as_of}", carts=tuple(results),
                      generated=generated,
                      versions=(before.rules.version, after.rules.version),
                      markets=tuple(sorted({r.market for r in results})))


# -- presenting ---------------------------------------------------------------------------------

def _fmt(value: Mapping[str, Any] | None) -> str:
    return value["formatted"] if value else "–"


def _signed(delta: Decimal, quote: Mapping[str, Any]) -> str:
    from pricing.l10n.formatting import format_money

    text = format_money(abs(delta), quote["currency"], quote["locale"])
    return ("+" if delta > 0 else "−" if delta < 0 else "±") + text


def _pct(delta: Decimal, before: Decimal) -> str:
    if not before:
        return ""
    return f" ({(delta / before * 100).quantize(Decimal('0.1')):+} %)"


def _rate(c: Mapping[str, Any] | None) -> str:
    if not c or c.get("rate") is None:
        return ""
    return f"{(Decimal(c['rate']) * 100).normalize():f} %"


def charge_text(ch: ChargeChange) -> str:
    """One moved charge: amounts, rates and bases before and after, and the rules."""
    b, a = ch.before, ch.after
    what = f"{ch.kind} {ch.name}"
    if b is None and a is not None:
        return (f"{what}: new, {_fmt(a['amount'])}"
                + (f" at {_rate(a)}" if _rate(a) else "") + f" ({a['rule']})")
    if a is None and b is not None:
        return f"{what}: gone (was {_fmt(b['amount'])}, {b['rule']})"
    assert b is not None and a is not None
    parts = [f"{_fmt(b['amount'])} → {_fmt(a['amount'])}"]
    if _rate(b) != _rate(a):
        parts.append(f"rate {_rate(b) or '–'} → {_rate(a) or '–'}")
    if (b.get("base") or {}).get("amount") != (a.get("base") or {}).get("amount"):
        parts.append(f"base {_fmt(b.get('base'))} → {_fmt(a.get('base'))}")
    for f, word in (("included", "included in prices"), ("payable", "payable")):
        if b.get(f) != a.get(f):
            parts.append(f"{word} {b.get(f)} → {a.get(f)}")
    rules = b["rule"] if b["rule"] == a["rule"] else f"{b['rule']} → {a['rule']}"
    return f"{what}: {', '.join(parts)} ({rules})"


def _total_text(c: CartDiff) -> tuple[str, str, str]:
    b, a = c.before, c.after
    before = _fmt(b.quote["totals"]["total"]) if b.quote else f"refused: {b.refused}"
    after = _fmt(a.quote["totals"]["total"]) if a.quote else f"refused: {a.refused}"
    delta = c.delta
    change = ""
    if delta is not None and b.quote is not None and b.total is not None:
        change = _signed(delta, b.quote) + _pct(delta, b.total)
    elif b.quote is None and a.quote is not None:
        change = "now quoted"
    elif a.quote is None and b.quote is not None:
        change = "now refused"
    return before, after, change


def _details(c: CartDiff) -> list[str]:
    out = []
    if c.regime:
        out.append(f"regime {c.regime[0]} → {c.regime[1]}")
    out += [f"{ln.sku} unit price {_fmt(ln.before['unit_price'])} → "
            f"{_fmt(ln.after['unit_price'])}" for ln in c.lines]
    out += [charge_text(ch) for ch in c.charges]
    return out


def _market_rows(report: DiffReport) -> list[tuple[str, int, int, int, int, str]]:
    rows = []
    for m in report.markets:
        carts = [c for c in report.carts if c.market == m]
        changed = [c for c in carts if c.changed]
        largest = max((c for c in changed if c.delta is not None), default=None,
                      key=lambda c: abs(c.delta or 0))
        text = ""
        if largest is not None and largest.before.quote is not None and largest.delta:
            text = f"{_signed(largest.delta, largest.before.quote)} ({largest.cart.id})"
        rows.append((m, len(carts), len(changed),
                     sum(1 for c in carts if c.before.refused),
                     sum(1 for c in carts if c.after.refused), text))
    return rows


def _headline(report: DiffReport) -> str:
    changed = report.changed
    markets = sorted({c.market for c in changed})
    what = "sample carts generated from the rules" if report.generated else "carts"
    return (f"{len(changed)} of {len(report.carts)} {what} changed in {len(markets)} of "
            f"{len(report.markets)} markets (quote date {report.day}, rates {report.rates})")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DiffReport) -> str:
    """The report as Markdown for a pull-request comment: the headline, a summary table of the
    markets with changes, and per changed cart its totals and the charges that moved."""
    out = [f"### Pricing diff: `{report.before}` → `{report.after}`", "",
           _headline(report) + ".", ""]
    out += [f"> **Note:** {_md(n)}" for n in report.notes] + ([""] if report.notes else [])
    rows = [r for r in _market_rows(report) if r[2] or r[3] or r[4]]
    if rows:
        out += ["| Market | Carts | Changed | Refused before | Refused after | Largest change |",
                "|---|---:|---:|---:|---:|---|"]
        out += [f"| {m} | {n} | {ch} | {rb} | {ra} | {_md(big)} |"
                for m, n, ch, rb, ra, big in rows]
        unchanged = len(report.markets) - len(rows)
        if unchanged:
            out += ["", f"{unchanged} other market{'s' if unchanged != 1 else ''} unchanged."]
    else:
        out.append("No cart changed.")
    for market in sorted({c.market for c in report.changed}):
        carts = [c for c in report.changed if c.market == market]
        out += ["", f"#### {market}: {len(carts)} cart{'s' if len(carts) != 1 else ''} changed",
                "", "| Cart | Before | After | Change |", "|---|---:|---:|---:|"]
        for c in carts:
            before, after, change = _total_text(c)
            out.append(f"| `{c.cart.id}` | {_md(before)} | {_md(after)} | {_md(change)} |")
        out += ["", "<details><summary>What moved, and the rules responsible</summary>", ""]
        for c in carts:
            out.append(f"- `{c.cart.id}`" + (f" ({_md(c.cart.why)})" if c.cart.why else ""))
            out += [f"  - {_md(d)}" for d in _details(c)] or ["  - refusal changed"]
        out += ["", "</details>"]
    refused = [c for c in report.carts if not c.changed and c.after.refused]
    if refused:
        out += ["", "<details><summary>Carts refused on both sides "
                f"({len(refused)})</summary>", ""]
        out += [f"- `{c.cart.id}`: {_md(c.after.refused or '')}" for c in refused]
        out += ["", "</details>"]
    out += ["", f"<sub>rules {report.versions[0]} → {report.versions[1]}; "
            "`pricing diff --help`</sub>", ""]
    return "\n".join(out)


def _outcome_dict(o: Outcome) -> dict[str, Any]:
    if o.quote is None:
        return {"refused": o.refused}
    q = o.quote
    return {"market": q["market"], "currency": q["currency"], "regime": q["regime"]["id"],
            "total": q["totals"]["total"]}


def report_dict(report: DiffReport, *, include_unchanged: bool = True) -> dict[str, Any]:
    """The report as JSON-ready data: every cart with both sides, what moved and the rules."""
    def charge(c: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if c is None:
            return None
        return {k: c.get(k) for k in ("amount", "rate", "base", "base_parts", "rule", "note",
                                      "included", "payable") if k in c}

    carts = []
    for c in report.carts:
        if not include_unchanged and not c.changed:
            continue
        delta = c.delta
        carts.append({
            "id": c.cart.id, "market": c.market, "why": c.cart.why, "changed": c.changed,
            "before": _outcome_dict(c.before), "after": _outcome_dict(c.after),
            "delta": str(delta) if delta is not None else None,
            "regime": list(c.regime) if c.regime else None,
            "lines": [{"sku": ln.sku, "before": ln.before["unit_price"],
                       "after": ln.after["unit_price"]} for ln in c.lines],
            "charges": [{"kind": ch.kind, "name": ch.name, "before": charge(ch.before),
                         "after": charge(ch.after)} for ch in c.charges],
            "request": dict(c.cart.request)})
    return {
        "before": {"label": report.before, "rules_version": report.versions[0]},
        "after": {"label": report.after, "rules_version": report.versions[1]},
        "date": report.day.isoformat(), "rates": report.rates,
        "carts_generated": report.generated, "notes": list(report.notes),
        "summary": {"carts": len(report.carts), "changed": len(report.changed),
                    "markets": len(report.markets),
                    "markets_changed": len({c.market for c in report.changed})},
        "markets": [{"market": m, "carts": n, "changed": ch, "refused_before": rb,
                     "refused_after": ra} for m, n, ch, rb, ra, _ in _market_rows(report)],
        "carts": carts,
    }


def render(report: DiffReport, console: Any) -> None:
    """The report as tables on a rich ``console``: styled on a terminal, plain when piped."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    terminal = bool(console.is_terminal)
    console.print(Text(f"{report.before} → {report.after}", style="bold" if terminal else ""))
    console.print(Text(_headline(report)))
    for n in report.notes:
        console.print(Text(f"note: {n}", style="yellow" if terminal else ""))
    summary = Table(box=box.SIMPLE_HEAD if terminal else None, show_edge=False, pad_edge=False,
                    header_style="bold" if terminal else "")
    for name, right in (("Market", False), ("Carts", True), ("Changed", True),
                        ("Refused before", True), ("Refused after", True),
                        ("Largest change", False)):
        summary.add_column(name, justify="right" if right else "left", overflow="fold")
    rows = _market_rows(report)
    busy = [r for r in rows if r[2] or r[3] or r[4]]
    for m, n, ch, rb, ra, big in busy:
        summary.add_row(m, str(n), str(ch), str(rb), str(ra), big,
                        style=("yellow" if ch else "dim") if terminal else None)
    if busy:
        console.print()
        console.print(summary)
    quiet = len(rows) - len(busy)
    if quiet:
        console.print(Text(f"{quiet} {'other ' if busy else ''}market{'s' if quiet != 1 else ''}"
                           " unchanged, no cart refused", style="dim" if terminal else ""))
    if not report.changed:
        return
    carts = Table(box=box.SIMPLE_HEAD if terminal else None, show_edge=False, pad_edge=False,
                  header_style="bold" if terminal else "")
    for name, right in (("Cart", False), ("Before", True), ("After", True), ("Change", True),
                        ("What moved (rule before → after)", False)):
        carts.add_column(name, justify="right" if right else "left", overflow="fold")
    for c in report.changed:
        before, after, change = _total_text(c)
        carts.add_row(c.cart.id, before, after, change, "\n".join(_details(c)) or
                      "refusal changed")
    console.print()
    console.print(carts)
