"""Signed quotes: a JWT (RFC 7519) a checkout carries so the service can later honour the prices.

A token is a JWS in compact form (RFC 7515), HMAC-SHA256 (``HS256``)::

    base64url(header) "." base64url(claims JSON) "." base64url(HMAC-SHA256(key, first two parts))

The header is ``{"alg": "HS256", "kid": ..., "typ": "JWT"}``; ``kid`` names the key that signed
(:func:`key_id`: the first 8 bytes of the key's SHA-256, base64url), so during a rotation the
verifier picks the one key that can have signed, current or previous. The claims (see
:func:`quote_payload`) name the issuer (``iss``), when the token was issued (``iat``) and when
it expires (``exp``, Unix seconds; ``iat`` + the shop's ``quote_ttl_seconds``), the SHA-256 of
the normalized request (``request_sha256``), the market, currency, quote date, rules version,
the totals and each line's unit price and total. Anyone holding the token can read the claims;
only a key holder can make one. Any JWT library verifies it with the key (docs/service.md shows
PyJWT); this module verifies with PyJWT too, and signs by hand only because the header is the
same for every quote of a key: it is written once, and each quote's claims are serialized once.

>>> signer = QuoteSigner(b"k" * 32)
>>> token = signer.sign({"v": 2, "iss": ISSUER, "iat": 100, "exp": 200, "market": "de",
...                      "currency": "EUR", "request_sha256": "0" * 64, "totals": {}})
>>> import jwt
>>> jwt.get_unverified_header(token) == {"alg": "HS256", "kid": signer.kid, "typ": "JWT"}
True
>>> verify_token(signer, token, now=100.0).status, verify_token(signer, token, now=200.0).status
('valid', 'expired')
>>> verify_token(signer, token[:-2] + "AA", now=100.0).reason["code"]
'bad-signature'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

import jwt
import orjson
from pydantic import BaseModel, ConfigDict, Field

from pricing.quote import QuoteRequestModel

__all__ = [
    "ALGORITHM",
    "ISSUER",
    "MIN_KEY_BYTES",
    "TOKEN_VERSION",
    "QuoteSigner",
    "Verification",
    "VerifyRequestModel",
    "WeakKeyError",
    "expires_at",
    "key_id",
    "quote_payload",
    "request_digest",
    "verify_token",
]

#: The claim set's version (``v``): 2 since tokens are JWTs (1 was a header-less token).
TOKEN_VERSION = 2
#: The JWS algorithm: HMAC-SHA256. A token naming any other (``none`` included) is refused.
ALGORITHM = "HS256"
#: The ``iss`` claim of every quote token: a JWT another system signed with the same secret
#: (a session token, say) is not a quote.
ISSUER = "urn:pricing:quotes"
#: Shortest signing key accepted, in bytes (HMAC-SHA256 keys should be as long as its output).
MIN_KEY_BYTES = 32
# An HMAC-SHA256 in base64url without padding is 43 characters.
_MAC_CHARS = 43
# Three base64url parts; the signature part exactly one MAC long.
_COMPACT = re.compile(rf"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{{{_MAC_CHARS}}})")
# Claims every quote token has, checked once the signature is.
_REQUIRED = ("v", "iss", "iat", "exp", "request_sha256", "market", "currency", "totals")
# PyJWT checks the signature, the algorithm and these claims' presence; the times are checked
# here against the service's clock (tests move it), so PyJWT's own clock checks are off.
_DECODE_OPTIONS: Any = {"require": ["iat", "exp", "iss"], "verify_exp": False,
                        "verify_iat": False, "verify_nbf": False}

Status = Literal["valid", "expired", "tampered"]
#: Why a token is not valid (``reason.code`` of ``POST /v1/quotes/verify``).
ReasonCode = Literal["malformed", "unsupported-algorithm", "unknown-key", "bad-signature",
                     "invalid-claims", "expired"]


class WeakKeyError(ValueError):
    """A signing key too short to keep tokens unforgeable; the service refuses to start."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def key_id(key: bytes) -> str:
    """The ``kid`` of a key: its SHA-256's first 8 bytes in base64url (11 characters).

    It tells the keys of a rotation apart without revealing them (64 bits of a hash of a key of
    at least 32 random bytes).

    >>> key_id(b"k" * 32)
    'XjGPjPnL4kk'
    """
    return _b64(hashlib.sha256(key).digest()[:8])


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        # "20", "20.0" and "20.00" are the same price: hash them the same
        return format(value.normalize(), "f")
    raise TypeError(f"cannot hash a {type(value).__name__}")


def request_digest(model: QuoteRequestModel) -> str:
    """SHA-256 (hex) of a validated request in normal form.

    Codes are normalized by the model (``"de"`` and ``"DE"`` agree), absent and null fields
    agree, and decimals compare by value; so two requests that quote the same agree. The normal
    form is the JSON of the model's fields with sorted keys, compact separators, UTF-8, decimals
    as plain normalized strings and dates as ISO days (orjson writes dates so).
    """
    return normal_digest(model.model_dump(exclude_none=True))


def normal_digest(normal: Mapping[str, Any]) -> str:
    """:func:`request_digest` of a request's normal form (the model's
    ``model_dump(exclude_none=True)``, or what :func:`pricing.plainrequest.read_plain` gives)."""
    return hashlib.sha256(orjson.dumps(normal, default=_plain,
                                       option=orjson.OPT_SORT_KEYS)).hexdigest()


def quote_payload(quote: Mapping[str, Any], *, request_sha256: str, issued_at: float,
                  ttl_seconds: int) -> dict[str, Any]:
    """The claims a token vouches for, taken from a ``Quote.to_dict()``."""
    iat = math.floor(issued_at)
    return {
        "v": TOKEN_VERSION,
        "iss": ISSUER,
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


@lru_cache(maxsize=4)
def expires_at(exp: float) -> str:
    """Unix seconds as an RFC 3339 UTC timestamp, e.g. ``2026-11-23T10:15:00Z``.

    Remembered for the last few values: every quote signed in the same second expires at the
    same second.
    """
    return datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _canonical_mac(text: str) -> bool:
    """Whether a MAC's base64url is the one spelling :func:`_b64` writes.

    32 bytes take 43 characters, 258 bits: decoders ignore the last character's two low bits,
    so four spellings would carry the same MAC (one token, one spelling).
    """
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(
        text[-1]) % 4 == 0


class QuoteSigner:
    """Signs with one key; verifies with it and with the previous keys of a rotation."""

    __slots__ = ("_head", "_key", "_keys", "generated", "kid")

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
        self._key = keys[0]
        #: The ``kid`` of the current key, in the header of every token it signs.
        self.kid = key_id(self._key)
        #: Every key that verifies, by ``kid`` (the current key wins a repeated one).
        self._keys: dict[str, bytes] = {}
        for k in keys:
            self._keys.setdefault(key_id(k), k)
        # The header is the same for every token of this key: written once.
        self._head = _b64(orjson.dumps({"alg": ALGORITHM, "kid": self.kid,
                                        "typ": "JWT"})) + "."
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

    def sign(self, claims: Mapping[str, Any]) -> str:
        """The compact JWS of ``claims`` (JSON-serializable), signed with the current key."""
        signing_input = self._head + _b64(orjson.dumps(claims))
        mac = hmac.digest(self._key, signing_input.encode("ascii"), "sha256")
        return signing_input + "." + _b64(mac)

    def check(self, token: str) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
        """The claims of a token one of the keys signed, or None and why not.

        Why not is ``{"code", "detail"}``, the code one of ``malformed``, ``unsupported-
        algorithm``, ``unknown-key``, ``bad-signature`` and ``invalid-claims``. Expiry is not
        checked here (:func:`verify_token` does, on the service's clock).
        """
        shape = _COMPACT.fullmatch(token)
        if shape is None:
            return None, _reason("malformed", "not a signed quote: a JWT is three base64url "
                                 "parts joined by dots, the last one a 43-character HMAC")
        if not _canonical_mac(shape.group(3)):
            return None, _reason("bad-signature", "the signature is not the one spelling of "
                                 "an HMAC-SHA256 in base64url")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            return None, _reason("malformed", "the token's header is not a JSON object")
        if header.get("alg") != ALGORITHM:
            return None, _reason("unsupported-algorithm",
                                 f"the token says alg {_short(header.get('alg'))}; quotes are "
                                 f"signed with {ALGORITHM} only")
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            return None, _reason("unknown-key",
                                 f"the token's kid {_short(kid)} is not the kid of the current "
                                 "key or of a key in PRICING_QUOTE_KEY_PREVIOUS")
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=ISSUER,
                                options=_DECODE_OPTIONS)
        except jwt.InvalidSignatureError:
            return None, _reason("bad-signature", f"the signature does not match the key "
                                 f"{kid}: the token was altered or signed by someone else")
        except (jwt.MissingRequiredClaimError, jwt.InvalidIssuerError) as e:
            return None, _reason("invalid-claims", f"the token is not a quote: {e}")
        except jwt.InvalidTokenError:
            return None, _reason("malformed", "the token's claims are not a JSON object")
        missing = [c for c in _REQUIRED if c not in claims]
        if missing or claims["v"] != TOKEN_VERSION or not _seconds(claims["exp"]):
            return None, _reason("invalid-claims", "the token is not a quote of this version: "
                                 + (f"no {', '.join(missing)}" if missing else
                                    f"v must be {TOKEN_VERSION} and exp whole seconds"))
        return claims, None

    def open(self, token: str) -> dict[str, Any] | None:
        """The claims of a token one of the keys signed, else None (forged or damaged)."""
        return self.check(token)[0]


def _reason(code: ReasonCode, detail: str) -> dict[str, str]:
    return {"code": code, "detail": detail}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _seconds(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Verification:
    """The answer of ``POST /v1/quotes/verify``.

    ``reason`` says why a token is not valid (``{"code", "detail"}``; codes in
    docs/service.md), None when it is.
    """

    status: Status
    quote: Mapping[str, Any] | None = None
    cart_matches: bool | None = None
    reason: Mapping[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        exp = self.quote.get("exp") if self.quote else None
        return {"status": self.status, "quote": dict(self.quote) if self.quote else None,
                "expires_at": expires_at(exp) if isinstance(exp, int | float) else None,
                "cart_matches": self.cart_matches,
                "reason": dict(self.reason) if self.reason else None}


def verify_token(signer: QuoteSigner, token: str, *, now: float,
                 cart_sha256: str | None = None) -> Verification:
    """``tampered`` unless a key signed it; then ``expired`` at or after ``exp``, else ``valid``.

    ``cart_matches`` compares ``cart_sha256`` (the :func:`request_digest` of a cart) with the
    request the quote was made for; None when no cart is given or the token is tampered.
    """
    claims, reason = signer.check(token)
    if claims is None:
        return Verification("tampered", reason=reason)
    matches = None if cart_sha256 is None else hmac.compare_digest(
        str(claims.get("request_sha256", "")), cart_sha256)
    if now >= claims["exp"]:
        return Verification("expired", claims, matches, _reason(
            "expired", f"the quote expired at {expires_at(claims['exp'])}; quote the cart "
            "again"))
    return Verification("valid", claims, matches)


class VerifyRequestModel(BaseModel):
    """The body of ``POST /v1/quotes/verify``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: str = Field(min_length=1, max_length=500_000,
                       description="The signature.token of a quote")
    cart: QuoteRequestModel | None = Field(
        None, description="Optional: the cart about to be charged; cart_matches says whether "
                          "it is the request the quote was made for")

