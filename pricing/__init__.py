"""pricing: open, fast, explainable cross-border pricing and localization rules.

>>> from pricing import Engine
>>> engine = Engine.from_directory("rules")            # doctest: +SKIP
>>> engine.quote({"destination": {"country": "DE"},     # doctest: +SKIP
...               "items": [{"sku": "A", "quantity": 1,
...                          "price": {"amount": "20.00", "currency": "EUR"}}]})
"""

from pricing.endings import EndingMode, PriceEnding
from pricing.engine import Engine
from pricing.errors import (
    CatalogError,
    CurrencyError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidCodeError,
    InvalidInputError,
    MissingExtraError,
    MissingRateError,
    NotFoundError,
    PricingError,
    Problem,
    QuoteRefusedError,
    RatesError,
    RequestError,
    RestrictedItemError,
    RulesError,
    ShippingError,
    UnknownMarketError,
    UnknownPaymentMethodError,
    UnknownProductError,
    UnknownShippingMethodError,
)
from pricing.fx import ExchangeRate, RateOrigin, RateTable, bundled_rates, load_rates_file
from pricing.markets import Market, RuleSet, load_rules
from pricing.money import Money, Rounding, allocate
from pricing.quote import Charge, Item, Line, Quote, QuoteRequest
from pricing.ratesources import RateHistory, bundled_history

#: The release; pyproject.toml reads it from here (one place to bump).
__version__ = "0.1.0"

__all__ = [
    "CatalogError",
    "Charge",
    "CurrencyError",
    "CurrencyMismatchError",
    "EndingMode",
    "Engine",
    "ExchangeRate",
    "InvalidAmountError",
    "InvalidCodeError",
    "InvalidInputError",
    "Item",
    "Line",
    "Market",
    "MissingExtraError",
    "MissingRateError",
    "Money",
    "NotFoundError",
    "PriceEnding",
    "PricingError",
    "Problem",
    "Quote",
    "QuoteRefusedError",
    "QuoteRequest",
    "RateHistory",
    "RateOrigin",
    "RateTable",
    "RatesError",
    "RequestError",
    "RestrictedItemError",
    "Rounding",
    "RuleSet",
    "RulesError",
    "ShippingError",
    "UnknownMarketError",
    "UnknownPaymentMethodError",
    "UnknownProductError",
    "UnknownShippingMethodError",
    "allocate",
    "bundled_history",
    "bundled_rates",
    "load_rates_file",
    "load_rules",
]
