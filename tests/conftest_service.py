"""Helpers for the HTTP tests (imported, not a conftest): a real uvicorn server in a thread.

Each server runs on a copy of the rules holding only the shop, the zones and the markets the
tests quote (de, gb), so edits elsewhere in rules/ cannot change what they see.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from pricing.api.server import ServerLimits, uvicorn_config

RULES = Path(__file__).resolve().parent.parent / "rules"
DAY = "2026-11-23"


class Clock:
    """Unix seconds that a test can move."""

    def __init__(self) -> None:
        self.now = 1_795_000_000.0

    def __call__(self) -> float:
        return self.now


class Server:
    """A uvicorn server in a background thread on a free port, configured as ``pricing serve``
    configures it (:func:`~pricing.api.server.uvicorn_config`), with ``limits`` if given."""

    def __init__(self, app: Any, *, limits: ServerLimits | None = None) -> None:
        # IPPROTO_TCP, not 0: asyncio then sets TCP_NODELAY on accepted connections, so a
        # response does not wait ~40 ms for a delayed ACK (see pricing/api/app.py).
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn_config(app, limits=limits, log_level="warning",
                                                    access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def copy_rules(target: Path, markets: tuple[str, ...] = ("de", "gb")) -> Path:
    """shop.toml, zones/ and the ``markets`` (de and gb): a rule set no one else is editing."""
    (target / "markets").mkdir(parents=True)
    shutil.copy(RULES / "shop.toml", target / "shop.toml")
    shutil.copytree(RULES / "zones", target / "zones")
    for market in markets:
        shutil.copy(RULES / "markets" / f"{market}.toml", target / "markets" / f"{market}.toml")
    return target


def item(sku: str = "A", amount: Any = "20.00", *, qty: Any = 1, currency: str = "EUR",
         **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "quantity": qty, "price": {"amount": amount, "currency": currency},
            **extra}


def cart(market: str = "de", **extra: Any) -> dict[str, Any]:
    country = market.upper()
    return {"destination": {"country": country}, "market": market, "date": DAY, "items": [
        item("TSHIRT", "20.00", qty=2, hs_code="610910", origin="PT"),
        item("BOOK", "12.50", hs_code="490199", category="books"),
        item("MUG", "9.90", qty=3, weight={"value": "350", "unit": "g"}),
    ], **extra}


def scrape(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """A /metrics page, parsed by prometheus_client: {(sample name, labels): value}."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}
