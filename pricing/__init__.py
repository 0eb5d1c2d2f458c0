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
from pricing.fx import ExchangeRate, RateTable, bundled_rates, load_rates_file
from pricing.markets import Market, RuleSet, load_rules
from pricing.money import Money, Rounding, allocate
from pricing.quote import Charge, Item, Line, Quote, QuoteRequest

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
    "MissingRateError",
    "Money",
    "NotFoundError",
    "PriceEnding",
    "PricingError",
    "Problem",
    "Quote",
    "QuoteRefusedError",
    "QuoteRequest",
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
    "bundled_rates",
    "load_rates_file",
    "load_rules",
]
