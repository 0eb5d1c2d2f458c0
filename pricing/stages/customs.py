"""Stage 3b, the customs value: what customs count for each line, part by part.

Goods at their value net of any tax inside the displayed price, times the valuation factor
(Japan: 60 % of the overseas retail price for personal use); under CIF, plus the freight and
insurance customs count, which need not be the shipping the shopper pays (free shipping still
has a freight cost). A request may declare its freight and insurance; else the shipping
method's ``customs`` costs apply; else the freight is the shipping price and there is no
insurance. Amounts are split across lines: freight by weight (what it is priced on),
insurance by value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pricing.markets.schema import Cost
from pricing.money import Money, split
from pricing.stages.plan import MarketPlan, MethodPlan

__all__ = ["Customs", "customs_costs", "customs_value"]


@dataclass(frozen=True, slots=True)
class Customs:
    """Per line: the goods as customs value them, the freight and insurance, and the total
    customs value (goods + freight + insurance under CIF, goods alone under FOB)."""

    goods: tuple[Decimal, ...]
    freight: tuple[Decimal, ...]
    insurance: tuple[Decimal, ...]
    values: tuple[Decimal, ...]
    factor: Decimal


def customs_costs(plan: MarketPlan, method: MethodPlan | None, *, nets: Sequence[Decimal],
                  ship_nets: Sequence[Decimal], weights: Sequence[Decimal],
                  freight: Money | None = None, insurance: Money | None = None
                  ) -> tuple[tuple[Decimal, ...], tuple[Decimal, ...]]:
    """Freight and insurance per line, as customs count them."""
    n = len(nets)
    if freight is not None:
        freights = split(plan.to_local(freight), weights, plan.unit)
    elif method is not None and method.freight is not None:
        freights = _cost(plan, method.freight, nets=nets, ship_nets=ship_nets, weights=weights)
    else:
        freights = tuple(ship_nets)
    if insurance is not None:
        insured = split(plan.to_local(insurance), nets, plan.unit)
    elif method is not None and method.insurance is not None:
        insured = _cost(plan, method.insurance, nets=nets, ship_nets=ship_nets, weights=nets)
    else:
        insured = (plan.zero,) * n
    return freights, insured


def _cost(plan: MarketPlan, cost: Cost, *, nets: Sequence[Decimal],
          ship_nets: Sequence[Decimal], weights: Sequence[Decimal]) -> tuple[Decimal, ...]:
    if cost.amount is not None:
        return split(plan.to_local(cost.amount), weights, plan.unit)
    if cost.of_shipping is not None:
        return tuple(s * cost.of_shipping for s in ship_nets)
    share = cost.of_goods if cost.of_goods is not None else Decimal(0)
    return tuple(v * share for v in nets)


def customs_value(plan: MarketPlan, factor: Decimal, nets: Sequence[Decimal],
                  freight: Sequence[Decimal], insurance: Sequence[Decimal]) -> Customs:
    """The customs value of each line at valuation ``factor``."""
    goods = tuple(nets) if factor == 1 else tuple(v * factor for v in nets)
    if plan.cif:
        values = tuple(g + f + i for g, f, i in zip(goods, freight, insurance, strict=True))
    else:
        values = goods
    return Customs(goods=goods, freight=tuple(freight), insurance=tuple(insurance),
                   values=values, factor=factor)
