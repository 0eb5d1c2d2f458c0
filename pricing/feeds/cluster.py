"""Feeds priced on a Dask cluster: the catalog split into partitions, one task each.

The driver reads and checks the catalog (so bad rows are reported with their lines, as in a
local run) and sends each chunk of checked rows to the cluster; a worker renders it with the
same :func:`~pricing.feeds.runner.render_chunk` a local run uses, on an engine it loads once
from the same rules, rates and translations (:class:`EngineSource`: paths every worker can
read, and the rules version the driver loaded, which the worker checks). Results come back in
catalog order and are written by the driver, so the files are byte for byte those of a local
run.

A task that fails is retried (``retries``); a worker that dies mid-task has its task moved to
another worker by the scheduler (up to ``distributed.scheduler.allowed-failures`` times). When
a partition cannot be priced after that, the run stops with a :class:`~pricing.errors.FeedError`
naming it, and no feed file is replaced. Needs the ``distributed`` extra.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pricing.errors import FeedError, PricingError
from pricing.feeds.market import MarketChunk
from pricing.feeds.readers import Chunk

__all__ = ["DaskRenderer", "EngineSource", "WorkerFeeds", "render_partition"]


@dataclass(frozen=True)
class EngineSource:
    """Where a worker loads the engine from: absolute paths it can read, and the rules version
    the driver priced with."""

    rules: str
    rates: str | None
    locales: str | None
    rules_version: str


@dataclass(frozen=True)
class WorkerFeeds:
    """Everything a worker needs to render a partition: the engine's source and the run."""

    source: EngineSource
    markets: tuple[str, ...]
    channel: str
    on: date
    locales: tuple[str, ...]
    regions: tuple[tuple[str, str], ...]
    ship_from: str | None


#: Per worker process: the market feeds of the runs it has served, by run.
_FEEDS: dict[WorkerFeeds, Any] = {}


def _feeds(spec: WorkerFeeds) -> Any:
    found = _FEEDS.get(spec)
    if found is None:
        from pricing.engine import Engine
        from pricing.feeds.channels import channel
        from pricing.feeds.runner import market_feeds
        from pricing.fx import bundled_rates

        src = spec.source
        # The driver's rates: its rates file, or the bundled rates of the price date.
        engine = Engine.from_directory(src.rules, rates=src.rates or bundled_rates(on=spec.on),
                                       locales=src.locales)
        if engine.rules.version != src.rules_version:
            raise FeedError(
                f"this worker's rules at {src.rules} are version {engine.rules.version}, the "
                f"run priced with {src.rules_version}: deploy the same rules to every worker")
        found = market_feeds(engine, spec.markets, channel(spec.channel), on=spec.on,
                             locales=spec.locales, regions=dict(spec.regions),
                             ship_from=spec.ship_from)
        _FEEDS.clear()  # one run at a time per worker: the last run's engine can go
        _FEEDS[spec] = found
    return found


def render_partition(spec: WorkerFeeds, rows: Sequence[Any]) -> dict[str, MarketChunk]:
    """The task a worker runs: every market's lines for one partition of rows."""
    from pricing.feeds.runner import render_chunk

    return render_chunk(_feeds(spec), rows)


class DaskRenderer:
    """Renders chunks on the cluster at ``address``, at most ``window`` partitions at a time,
    and yields the results in catalog order."""

    def __init__(self, address: str, spec: WorkerFeeds, *, window: int | None = None,
                 retries: int = 2, timeout: float = 30, task: Any = render_partition) -> None:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - the distributed extra is in the test extra
            raise FeedError("--dask needs the distributed extra: pip install "
                            "'pricing[distributed]'") from None
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise FeedError(f"cannot reach the Dask scheduler at {address}: {e}") from None
        workers = len(self.client.scheduler_info().get("workers", {})) or 1
        self.window = window or 2 * workers
        self.spec = spec
        self.retries = retries
        self.task = task
        self.address = address

    def close(self) -> None:
        self.client.close()

    def __call__(self, chunks: Iterator[Chunk]
                 ) -> Iterator[tuple[Chunk, dict[str, MarketChunk]]]:
        from distributed import KilledWorker

        pending: deque[tuple[int, Chunk, Any]] = deque()
        spec = self.client.scatter(self.spec, broadcast=True)
        try:
            for n, chunk in enumerate(chunks):
                pending.append((n, chunk, self.client.submit(
                    self.task, spec, chunk.rows, pure=False, retries=self.retries,
                    key=f"pricing-feed-partition-{n}-{id(self)}")))
                if len(pending) >= self.window:
                    yield self._result(pending.popleft(), KilledWorker)
            while pending:
                yield self._result(pending.popleft(), KilledWorker)
        finally:
            for _, _, future in pending:
                future.cancel()

    def _result(self, item: tuple[int, Chunk, Any], killed: type
                ) -> tuple[Chunk, dict[str, MarketChunk]]:
        n, chunk, future = item
        # A RowBlock has its lines as a column: no FeedRow built per row for a message.
        lines = getattr(chunk.rows, "lines", None) or [r.line for r in chunk.rows]
        where = f"partition {n} (lines {lines[0]}-{lines[-1]})" if lines else f"partition {n}"
        try:
            return chunk, future.result()
        except PricingError:
            raise
        except killed as e:
            raise FeedError(f"{where} failed on the Dask cluster at {self.address}: workers "
                            f"died running it ({e}); no feed was replaced") from None
        except Exception as e:
            raise FeedError(f"{where} failed on the Dask cluster at {self.address}: "
                            f"{type(e).__name__}: {e}; no feed was replaced") from None
