"""uvicorn as the service runs it: limits, timeouts, and problem+json even for broken HTTP.

uvicorn times out idle keep-alive connections, but not a client that opens a connection and
sends half a request line, or headers without the blank line after them: such a connection
is held forever, and a thousand of them hold a thousand sockets. :class:`GuardedH11Protocol`
closes a connection whose request head is not complete within ``header_timeout`` seconds
(a body that stops arriving is the app's :data:`~pricing.api.app.DEFAULT_BODY_TIMEOUT`). It
also answers HTTP that h11 cannot parse (a Content-Length that is not a number, a header line
without a colon) with ``application/problem+json`` instead of uvicorn's plain-text 400.

:func:`uvicorn_config` is the one place the server's settings are made, for ``pricing serve``
and for the tests that start the real server.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from pricing.api.problems import PROBLEM_MEDIA_TYPE, problem, render

__all__ = ["DEFAULT_HEADER_TIMEOUT", "GuardedH11Protocol", "ServerLimits", "uvicorn_config"]

#: Seconds a client has to send a request's line and headers (nginx: client_header_timeout).
DEFAULT_HEADER_TIMEOUT = 10.0


class ServerLimits:
    """The server-side limits (``PRICING_*`` settings, see docs/service.md)."""

    def __init__(self, *, header_timeout: float = DEFAULT_HEADER_TIMEOUT,  # float-ok: seconds
                 keep_alive: int = 5, limit_concurrency: int | None = None,
                 backlog: int = 2048, max_header_bytes: int = 16 * 1024) -> None:
        self.header_timeout = header_timeout
        self.keep_alive = keep_alive
        self.limit_concurrency = limit_concurrency
        self.backlog = backlog
        self.max_header_bytes = max_header_bytes


def _raw_problem(status: int, reason: bytes, code: str, detail: str) -> bytes:
    body = render(problem(status, code, detail))
    return (b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % (status, reason, PROBLEM_MEDIA_TYPE.encode(),
                                            len(body))) + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a timeout on the request head and problem+json for 400s."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        # Carried on the config: uvicorn builds protocols from the class, and pickles the
        # config to start --workers processes.
        self.header_timeout: float = getattr(config, "pricing_header_timeout",
                                             DEFAULT_HEADER_TIMEOUT)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Waiting for (the rest of) a request head: the clock runs. Head complete: it stops.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._head_timer is None:
                self._arm()
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Between requests, uvicorn's keep-alive timeout runs; ours restarts with new data.
        self._disarm()

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.cycle is None or self.cycle.response_complete:
            self.logger.info("closing a connection whose request head did not arrive in %s s",
                             self.header_timeout)
            self.transport.write(_raw_problem(
                408, b"Request Timeout", "request-timeout",
                f"the request line and headers did not arrive within {self.header_timeout:g} "
                "seconds"))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._disarm()
        self.transport.write(_raw_problem(
            400, b"Bad Request", "malformed-http",
            "the request is not valid HTTP/1.1 (a request line, headers such as "
            "Content-Length or Transfer-Encoding, or chunk sizes that cannot be read)"))
        self.transport.close()


def uvicorn_config(app: Any, *, limits: ServerLimits | None = None, **kwargs: Any
                   ) -> uvicorn.Config:
    """A uvicorn Config for ``app`` with the service's protocol, limits and timeouts."""
    lim = limits or ServerLimits()
    config = uvicorn.Config(app, http=GuardedH11Protocol, timeout_keep_alive=lim.keep_alive,
                            limit_concurrency=lim.limit_concurrency, backlog=lim.backlog,
                            h11_max_incomplete_event_size=lim.max_header_bytes,
                            timeout_graceful_shutdown=30, **kwargs)
    config.pricing_header_timeout = lim.header_timeout  # type: ignore[attr-defined]
    return config
