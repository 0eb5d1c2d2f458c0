"""Signed quotes: a token a checkout carries so the service can later honour the quoted prices.

A token is two base64url parts (no padding) joined by a dot::

    base64url(canonical JSON of the payload) "." base64url(HMAC-SHA256(key, first part))

The payload names the market, currency, quote date, rules version, the totals and each line's
unit price, the SHA-256 of the normalized request (``request_sha256``), when it was issued
(``iat``) and when it expires (``exp``, Unix seconds; ``iat`` + the shop's
``quote_ttl_seconds``). The payload is readable by anyone holding the token; only the key
holder can make one. Verification accepts the current key and any previous keys (rotation) and
compares MACs with :func:`hmac.compare_digest`.

>>> signer = QuoteSigner(b"k" * 32)
>>> token = signer.sign({"v": 1, "exp": 200})
>>> signer.open(token)
{'exp': 200, 'v': 1}
>>> verify_token(signer, token, now=100.0).status, verify_token(signer, token, now=200.0).status
('valid', 'expired')
>>> verify_token(signer, token[:-2] + "AA", now=100.0).status
'tampered'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pricing.quote import QuoteRequestModel

__all__ = [
    "MIN_KEY_BYTES",
    "TOKEN_VERSION",
    "QuoteSigner",
    "Verification",
    "VerifyRequestModel",
    "WeakKeyError",
    "canonical_json",
    "expires_at",
    "quote_payload",
    "request_digest",
    "verify_token",
]

TOKEN_VERSION = 1
#: Shortest signing key accepted, in bytes (HMAC-SHA256 keys should be as long as its output).
MIN_KEY_BYTES = 32
# An HMAC-SHA256 in base64url without padding is 43 characters.
_MAC_CHARS = 43

Status = Literal["valid", "expired", "tampered"]


class WeakKeyError(ValueError):
    """A signing key too short to keep tokens unforgeable; the service refuses to start."""


def canonical_json(data: Any) -> bytes:
    """Sorted keys, compact, UTF-8: the same data always gives the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        # "20", "20.0" and "20.00" are the same price: hash them the same
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def request_digest(model: QuoteRequestModel) -> str:
    """SHA-256 (hex) of a validated request in normal form.

    Codes are normalized by the model (``"de"`` and ``"DE"`` agree), absent and null fields
    agree, and decimals compare by value; so two requests that quote the same agree.
    """
    data = model.model_dump(exclude_none=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def quote_payload(quote: Mapping[str, Any], *, request_sha256: str, issued_at: float,
                  ttl_seconds: int) -> dict[str, Any]:
    """What a token vouches for, taken from a ``Quote.to_dict()``."""
    iat = math.floor(issued_at)
    return {
        "v": TOKEN_VERSION,
        "iat": iat,
        "exp": iat + int(ttl_seconds),
        "request_sha256": request_sha256,
        "market": quote["market"],
        "currency": quote["currency"],
        "date": quote["date"],
        "rules_version": quote["rules_version"],
        "lines": [{"sku": ln["sku"], "quantity": ln["quantity"],
                   "unit_price": ln["unit_price"]["amount"], "total": ln["total"]["amount"]}
                  for ln in quote["lines"]],
        "totals": {k: v["amount"] for k, v in quote["totals"].items()},
    }


def expires_at(exp: float) -> str:
    """Unix seconds as an RFC 3339 UTC timestamp, e.g. ``2026-11-23T10:15:00Z``."""
    return datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _unb64(text: str) -> bytes:
    """Strict base64url without padding: only the alphabet, and only the one spelling
    :func:`_b64` writes. Python's decoder skips stray characters and ignores the unused low
    bits of the last character, so four other strings would decode to the same MAC."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # non-zero unused bits: not the canonical spelling
        raise ValueError("not canonical base64url")
    return data


class QuoteSigner:
    """Signs with one key; verifies with it and with the previous keys of a rotation."""

    __slots__ = ("_keys", "generated")

    def __init__(self, key: bytes, *, previous: Iterable[bytes] = (),
                 generated: bool = False) -> None:
        keys = (bytes(key), *(bytes(k) for k in previous if k))
        for i, k in enumerate(keys):
            # A short key is guessed offline from one token (a 2-byte key fell in 646 HMAC
            # tries): refuse it, whether current or previous.
            if len(k) < MIN_KEY_BYTES:
                which = "PRICING_QUOTE_KEY" if i == 0 else "a PRICING_QUOTE_KEY_PREVIOUS key"
                raise WeakKeyError(
                    f"{which} is {len(k)} bytes; a quote signing key needs at least "
                    f"{MIN_KEY_BYTES} random bytes, e.g. python -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))'")
        self._keys = keys
        #: True when the key was made up for this process (tokens die with it).
        self.generated = generated

    @classmethod
    def from_secrets(cls, key: str | None, previous: str | None = None) -> QuoteSigner:
        """From ``PRICING_QUOTE_KEY``-style text; a random key when ``key`` is empty.

        ``previous`` may list several old keys separated by commas.
        """
        old = [k.strip().encode("utf-8") for k in (previous or "").split(",") if k.strip()]
        key = (key or "").strip()  # trimmed like the previous keys: a newline from a file
        if not key:
            return cls(secrets.token_bytes(32), previous=old, generated=True)
        return cls(key.encode("utf-8"), previous=old)

    def _mac(self, key: bytes, body: str) -> bytes:
        return hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()

    def sign(self, payload: Mapping[str, Any]) -> str:
        body = _b64(canonical_json(payload))
        return body + "." + _b64(self._mac(self._keys[0], body))

    def open(self, token: str) -> dict[str, Any] | None:
        """The payload of a token one of the keys signed, else None (forged or damaged)."""
        body, dot, mac_text = token.partition(".")
        if not dot or not body or len(mac_text) != _MAC_CHARS:
            return None
        try:
            mac = _unb64(mac_text)
            _unb64(body)  # the body must be canonical too: one token, one spelling
        except (binascii.Error, ValueError):
            return None
        if not any(hmac.compare_digest(self._mac(k, body), mac) for k in self._keys):
            return None
        try:
            payload = json.loads(_unb64(body))
        except (binascii.Error, ValueError):
            return None
        return payload if isinstance(payload, dict) else None


@dataclass(frozen=True, slots=True)
class Verification:
    """The answer of ``POST /v1/quotes/verify``."""

    status: Status
    quote: Mapping[str, Any] | None = None
    cart_matches: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        exp = self.quote.get("exp") if self.quote else None
        return {"status": self.status, "quote": dict(self.quote) if self.quote else None,
                "expires_at": expires_at(exp) if isinstance(exp, int | float) else None,
                "cart_matches": self.cart_matches}


def verify_token(signer: QuoteSigner, token: str, *, now: float,
                 cart_sha256: str | None = None) -> Verification:
    """``tampered`` unless a key signed it; then ``expired`` at or after ``exp``, else ``valid``.

    ``cart_matches`` compares ``cart_sha256`` (the :func:`request_digest` of a cart) with the
    request the quote was made for; None when no cart is given or the token is tampered.
    """
    payload = signer.open(token)
    exp = payload.get("exp") if payload else None
    if payload is None or payload.get("v") != TOKEN_VERSION or not isinstance(exp, int):
        return Verification("tampered")
    matches = None if cart_sha256 is None else hmac.compare_digest(
        str(payload.get("request_sha256", "")), cart_sha256)
    return Verification("expired" if now >= exp else "valid", payload, matches)


class VerifyRequestModel(BaseModel):
    """The body of ``POST /v1/quotes/verify``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: str = Field(min_length=1, max_length=500_000,
                       description="The signature.token of a quote")
    cart: QuoteRequestModel | None = Field(
        None, description="Optional: the cart about to be charged; cart_matches says whether "
                          "it is the request the quote was made for")
