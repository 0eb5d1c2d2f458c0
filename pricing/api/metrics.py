"""Prometheus metrics for ``GET /metrics``, kept and written by prometheus_client.

::

    pricing_http_requests_total{route,method,status}   counter    requests answered
    pricing_http_request_duration_seconds{route}       histogram  time to answer, 1 ms-5 s
    pricing_quotes_total{market}                       counter    quotes issued
    pricing_quote_duration_seconds{market}             histogram  time to quote, 0.1 ms-1 s
    pricing_rules_reloads_total{outcome}               counter    reloads: ok, unchanged, failed
    pricing_rules_reload_problems                      gauge      problems of the last reload
    pricing_rules_info{version}                        gauge      1 for the version serving
    pricing_rates_as_of_timestamp_seconds              gauge      the rate table's date
    pricing_rates_age_seconds                          gauge      its age when scraped
    process_*  python_*                                prometheus_client's own collectors

``route`` is the route template (``/v1/markets/{market_id}``), never the raw path, so the
label set stays small; paths that match no route count as ``unmatched``. A quote's time runs
from its request's arrival to its signed answer (parsing, the engine, rendering, signing).

**Several workers.** When ``PROMETHEUS_MULTIPROC_DIR`` names a directory (``pricing serve
--workers N`` sets it; see :func:`worker_metrics_dir`), each worker writes its figures to its
own files there and a scrape, whichever worker answers it, adds them up: counters and
histograms are summed over the workers, those that have exited included (a count never goes
back); ``pricing_rules_info``, ``pricing_rules_reload_problems`` and the process metrics are
given per live worker, with a ``pid`` label; the rates' date is the oldest any live worker
uses; the rates' age is the answering worker's.

>>> m = Metrics()
>>> m.observe_quote("de", seconds=0.0004)
>>> body, content_type = m.render()
>>> 'pricing_quotes_total{market="de"} 1.0' in body.decode()
True
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

__all__ = ["MULTIPROC_ENV", "QUOTE_BUCKETS", "REQUEST_BUCKETS", "Metrics", "worker_metrics_dir"]

#: prometheus_client's own switch to multi-process mode (read when it is first imported).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Seconds to answer a request (the seconds are floats by definition, never money).
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: Seconds to quote: a three-line cart takes well under a millisecond.
QUOTE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                 0.5, 1.0)
_OUTCOMES = ("ok", "unchanged", "failed")
_PID_FILE = re.compile(r"_(\d+)\.db$")


class Metrics:
    """The service's metrics, and their exposition for a scrape.

    ``environ`` is read for :data:`MULTIPROC_ENV` only (default: the process environment,
    where prometheus_client reads it too); ``clock`` (Unix seconds) dates the rates' age.
    """

    def __init__(self, *, environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        env = os.environ if environ is None else environ
        self.multiprocess_dir = env.get(MULTIPROC_ENV) or None
        # No `_created` series beside every counter and histogram: they double the series
        # for nothing a dashboard shows (prometheus_client's switch is process-wide).
        disable_created_metrics()
        self._clock = clock
        # The metrics themselves; in multi-process mode their values go to files and this
        # registry is never scraped.
        own = CollectorRegistry(auto_describe=True)
        self._requests = Counter("pricing_http_requests", "HTTP requests answered.",
                                 ("route", "method", "status"), registry=own)
        self._latency = Histogram("pricing_http_request_duration_seconds",
                                  "Time to answer, by route.", ("route",),
                                  buckets=REQUEST_BUCKETS, registry=own)
        self._quotes = Counter("pricing_quotes", "Quotes issued, by market.", ("market",),
                               registry=own)
        self._quote_latency = Histogram("pricing_quote_duration_seconds",
                                        "Time to quote, by market.", ("market",),
                                        buckets=QUOTE_BUCKETS, registry=own)
        self._reloads = Counter("pricing_rules_reloads", "Rule reloads, by outcome.",
                                ("outcome",), registry=own)
        for outcome in _OUTCOMES:
            self._reloads.labels(outcome)  # listed at 0 before the first reload
        self._problems = Gauge("pricing_rules_reload_problems",
                               "Problems of the last reload (0 once a reload succeeds).",
                               registry=own, multiprocess_mode="liveall")
        self._info = Gauge("pricing_rules_info", "The rules version serving (1).", ("version",),
                           registry=own, multiprocess_mode="liveall")
        self._rates_date = Gauge("pricing_rates_as_of_timestamp_seconds",
                                 "The date of the exchange-rate table in use (Unix time).",
                                 registry=own, multiprocess_mode="livemin")
        self._rates_age = Gauge("pricing_rates_age_seconds",
                                "Age of the exchange-rate table in use when scraped.",
                                registry=own, multiprocess_mode="livemostrecent")
        self._version: str | None = None
        self._rates_as_of: float | None = None
        # The labelled children once found: ``labels()`` costs as much as the count itself.
        # Their number is bounded (routes x methods x statuses; markets).
        self._by_request: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._by_market: dict[str, tuple[Any, Any]] = {}
        if self.multiprocess_dir is None:
            self._scrape = own
            ProcessCollector(registry=own)
            GCCollector(registry=own)
        else:
            self._scrape = CollectorRegistry(auto_describe=False)
            MultiProcessCollector(self._scrape, path=self.multiprocess_dir)
            _WorkerProcesses(self.multiprocess_dir, registry=self._scrape)
        PlatformCollector(registry=self._scrape)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One request answered (the route template, or ``unmatched``)."""
        key = (route, method, status)
        found = self._by_request.get(key)
        if found is None:
            found = self._by_request[key] = (self._requests.labels(route, method, str(status)),
                                             self._latency.labels(route))
        found[0].inc()
        found[1].observe(seconds)

    def observe_quote(self, market: str, *, seconds: float) -> None:
        """One quote issued for ``market`` in ``seconds``."""
        found = self._by_market.get(market)
        if found is None:
            found = self._by_market[market] = (self._quotes.labels(market),
                                               self._quote_latency.labels(market))
        found[0].inc()
        found[1].observe(seconds)

    def count_reload(self, outcome: str, *, problems: int = 0) -> None:
        """A reload and its outcome (``ok``, ``unchanged``, ``failed`` with ``problems``)."""
        self._reloads.labels(outcome).inc()
        self._problems.set(problems)

    def set_rules_version(self, version: str) -> None:
        """The rules version now serving."""
        if version == self._version:
            return
        if self._version is not None:
            # Written as 0 first: in multi-process mode the file keeps the last value.
            self._info.labels(self._version).set(0)
            self._info.remove(self._version)
        self._info.labels(version).set(1)
        self._version = version

    def set_rates(self, as_of: date) -> None:
        """The date of the exchange-rate table now in use."""
        stamp = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC).timestamp()
        if stamp != self._rates_as_of:
            self._rates_date.set(stamp)
            self._rates_as_of = stamp

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The exposition for a scrape with this ``Accept`` header, and its content type:
        OpenMetrics when asked for, else Prometheus text."""
        if self._rates_as_of is not None:
            self._rates_age.set(max(0.0, self._clock() - self._rates_as_of))
        encode, content_type = choose_encoder(accept or "")
        return encode(self._scrape), content_type


class _WorkerProcesses(Collector):
    """Process metrics (CPU, memory, file descriptors) of every live worker, ``pid``-labelled.

    The workers are the processes with files in the multi-process directory; those that have
    exited are marked dead, which drops their per-process gauges (their counts stay)."""

    def __init__(self, path: str, *, registry: CollectorRegistry) -> None:
        self._path = Path(path)
        registry.register(self)

    def _live_pids(self) -> list[int]:
        pids = {int(m.group(1)) for f in self._path.glob("*.db")
                if (m := _PID_FILE.search(f.name))}
        live = []
        for pid in sorted(pids):
            if _alive(pid):
                live.append(pid)
            else:
                mark_process_dead(pid, str(self._path))
        return live

    def collect(self) -> Iterable[Metric]:
        families: dict[str, Metric] = {}
        for pid in self._live_pids():
            for family in ProcessCollector(pid=lambda p=pid: p, registry=None).collect():
                merged = families.get(family.name)
                if merged is None:
                    merged = families[family.name] = Metric(family.name, family.documentation,
                                                            family.type)
                for s in family.samples:
                    merged.add_sample(s.name, {**s.labels, "pid": str(pid)}, s.value)
        return list(families.values())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@contextmanager
def worker_metrics_dir(environ: Mapping[str, str]) -> Iterator[str]:
    """The directory the workers of one ``serve --workers N`` share their metrics through.

    ``PROMETHEUS_MULTIPROC_DIR`` when ``environ`` sets it (its ``*.db`` files, left by an
    earlier run, are removed first, as prometheus_client requires), else a new temporary
    directory, removed when the block ends.
    """
    given = environ.get(MULTIPROC_ENV)
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink(missing_ok=True)
        yield given
        return
    made = tempfile.mkdtemp(prefix="pricing-metrics-")
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)
