"""The service's response bodies as pydantic models: the OpenAPI schema of every 200 answer.

The handlers never build their answers from these models: they send the engine's own JSON
(``render(quote.to_dict())`` and the like), byte for byte what the module gives. These models
*describe* that JSON for the OpenAPI document, so generated clients get typed results and
schemathesis checks every answer against them (tests/test_service_schema.py). Where the
service owns the shape, a model forbids other members (``additionalProperties: false``): a
member added to ``Quote.to_dict`` or ``Market.summary`` without a line here fails the tests,
so the document cannot fall behind the engine (tests/test_openapi.py).

Amounts are decimal strings, never JSON numbers (:data:`DECIMAL`); nullable members are
required and typed ``anyOf [<type>, null]`` (OpenAPI 3.1), as the service always writes them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pricing.api.provider import Outcome
from pricing.api.signing import ReasonCode, Status
from pricing.markets.schema import TaxBasePart
from pricing.payments import PaymentKind
from pricing.quote import ChargeKind

__all__ = [
    "DECIMAL",
    "HealthModel",
    "LabelsModel",
    "MarketModel",
    "MarketsModel",
    "PricesResponseModel",
    "ProductModel",
    "ProductsModel",
    "QuoteModel",
    "QuoteResponseModel",
    "RatesModel",
    "ReadyModel",
    "RegionsModel",
    "ReloadModel",
    "RulesStatusModel",
    "SamplesModel",
    "VerificationModel",
    "VerificationReasonModel",
    "answer",
]

#: A decimal string as the service writes amounts and rates: ``"19.99"``, ``"-0.50"``, ``"0"``.
DECIMAL = r"^-?[0-9]+(?:\.[0-9]+)?$"
_Decimal = Annotated[str, Field(pattern=DECIMAL, examples=["19.99"])]
_Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
_Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["DE"])]
_Timestamp = Annotated[str, Field(description="UTC, ISO 8601 with milliseconds",
                                  examples=["2026-11-23T10:15:00.000Z"])]
_Direction = Literal["ltr", "rtl"]


class _Closed(BaseModel):
    """A shape the service owns: every member is listed, no other is sent."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Open(BaseModel):
    """A shape with members beyond those listed (a signed payload, an error's details)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


# -- quotes -------------------------------------------------------------------------------------

class AmountModel(_Closed):
    """An amount of a quote: exact decimal string, currency, and as the quote's locale writes
    it."""

    amount: _Decimal
    currency: _Currency
    formatted: str = Field(examples=["19,99 €"])


class RegimeTestModel(_Closed):
    """One regime the engine tried, in order, and why it did or did not apply."""

    regime: str
    passed: bool
    test: str


class QuoteRegimeModel(_Closed):
    """The customs regime the cart fell under (de minimis, IOSS, import, ...)."""

    id: str
    name: str
    tax: Literal["sale", "import", "none"]
    duty: Literal["charged", "none", "per_category", "rate"]
    tests: list[RegimeTestModel]
    rule: str | None = Field(description="The rule file and key of the regime")


class FxModel(_Closed):
    """The conversion of shop prices into the market currency."""

    from_: _Currency = Field(alias="from")
    to: _Currency
    rate: _Decimal
    markup: _Decimal
    adjustment: _Decimal
    source: str
    as_of: date
    age_days: int
    stale: bool


class DeliveryDatesModel(_Closed):
    """The delivery window as dates (business days of the destination) and as words."""

    earliest: date
    latest: date
    text: str


class QuoteShippingModel(_Closed):
    """The shipping method quoted."""

    id: str
    name: str
    days: list[int] = Field(description="Business days: fastest, slowest")
    delivery: str = Field(description="The delivery time in the quote's language")
    delivery_dates: DeliveryDatesModel
    weight_kg: str = Field(description="Shipped weight in kilograms, a decimal string")
    rule: str


class QuoteLineModel(_Closed):
    """One cart line; all amounts in the quote currency."""

    sku: str
    title: str | None
    quantity: int
    unit_price: AmountModel
    subtotal: AmountModel
    shipping: AmountModel
    duty: AmountModel
    tax: AmountModel
    included_tax: AmountModel
    fees: AmountModel
    total: AmountModel
    landed_unit_price: AmountModel | None = Field(description=(
        "One unit bought alone, shipping excluded (docs/calculation.md); null when it "
        "cannot be sold alone"))
    price_note: str


class TotalsModel(_Closed):
    """The quote's totals; ``total`` = ``due_at_checkout`` + ``due_on_delivery``."""

    items: AmountModel
    shipping: AmountModel
    duties: AmountModel
    taxes: AmountModel
    included_taxes: AmountModel
    fees: AmountModel
    total: AmountModel
    due_at_checkout: AmountModel
    due_on_delivery: AmountModel


class BasePartModel(_Closed):
    """What a charge's base is made of: goods, shipping, duty, another tax, ..."""

    part: str
    amount: AmountModel


class ChargeModel(_Closed):
    """One charge and why: the rule that produced it, its base and its rate."""

    kind: ChargeKind
    name: str
    label: str = Field(description="``name`` in the quote's language")
    amount: AmountModel
    rule: str
    base: AmountModel | None
    base_parts: list[BasePartModel]
    rate: _Decimal | None
    note: str
    included: bool = Field(description="Tax already inside the displayed prices")
    payable: Literal["checkout", "delivery"]


class QuotePaymentMethodModel(_Closed):
    """A payment method that can pay ``due_at_checkout``, named in the quote's language."""

    id: str
    name: str
    kind: PaymentKind


class QuoteModel(_Closed):
    """A landed-cost quote: the module's ``Quote.to_dict()`` (docs/calculation.md)."""

    market: str
    currency: _Currency
    locale: str
    locale_chain: list[str]
    direction: _Direction
    date: date
    rules_version: str
    incoterm: Literal["DDP", "DAP"]
    price_display: Literal["inclusive", "exclusive"]
    regime: QuoteRegimeModel
    fx: FxModel
    shipping_method: QuoteShippingModel | None = Field(
        description="null for a market that quotes duty and tax only")
    lines: list[QuoteLineModel]
    totals: TotalsModel
    charges: list[ChargeModel]
    payment_methods: list[QuotePaymentMethodModel]
    warnings: list[str]


class SignatureModel(_Open):
    """The quote's signature: give ``token`` to ``POST /v1/quotes/verify`` at checkout."""

    token: str
    expires_at: str = Field(examples=["2026-11-23T10:15:00Z"])


class QuoteResponseModel(QuoteModel):
    """The answer of ``POST /v1/quotes``: the quote and its signature."""

    signature: SignatureModel


class VerificationReasonModel(_Closed):
    """Why a token is not valid (docs/service.md, "Signed quotes")."""

    code: ReasonCode
    detail: str


class VerificationModel(_Open):
    """The answer of ``POST /v1/quotes/verify`` (open: the signing scheme may add members)."""

    status: Status
    quote: dict[str, Any] | None = Field(
        description="The signed claims of the JWT; null when tampered")
    expires_at: str | None
    cart_matches: bool | None = Field(description="null unless a cart was given")
    reason: VerificationReasonModel | None = Field(
        description="Why the token is not valid; null when it is")


# -- markets ------------------------------------------------------------------------------------

class RuleAmountModel(_Closed):
    """An amount as a rule states it, in the rule's own currency."""

    amount: _Decimal
    currency: _Currency


class MarketShippingModel(_Closed):
    id: str
    name: str
    days: list[int]
    default: bool


class PaymentLimitModel(_Closed):
    """Bounds of a payment method in one currency; null: no bound."""

    currency: _Currency
    countries: list[_Country] | None = Field(
        None, description="Present when the limit applies in some countries only")
    min: _Decimal | None
    max: _Decimal | None


class MarketPaymentMethodModel(_Closed):
    id: str
    name: str
    kind: PaymentKind
    currencies: list[_Currency] | None = Field(description="null: any currency")
    limits: list[PaymentLimitModel]


class NextChangeModel(_Closed):
    from_: date = Field(alias="from")
    rate: _Decimal | None


class TaxComponentModel(_Closed):
    name: str
    rate: _Decimal | None
    regions: list[str]
    replaces: str | None
    base: list[str] | None
    includes_itself: bool
    categories: dict[str, _Decimal]
    next_change: NextChangeModel | None


class MarketTaxModel(_Closed):
    components: list[TaxComponentModel]
    base: list[TaxBasePart]
    rounding: Literal["line", "order"]
    rounding_mode: str
    waive_at_or_below: RuleAmountModel | None


class ValuationModel(_Closed):
    basis: Literal["CIF", "FOB"]
    factor: _Decimal


class MarketDutyModel(_Closed):
    default_rate: _Decimal | None
    rules: int = Field(description="How many HS-code duty rules the market has")
    waive_at_or_below: RuleAmountModel | None


class MarketRegimeModel(_Closed):
    """A customs regime in force (or upcoming), with its tests."""

    id: str
    name: str
    from_: date | None = Field(alias="from")
    to: date | None
    ship_from: list[_Country]
    origin_in: list[_Country]
    origin_not_in: list[_Country]
    regions: list[str]
    max_value: RuleAmountModel | None
    inclusive: bool | None
    value_basis: Literal["consignment", "item"] | None
    include_shipping: bool | None
    tax: Literal["sale", "import", "none"]
    duty: Literal["charged", "none", "per_category", "rate"]
    per_category_duty: RuleAmountModel | None
    category_digits: int | None
    duty_rate: _Decimal | None
    duty_deduction: RuleAmountModel | None
    valuation_factor: _Decimal | None
    note: str | None
    builtin: bool = Field(description="The engine's standard import regime, not a rule's")


class UnconfirmedModel(_Closed):
    key: str
    why: str


class SourceModel(_Closed):
    source: str
    checked: date | None


class MarketSummaryModel(_Closed):
    """A market on a day: ``Market.summary`` (docs/markets.md is rendered from it)."""

    id: str
    name: str
    countries: list[_Country]
    exclude_regions: list[str]
    customs_territory: list[_Country]
    currency: _Currency
    locales: list[str]
    default_locale: str
    price_display: Literal["inclusive", "exclusive"]
    incoterm: Literal["DDP", "DAP"]
    requires_region: bool
    shipping_methods: list[MarketShippingModel]
    payment_methods: list[MarketPaymentMethodModel]
    tax: MarketTaxModel | None
    category_rates: int
    valuation: ValuationModel
    duty: MarketDutyModel
    regimes: list[MarketRegimeModel]
    upcoming_regimes: list[MarketRegimeModel]
    unconfirmed: list[UnconfirmedModel]
    sources: list[SourceModel]


class MarketsModel(_Closed):
    """The answer of ``GET /v1/markets``."""

    rules_version: str
    date: date
    markets: list[MarketSummaryModel]


class MarketModel(MarketSummaryModel):
    """The answer of ``GET /v1/markets/{market_id}``."""

    rules_version: str
    date: date


class SampleRegimeModel(_Closed):
    id: str
    name: str


class SampleCartModel(_Closed):
    id: str
    name: str
    description: str
    regime: SampleRegimeModel
    ship_from: str | None
    region: str | None
    items: list[dict[str, Any]] = Field(description="Quote request items")
    request: dict[str, Any] = Field(description="A ready body for POST /v1/quotes")


class RefusedSampleModel(_Closed):
    id: str
    reason: str


class SamplesModel(_Closed):
    """The answer of ``GET /v1/markets/{market_id}/samples``."""

    market: str
    date: date
    rules_version: str
    carts: list[SampleCartModel]
    refused: list[RefusedSampleModel]


class RegionModel(_Closed):
    code: str = Field(examples=["US-CA"])
    name: str
    country: _Country
    taxed: bool


class RegionsModel(_Closed):
    """The answer of ``GET /v1/markets/{market_id}/regions``."""

    market: str
    requires_region: bool
    regions: list[RegionModel]


class LabelsModel(_Closed):
    """The answer of ``GET /v1/labels``: the service's words, by English source text."""

    locale: str
    direction: _Direction
    labels: dict[str, str]


# -- products, rates, prices --------------------------------------------------------------------

class WeightOutModel(_Closed):
    value: str = Field(description="Kilograms, a decimal string", examples=["0.18"])
    unit: Literal["kg"]


class ProductModel(_Closed):
    """A catalog product, its text in the locale asked for."""

    sku: str
    title: str
    title_locale: str
    description: str
    description_locale: str
    price: RuleAmountModel
    hs_code: str | None
    origin: _Country | None
    category: str | None
    weight: WeightOutModel | None


class ProductAnswerModel(ProductModel):
    """The answer of ``GET /v1/products/{sku}``."""

    rules_version: str


class ProductsModel(_Closed):
    """The answer of ``GET /v1/products``."""

    rules_version: str
    catalog: bool = Field(description="false when the service runs without a catalog")
    total: int
    offset: int
    limit: int
    products: list[ProductModel]


class RateOriginModel(_Closed):
    """Where one rate comes from; a pegged currency names its anchor and parity."""

    source: str
    date: date
    anchor: _Currency | None = None
    parity: _Decimal | None = None


class RatesModel(_Closed):
    """The answer of ``GET /v1/rates``: units of each currency per one ``base``."""

    base: _Currency
    date: date
    source: str
    rates: dict[str, _Decimal]
    origins: dict[str, RateOriginModel] | None = Field(
        None, description="Present when the rates of some currencies differ in date or "
                          "source from the table's")


class UnitPriceModel(_Closed):
    amount: _Decimal
    currency: _Currency
    formatted: str


class PriceRowModel(_Closed):
    index: int
    sku: str
    unit_price: UnitPriceModel
    landed_price: UnitPriceModel
    duty: _Decimal
    tax: _Decimal
    included_tax: _Decimal
    fees: _Decimal
    regime: str


class PriceErrorModel(_Open):
    """An item that could not be priced; more members name the value and the fix."""

    index: int
    sku: str | None
    field: str
    code: str
    message: str


class PricesResponseModel(_Closed):
    """The answer of ``POST /v1/prices``."""

    market: str
    currency: _Currency
    locale: str
    date: date
    rules_version: str
    priced: int
    failed: int
    prices: list[PriceRowModel]
    errors: list[PriceErrorModel]


# -- operations ---------------------------------------------------------------------------------

class HealthModel(_Closed):
    status: Literal["ok"]


class RatesInUseModel(_Closed):
    source: str
    as_of: date


class PlaceModel(_Closed):
    """Where a problem is, without what the file holds."""

    file: str | None = None
    line: int | None = None
    key: str | None = None


class LastReloadModel(_Closed):
    """A reload: what started it, when, and how it ended (``GET /v1/rules/status``)."""

    outcome: Outcome
    trigger: str
    at: _Timestamp
    rules_version: str


class ReloadModel(LastReloadModel):
    """The answer of ``POST /v1/admin/reload``: the reload and every problem found."""

    previous_version: str | None
    seconds: float
    errors: list[dict[str, Any]]


class ReadyReloadModel(LastReloadModel):
    """The last reload as ``/readyz`` shows it: its problems as places only."""

    previous_version: str | None
    seconds: float
    errors: list[PlaceModel]


class ReadyModel(_Closed):
    """The answer of ``GET /readyz``."""

    status: Literal["ready", "degraded"]
    rules_version: str
    rules_loaded_at: _Timestamp
    markets: list[str]
    rates: RatesInUseModel
    unpriced_markets: list[str] = Field(description="Markets whose currency the rates lack")
    reload_errors: list[PlaceModel]
    last_reload: ReadyReloadModel | None
    catalog_errors: list[PlaceModel]


class StatusProblemModel(_Closed):
    source: Literal["rules", "catalog", "labels"]
    file: str
    line: int | None = None
    key: str | None = None
    message: str | None = None
    expected: str | None = None
    suggestion: str | None = None


class UnconfirmedFactModel(_Closed):
    market: str
    file: str
    key: str
    why: str


class RulesStatusModel(_Closed):
    """The answer of ``GET /v1/rules/status``."""

    status: Literal["ok", "problems"]
    rules_version: str
    rules_loaded_at: _Timestamp
    markets: int
    rates: RatesInUseModel
    last_reload: LastReloadModel | None
    problems: list[StatusProblemModel]
    unconfirmed: list[UnconfirmedFactModel]


def answer(model: type[BaseModel], description: str, example: Any = None
           ) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry of a route's 200 answer: its schema, and an example if given."""
    out: dict[str, Any] = {"model": model, "description": description}
    if example is not None:
        out["content"] = {"application/json": {"example": example}}
    return {200: out}
