"""Identifiers as checkouts send them: regions written as ISO 3166-2 codes, as the part after
the country, or by name; errors that list the regions of the right country."""

from __future__ import annotations

import pycountry
import pytest
from conftest import QUOTE_DAY, item

from pricing.codes import normalize_region
from pricing.errors import InvalidCodeError, RequestError

DAY = QUOTE_DAY.isoformat()


@pytest.mark.parametrize(("written", "country", "code"), [
    ("CA", "US", "US-CA"),          # California, not Canada
    ("us-ca", "US", "US-CA"),
    ("US-CA", None, "US-CA"),
    ("QC", "CA", "CA-QC"),          # Shopify's province_code
    (" qc ", "ca", "CA-QC"),
    ("Québec", "CA", "CA-QC"),      # by name, accents or not
    ("quebec", "CA", "CA-QC"),
    ("NSW", "AU", "AU-NSW"),
    ("New South Wales", "AU", "AU-NSW"),
    ("SP", "BR", "BR-SP"),
    ("São Paulo", "BR", "BR-SP"),
    ("M", "ES", "ES-M"),            # a one-letter province code (Madrid)
])
def test_region_forms(written, country, code):
    assert normalize_region(written, country=country) == code


def test_unknown_region_lists_that_countrys_regions_only():
    with pytest.raises(InvalidCodeError) as info:
        normalize_region("ZZ", country="US")
    e = info.value
    listed = e.message.split("regions of US: ", 1)[1].split(" (the part after", 1)[0]
    codes = listed.split(", ")
    # The 50 states, DC and the 6 outlying areas ISO 3166-2:US lists.
    assert sorted(codes) == sorted(s.code for s in pycountry.subdivisions.get(country_code="US"))
    assert all(c.startswith("US-") for c in codes)
    assert e.suggestion is None or e.suggestion.startswith("US-")


def test_a_code_of_another_country_is_named_as_such():
    with pytest.raises(InvalidCodeError) as info:
        normalize_region("CA-QC", country="US")
    assert info.value.message.startswith("region 'CA-QC' is in CA, not in US")
    assert info.value.suggestion is None  # no look-alike from the wrong country


def test_long_lists_are_cut_with_a_count():
    with pytest.raises(InvalidCodeError) as info:
        normalize_region("XX", country="GB")
    n = len(pycountry.subdivisions.get(country_code="GB"))
    assert f"and {n - 60} more" in info.value.message


@pytest.mark.parametrize(("cap", "more"), [(57, " and 1 more"), (58, ""), (59, "")])
def test_a_list_as_long_as_the_cap_is_listed_whole(monkeypatch, cap: int, more: str) -> None:
    # No country has exactly 60 regions (the cap), so the cap is moved to Algeria's 58: one
    # below it one code is left out and counted, at it and above all 58 are listed.
    codes = sorted(s.code for s in pycountry.subdivisions.get(country_code="DZ"))
    assert len(codes) == 58
    monkeypatch.setattr("pricing.codes._MAX_LISTED", cap)
    with pytest.raises(InvalidCodeError) as info:
        normalize_region("XX", country="DZ")
    shown = ", ".join(codes[:cap])
    assert f"regions of DZ: {shown}{more} (the part after" in info.value.message


def test_without_country_a_full_code_is_needed():
    with pytest.raises(InvalidCodeError) as info:
        normalize_region("CA")
    assert info.value.suggestion is None  # not the Yukon (CA-YT)
    assert "the country first" in (info.value.expected or "")


def test_non_string_region_is_a_clear_error():
    with pytest.raises(InvalidCodeError):
        normalize_region(["CA"], country="US")  # type: ignore[arg-type]


def test_quote_with_short_region_codes(engine):
    # California's statewide sales tax, 7.25 % (CDTFA), under its short code.
    q = engine.quote({"destination": {"country": "US", "region": "CA"}, "date": DAY,
                      "items": [item("A", "20.00")]})
    taxes = [c for c in q.charges if c.kind == "tax"]
    assert [(c.name, str(c.rate)) for c in taxes] == [("Sales tax (CA)", "0.0725")]
    # Québec: GST 5 % and QST 9.975 % (Revenu Québec), from "QC".
    q = engine.quote({"destination": {"country": "CA", "region": "QC"}, "date": DAY,
                      "ship_from": "CN", "items": [item("A", "200.00")]})
    assert [c.name for c in q.charges if c.kind == "tax"] == ["GST", "QST"]


def test_quote_errors_name_the_field_and_the_countrys_regions(engine):
    with pytest.raises(RequestError) as info:
        engine.quote({"destination": {"country": "US", "region": "QC"}, "date": DAY,
                      "items": [item()]})
    assert info.value.field == "destination.region"
    assert "unknown region 'QC' of US" in info.value.message
    assert "US-WY" in info.value.message and "CA-" not in info.value.message


def test_postal_code_only_destinations(engine):
    # Germany needs no region: a checkout that sends only the postal code is quoted.
    q = engine.quote({"destination": {"country": "DE", "postal_code": "10115"}, "date": DAY,
                      "items": [item()]})
    assert q.market == "de"
    # The United States taxes by state: the postal code alone is not enough, and we say so.
    with pytest.raises(RequestError) as info:
        engine.quote({"destination": {"country": "US", "postal_code": "94105"}, "date": DAY,
                      "items": [item()]})
    assert info.value.field == "destination.region"
    with pytest.raises(RequestError) as info:
        engine.quote({"destination": {"country": "DE", "postal_code": "<script>"},
                      "date": DAY, "items": [item()]})
    assert info.value.field == "destination.postal_code"
