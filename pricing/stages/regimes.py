"""Stage 3, the regime: which regime of a market applies, by tests on where the parcel ships
from and on value thresholds in their own currency; it says how duty and tax are collected."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pricing.quote import Item
from pricing.stages.plan import MarketPlan, RegimePlan

__all__ = ["select_regime"]


def select_regime(plan: MarketPlan, items: Sequence[Item], nets: Sequence[Decimal],
                  freight: Sequence[Decimal], insurance: Sequence[Decimal], *,
                  ship_from: str, region: str | None
                  ) -> tuple[RegimePlan, list[dict[str, Any]]]:
    """The regime that applies to the cart, and every test tried with its outcome.

    Tests, in order: the destination region, where the parcel ships from, the goods' origin,
    and the value threshold. ``nets`` are the lines' goods values net of any tax inside the
    displayed prices, taken at the regime's valuation factor; ``freight`` and ``insurance`` are
    what customs count, added when the regime's threshold includes shipping. A threshold
    compares values rounded half-up to the minor unit with its limit converted at the quote's
    rate (also rounded half-up).
    """
    tests: list[dict[str, Any]] = []
    if ship_from in plan.territory:
        tests.append({"regime": plan.domestic.regime.id, "passed": True,
                      "test": f"ships from {ship_from}, inside the market's customs "
                              "territory: not an import"})
        return plan.domestic, tests
    unit, cur = plan.unit, plan.currency
    for rp in plan.regimes:
        regime = rp.regime
        failed, passed = _pre_tests(rp, items, ship_from=ship_from, region=region)
        if failed is not None:
            tests.append({"regime": regime.id, "passed": False, "test": failed})
            continue
        limit = rp.limit
        if limit is None:
            tests.append({"regime": regime.id, "passed": True,
                          "test": "; ".join([*passed, "no threshold"])})
            return rp, tests
        factor = rp.valuation_factor
        if rp.per_item:
            values = [((n / q) if factor == 1 else (n * factor / q)).quantize(
                unit, rounding=ROUND_HALF_UP) for n, q in zip(nets, (i.quantity for i in items),
                                                              strict=True)]
            what = "each item's value"
        else:
            total = sum(nets, Decimal(0))
            if factor != 1:
                total *= factor
            if rp.include_shipping:
                total += sum(freight, Decimal(0)) + sum(insurance, Decimal(0))
            values = [total.quantize(unit, rounding=ROUND_HALF_UP)]
            what = "consignment value" + (" incl. shipping" if rp.include_shipping
                                          else " excl. shipping")
        if factor != 1:
            what += f" at {factor} of the price"
        highest = max(values)  # one per item, or the consignment's: never empty
        if rp.inclusive:
            ok = highest <= limit
            sign = "<=" if ok else ">"
        else:
            ok = highest < limit
            sign = "<" if ok else ">="
        text = f"{what} {highest} {cur} {sign} {rp.limit_text}"
        tests.append({
            "regime": regime.id, "passed": ok,
            "test": "; ".join([*passed, text]) + (f": {regime.note}" if ok and regime.note
                                                  else "")})
        if ok:
            return rp, tests
    tests.append({"regime": plan.standard.regime.id, "passed": True,
                  "test": "no other regime applied"})
    return plan.standard, tests


def _pre_tests(rp: RegimePlan, items: Sequence[Item], *, ship_from: str, region: str | None
               ) -> tuple[str | None, list[str]]:
    """The first failed test of region, ship-from and origin (None: all passed), and the
    words of those that passed (only the tests the regime has)."""
    regime = rp.regime
    passed: list[str] = []
    if rp.regions:
        if region not in rp.regions:
            return (f"destination region {region or '(not given)'} is not "
                    f"{'/'.join(regime.regions)}"), passed
        passed.append(f"destination region {region}")
    if rp.ship_from and ship_from not in rp.ship_from:
        return f"ships from {ship_from}, not from {'/'.join(regime.ship_from)}", passed
    if rp.origin_in:
        outside = sorted({i.origin or "unknown" for i in items if i.origin not in rp.origin_in})
        if outside:
            return (f"goods of {', '.join(outside)} origin, not all of "
                    f"{'/'.join(regime.origin_in)} origin"), passed
        passed.append(f"all goods of {'/'.join(regime.origin_in)} origin")
    if rp.origin_not_in:
        inside = sorted({i.origin for i in items if i.origin in rp.origin_not_in})  # type: ignore[misc]
        if inside:
            return f"goods of {', '.join(inside)} origin are excluded", passed
        passed.append(f"no goods of {'/'.join(regime.origin_not_in)} origin")
    return None, passed
