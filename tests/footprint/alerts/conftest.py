"""A local stand-in for Slack's incoming webhooks: a threaded HTTP server on 127.0.0.1 that records every
POST (what Slack would have received) and answers what the test scripts: 200 "ok" by default, or a queue
of answers such as 404 "no_service", 400 "invalid_payload", 429 with Retry-After, 500."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.footprint.findings.conftest import inventory  # noqa: F401 - findings through the real engine


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class SlackReceiver:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    answers: deque = field(default_factory=deque)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/services/T0001/B0001/secretsecretsecret"

    def answer(self, status: int, body: str = "", headers: dict[str, str] | None = None, times: int = 1) -> None:
        """Queue an answer for the next ``times`` POSTs (then back to 200 "ok")."""
        for _ in range(times):
            self.answers.append((status, body, headers or {}))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [r.body for r in self.received]


class _Handler(BaseHTTPRequestHandler):
    receiver: SlackReceiver

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        self.receiver.received.append(Received(path=self.path, headers=dict(self.headers.items()),
                                               body=json.loads(raw or b"{}")))
        status, body, headers = self.receiver.answers.popleft() if self.receiver.answers else (200, "ok", {})
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def slack():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    receiver = SlackReceiver(server=server)
    server.RequestHandlerClass = type("Handler", (_Handler,), {"receiver": receiver})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def dead_slack_url() -> str:
    """A webhook URL on a local port nothing listens on: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/services/T0001/B0001/dead"
