"""The shipping stage: price a method for a cart's weight, with bands, per-kg and free-over."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pricing.errors import ShippingError
from pricing.markets.schema import ShippingMethod
from pricing.money import Money

__all__ = ["ShippingPrice", "price_shipping"]


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
