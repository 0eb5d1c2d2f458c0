"""Stage 2, shipping: price a method for the cart's weight (bands, per kg), apply its free-over
threshold, and split the result across lines by weight."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pricing.errors import ShippingError
from pricing.markets.schema import ShippingMethod
from pricing.money import Money, split
from pricing.quote import Charge
from pricing.stages.plan import MarketPlan, MethodPlan

__all__ = ["Shipping", "ShippingPrice", "price_shipping", "ship"]


@dataclass(frozen=True, slots=True)
class ShippingPrice:
    """Unrounded price in the method's own currency, and how it was found."""

    amount: Money
    note: str


def price_shipping(method: ShippingMethod, weight_kg: Decimal, *, method_id: str) -> ShippingPrice:
    """The price of ``method`` for ``weight_kg``, before any free-over threshold.

    The first band whose ``up_to_kg`` holds the weight sets the price; above the last band each
    further kg (pro rata) costs ``per_kg``. Without bands: ``base + per_kg * weight``.
    """
    if method.max_kg is not None and weight_kg > method.max_kg:
        raise ShippingError(
            f"the cart weighs {weight_kg.normalize():f} kg, over the {method.max_kg} kg limit of "
            f"shipping method {method_id!r}; split the order",
            field="shipping_method", value=method_id, expected=f"at most {method.max_kg} kg")
    for band in method.bands:
        if weight_kg <= band.up_to_kg:
            return ShippingPrice(band.price, f"weight band up to {band.up_to_kg} kg")
    if method.bands:
        last = method.bands[-1]
        if method.per_kg is None:
            raise ShippingError(
                f"the cart weighs {weight_kg.normalize():f} kg, above the last band "
                f"({last.up_to_kg} kg) of shipping method {method_id!r}",
                field="shipping_method", value=method_id,
                expected=f"at most {last.up_to_kg} kg")
        extra = weight_kg - last.up_to_kg
        if method.per_kg.currency != last.price.currency:
            raise ShippingError(f"shipping method {method_id!r} mixes currencies")
        return ShippingPrice(last.price + method.per_kg * extra,
                             f"{last.up_to_kg} kg band plus {extra.normalize():f} kg at "
                             f"{method.per_kg} per kg")
    base = method.base
    per_kg = method.per_kg
    if base is None and per_kg is not None:
        base = Money.zero(per_kg.currency)
    if base is None:  # schema guarantees bands, base or per_kg
        raise ShippingError(f"shipping method {method_id!r} has no price")
    if per_kg is None:
        return ShippingPrice(base, "flat rate")
    return ShippingPrice(base + per_kg * weight_kg,
                         f"{base} plus {weight_kg.normalize():f} kg at {per_kg} per kg")


@dataclass(frozen=True, slots=True)
class Shipping:
    """The shipping of a cart: its local amount (rounded), each line's share, the charge."""

    amount: Decimal
    shares: tuple[Decimal, ...]
    weight: Decimal
    charge: Charge | None


def ship(plan: MarketPlan, method: MethodPlan | None, weights: Sequence[Decimal],
         goods: Decimal) -> Shipping:
    """Price ``method`` for the lines' ``weights`` and ``goods`` (the subtotal as displayed).

    Goods at or over the method's ``free_over`` (converted at the quote's rate) ship free.
    Shipping is split by weight, what it is priced on: a split by value would move it (and the
    duty and tax on it) between lines whenever a price changed.
    """
    total_weight = sum(weights, Decimal(0))
    if method is None:  # a market that quotes duty and tax only
        return Shipping(amount=plan.zero, shares=(plan.zero,) * len(weights),
                        weight=total_weight, charge=None)
    spec = method.method
    # A weight band's price is compiled, already in the local currency; anything else (above
    # the last band, base + per kg, over the limit) is priced here.
    band = None
    if spec.max_kg is None or total_weight <= spec.max_kg:
        for b in method.bands:  # a loop: an abandoned generator costs a throw
            if total_weight <= b[0]:
                band = b
                break
    if band is not None:
        _, amount, note, priced = band
    else:
        found = price_shipping(spec, total_weight, method_id=method.id)
        amount, note, priced = plan.to_local(found.amount), found.note, bool(found.amount)
    if method.free_over is not None:
        if goods >= method.free_over:
            note = (f"free: goods {goods} {plan.currency} at or over the {method.free_over_src} "
                    "free-shipping threshold")
            amount = plan.zero
        else:
            note += f"; free from {method.free_over_src} of goods"
    shares = split(amount, weights, plan.unit)
    charge = None
    if amount or spec.free_over is not None or priced:
        charge = Charge(kind="shipping", name=spec.name,
                        amount=Money(amount, plan.currency), rule=method.rule, note=note)
    return Shipping(amount=amount, shares=shares, weight=total_weight, charge=charge)
