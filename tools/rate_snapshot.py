"""Rebuild pricing/data/currency-api-eur.csv from npm tarballs of @fawazahmed0/currency-api.

The bundled snapshot holds, for each ISO 4217 currency that neither the ECB publishes nor an
official peg fixes (pricing/data/pegs.csv), the rate per 1 EUR of each chosen day, copied as
published (the JSON is read with Decimal, never float). To refresh it:

    mkdir -p /tmp/currency-api && cd /tmp/currency-api
    npm pack @fawazahmed0/currency-api@2026.9.29   # and the other days wanted
    python tools/rate_snapshot.py /tmp/currency-api/*.tgz > pricing/data/currency-api-eur.csv

Each tarball's v1/currencies/eur.json must carry the date its version names. A figure that
leaves both its neighbours by more than half while they agree with each other within 30 % (MNT
at 0.83 per EUR for a day between two days at ~3,700) is a glitch of the feed: it is left out
(an empty cell), never replaced. Other moves of more than 30 % between two kept days (a
devaluation, a redenomination) are kept and printed to stderr, to review.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import tarfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from pricing.codes import currency_codes
from pricing.ratesources import bundled_history, bundled_pegs

#: ISO 4217 fund codes and units of account: nothing is priced in them.
FUNDS = frozenset({"BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW", "XSU", "XUA"})

HEADER = """\
# Rates per 1 EUR for the ISO 4217 currencies that neither the ECB publishes nor an official peg
# fixes (pegs.csv): the daily rates of fawazahmed0/exchange-api (github.com/fawazahmed0/
# exchange-api), file v1/currencies/eur.json of the npm package @fawazahmed0/currency-api, one
# version per row, the row's date being that file's own "date". The author publishes them free
# of charge for any use; the package declares no licence, and the upstream feeds it aggregates
# are not named, so these are less authoritative than a central bank's: quotes name the source
# and day of each such rate, and a merchant selling in these currencies should feed their own.
# Figures are copied as published (up to 8 decimals), never rounded again; an empty cell means
# the currency was absent that day. Versions kept: {versions}.
# Rebuilt with tools/rate_snapshot.py.
"""


def read_tarball(path: Path) -> tuple[str, date, dict[str, Decimal]]:
    """(version, date, rates per EUR by upper-case code) of one npm tarball."""
    with tarfile.open(path, "r:gz") as tar:
        meta = json.load(tar.extractfile("package/package.json"))  # type: ignore[arg-type]
        data = json.load(tar.extractfile("package/v1/currencies/eur.json"),  # type: ignore[arg-type]
                         parse_float=Decimal, parse_int=Decimal)
    version = meta["version"]
    y, m, d = (int(x) for x in re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version).groups())  # type: ignore[union-attr]
    day = date.fromisoformat(data["date"])
    if day != date(y, m, d):
        raise SystemExit(f"{path}: version {version} holds rates dated {day}")
    return version, day, {k.upper(): v for k, v in data["eur"].items()}


def near(a: Decimal, b: Decimal, within: Decimal) -> bool:
    return 1 - within <= b / a <= 1 + within


def drop_glitches(cur: str, snaps: list[tuple[str, date, dict[str, Decimal]]]) -> None:
    """Remove ``cur`` from a day whose figure leaves both agreeing neighbours by over 50 %."""
    for (_, _, before), (_, day, rates), (_, _, after) in zip(snaps, snaps[1:], snaps[2:],
                                                              strict=False):
        a, v, b = before.get(cur), rates.get(cur), after.get(cur)
        if a and v and b and near(a, b, Decimal("0.3")) and not (
                near(a, v, Decimal("0.5")) or near(b, v, Decimal("0.5"))):
            print(f"dropped: {cur} {day} {v} between {a} and {b}", file=sys.stderr)
            del rates[cur]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarballs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    snaps = sorted((read_tarball(p) for p in args.tarballs), key=lambda s: s[1])
    history = bundled_history()
    ecb = set(history.ecb.table_on(history.last_day).rates)  # type: ignore[union-attr]
    pegged = {p.currency for p in bundled_pegs()}
    keep = sorted({c for _, _, rates in snaps for c in rates}
                  & (currency_codes() - ecb - pegged - FUNDS - {"EUR"}))
    out = [HEADER.format(versions=", ".join(v for v, _, _ in snaps)).rstrip("\n"),
           "Date," + ",".join(keep)]
    for c in keep:
        drop_glitches(c, snaps)
    for _, day, rates in snaps:
        out.append(day.isoformat() + "," + ",".join(
            format(rates[c], "f") if c in rates else "" for c in keep))
    for prev, cur in itertools.pairwise(snaps):
        for c in keep:
            a, b = prev[2].get(c), cur[2].get(c)
            if a and b and not near(a, b, Decimal("0.3")):
                print(f"review: {c} {prev[1]} {a} -> {cur[1]} {b}", file=sys.stderr)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
