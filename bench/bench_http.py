"""HTTP throughput of POST /v1/quotes next to a bare FastAPI endpoint validating the same body.

Run by hand (needs ``wrk``: ``apt-get install wrk``)::

    python bench/bench_http.py                     # 1 worker, then 2 workers
    python bench/bench_http.py --workers 1 --duration 20

For each worker count it starts ``pricing serve`` with ``PRICING_BENCH=1``, which adds
``POST /bench/validate-only``: the bare echo endpoint, which parses and validates the same body
with the same pydantic model and echoes it back. The two endpoints share the server, the
middleware and the access log, so their ratio is what quoting (engine, to_dict, render, signing)
costs on top of the service's own floor. wrk runs 16 connections, each request a three-line
cart the service has not seen (its first price moves by a cent), for each endpoint in turn, and
reports requests/s, p50 and p99. The quote cache is off unless asked for.

On a shared machine the load changes while the two endpoints take turns, and one run's ratio
can be off by half. ``--rounds N`` alternates the endpoints N times (each for ``--duration``
seconds) and reports each endpoint's median and the median of the rounds' ratios::

    python bench/bench_http.py --workers 1 --rounds 5 --duration 4

Throughput depends on what else the machine runs; CPU time does much less. ``cpu us`` is the
CPU time the service's processes spent per request answered (Linux ``/proc``: user + system
of the server and its workers, over the wrk run), and the ``cpu`` ratio compares the two
endpoints by it: on a busy machine it is the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CART = {
    "destination": {"country": "DE"},
    "market": "de",
    "date": "2026-11-23",
    "items": [
        {"sku": "TSHIRT-01", "quantity": 2, "price": {"amount": "20.00", "currency": "EUR"},
         "hs_code": "610910", "origin": "PT"},
        {"sku": "BOOK-7", "quantity": 1, "price": {"amount": "12.50", "currency": "EUR"},
         "hs_code": "490199", "category": "books"},
        {"sku": "MUG-3", "quantity": 3, "price": {"amount": "9.90", "currency": "EUR"},
         "weight": {"value": "350", "unit": "g"}},
    ],
}

# Every request is a cart the service has not seen: the first item's price moves by a cent each
# time (wrk's request hook), so no cache can answer, and both endpoints parse the same bodies.
LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local template = [[%s]]
local counter = 0
request = function()
  counter = counter + 1
  local cents = 2000 + (counter %% 500000)
  local price = string.format("%%d.%%02d", math.floor(cents / 100), cents %% 100)
  local body = string.gsub(template, "PRICE", price)
  return wrk.format(nil, nil, nil, body)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: bytes) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()


def start(rules: str, workers: int, *, cache: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PRICING_BENCH": "1", "PRICING_QUOTE_KEY": secrets.token_urlsafe(32),
           "PRICING_QUOTE_CACHE": "4096" if cache else "0",
           "PRICING_WATCH_INTERVAL": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pricing", "serve", "--rules", rules, "--port", str(port),
         "--workers", str(workers)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=1):
                return proc, url
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"the service exited with {proc.returncode}") from None
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the service did not come up in 30 s")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if m is None:
        return float("nan")
    return float(m.group(1)) * _UNITS[m.group(2)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its children (uvicorn's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def run_wrk(url: str, script: str, *, connections: int, threads: int, duration: int,
            pid: int) -> dict[str, float]:
    before = cpu_seconds(pid)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script,
         url], check=True, capture_output=True, text=True).stdout
    cpu = cpu_seconds(pid) - before
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": _ms(lat.get("50", "")), "p99": _ms(lat.get("99", "")),
            "non2xx": float(errors.group(1)) if errors else 0.0,
            "cpu_us": cpu / done * 1e6 if done else float("nan")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", default=str(ROOT / "rules"))
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate the endpoints this many times; medians are reported")
    ap.add_argument("--cache", choices=["on", "off", "both"], default="off",
                    help="the quote cache; every cart is new, so it cannot answer either way")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    body = json.dumps(CART).encode()
    template = json.dumps({**CART, "items": [{**CART["items"][0],
                                              "price": {"amount": "PRICE",
                                                        "currency": "EUR"}},
                                             *CART["items"][1:]]})
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % template)
        script = f.name
    print(f"{os.cpu_count()} CPUs; wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration}s; 3-line cart to market de")
    print(f"{'workers':>7} {'cache':>5} {'endpoint':<24}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'non-2xx':>9}{'cpu us':>9}")
    modes = {"on": [True], "off": [False], "both": [False, True]}[args.cache]
    try:
        for workers, cache in [(w, c) for w in args.workers for c in modes]:
            tag = "on" if cache else "off"
            proc, url = start(args.rules, workers, cache=cache)
            try:
                for path in ("/v1/quotes", "/bench/validate-only"):
                    status, _ = post(url + path, body)
                    if status != 200:
                        raise SystemExit(f"{path} answered {status}")
                    post(url + path, body)  # warm up
                paths = ("/bench/validate-only", "/v1/quotes")
                rounds: dict[str, list[dict[str, float]]] = {p: [] for p in paths}
                for _ in range(args.rounds):
                    for path in paths:
                        rounds[path].append(run_wrk(url + path, script,
                                                    connections=args.connections,
                                                    threads=args.threads,
                                                    duration=args.duration,
                                                    pid=proc.pid))
                for path in paths:
                    r = {k: statistics.median(x[k] for x in rounds[path]) for k in rounds[path][0]}
                    print(f"{workers:>7} {tag:>5} {path:<24}{r['rps']:>10.0f}{r['p50']:>9.2f}"
                          f"{r['p99']:>9.2f}{int(r['non2xx']):>9}{r['cpu_us']:>9.0f}")
                ratios = [q["rps"] / v["rps"] for q, v in zip(rounds["/v1/quotes"],
                                                               rounds["/bench/validate-only"],
                                                               strict=True)]
                each = (f"  (rounds: {' '.join(f'{x:.2f}' for x in ratios)})"
                        if len(ratios) > 1 else "")
                print(f"{workers:>7} {tag:>5} {'quotes / validate-only':<24}"
                      f"{statistics.median(ratios):>10.2f}{each}")
                cpu = [v["cpu_us"] / q["cpu_us"] for q, v in zip(rounds["/v1/quotes"],
                                                                 rounds["/bench/validate-only"],
                                                                 strict=True)]
                print(f"{workers:>7} {tag:>5} {'cpu: validate / quotes':<24}"
                      f"{statistics.median(cpu):>10.2f}"
                      + (f"  (rounds: {' '.join(f'{x:.2f}' for x in cpu)})" if len(cpu) > 1
                         else ""))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    finally:
        os.unlink(script)
    return 0


if __name__ == "__main__":
    sys.exit(main())
