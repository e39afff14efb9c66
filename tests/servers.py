"""Real local servers for the tests: a webhook receiver and an SMTP server, on loopback."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from monitor.localsite import LocalSite


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebhookReceiver(LocalSite):
    """A LocalSite used for its POSTs: ``received`` holds their bodies as JSON-able hooks."""

    @property
    def received(self) -> list[Hook]:
        return [Hook(r.path, r.headers, r.body) for r in self.posts()]

    @property
    def fail_next(self) -> int:
        return self.fail_posts

    @fail_next.setter
    def fail_next(self, count: int) -> None:
        self.fail_posts = count


@dataclass
class Hook:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


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
