"""/metrics with prometheus_client: counts and latency by route and by market, the rules version,
the rates' date and age, reload outcomes and problems, process metrics, OpenMetrics on request,
and two workers adding up their figures (multi-process mode). About 15 s, most of it starting
the two workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from conftest_service import Clock, Server, cart, copy_rules, scrape

from pricing.api.app import create_app
from pricing.api.metrics import MULTIPROC_ENV, Metrics, worker_metrics_dir
from pricing.api.provider import EngineProvider

ROOT = Path(__file__).resolve().parent.parent
QUOTE_KEY = "a-quote-key-for-the-metrics-tests-0123456789"


def _labels(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


# -- the figures ----------------------------------------------------------------------------------

def test_counts_and_histograms_by_route_and_by_market():
    m = Metrics()
    for seconds in (0.0004, 0.003, 0.2):
        m.observe_quote("de", seconds=seconds)
    m.observe_quote("gb", seconds=0.0004)
    m.observe_request("/v1/quotes", "POST", 200, 0.004)
    m.observe_request("unmatched", "GET", 404, 0.0009)
    got = scrape(m.render()[0].decode())
    assert got[("pricing_quotes_total", _labels(market="de"))] == 3
    assert got[("pricing_quotes_total", _labels(market="gb"))] == 1
    # Buckets are cumulative: 0.0004 s falls in le=0.0005, 0.003 in le=0.005, 0.2 in le=0.25.
    bucket = "pricing_quote_duration_seconds_bucket"
    assert got[(bucket, _labels(market="de", le="0.00025"))] == 0
    assert got[(bucket, _labels(market="de", le="0.0005"))] == 1
    assert got[(bucket, _labels(market="de", le="0.005"))] == 2
    assert got[(bucket, _labels(market="de", le="0.25"))] == 3
    assert got[("pricing_quote_duration_seconds_count", _labels(market="de"))] == 3
    # 0.0004 + 0.003 + 0.2 = 0.2034 seconds (a float sum: Prometheus samples are floats)
    assert got[("pricing_quote_duration_seconds_sum", _labels(market="de"))] == pytest.approx(
        0.2034)
    assert got[("pricing_http_requests_total",
                _labels(route="/v1/quotes", method="POST", status="200"))] == 1
    assert got[("pricing_http_request_duration_seconds_bucket",
                _labels(route="unmatched", le="0.001"))] == 1
    # No `_created` series beside the counters.
    assert not [name for name, _ in got if name.endswith("_created")]


def test_reloads_rules_version_and_process_metrics():
    m = Metrics()
    m.set_rules_version("aaaa")
    got = scrape(m.render()[0].decode())
    assert {o: got[("pricing_rules_reloads_total", _labels(outcome=o))]
            for o in ("ok", "unchanged", "failed")} == {"ok": 0, "unchanged": 0, "failed": 0}
    m.count_reload("failed", problems=3)
    m.count_reload("ok")
    m.set_rules_version("bbbb")
    got = scrape(m.render()[0].decode())
    assert got[("pricing_rules_reloads_total", _labels(outcome="failed"))] == 1
    assert got[("pricing_rules_reloads_total", _labels(outcome="ok"))] == 1
    assert got[("pricing_rules_reload_problems", _labels())] == 0  # the last one succeeded
    info = {dict(labels)["version"]: v for (name, labels), v in got.items()
            if name == "pricing_rules_info"}
    assert info == {"bbbb": 1}
    assert got[("process_resident_memory_bytes", _labels())] > 0
    assert got[("process_open_fds", _labels())] > 0
    assert any(name == "python_info" for name, _ in got)


def test_rates_date_and_age():
    clock = Clock()  # 1_795_000_000 s
    m = Metrics(clock=clock)
    m.set_rates(date(2024, 6, 28))
    got = scrape(m.render()[0].decode())
    # 2024-06-28 is day 19902 of the Unix epoch: 19902 x 86400 = 1_719_532_800 s;
    # its age at the clock is 1_795_000_000 - 1_719_532_800 = 75_467_200 s (873.46 days).
    assert got[("pricing_rates_as_of_timestamp_seconds", _labels())] == 1_719_532_800
    assert got[("pricing_rates_age_seconds", _labels())] == 75_467_200
    clock.now += 86_400
    assert scrape(m.render()[0].decode())[("pricing_rates_age_seconds", _labels())] == (
        75_467_200 + 86_400)


def test_openmetrics_when_the_scraper_asks_for_it():
    m = Metrics()
    body, content_type = m.render("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text; version=1.0.0")
    assert body.endswith(b"# EOF\n")
    body, content_type = m.render(None)
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"


def test_a_worker_metrics_dir_is_emptied_or_made_and_removed(tmp_path):
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_999999.db").write_bytes(b"stale")
    (given / "notes.txt").write_text("mine", "utf-8")
    with worker_metrics_dir({MULTIPROC_ENV: str(given)}) as d:
        assert d == str(given) and sorted(p.name for p in given.iterdir()) == ["notes.txt"]
    assert given.is_dir()  # a directory the operator chose stays
    with worker_metrics_dir({}) as d:
        made = Path(d)
        assert made.is_dir() and not list(made.iterdir())
    assert not made.exists()


# -- over HTTP ------------------------------------------------------------------------------------

def test_the_service_reports_quotes_by_market_rules_and_rates(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    provider = EngineProvider.from_directory(rules)
    app = create_app(provider, quote_key=QUOTE_KEY, clock=Clock(), watch_interval=None,
                     admin_token="admin-token-for-the-metrics-test")
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        for market in ("de", "gb", "gb"):
            assert c.post("/v1/quotes", json=cart(market)).status_code == 200
        gb = rules / "markets" / "gb.toml"
        gb.write_text(gb.read_text("utf-8") + '\ncolour = "red"\n', "utf-8")
        r = c.post("/v1/admin/reload",
                   headers={"Authorization": "Bearer admin-token-for-the-metrics-test"})
        assert r.status_code == 422
        ready = c.get("/readyz").json()
        got = scrape(c.get("/metrics").text)
    assert got[("pricing_quote_duration_seconds_count", _labels(market="de"))] == 1
    assert got[("pricing_quote_duration_seconds_count", _labels(market="gb"))] == 2
    assert got[("pricing_quotes_total", _labels(market="gb"))] == 2
    assert got[("pricing_rules_info", _labels(version=ready["rules_version"]))] == 1
    assert got[("pricing_rules_reloads_total", _labels(outcome="failed"))] == 1
    assert got[("pricing_rules_reload_problems", _labels())] == len(ready["reload_errors"]) >= 1
    as_of = date.fromisoformat(ready["rates"]["as_of"])
    assert got[("pricing_rates_as_of_timestamp_seconds", _labels())] == (
        as_of - date(1970, 1, 1)).days * 86_400


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_add_up_their_figures(tmp_path):
    """Whichever worker answers a scrape, it reports every worker's quotes and each live
    worker's process, with its pid."""
    rules = copy_rules(tmp_path / "rules")
    shared = tmp_path / "metrics"
    shared.mkdir()
    (shared / "counter_999999.db").write_bytes(b"left by an earlier run")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    env.update({"PYTHONPATH": str(ROOT), "PRICING_QUOTE_KEY": QUOTE_KEY,
                "PRICING_WATCH_INTERVAL": "0", MULTIPROC_ENV: str(shared)})
    proc = subprocess.Popen(
        [sys.executable, "-m", "pricing", "serve", "--rules", str(rules), "--port", str(port),
         "--workers", "2"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    try:
        def workers() -> set[str]:
            try:
                text = httpx.get(url + "/metrics", timeout=5).text
            except httpx.TransportError:
                return set()
            return {dict(labels)["pid"] for (name, labels), _ in scrape(text).items()
                    if name == "pricing_rules_info"}

        deadline = time.monotonic() + 60
        while len(pids := workers()) < 2:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, f"workers seen: {pids}"
            time.sleep(0.2)
        quotes = 12
        for _ in range(quotes):  # a new connection each: either worker may answer
            assert httpx.post(url + "/v1/quotes", json=cart("gb"), timeout=30).status_code == 200
        for _ in range(4):  # and either may answer the scrape
            got = scrape(httpx.get(url + "/metrics", timeout=5).text)
            assert got[("pricing_quotes_total", _labels(market="gb"))] == quotes
            assert got[("pricing_quote_duration_seconds_count", _labels(market="gb"))] == quotes
            rss = {dict(labels)["pid"] for (name, labels), _ in got.items()
                   if name == "process_resident_memory_bytes"}
            assert rss == pids
        assert not (shared / "counter_999999.db").exists()  # emptied at start
        assert {p.name.rsplit("_", 1)[-1] for p in shared.glob("*.db")} == {
            f"{pid}.db" for pid in pids}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
