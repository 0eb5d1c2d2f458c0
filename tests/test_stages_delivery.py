"""Delivery dates (pricing/stages/delivery.py): business days skip weekends and the
destination's public holidays, by subdivision where the ``holidays`` package knows it.

Dates checked on a calendar: Mon 2026-11-23 is the quote day; Fri 2026-12-25 is Christmas Day
(a public holiday in Germany and the United Kingdom); Wed 2027-01-06, Epiphany, is a public
holiday in Bavaria (DE-BY) but not in Germany as a whole.
"""

from __future__ import annotations

from datetime import date

import pytest

from pricing.stages.delivery import add_business_days, delivery_window, is_business_day


@pytest.mark.parametrize(("day", "country", "region", "business"), [
    (date(2026, 11, 27), "DE", None, True),      # a Friday
    (date(2026, 11, 28), "DE", None, False),     # Saturday
    (date(2026, 11, 29), "DE", None, False),     # Sunday
    (date(2026, 12, 25), "DE", None, False),     # Christmas Day
    (date(2027, 1, 6), "DE", None, True),        # Epiphany: not a national holiday
    (date(2027, 1, 6), "DE", "DE-BY", False),    # ... but a Bavarian one
    (date(2027, 1, 6), "DE", "DE-HH", True),     # ... and not a Hamburg one
    # GB-LND (London) is an ISO 3166-2 code the package has no calendar for: the national
    # (England) holidays still apply, so Christmas is no business day there either.
    (date(2026, 12, 25), "GB", "GB-LND", False),
    # A country the package does not know: weekends only.
    (date(2026, 12, 25), "XX", None, True),
    (date(2026, 12, 26), "XX", None, False),
])
def test_business_days(day, country, region, business):
    assert is_business_day(day, country=country, region=region) is business


def test_add_business_days_counts_from_the_next_day_and_zero_is_the_day_itself():
    saturday = date(2026, 11, 28)
    assert add_business_days(saturday, 0, country="DE") == saturday
    # Fri 27 + 1 business day: Mon 30 (Sat 28, Sun 29 skipped); + 2: Tue 1 Dec
    assert add_business_days(date(2026, 11, 27), 1, country="DE") == date(2026, 11, 30)
    assert add_business_days(date(2026, 11, 27), 2, country="DE") == date(2026, 12, 1)


def test_add_business_days_skips_the_regions_holidays():
    # Tue 5 Jan 2027 + 1: Wed 6 in Germany, but Thu 7 in Bavaria (Epiphany)
    assert add_business_days(date(2027, 1, 5), 1, country="DE") == date(2027, 1, 6)
    assert add_business_days(date(2027, 1, 5), 1, country="DE", region="DE-BY") == date(2027, 1, 7)
    # Wed 23 Dec 2026 + 2: Thu 24 (1), Fri 25 Christmas, weekend, Mon 28 (2); called directly,
    # as delivery_window's cache would hide a change below it.
    assert add_business_days(date(2026, 12, 23), 2, country="DE") == date(2026, 12, 28)


def test_delivery_window_over_christmas_in_bavaria():
    # Ordered Wed 23 Dec 2026, 1-3 days: Thu 24 (1); Fri 25 and Sat 26 are holidays, Sun 27
    # too; Mon 28 (2), Tue 29 (3).
    assert delivery_window(date(2026, 12, 23), (1, 3), country="DE", region="DE-BY") == (
        date(2026, 12, 24), date(2026, 12, 29))
