"""Round exchange rates for market currencies a rate table may lack.

The bundled table (pricing.ratesources: ECB rates, official pegs and a dated snapshot) prices
every bundled market, so :func:`with_round_rates` adds nothing to it; it still fills a hand-made
or old table (units per 1 EUR, chosen for easy arithmetic, not market rates).
"""

from __future__ import annotations

from pathlib import Path

from pricing import RateTable

#: Units per 1 EUR. Round numbers near late-2025 levels, for tests only.
ROUND_RATES: dict[str, str] = {
    "ALL": "100", "AMD": "450", "AZN": "2.00", "BAM": "2.00", "EGP": "55.00", "GEL": "3.00",
    "GHS": "12.00", "KES": "150.00", "KWD": "0.350", "KZT": "600.00", "MAD": "11.00",
    "MDL": "20.00", "MKD": "60.00", "MUR": "50.00", "NGN": "1600.00", "QAR": "4.00",
    "RSD": "117", "TND": "3.500", "TZS": "3000.00", "UAH": "50.00", "UGX": "4000",
    "XOF": "650",
    "ARS": "1500", "BDT": "130", "BOB": "7.50", "CLP": "1000", "COP": "4500", "CRC": "550",
    "DOP": "70", "GTQ": "8.50", "JMD": "170", "KHR": "4500", "LKR": "330", "PEN": "4.00",
    "PKR": "300", "PYG": "8000", "TWD": "35", "UYU": "45", "VND": "28000",
    # In the bundled table, but not in conftest.EASY_RATES:
    "ILS": "4.00", "ISK": "150", "JOD": "0.780", "OMR": "0.420", "TRY": "50.00",
    "HKD": "8.50", "IDR": "18000", "MYR": "5.00", "PHP": "65", "THB": "40",
}


def with_round_rates(table: RateTable) -> RateTable:
    """``table`` plus :data:`ROUND_RATES` for the currencies it does not have (same base)."""
    if table.base != "EUR":
        raise ValueError(f"ROUND_RATES are per EUR; the table's base is {table.base}")
    merged = {**{c: r for c, r in ROUND_RATES.items() if c not in table.rates},
              **{c: str(r) for c, r in table.rates.items() if c != table.base}}
    return RateTable.from_mapping(merged, base=table.base, as_of=table.as_of,
                                  source=f"{table.source} + round test rates")


def write_rates_csv(table: RateTable, path: Path) -> Path:
    """Write ``table`` as a rates CSV (``pricing serve --rates FILE`` reads it back)."""
    rows = ["base,date,currency,rate"] + [
        f"{table.base},{table.as_of.isoformat()},{cur},{rate}"
        for cur, rate in table.rates.items() if cur != table.base]
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path
