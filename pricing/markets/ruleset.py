"""An immutable, versioned set of markets: what a quote is computed against."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pricing.errors import UnknownMarketError, did_you_mean
from pricing.markets.market import Market
from pricing.markets.schema import ShopSpec

__all__ = ["RuleSet"]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The shop and its markets; ``version`` is a hash of every rule file's content."""

    shop: ShopSpec
    markets: Mapping[str, Market]
    version: str
    root: str = ""
    _by_country: Mapping[str, Market] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "markets", MappingProxyType(dict(sorted(self.markets.items()))))
        index = {c: m for m in self.markets.values() for c in m.spec.countries}
        object.__setattr__(self, "_by_country", MappingProxyType(index))

    def market(self, market_id: str) -> Market:
        try:
            return self.markets[market_id]
        except KeyError:
            raise UnknownMarketError(
                f"no market {market_id!r} in rules version {self.version}",
                field="market", value=market_id, expected=", ".join(self.markets),
                suggestion=did_you_mean(str(market_id), self.markets)) from None

    def market_for(self, country: str, region: str | None = None) -> Market:
        """The market serving a destination country (and region)."""
        m = self._by_country.get(country)
        if m is None or not m.serves(country, region):
            where = f"{country} ({region})" if region and m is not None else country
            raise UnknownMarketError(
                f"no market serves {where}; add it to a market's countries in the rules",
                field="destination.country" if m is None else "destination.region",
                value=region if m is not None else country)
        return m

    @property
    def countries(self) -> frozenset[str]:
        return frozenset(self._by_country)
