"""When a parcel arrives: a shipping method's days counted as business days from the quote
date, skipping weekends and the destination's public holidays (the ``holidays`` package, by
country and, where it knows them, subdivision).

>>> delivery_window(date(2026, 12, 23), (1, 3), country="DE", region="DE-BY")
(datetime.date(2026, 12, 24), datetime.date(2026, 12, 29))
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = ["add_business_days", "delivery_window", "is_business_day"]

_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def _calendar(country: str, subdivision: str | None) -> holidays.HolidayBase | None:
    """The public holidays of a country (and subdivision), or None where the package has no
    calendar for it (then only weekends are skipped)."""
    try:
        with warnings.catch_warnings():  # the package warns of subdivision codes it renamed
            warnings.simplefilter("ignore", DeprecationWarning)
            return holidays.country_holidays(country, subdiv=subdivision)
    except Exception:  # NotImplementedError: a country or subdivision the package lacks
        # An ISO 3166-2 code the package does not know (GB-LND, FR-75) still has its
        # country's holidays: only a country the package lacks falls back to weekends alone.
        if subdivision is None:
            return None
        return _calendar(country, None)


def is_business_day(day: date, *, country: str, region: str | None = None) -> bool:
    """Monday to Friday and not a public holiday at the destination."""
    if day.weekday() >= 5:
        return False
    calendar = _calendar(country, region.split("-", 1)[1] if region else None)
    return calendar is None or day not in calendar


def add_business_days(day: date, count: int, *, country: str, region: str | None = None
                      ) -> date:
    """The ``count``-th business day after ``day`` (``day`` itself for 0)."""
    current = day
    left = count
    while left > 0:
        current += _DAY
        if is_business_day(current, country=country, region=region):
            left -= 1
    return current


@lru_cache(maxsize=4096)
def delivery_window(day: date, days: tuple[int, int], *, country: str,
                    region: str | None = None) -> tuple[date, date]:
    """The earliest and latest delivery dates for an order placed on ``day``."""
    return (add_business_days(day, days[0], country=country, region=region),
            add_business_days(day, days[1], country=country, region=region))
