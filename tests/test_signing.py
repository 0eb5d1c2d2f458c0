"""Signed quotes: keys long enough not to be guessed, one spelling per token (issue 13, 7-8)."""

from __future__ import annotations

import base64

import pytest

from pricing.api.signing import MIN_KEY_BYTES, QuoteSigner, WeakKeyError, verify_token
from pricing.service import create_app

KEY = "k" * MIN_KEY_BYTES
PAYLOAD = {"v": 1, "exp": 200, "market": "de"}


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
    token = QuoteSigner.from_secrets(KEY + "\n").sign(PAYLOAD)
    assert QuoteSigner.from_secrets(KEY).open(token) == PAYLOAD
    assert QuoteSigner.from_secrets("  " + KEY).open(token) == PAYLOAD


def _respell(part: str) -> list[str]:
    """Other base64url strings that Python's lenient decoder reads as the same bytes."""
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    out = [part + "=", part + "==", part[:5] + "\n" + part[5:], part[:5] + "!" + part[5:]]
    # 32 bytes take 43 characters, 258 bits: the last character's 2 low bits are unused
    for c in alphabet:
        other = part[:-1] + c
        if other != part:
            try:
                same = base64.urlsafe_b64decode(other + "=" * (-len(other) % 4)) == raw
            except ValueError:
                continue
            if same:
                out.append(other)
    return out


def test_tokens_have_one_spelling():
    signer = QuoteSigner.from_secrets(KEY)
    token = signer.sign(PAYLOAD)
    body, mac = token.split(".")
    assert verify_token(signer, token, now=100.0).status == "valid"
    respelled_macs = _respell(mac)
    # the finding: three other last characters decode to the same MAC (and padding)
    assert len([m for m in respelled_macs if len(m) == len(mac)]) == 3
    for other in respelled_macs:
        assert verify_token(signer, f"{body}.{other}", now=100.0).status == "tampered", other
    for other in _respell(body):
        assert verify_token(signer, f"{other}.{mac}", now=100.0).status == "tampered", other


@pytest.mark.parametrize("token", ["", ".", "a.b", "a." + "A" * 43, "x" * 10_000, "é.é",
                                   "a.b.c", "." + "A" * 43])
def test_malformed_tokens_are_tampered_never_an_error(token):
    assert verify_token(QuoteSigner.from_secrets(KEY), token, now=0.0).status == "tampered"
