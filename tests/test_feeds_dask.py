"""`pricing feed --dask`: partitions priced on a dask.distributed cluster (a LocalCluster of two
worker processes on 127.0.0.1) give the same bytes as a local run; a worker that dies mid-run
has its partition priced again elsewhere; a partition that cannot be priced stops the run with
a clear error and replaces no feed."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import cloudpickle
import pytest
from conftest import RULES
from distributed import LocalCluster

from pricing.cli import main
from pricing.engine import Engine
from pricing.errors import FeedError
from pricing.feeds.cluster import DaskRenderer, EngineSource, WorkerFeeds, render_partition
from pricing.feeds.runner import FeedRequest, run_feed
from pricing.fx import bundled_rates

# The tasks below are defined here: workers get them by value, not by importing this file.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

CATALOG = RULES.parent / "catalog" / "products.csv"
DAY = "2026-11-23"
MARKETS = ("de", "us", "jp")


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40) as c:
        yield c


@pytest.fixture(scope="module")
def engine() -> Engine:
    # What `pricing feed --date DAY` loads, and so what the workers load.
    return Engine.from_directory(RULES, rates=bundled_rates(on=date.fromisoformat(DAY)))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_dask_run_writes_the_bytes_of_a_local_run(cluster, tmp_path, capsys):
    args = ["feed", "--rules", str(RULES), "--catalog", str(CATALOG), "--channel", "google",
            "--date", DAY, *(a for m in MARKETS for a in ("--market", m))]
    assert main([*args, "--out", str(tmp_path / "local")]) == 0
    assert main([*args, "--out", str(tmp_path / "dask"), "--dask",
                 cluster.scheduler_address]) == 0, capsys.readouterr().err
    local, dask = _files(tmp_path / "local"), _files(tmp_path / "dask")
    assert len(local) == 8  # 6 feeds (de_DE, en_DE, en_US, es_US, ja_JP, en), report, bad rows
    assert local == dask


def _spec(engine: Engine) -> WorkerFeeds:
    locales = RULES.parent / "locales"
    return WorkerFeeds(
        source=EngineSource(rules=str(RULES), rates=None, locales=str(locales),
                            rules_version=engine.rules.version),
        markets=MARKETS, channel="meta", on=date.fromisoformat(DAY), locales=(),
        regions=(), ship_from=None)


def _request(out: Path) -> FeedRequest:
    # Small chunks: several partitions, so that one of them can fail alone.
    return FeedRequest(catalog=CATALOG, markets=MARKETS, channel="meta", out=out,
                       on=date.fromisoformat(DAY), chunk_size=10)


def _dies_once(marker: str):
    def task(spec, rows):
        try:
            os.remove(marker)  # the first task to get here takes its worker down with it
        except FileNotFoundError:
            return render_partition(spec, rows)
        os._exit(1)
    return task


def test_a_worker_that_dies_has_its_partition_priced_again(cluster, engine, tmp_path):
    run_feed(engine, _request(tmp_path / "local"))
    marker = tmp_path / "die-once"
    marker.touch()
    renderer = DaskRenderer(cluster.scheduler_address, _spec(engine),
                            task=_dies_once(str(marker)))
    try:
        run_feed(engine, _request(tmp_path / "dask"), renderer=renderer)
    finally:
        renderer.close()
    assert not marker.exists()  # a worker did die
    assert _files(tmp_path / "local") == _files(tmp_path / "dask")


def _always_fails(spec, rows):
    raise ValueError("disk full on the worker")


def test_a_partition_that_cannot_be_priced_stops_the_run(cluster, engine, tmp_path):
    out = tmp_path / "out"
    run_feed(engine, _request(out))
    before = _files(out)
    renderer = DaskRenderer(cluster.scheduler_address, _spec(engine), task=_always_fails,
                            retries=1)
    try:
        with pytest.raises(FeedError, match=r"partition 0 \(lines 2-11\) failed on the Dask "
                                            r"cluster .*ValueError: disk full on the worker; "
                                            "no feed was replaced"):
            run_feed(engine, _request(out), renderer=renderer)
    finally:
        renderer.close()
    assert _files(out) == before  # the old feeds, and no temporary file


def test_an_unreachable_scheduler_is_one_clear_error(engine):
    with pytest.raises(FeedError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        DaskRenderer("tcp://127.0.0.1:9", _spec(engine), timeout=2)
