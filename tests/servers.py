"""Real local servers for the tests: a webhook receiver and an SMTP server, on loopback."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Hook:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """Accepts POSTs on 127.0.0.1; ``fail_next`` makes the next N answer 500."""

    def __init__(self) -> None:
        self.received: list[Hook] = []
        self.fail_next = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    failing = receiver.fail_next > 0
                    if failing:
                        receiver.fail_next -= 1
                    else:
                        receiver.received.append(
                            Hook(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                        )
                status = 500 if failing else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.user
            and data.password == self.password
        )
        return AuthResult(success=ok)


@dataclass
class SmtpSink:
    """An aiosmtpd server with AUTH (no TLS needed on loopback) that keeps every message."""

    user: str = "monitor"
    password: str = "s3cret-pass"
    messages: list[EmailMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
                assert isinstance(parsed, EmailMessage)
                sink.messages.append(parsed)
                return "250 OK"

        self._controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=free_port(),
            authenticator=_Authenticator(self.user, self.password),
            auth_require_tls=False,
        )

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def url(self, to: str = "ops@example.org") -> str:
        return (
            f"mailto://{self.user}:{self.password}@127.0.0.1:{self.port}"
            f"?smtp=127.0.0.1&from=monitor@example.org&to={to}&mode=insecure"
        )

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages
