"""Checks a rule file's schema cannot make alone: sources, unconfirmed facts, countries.

* Every market file lists the public sources of its facts, each with the day it was checked,
  written ``(checked YYYY-MM-DD)``; zone files that list sources date them too. A source
  checked more than a year ago is a warning (facts change: rates, thresholds).
* ``unconfirmed = [{ key, why }]`` names keys of the market that exist; each is a warning.
* A country belongs to one market. ISO 3166 codes some territories twice, as a country and as
  a region of another (Puerto Rico is PR and US-PR): a market serving the parent country
  without excluding that region, and another market serving the territory as a country, would
  quote one address two ways. Both are named, with both files.

Each check reports through a callback, ``report(file, key_path, message, **fields)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from pricing.errors import did_you_mean, key_path
from pricing.markets.schema import MarketSpec
from pricing.markets.tomltext import toml_value

__all__ = ["TERRITORIES", "check_countries", "check_sources", "check_unconfirmed"]

Report = Callable[..., None]

_CHECKED = re.compile(r"\(checked ([0-9]{4}-[0-9]{2}-[0-9]{2})\b[^)]*\)")
_KEY_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
#: A source checked longer ago than this is listed by ``pricing validate --warnings``.
STALE_AFTER = timedelta(days=365)

#: ISO 3166-2 regions that ISO 3166-1 also codes as countries, region -> country. Sources:
#: ISO 3166-1 (the "also coded in ISO 3166-2" entries) and ISO 3166-2:US, :FR, :NL, :CN, :NO,
#: :FI as published in the iso-codes data pycountry ships (checked 2026-11-29).
TERRITORIES: Mapping[str, str] = {
    "US-AS": "AS", "US-GU": "GU", "US-MP": "MP", "US-PR": "PR", "US-UM": "UM", "US-VI": "VI",
    "FR-971": "GP", "FR-972": "MQ", "FR-973": "GF", "FR-974": "RE", "FR-976": "YT",
    "FR-BL": "BL", "FR-MF": "MF", "FR-PM": "PM", "FR-PF": "PF", "FR-NC": "NC", "FR-WF": "WF",
    "FR-TF": "TF",
    "NL-AW": "AW", "NL-CW": "CW", "NL-SX": "SX", "NL-BQ1": "BQ", "NL-BQ2": "BQ",
    "NL-BQ3": "BQ",
    "CN-HK": "HK", "CN-MO": "MO", "CN-TW": "TW",
    "NO-21": "SJ", "NO-22": "SJ", "FI-01": "AX",
}


def check_sources(report: Report, file: str, own: Mapping[str, Any], *, required: bool,
                  today: date) -> bool:
    """``sources`` of one file, as written in it: present (for a market) and each dated.
    Returns False when a problem was reported."""
    sources = own.get("sources")
    if sources is None:
        if required:
            report(file, ("id",) if "id" in own else (), "no sources: list the public sources "
                   "of this market's facts, each with the day it was checked, e.g. sources = "
                   "[\"Tax authority: VAT rates (checked 2026-11-23)\"]",
                   expected='sources = ["... (checked YYYY-MM-DD)"]')
            return False
        return True
    if not isinstance(sources, list) or not sources:
        if not isinstance(sources, list):
            return True  # the schema reports the type
        report(file, ("sources",), "sources is empty: list the public sources of this file's "
               "facts", expected='sources = ["... (checked YYYY-MM-DD)"]')
        return False
    ok = True
    for i, text in enumerate(sources):
        if not isinstance(text, str):
            continue  # the schema reports the type
        found = _CHECKED.search(text)
        if found is None:
            report(file, ("sources", i), "source is not dated: say when it was checked",
                   value=toml_value(text), expected='"... (checked YYYY-MM-DD)"')
            ok = False
            continue
        try:
            day = date.fromisoformat(found.group(1))
        except ValueError:
            report(file, ("sources", i), f"{found.group(1)} is not a real day",
                   value=toml_value(text), expected='"... (checked YYYY-MM-DD)"')
            ok = False
            continue
        if day > today:
            report(file, ("sources", i), f"checked {day}, a day still to come (today is "
                   f"{today})", warning=True, value=toml_value(text))
        elif today - day > STALE_AFTER:
            report(file, ("sources", i), f"checked {day}, more than a year ago: check the "
                   "source again and update the date", warning=True, value=toml_value(text))
    return ok


def _parse_key(text: str) -> tuple[str | int, ...]:
    return tuple(int(m.group(1)) if m.group(1) is not None else m.group(2)
                 for m in _KEY_PART.finditer(text))


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _exists(data: Any, path: Sequence[str | int]) -> bool:
    for part in path:
        in_list = isinstance(part, int) and isinstance(data, list) and 0 <= part < len(data)
        in_table = isinstance(part, str) and isinstance(data, dict) and part in data
        if not (in_list or in_table):
            return False
        data = data[part]
    return True


def check_unconfirmed(report: Report, file: str, spec: MarketSpec,
                      data: Mapping[str, Any], *, vocabulary: set[str]) -> bool:
    """Each ``unconfirmed`` entry names a key of the market (a warning each); False when one
    names no key. A key left out on purpose may be named too, when the table that would hold
    it exists and the schema knows the key (``fees[0].to``: the end date is not known)."""
    ok = True
    for i, entry in enumerate(spec.unconfirmed):
        path = _parse_key(entry.key)
        absent_on_purpose = (len(path) > 1 and isinstance(path[-1], str)
                             and path[-1] in vocabulary and _exists(data, path[:-1]))
        if (not path or path[0] == "unconfirmed"
                or not (_exists(data, path) or absent_on_purpose)):
            known = [key_path(p) for p in _paths(data) if p[0] != "unconfirmed"]
            report(file, ("unconfirmed", i, "key"), "names no key of this market",
                   value=toml_value(entry.key), expected="a key path such as duty.rate or "
                   "regimes[0].max_value", suggestion=did_you_mean(entry.key, known))
            ok = False
            continue
        report(file, path, f"unconfirmed: {entry.why}", warning=True)
    return ok


def check_countries(report: Report, claims: Sequence[tuple[str, MarketSpec]]) -> set[str]:
    """Countries claimed twice, directly or as a territory not excluded; the files to drop."""
    first: dict[str, tuple[str, int]] = {}
    bad: set[str] = set()
    for file, spec in claims:
        for i, c in enumerate(spec.countries):
            if c in first and first[c][0] != file:
                report(file, ("countries", i), f"{c} is claimed by two markets: "
                       f"{first[c][0]} and {file}; a country belongs to one market",
                       value=toml_value(c))
                bad.add(file)
            first.setdefault(c, (file, i))
    for file, spec in claims:
        for region, country in TERRITORIES.items():
            parent = region.split("-")[0]
            other = first.get(country)
            if (parent in spec.countries and region not in spec.exclude_regions
                    and other is not None and other[0] != file):
                report(other[0], ("countries", other[1]),
                       f"{country} is served here as a country and by {file} as region "
                       f"{region} of {parent}: an address there would be quoted by two "
                       f"markets; add \"{region}\" to exclude_regions in {file}, or serve "
                       f"{country} from {file} only", value=toml_value(country))
                bad.update({file, other[0]})
    return bad
