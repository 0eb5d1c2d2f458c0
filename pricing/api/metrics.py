"""Prometheus metrics for ``GET /metrics``, in the text exposition format (version 0.0.4).

Hand-written to keep the dependency list short; it holds counters and one histogram::

    pricing_http_requests_total{route,method,status}      requests answered
    pricing_http_request_duration_seconds{route}          latency histogram
    pricing_quotes_total{market}                          quotes issued
    pricing_rules_reloads_total{outcome}                  reloads: ok, unchanged, failed
    pricing_rules_info{version}                           1 for the rules version serving

``route`` is the route template (``/v1/markets/{market_id}``), never the raw path, so the
label set stays small; paths that match no route count as ``unmatched``. Each worker process
keeps its own figures (with ``--workers`` > 1, a scrape sees one worker).

>>> m = Metrics()
>>> m.count_quote("de")
>>> "pricing_quotes_total{market=\\"de\\"} 1" in m.render().decode()
True
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict

__all__ = ["CONTENT_TYPE", "DEFAULT_BUCKETS", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _num(value: float) -> str:
    # Prometheus samples (seconds, counts) are floats by definition, never money.
    return repr(float(value)) if not float(value).is_integer() else str(int(value))  # float-ok


class Metrics:
    """Thread-safe counters and a latency histogram, rendered on demand."""

    def __init__(self, *, buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> None:
        self._lock = threading.Lock()
        self._buckets = tuple(sorted(buckets))
        self._requests: dict[tuple[str, str, int], int] = defaultdict(int)
        # route -> [count per bucket (non-cumulative; the last is +Inf), sum, count]
        self._latency: dict[str, list[float]] = {}
        self._quotes: dict[str, int] = defaultdict(int)
        self._reloads: dict[str, int] = {"ok": 0, "unchanged": 0, "failed": 0}
        self._rules_version = ""

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        i = bisect.bisect_left(self._buckets, seconds)
        with self._lock:
            self._requests[(route, method, status)] += 1
            row = self._latency.get(route)
            if row is None:
                row = self._latency[route] = [0.0] * (len(self._buckets) + 3)
            row[i] += 1
            row[-2] += seconds
            row[-1] += 1

    def count_quote(self, market: str) -> None:
        with self._lock:
            self._quotes[market] += 1

    def count_reload(self, outcome: str) -> None:
        with self._lock:
            self._reloads[outcome] = self._reloads.get(outcome, 0) + 1

    def set_rules_version(self, version: str) -> None:
        self._rules_version = version

    def render(self) -> bytes:
        with self._lock:
            requests = sorted(self._requests.items())
            latency = {k: list(v) for k, v in sorted(self._latency.items())}
            quotes = sorted(self._quotes.items())
            reloads = sorted(self._reloads.items())
        out = [
            "# HELP pricing_http_requests_total HTTP requests answered.",
            "# TYPE pricing_http_requests_total counter",
        ]
        out += [f'pricing_http_requests_total{{route="{_label(r)}",method="{_label(m)}",'
                f'status="{s}"}} {n}' for (r, m, s), n in requests]
        out += [
            "# HELP pricing_http_request_duration_seconds Time to answer, by route.",
            "# TYPE pricing_http_request_duration_seconds histogram",
        ]
        for route, row in latency.items():
            lbl = _label(route)
            cumulative = 0.0
            for le, n in zip((*self._buckets, None), row[:-2], strict=True):
                cumulative += n
                bound = "+Inf" if le is None else _num(le)
                out.append(f'pricing_http_request_duration_seconds_bucket{{route="{lbl}",'
                           f'le="{bound}"}} {int(cumulative)}')
            out.append(f'pricing_http_request_duration_seconds_sum{{route="{lbl}"}} {row[-2]!r}')
            out.append(f'pricing_http_request_duration_seconds_count{{route="{lbl}"}} '
                       f"{int(row[-1])}")
        out += ["# HELP pricing_quotes_total Quotes issued, by market.",
                "# TYPE pricing_quotes_total counter"]
        out += [f'pricing_quotes_total{{market="{_label(k)}"}} {n}' for k, n in quotes]
        out += ["# HELP pricing_rules_reloads_total Rule reloads, by outcome.",
                "# TYPE pricing_rules_reloads_total counter"]
        out += [f'pricing_rules_reloads_total{{outcome="{_label(k)}"}} {n}' for k, n in reloads]
        out += ["# HELP pricing_rules_info The rules version serving.",
                "# TYPE pricing_rules_info gauge",
                f'pricing_rules_info{{version="{_label(self._rules_version)}"}} 1']
        return ("\n".join(out) + "\n").encode("utf-8")
