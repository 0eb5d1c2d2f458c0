"""What the pipeline stages of one quote share: its context and its lines in progress.

The engine builds a :class:`QuoteContext` and one :class:`WorkLine` per cart line; each stage
(:mod:`pricing.regimes`, :mod:`pricing.duties`, :mod:`pricing.taxes`, :mod:`pricing.fees`) is a
function of them that returns its explained charges and fills in its own column of the lines
(duty, tax, fees). Nothing here reads a file or the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pricing.markets import Market
from pricing.markets.schema import TaxComponent
from pricing.money import Money

__all__ = ["QuoteContext", "WorkLine"]


@dataclass(frozen=True, slots=True)
class QuoteContext:
    """The market, day and currency of one quote, and its two ways of converting rule amounts."""

    market: Market
    day: date
    currency: str
    #: A rule amount (threshold, fee, shipping price) in the quote currency, rounded half-up.
    to_local: Callable[[Money], Money]
    #: The same, unrounded (for amounts that are multiplied before rounding: per kg, per unit).
    exact: Callable[[Money], Money]
    #: Who collects import duty and tax: "checkout" under DDP, "delivery" under DAP.
    payable_import: str
    #: Warnings the quote will carry; stages append to it.
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class WorkLine:
    """One cart line while its quote is computed (exact, unrounded unless said)."""

    unit: Money
    subtotal: Money          # as displayed (gross in tax-inclusive markets), rounded
    weight: Decimal          # kg for the whole line
    tax_rates: list[tuple[int, TaxComponent, Decimal]]
    rate_sum: Decimal
    net: Money = None        # type: ignore[assignment]  # goods value net of tax, exact
    shipping: Money = None   # type: ignore[assignment]  # share of displayed shipping, rounded
    ship_net: Money = None   # type: ignore[assignment]
    duty: Money = None       # type: ignore[assignment]
    tax: Money = None        # type: ignore[assignment]
    included: Money = None   # type: ignore[assignment]
    fees: Money = None       # type: ignore[assignment]
    note: str = ""
