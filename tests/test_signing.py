"""Signed quotes: standard JWTs (HS256, a kid per key), strong keys, one spelling per token.

Issue 13 items 7-8 (keys, spelling) and issue 14 item 4 (JWS/JWT that any JWT library verifies).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time

import httpx
import jwt
import pytest
from conftest_service import Server, cart, copy_rules
from hypothesis import given
from hypothesis import strategies as st

from pricing.api.signing import (
    ISSUER,
    MIN_KEY_BYTES,
    TOKEN_VERSION,
    QuoteSigner,
    WeakKeyError,
    key_id,
    verify_token,
)
from pricing.service import EngineProvider, create_app

KEY = "k" * MIN_KEY_BYTES
OLD = "o" * 40
NOW = 1_795_000_000
CLAIMS = {"v": TOKEN_VERSION, "iss": ISSUER, "iat": NOW, "exp": NOW + 900, "market": "de",
          "currency": "EUR", "request_sha256": "0" * 64, "totals": {"total": "61.40"}}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def kid_of(key: str) -> str:
    """RFC 7638-style thumbprint, as docs/service.md states it: SHA-256, first 8 bytes."""
    return b64(hashlib.sha256(key.encode()).digest()[:8])


# -- keys ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["q7", "x" * (MIN_KEY_BYTES - 1)])
def test_a_short_key_is_refused(key):
    with pytest.raises(WeakKeyError, match=r"PRICING_QUOTE_KEY is .* bytes; .* at least 32"):
        QuoteSigner.from_secrets(key)
    with pytest.raises(WeakKeyError, match="PRICING_QUOTE_KEY_PREVIOUS"):
        QuoteSigner.from_secrets(KEY, previous=f"{'o' * 40},{key}")


def test_the_service_will_not_start_with_a_short_key(rules):
    from pricing import Engine

    with pytest.raises(WeakKeyError):
        create_app(Engine(rules), quote_key="q7", watch_interval=None)


def test_serve_says_so_in_one_line_and_exits_2(capsys):
    from pricing.service import serve

    assert serve(rules="rules", environ={"PRICING_QUOTE_KEY": "q7"}) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: PRICING_QUOTE_KEY is 2 bytes")


@pytest.mark.parametrize(("name", "value"), [
    ("PRICING_MAX_BODY_BYTES", "1MB"), ("PRICING_BODY_TIMEOUT", "-1"),
    ("PRICING_QUOTE_CACHE_BYTES", "lots"), ("PRICING_HEADER_TIMEOUT", "0"),
])
def test_serve_names_a_setting_it_cannot_use(capsys, name, value):
    from pricing.service import serve

    assert serve(rules="rules", environ={name: value}) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {name}={value!r} ")


def test_the_current_key_is_trimmed_like_the_previous_ones():
    """A key read from a file often ends with a newline: it must sign as the bare key."""
    token = QuoteSigner.from_secrets(KEY + "\n").sign(CLAIMS)
    assert QuoteSigner.from_secrets(KEY).open(token) == CLAIMS
    assert QuoteSigner.from_secrets("  " + KEY).open(token) == CLAIMS


# -- the token is a standard JWT ----------------------------------------------------------------

def test_the_token_is_a_jws_with_the_kid_of_its_key():
    token = QuoteSigner.from_secrets(KEY).sign(CLAIMS)
    header, claims, mac = token.split(".")
    # RFC 7515 compact form: header and claims are base64url JSON, the MAC is HMAC-SHA256 of
    # the first two parts, with no padding anywhere
    assert json.loads(unb64(header)) == {"alg": "HS256", "kid": kid_of(KEY), "typ": "JWT"}
    assert json.loads(unb64(claims)) == CLAIMS
    expected = hashlib.sha256  # hmac by hand, not through the module under test
    import hmac
    assert unb64(mac) == hmac.new(KEY.encode(), f"{header}.{claims}".encode(), expected).digest()
    # sha256(b"k" * 32) starts 5e 31 8f 8c f9 cb e2 49 (sha256sum), base64url XjGPjPnL4kk
    assert key_id(KEY.encode()) == kid_of(KEY) == "XjGPjPnL4kk"


def test_plain_pyjwt_verifies_a_token_given_the_key():
    now = int(time.time())
    claims = {**CLAIMS, "iat": now, "exp": now + 900}
    token = QuoteSigner.from_secrets(KEY).sign(claims)
    assert jwt.decode(token, KEY, algorithms=["HS256"]) == claims
    assert jwt.decode(token, KEY, algorithms=["HS256"], issuer=ISSUER,
                      options={"require": ["exp", "iat", "iss"]})["totals"] == {
        "total": "61.40"}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, OLD, algorithms=["HS256"])


def test_a_token_pyjwt_signed_verifies_here():
    """Interop the other way: what another JWT library makes with the key is accepted."""
    token = jwt.encode(CLAIMS, KEY, algorithm="HS256", headers={"kid": kid_of(KEY)})
    v = verify_token(QuoteSigner.from_secrets(KEY), token, now=NOW + 1)
    assert v.status == "valid" and v.quote == CLAIMS and v.reason is None


def test_rotation_picks_the_key_by_kid():
    old_token = QuoteSigner.from_secrets(OLD).sign(CLAIMS)
    rotated = QuoteSigner.from_secrets(KEY, previous=f" {OLD} ,")
    assert jwt.get_unverified_header(old_token)["kid"] == kid_of(OLD)
    assert verify_token(rotated, old_token, now=NOW).status == "valid"
    new_token = rotated.sign(CLAIMS)
    assert jwt.get_unverified_header(new_token)["kid"] == kid_of(KEY)
    # the old key retired: its tokens name a key the service no longer has
    v = verify_token(QuoteSigner.from_secrets(KEY), old_token, now=NOW)
    assert v.status == "tampered" and v.reason["code"] == "unknown-key"
    assert kid_of(OLD) in v.reason["detail"]


def _forge(header: dict, claims: dict, key: str = KEY) -> str:
    import hmac

    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    mac = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(mac)


HEADER = {"alg": "HS256", "kid": kid_of(KEY), "typ": "JWT"}


@pytest.mark.parametrize(("token", "code"), [
    # alg none (the classic JWT forgery) and another algorithm: refused before any key is used
    (b64(b'{"alg":"none","kid":"%s"}' % kid_of(KEY).encode()) + "."
     + b64(json.dumps(CLAIMS).encode()) + "." + "A" * 43, "unsupported-algorithm"),
    (_forge({**HEADER, "alg": "HS512"}, CLAIMS), "unsupported-algorithm"),
    (_forge({**HEADER, "kid": "nope"}, CLAIMS), "unknown-key"),
    (_forge({"alg": "HS256"}, CLAIMS), "unknown-key"),
    # our kid, someone else's key
    (_forge(HEADER, CLAIMS, key="s" * 40), "bad-signature"),
    # signed with our key but not a quote of ours
    (_forge(HEADER, {**CLAIMS, "iss": "https://login.example"}), "invalid-claims"),
    (_forge(HEADER, {k: v for k, v in CLAIMS.items() if k != "exp"}), "invalid-claims"),
    (_forge(HEADER, {**CLAIMS, "v": 1}), "invalid-claims"),
    (_forge(HEADER, {**CLAIMS, "exp": "soon"}), "invalid-claims"),
    (_forge(HEADER, {k: v for k, v in CLAIMS.items() if k != "totals"}), "invalid-claims"),
    # the header-less tokens of before (v1): two parts
    ("eyJ2IjoxfQ." + "A" * 43, "malformed"),
])
def test_each_refusal_says_why(token, code):
    v = verify_token(QuoteSigner.from_secrets(KEY), token, now=NOW)
    assert (v.status, v.quote, v.reason["code"]) == ("tampered", None, code)
    assert v.to_dict()["reason"]["detail"]


def test_an_expired_token_says_when():
    token = QuoteSigner.from_secrets(KEY).sign(CLAIMS)
    signer = QuoteSigner.from_secrets(KEY)
    assert verify_token(signer, token, now=NOW + 899).status == "valid"
    v = verify_token(signer, token, now=NOW + 900)
    # 1_795_000_900 s after the epoch is 2026-11-18 11:21:40 UTC (date -u -d @1795000900)
    assert v.status == "expired" and v.reason["code"] == "expired"
    assert "2026-11-18T11:21:40Z" in v.reason["detail"]
    assert v.to_dict()["expires_at"] == "2026-11-18T11:21:40Z"


# -- one spelling -------------------------------------------------------------------------------

def _respell(part: str) -> list[str]:
    """Other base64url strings that Python's lenient decoder reads as the same bytes."""
    raw = unb64(part)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    out = [part + "=", part + "==", part[:5] + "\n" + part[5:], part[:5] + "!" + part[5:]]
    for c in alphabet:
        other = part[:-1] + c
        if other != part:
            try:
                same = unb64(other) == raw
            except ValueError:
                continue
            if same:
                out.append(other)
    return out


def test_tokens_have_one_spelling():
    signer = QuoteSigner.from_secrets(KEY)
    token = signer.sign(CLAIMS)
    header, claims, mac = token.split(".")
    assert verify_token(signer, token, now=NOW).status == "valid"
    respelled_macs = _respell(mac)
    # 32 bytes take 43 characters, 258 bits: three other last characters decode the same
    assert len([m for m in respelled_macs if len(m) == len(mac)]) == 3
    for other in respelled_macs:
        assert verify_token(signer, f"{header}.{claims}.{other}", now=NOW).status == "tampered"
    for other in _respell(claims):
        assert verify_token(signer, f"{header}.{other}.{mac}", now=NOW).status == "tampered"
    for other in _respell(header):
        assert verify_token(signer, f"{other}.{claims}.{mac}", now=NOW).status == "tampered"


@given(st.data())
def test_no_single_character_change_verifies(data):
    token = QuoteSigner.from_secrets(KEY).sign(CLAIMS)
    i = data.draw(st.integers(0, len(token) - 1))
    c = data.draw(st.characters(codec="ascii").filter(lambda c: c != token[i]))
    v = verify_token(QuoteSigner.from_secrets(KEY), token[:i] + c + token[i + 1:], now=NOW)
    assert v.status == "tampered" and v.quote is None


@pytest.mark.parametrize("token", ["", ".", "a.b", "a." + "A" * 43, "x" * 10_000, "é.é",
                                   "a.b.c", "." + "A" * 43, "..", "a.b." + "A" * 43,
                                   "e30.e30." + "A" * 43])
def test_malformed_tokens_are_tampered_never_an_error(token):
    v = verify_token(QuoteSigner.from_secrets(KEY), token, now=0.0)
    assert v.status == "tampered" and v.reason["code"] in {"malformed", "unknown-key",
                                                             "unsupported-algorithm"}


# -- over HTTP, on the real clock ---------------------------------------------------------------

def test_a_served_token_verifies_with_plain_pyjwt(tmp_path):
    """What a checkout does: take the token from the quote, check it with its own JWT library."""
    provider = EngineProvider.from_directory(copy_rules(tmp_path / "rules"))
    app = create_app(provider, quote_key=KEY, watch_interval=None)
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        before = int(time.time())
        quote = c.post("/v1/quotes", json=cart()).json()
        token = quote["signature"]["token"]
        claims = jwt.decode(token, KEY, algorithms=["HS256"], issuer=ISSUER,
                            options={"require": ["exp", "iat", "iss"]})
        # the claims a checkout must check are the quote's own
        assert claims["market"] == "de" and claims["currency"] == quote["currency"] == "EUR"
        assert claims["totals"] == {k: v["amount"] for k, v in quote["totals"].items()}
        assert [ln["unit_price"] for ln in claims["lines"]] == [
            ln["unit_price"]["amount"] for ln in quote["lines"]]
        # rules/shop.toml: quote_ttl_seconds = 900
        assert before <= claims["iat"] <= int(time.time()) and claims["exp"] == claims["iat"] + 900
        v = c.post("/v1/quotes/verify", json={"token": token, "cart": cart()}).json()
        assert v["status"] == "valid" and v["cart_matches"] is True and v["reason"] is None


def test_a_key_of_exactly_32_bytes_is_long_enough():
    # "at least 32 random bytes": 32 is enough, 31 is not.
    QuoteSigner.from_secrets("k" * 32)
    with pytest.raises(WeakKeyError, match="is 31 bytes"):
        QuoteSigner.from_secrets("k" * 31)


@pytest.mark.parametrize(("name", "lo", "hi", "below", "above"), [
    # Each setting's range as its error states it ("allowed: LO to HI"), both ends allowed.
    ("PRICING_MAX_BODY_BYTES", "1024", "67108864", "1023", "67108865"),  # 1 KiB to 64 MiB
    ("PRICING_QUOTE_CACHE", "0", "1000000", "-1", "1000001"),
    ("PRICING_BODY_TIMEOUT", "0.1", "3600", "0.09", "3600.01"),
])
def test_a_setting_takes_both_ends_of_its_range(name, lo, hi, below, above):
    from pricing.api.app import _settings

    for ok in (lo, hi):
        _settings({name: ok})
    for past in (below, above):
        with pytest.raises(ValueError, match=f"out of range; allowed: {lo} to {hi}"):
            _settings({name: past})


def test_one_worker_needs_no_shared_key(capsys):
    # Only several workers need PRICING_QUOTE_KEY; one worker goes on to read its settings
    # (here an out-of-range one, so that nothing is started).
    from pricing.service import serve

    bad = {"PRICING_MAX_BODY_BYTES": "1023"}
    assert serve(rules="rules", workers=1, environ=bad) == 2
    assert "error: PRICING_MAX_BODY_BYTES='1023' is out of range" in capsys.readouterr().err
    assert serve(rules="rules", workers=2, environ=bad) == 1
    assert "needs PRICING_QUOTE_KEY" in capsys.readouterr().err
