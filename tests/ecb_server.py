"""A real HTTP server on 127.0.0.1 standing in for the ECB (imported by tests, not a conftest).

Each path answers with a fixed status and body, optionally after a delay or dribbled out in
slow chunks, so the fetch path is tested over a real socket without touching the network.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
#: The ECB's real daily file of 2026-10-30 (the figures of that day in eurofxref-hist).
ECB_DAILY = (DATA / "eurofxref-daily-2026-10-30.xml").read_bytes()


@dataclass(frozen=True)
class Answer:
    """What one path answers: a status and a body, after ``delay`` seconds, in ``chunks``
    pieces ``pause`` seconds apart."""

    body: bytes
    status: int = 200
    delay: float = 0.0
    chunks: int = 1
    pause: float = 0.0
    content_type: str = "text/xml"


class EcbServer:
    """``with EcbServer({"/daily.xml": Answer(ECB_DAILY)}) as srv: srv.url + "/daily.xml"``."""

    def __init__(self, routes: dict[str, Answer]) -> None:
        answers = dict(routes)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answer = answers.get(self.path)
                if answer is None:
                    answer = Answer(b"<html>not found</html>", status=404,
                                    content_type="text/html")
                time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    step = max(1, -(-len(answer.body) // answer.chunks))
                    for i in range(0, len(answer.body), step):
                        self.wfile.write(answer.body[i:i + step])
                        self.wfile.flush()
                        time.sleep(answer.pause)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer to

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> EcbServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
