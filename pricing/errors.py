"""The one exception tree of the package.

Every error a caller can cause is a :class:`PricingError`; each branch also inherits the
built-in it resembles, so ``except ValueError`` keeps working for callers that know nothing of
us. Errors carry structured fields; the CLI and the HTTP layer render those fields and never
parse message text::

    PricingError
    ├── InvalidInputError (ValueError)          a request or argument is malformed
    │   ├── CurrencyError                       unknown / non-ISO currency code
    │   ├── CurrencyMismatchError               arithmetic across two currencies
    │   ├── InvalidAmountError                  NaN, Infinity, float, out of bounds, too precise
    │   ├── InvalidCodeError                    country, region, HS code or locale
    │   └── RequestError                        a quote request field (path in ``field``)
    ├── RulesError (ValueError)                 rule files do not load; ``problems`` lists all
    ├── CatalogError (ValueError)               a product catalog or PO file is unusable
    ├── RatesError (ValueError)                 a rates file or source is unusable
    ├── FeedError (RuntimeError)                a feed run that cannot finish (a cluster fails)
    ├── NotFoundError (LookupError)
    │   ├── UnknownMarketError                  no market by that id / for that destination
    │   ├── UnknownShippingMethodError
    │   ├── UnknownProductError
    │   ├── UnknownPaymentMethodError           not an id of the payment method registry
    │   └── MissingRateError                    no exchange rate for a currency pair
    ├── QuoteRefusedError (ValueError)
    │   ├── RestrictedItemError                 an item the market forbids
    │   └── ShippingError                       no shipping possible (too heavy, ...)
    └── MissingExtraError (ImportError)         a feature's optional dependencies are missing
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CatalogError",
    "CurrencyError",
    "CurrencyMismatchError",
    "FeedError",
    "InvalidAmountError",
    "InvalidCodeError",
    "InvalidInputError",
    "MissingExtraError",
    "MissingRateError",
    "NotFoundError",
    "PricingError",
    "Problem",
    "QuoteRefusedError",
    "RatesError",
    "RequestError",
    "RestrictedItemError",
    "RulesError",
    "ShippingError",
    "UnknownMarketError",
    "UnknownPaymentMethodError",
    "UnknownProductError",
    "UnknownShippingMethodError",
    "as_value_error",
    "clip",
    "clip_text",
    "did_you_mean",
    "key_path",
]

#: Values quoted back in messages are cut to this many characters: a 900 KB string in a request
#: or a rule file must not come back 900 KB long (in a 422 body, on a terminal, in a log).
CLIP = 60


def clip(value: object, limit: int = CLIP) -> str:
    """``repr(value)``, cut to about ``limit`` characters, for quoting a value in a message.

    A string of more than ``limit`` characters also says how long it was (the reader of a 422
    wants to know a 900 KB value was sent); any other repr longer than ``limit``, a string of
    at most ``limit`` characters included, is only cut, with "…".

    >>> clip("EUX")
    "'EUX'"
    >>> clip("9" * 100, 10)
    "'999999999…' (100 characters)"
    """
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit - 1]!r}"[:-1] + f"…' ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def clip_text(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was.

    >>> clip_text("x" * 300, 10)
    'xxxxxxxxx… (300 characters)'
    """
    return text if len(text) <= limit else f"{text[:limit - 1]}… ({len(text)} characters)"


def did_you_mean(value: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to a mistyped ``value``, or None.

    >>> did_you_mean("shiping", ["shipping", "duty"])
    'shipping'
    """
    import difflib

    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if value.lower() in lowered:
        return lowered[value.lower()]
    match = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[match[0]] if match else None


def key_path(parts: Iterable[str | int]) -> str:
    """How errors and rule references name a place: list indexes in brackets, keys dotted.

    >>> key_path(("tax", "components", 0, "rate"))
    'tax.components[0].rate'
    """
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def as_value_error(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``check`` as a pydantic validator: a :class:`PricingError` it raises becomes the error
    pydantic reports at the field's path.

    The error's ``type`` is the PricingError's ``code`` (``unknown-currency``,
    ``invalid-code``, ...) and its ``ctx`` keeps ``expected`` and ``suggestion``, so the rule
    loader and the HTTP layer render them as fields, not as text to parse.
    """
    from pydantic_core import PydanticCustomError

    def validate(value: Any) -> Any:
        try:
            return check(value)
        except PricingError as e:
            raise PydanticCustomError(e.code, "{message}", {
                "message": e.message, "expected": e.expected, "suggestion": e.suggestion,
            }) from None

    return validate


class PricingError(Exception):
    """Base of every error this package raises on purpose."""

    default_message = "pricing error"
    #: A short machine-readable slug, used as the problem+json ``type`` suffix.
    code = "pricing-error"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        value: object = None,
        expected: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.field = field
        self.value = value
        self.expected = expected
        self.suggestion = suggestion
        super().__init__(self.message)

    def details(self) -> dict[str, object]:
        """The structured fields, without the empty ones (for JSON and CLI output)."""
        out: dict[str, object] = {}
        for key in ("field", "value", "expected", "suggestion"):
            v = getattr(self, key)
            if v is not None:
                out[key] = v if isinstance(v, str | int | bool) else str(v)
        return out


class InvalidInputError(PricingError, ValueError):
    default_message = "invalid input"
    code = "invalid-input"


class CurrencyError(InvalidInputError):
    default_message = "unknown currency code; use an ISO 4217 code such as EUR"
    code = "unknown-currency"


class CurrencyMismatchError(InvalidInputError):
    default_message = "cannot combine amounts in two currencies; convert one first"
    code = "currency-mismatch"


class InvalidAmountError(InvalidInputError):
    default_message = "invalid amount"
    code = "invalid-amount"


class InvalidCodeError(InvalidInputError):
    default_message = "invalid code"
    code = "invalid-code"


class RequestError(InvalidInputError):
    default_message = "invalid request"
    code = "invalid-request"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a rule file: where, what was found, what is allowed."""

    file: str
    key: str
    message: str
    value: str | None = None
    expected: str | None = None
    suggestion: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        if self.value is not None:
            text += f" (found {self.value})"
        if self.expected:
            text += f"; allowed: {self.expected}"
        if self.suggestion:
            text += f"; did you mean {self.suggestion!r}?"
        return text

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in (
            ("file", self.file), ("key", self.key), ("message", self.message),
            ("value", self.value), ("expected", self.expected),
            ("suggestion", self.suggestion), ("line", self.line), ("column", self.column),
        ) if v is not None}


class RulesError(PricingError, ValueError):
    """Rule files that do not load. ``problems`` holds every problem found, not just the first."""

    default_message = "the rule files are invalid"
    code = "invalid-rules"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        n = len(self.problems)
        first = str(self.problems[0]) if self.problems else ""
        super().__init__(
            f"{n} problem{'s' if n != 1 else ''} in the rule files"
            + (f"; first: {first}" if n else "")
        )


class CatalogError(PricingError, ValueError):
    """A product catalog or PO file that cannot be used; ``problems`` names each file and line.

    ``file`` and ``line`` are those of the first problem.
    """

    default_message = "the catalogs are invalid"
    code = "invalid-catalog"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else None
        self.file = first.file if first else None
        self.line = first.line if first else None
        n = len(self.problems)
        super().__init__(
            (str(first) if n == 1 else f"{n} problems in the catalogs; first: {first}")
            if first else self.default_message,
            field=None if first is None else first.file + (f":{first.line}" if first.line
                                                           else ""))


class RatesError(PricingError, ValueError):
    default_message = "the exchange rates are unusable"
    code = "invalid-rates"


class FeedError(PricingError, RuntimeError):
    """A feed run that cannot finish: its cluster failed or lost a partition for good. No feed
    file was replaced."""

    default_message = "the feed run failed; no feed was replaced"
    code = "feed-failed"


class NotFoundError(PricingError, LookupError):
    default_message = "not found"
    code = "not-found"


class UnknownMarketError(NotFoundError):
    default_message = "no such market"
    code = "unknown-market"


class UnknownShippingMethodError(NotFoundError):
    default_message = "no such shipping method"
    code = "unknown-shipping-method"


class UnknownProductError(NotFoundError):
    default_message = "no such product in the catalog"
    code = "unknown-product"


class UnknownPaymentMethodError(NotFoundError):
    default_message = "no such payment method"
    code = "unknown-payment-method"


class MissingRateError(NotFoundError):
    default_message = "no exchange rate for this currency"
    code = "missing-rate"


class QuoteRefusedError(PricingError, ValueError):
    default_message = "this cart cannot be quoted"
    code = "quote-refused"


class RestrictedItemError(QuoteRefusedError):
    default_message = "an item cannot be sold to this market"
    code = "restricted-item"


class ShippingError(QuoteRefusedError):
    default_message = "no shipping is possible for this cart"
    code = "shipping-impossible"


class MissingExtraError(PricingError, ImportError):
    """A feature needs an optional part of the package (an "extra") that is not installed.

    ``field`` is the extra, ``value`` the modules missing, ``expected`` the pip command.
    """

    default_message = "an optional dependency is not installed"
    code = "missing-extra"
