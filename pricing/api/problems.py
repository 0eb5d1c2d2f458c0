"""The service's wire format: :func:`render` for every JSON body, RFC 9457 problems for errors.

Every error the service returns is ``application/problem+json`` with the RFC 9457 members
``type``, ``title``, ``status`` and ``detail``, and these extension members where they apply:

- ``code``: the short slug that ends ``type`` (``invalid-request``, ``unknown-market``, ...);
- ``field``: the path of the offending field in the request body, e.g. ``items[0].quantity``;
- ``value``, ``expected``, ``suggestion``: what was found, what is allowed, "did you mean";
- ``errors``: every problem found, each with its own ``field`` and ``message`` (request
  validation) or ``file`` and ``key`` (rule files on a reload);
- ``request_id``: the ``X-Request-ID`` of the request, to find it in the access log.

Status codes, one rule each: a body that is not JSON is 400; a body that is JSON but wrong
(types, bounds, unknown codes, an unknown market or currency *named in the body*, a cart the
market refuses) is 422; a resource named in the URL path or query that does not exist is 404;
a body over the size limit is 413; anything unexpected is a 500 without a traceback (logged).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from pricing.errors import NotFoundError, PricingError, RulesError, clip, clip_text, key_path

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "TYPE_PREFIX",
    "ProblemModel",
    "problem",
    "problem_from_error",
    "problem_from_validation",
    "render",
    "status_for",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: ``type`` is this prefix + the error's code: a stable URN, documented in docs/service.md.
TYPE_PREFIX = "urn:pricing:problem:"
#: Values echoed back in a problem are cut to this many characters.
_MAX_VALUE = 100
#: At most this many entries in ``errors``.
_MAX_ERRORS = 50
#: Any other string member (``detail``, messages, paths) is cut to this many characters.
_MAX_TEXT = 500
_LINE_COLUMN = re.compile(r"line (\d+) column (\d+)")

_TITLES = {
    "malformed-json": "The body is not valid JSON",
    "invalid-request": "The request is invalid",
    "invalid-input": "The request is invalid",
    "invalid-amount": "An amount is invalid",
    "invalid-code": "A code is invalid",
    "unknown-currency": "Unknown currency",
    "currency-mismatch": "Amounts in two currencies",
    "unknown-market": "Unknown market",
    "unknown-shipping-method": "Unknown shipping method",
    "unknown-product": "Unknown product",
    "no-product-catalog": "No product catalog is loaded",
    "missing-rate": "No exchange rate",
    "not-found": "Not found",
    "quote-refused": "The cart cannot be quoted",
    "restricted-item": "An item cannot be sold to this market",
    "shipping-impossible": "No shipping is possible for this cart",
    "invalid-rules": "The rule files are invalid",
    "invalid-rates": "The exchange rates are unusable",
    "body-too-large": "The request body is too large",
    "headers-too-large": "The request headers are too large",
    "request-timeout": "The request did not arrive in time",
    "malformed-http": "The request is not valid HTTP",
    "unsupported-media-type": "The body must be JSON",
    "unauthorized": "Authentication required",
    "forbidden": "Not allowed",
    "admin-disabled": "The admin API is disabled",
    "method-not-allowed": "Method not allowed",
    "internal-error": "Internal server error",
}


def render(data: Any) -> bytes:
    """The JSON bytes the service sends for ``data``; module users call it to get the same bytes.

    UTF-8, no ASCII escaping, compact separators, keys in the order the dict holds them: the
    bytes of ``json.dumps(data, ensure_ascii=False, separators=(",", ":"))``, written by orjson
    (several times faster on a quote). Money is strings, so no float reaches a quote; the few
    floats the service writes (durations) are finite. ``POST /v1/quotes`` sends
    ``render(quote.to_dict())`` with one member, ``signature``, appended at the end of the
    top-level object.

    >>> render({"total": {"amount": "9.99", "formatted": "9,99 €"}, "lines": [1, 2]})
    b'{"total":{"amount":"9.99","formatted":"9,99 \\xe2\\x82\\xac"},"lines":[1,2]}'
    """
    try:
        out = orjson.dumps(data)
    except TypeError:  # what orjson does not write (non-str keys, ...): the standard library
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode("utf-8")
    return out


class ProblemModel(BaseModel):
    """The problem+json body (RFC 9457), for the OpenAPI schema."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "type": "urn:pricing:problem:invalid-request",
        "title": "The request is invalid",
        "status": 422,
        "detail": "items[0].quantity: Input should be greater than or equal to 1",
        "code": "invalid-request",
        "field": "items[0].quantity",
        "value": "0",
        "errors": [{"field": "items[0].quantity",
                    "message": "Input should be greater than or equal to 1",
                    "type": "greater_than_equal", "value": "0"}],
        "request_id": "6f1c0e9bd0e54a43a9cf3c1b2b8c2d51",
    }})

    type: str = Field(description="urn:pricing:problem:<code>")
    title: str
    status: int
    detail: str
    code: str
    field: str | None = Field(None, description="Path of the field at fault, e.g. items[0].price")
    errors: list[dict[str, Any]] | None = None
    request_id: str | None = None


def _shown(value: object) -> object:
    if value is None or isinstance(value, bool | int):
        return value
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "..."


def _bounded(value: Any, depth: int = 0) -> Any:
    """``value`` with every string cut to :data:`_MAX_TEXT` characters and lists to
    :data:`_MAX_ERRORS` entries: a problem never repeats a huge request back."""
    if isinstance(value, str):
        return clip_text(value, _MAX_TEXT)
    if isinstance(value, dict) and depth < 3:
        return {clip_text(str(k), _MAX_VALUE): _bounded(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple) and depth < 3:
        return [_bounded(v, depth + 1) for v in list(value)[:_MAX_ERRORS]]
    return value


def problem(status: int, code: str, detail: str, *, title: str | None = None,
            **members: Any) -> dict[str, Any]:
    """A problem+json body; members that are None are left out, long strings cut."""
    out: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title or _TITLES.get(code) or code.replace("-", " ").capitalize(),
        "status": status,
        "detail": clip_text(detail, _MAX_TEXT),
        "code": code,
    }
    out.update((k, _bounded(v)) for k, v in members.items() if v is not None)
    return out


def status_for(error: PricingError, *, in_body: bool = False) -> int:
    """The HTTP status of a :class:`PricingError`.

    ``in_body`` says the thing that was not found was named in the request body, not in the
    URL: then it is a bad body (422), not a missing resource (404).
    """
    if isinstance(error, NotFoundError) and not in_body:
        return 404
    # InvalidInputError, QuoteRefusedError, RulesError, RatesError, and not-found-in-the-body
    return 422


def problem_from_error(error: PricingError, *, in_body: bool = False,
                       status: int | None = None, **members: Any) -> dict[str, Any]:
    """The problem for a :class:`PricingError`, from its structured fields only."""
    details = {k: _shown(v) for k, v in error.details().items()}
    if isinstance(error, RulesError):
        details["errors"] = [p.to_dict() for p in error.problems[:_MAX_ERRORS]]
    return problem(status or status_for(error, in_body=in_body), error.code, error.message,
                   **details, **members)


def _path(loc: Sequence[int | str]) -> str:
    """``("body", "items", 0, "price")`` -> ``items[0].price`` (the path style of the engine)."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    return key_path(parts)


def _message(err: Mapping[str, Any]) -> str:
    kind = err.get("type")
    if kind == "extra_forbidden":
        return f"unknown field {clip(err['loc'][-1])}"
    if kind == "missing":
        return "required field is missing"
    return str(err.get("msg", "invalid")).removeprefix("Value error, ")


def problem_from_validation(errors: Iterable[Mapping[str, Any]], **members: Any
                            ) -> tuple[int, dict[str, Any]]:
    """Status and problem for FastAPI's request validation errors (all of them listed)."""
    errs = list(errors)
    first = errs[0] if errs else {"loc": ("body",), "msg": "invalid body", "type": "invalid"}
    if first.get("type") == "json_invalid":
        why = str((first.get("ctx") or {}).get("error", "JSON decode error"))
        at = _LINE_COLUMN.search(why)
        return 400, problem(400, "malformed-json", f"the body is not valid JSON: {why}",
                            line=int(at.group(1)) if at else None,
                            column=int(at.group(2)) if at else None, **members)
    if (first.get("type") in ("model_attributes_type", "dict_type", "model_type")
            and tuple(first.get("loc", ())) in ((), ("body",))):
        if isinstance(first.get("input"), bytes):  # FastAPI did not parse it: not JSON
            return 415, problem(415, "unsupported-media-type",
                                "send the body as JSON with Content-Type: application/json",
                                **members)
        return 422, problem(422, "invalid-request", "the body must be a JSON object",
                            **members)
    listed = []
    for e in errs[:_MAX_ERRORS]:
        entry: dict[str, Any] = {"field": clip_text(_path(e.get("loc", ())), _MAX_VALUE),
                                 "message": _message(e), "type": e.get("type")}
        value = e.get("input")
        if e.get("type") != "missing" and not isinstance(value, dict | list):
            entry["value"] = _shown(value)
        ctx = e.get("ctx") or {}
        for k in ("expected", "suggestion"):  # from PricingErrors behind a field (codes)
            if isinstance(ctx.get(k), str):
                entry[k] = ctx[k]
        listed.append(entry)
    head = listed[0]
    detail = f"{head['field']}: {head['message']}" if head["field"] else head["message"]
    if len(errs) > 1:
        detail += f" (and {len(errs) - 1} more problem{'s' if len(errs) > 2 else ''})"
    return 422, problem(422, "invalid-request", detail, field=head["field"] or None,
                        value=head.get("value"), expected=head.get("expected"),
                        suggestion=head.get("suggestion"), errors=listed, **members)
