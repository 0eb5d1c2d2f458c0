"""A validated market: its frozen spec plus the look-ups the engine needs, built once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from pricing.errors import Problem, key_path
from pricing.markets.schema import (
    BUILTIN_STANDARD,
    DutyRule,
    MarketSpec,
    Regime,
    Schedule,
    TaxComponent,
)
from pricing.money import Money
from pricing.payments import bundled_payment_methods, method_warnings

__all__ = ["Market", "parse_source"]


class Market:
    """One market of a rule set. Immutable; every rule can name the file and key it came from."""

    __slots__ = ("_origin", "_refs", "_rules_by_prefix", "requires_region", "spec")

    def __init__(self, spec: MarketSpec, origin: Mapping[tuple[str | int, ...], str]) -> None:
        self.spec = spec
        self._origin = MappingProxyType(dict(origin))
        self._refs: dict[tuple[str | int, ...], str] = {}
        # A region is needed only where a component applies in some regions and no market-wide
        # component stands in for it elsewhere.
        self.requires_region = bool(spec.tax and any(c.regions and c.replaces is None
                                                     for c in spec.tax.components))
        # Longest prefix first; origin-specific (preference) rules before general ones.
        indexed = list(enumerate(spec.duty.rules))
        self._rules_by_prefix = tuple(sorted(
            indexed, key=lambda ir: (not ir[1].origins, -len(ir[1].hs or ""), ir[0])))

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def currency(self) -> str:
        return self.spec.currency

    def file_of(self, *path: str | int) -> str:
        """The rule file that supplied the key at ``path`` (a zone or the market's own file)."""
        for n in range(len(path), -1, -1):
            if path[:n] in self._origin:
                return self._origin[path[:n]]
        return self._origin.get((), f"markets/{self.id}.toml")

    def rule_ref(self, *path: str | int) -> str:
        """``file#key.path`` naming where a rule lives, e.g. ``zones/eu.toml#duty.rules[2]``."""
        cached = self._refs.get(path)
        if cached is not None:
            return cached
        ref = self._refs[path] = f"{self.file_of(*path)}#{key_path(path)}"
        return ref

    def duty_rule_for(self, hs_code: str | None, origin: str | None
                      ) -> tuple[int, DutyRule] | None:
        """The duty rule for an item: an origin preference first, then the longest HS prefix."""
        for index, rule in self._rules_by_prefix:
            if rule.hs is not None and (hs_code is None or not hs_code.startswith(rule.hs)):
                continue
            if rule.origins and origin not in rule.origins:
                continue
            return index, rule
        return None

    def tax_components(self, region: str | None) -> list[tuple[int, TaxComponent]]:
        """The tax components that apply in ``region``: market-wide ones, unless a regional
        component replaces them there, and the regional ones of that region."""
        if self.spec.tax is None:
            return []
        comps = self.spec.tax.components
        replaced = {c.replaces for c in comps if c.replaces and region in c.regions}
        return [(i, c) for i, c in enumerate(comps)
                if (not c.regions or region in c.regions) and c.name not in replaced]

    def serves(self, country: str, region: str | None) -> bool:
        return country in self.spec.countries and region not in self.spec.exclude_regions

    def payment_warnings(self) -> tuple[Problem, ...]:
        """Payment methods listed that cannot serve all of the market (a currency they do not
        settle, a country they are not offered in), as warnings for ``pricing validate
        --warnings``, each naming the file and ``payment_methods[i]`` it comes from."""
        return tuple(
            Problem(self.file_of("payment_methods", w.index), key_path(("payment_methods",
                    w.index)), w.message, value=repr(w.value), expected=w.expected)
            for w in method_warnings(self.spec.payment_methods, currency=self.currency,
                                     countries=self.spec.countries, market=self.id))

    def summary(self, *, on: date | None = None, locale: str | None = None
                ) -> dict[str, object]:
        """The public description of the market on ``on`` (default: today), JSON-ready.

        What GET /v1/markets serves and docs/markets.md is rendered from: the rates and
        regimes in force that day, with the next scheduled change of each standard rate and
        the regimes that start later, so a reader sees what is coming. Payment method
        names are in ``locale`` (default: the market's default locale). Rates are decimal
        strings (``"0.19"`` is 19 %), amounts ``{"amount", "currency"}`` in the currency the
        rule states them in.
        """
        s = self.spec
        methods = bundled_payment_methods()
        day = on or date.today()
        in_force = [r for r in s.regimes if r.in_force(day)]
        regimes = [_regime(r, day) for r in in_force]
        # The engine falls back to its built-in standard import regime when none of the
        # file's regimes applies; say so when the last one in force has tests of its own.
        if not in_force or _has_tests(in_force[-1]):
            regimes.append(_regime(BUILTIN_STANDARD, day, builtin=True))
        components = s.tax.components if s.tax else ()
        categories = sorted({name for c in components for name, sched in c.categories.items()
                             if sched.at(day) is not None})
        return {
            "id": s.id,
            "name": s.name,
            "countries": list(s.countries),
            "exclude_regions": list(s.exclude_regions),
            "customs_territory": list(s.customs_territory or s.countries),
            "currency": s.currency,
            "locales": list(s.locales),
            "default_locale": s.default_locale,
            "price_display": s.price_display,
            "incoterm": s.incoterm,
            "requires_region": self.requires_region,
            "shipping_methods": [
                {"id": k, "name": m.name, "days": list(m.days), "default": m.default}
                for k, m in s.shipping.items()],
            "payment_methods": [methods[m].summary(locale=locale or s.default_locale,
                                                   currency=s.currency, countries=s.countries)
                                for m in s.payment_methods],
            "tax": None if s.tax is None else {
                "components": [_component(c, day) for c in components],
                "base": list(s.tax.base),
                "rounding": s.tax.rounding,
                "rounding_mode": s.tax.rounding_mode.value,
                "waive_at_or_below": _at(s.tax.waive_at_or_below, day),
            },
            "category_rates": len(categories),
            "valuation": {"basis": s.duty.valuation, "factor": str(s.duty.valuation_factor)},
            "duty": {
                "default_rate": _rate(s.duty.rate.at(day)),
                "rules": len(s.duty.rules),
                "waive_at_or_below": _at(s.duty.waive_at_or_below, day),
            },
            "regimes": regimes,
            "upcoming_regimes": [_regime(r, r.from_ or day) for r in s.regimes
                                 if r.from_ is not None and r.from_ > day],
            "unconfirmed": [{"key": u.key, "why": u.why} for u in s.unconfirmed],
            "sources": [parse_source(text) for text in s.sources],
        }


#: How sources are dated in rule files (docs/rules.md): ``... (checked YYYY-MM-DD)``.
_CHECKED = re.compile(r"\s*\(checked (\d{4}-\d{2}-\d{2})\)\s*$")


def parse_source(text: str) -> dict[str, str | None]:
    """A rule file's source as ``{"source", "checked"}``; ``checked`` is None when the text
    gives no valid date (shown as undated rather than guessed).

    >>> parse_source("HMRC VAT Notice 700 (checked 2026-11-23)")
    {'source': 'HMRC VAT Notice 700', 'checked': '2026-11-23'}
    >>> parse_source("HMRC VAT Notice 700 (checked 2026-02-30)")["checked"] is None
    True
    """
    m = _CHECKED.search(text)
    if m is None:
        return {"source": text.strip(), "checked": None}
    try:
        checked = date.fromisoformat(m.group(1)).isoformat()
    except ValueError:
        return {"source": text.strip(), "checked": None}
    return {"source": text[:m.start()].strip(), "checked": checked}


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _money(value: Money | None) -> dict[str, str] | None:
    return None if value is None else {"amount": str(value.amount), "currency": value.currency}


def _at(schedule: Schedule[Money] | None, day: date) -> dict[str, str] | None:
    return None if schedule is None else _money(schedule.at(day))


def _change(change: tuple[date, Decimal | None] | None) -> dict[str, str | None] | None:
    return None if change is None else {"from": change[0].isoformat(), "rate": _rate(change[1])}


def _component(c: TaxComponent, day: date) -> dict[str, object]:
    return {
        "name": c.name,
        "rate": _rate(c.rate.at(day)),
        "regions": list(c.regions),
        "replaces": c.replaces,
        "base": list(c.base) if c.base is not None else None,
        "includes_itself": c.includes_itself,
        "categories": {name: _rate(sched.at(day)) for name, sched in sorted(c.categories.items())
                       if sched.at(day) is not None},
        "next_change": _change(c.rate.next_change(day)),
    }


def _has_tests(r: Regime) -> bool:
    return bool(r.max_value or r.ship_from or r.origin_in or r.origin_not_in or r.regions)


def _regime(r: Regime, day: date, *, builtin: bool = False) -> dict[str, object]:
    limit = _at(r.max_value, day)
    # How a value is measured and compared only means something where there is a limit.
    tested = limit is not None
    return {
        "id": r.id,
        "name": r.name,
        "from": r.from_.isoformat() if r.from_ else None,
        "to": r.to.isoformat() if r.to else None,
        "ship_from": list(r.ship_from),
        "origin_in": list(r.origin_in),
        "origin_not_in": list(r.origin_not_in),
        "regions": list(r.regions),
        "max_value": limit,
        "inclusive": r.inclusive if tested else None,
        "value_basis": r.value_basis if tested else None,
        "include_shipping": r.include_shipping if tested else None,
        "tax": r.tax,
        "duty": r.duty,
        "per_category_duty": _at(r.per_category_duty, day),
        "category_digits": r.category_digits if r.duty == "per_category" else None,
        "duty_rate": _rate(r.duty_rate.at(day)) if r.duty_rate else None,
        "duty_deduction": _at(r.duty_deduction, day),
        "valuation_factor": _rate(r.valuation_factor),
        "note": r.note,
        "builtin": builtin,
    }
