"""A small HTTP server on loopback that serves a site from memory.

Used by ``news-monitor demo`` to serve the bundled demo feeds and pages, and by the tests and
benchmarks as a real server: ETag / If-None-Match, per-path status, headers and latency, and a
log of the requests it answered.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a burst of connections must not lose SYNs (retried after 1 s)
    daemon_threads = True


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: bool = True


@dataclass(frozen=True, slots=True)
class Request:
    path: str
    headers: dict[str, str]
    status: int
    method: str = "GET"
    body: bytes = b""


class LocalSite:
    """Serve ``resources`` (path -> Resource) on 127.0.0.1. Use as a context manager.

    POSTs to any path are recorded and answered 200 (a webhook receiver), or 500 while
    ``fail_posts`` is above zero.
    """

    def __init__(self, resources: dict[str, Resource] | None = None, *, port: int = 0) -> None:
        self.resources: dict[str, Resource] = dict(resources or {})
        self.requests: list[Request] = []
        self.fail_posts = 0
        self.post_delay = 0.0  # seconds each POST takes to answer (a slow receiver)
        self.fail_status = 500  # the status of a failed POST (401: a refusal)
        self.fail_headers: dict[str, str] = {}  # sent with a failed POST (e.g. Retry-After)
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two sends: no 40 ms stall

            def do_GET(self) -> None:
                try:
                    site._answer(self)
                except (ConnectionError, TimeoutError):
                    self.close_connection = True  # the client went away: nothing to answer

            def do_POST(self) -> None:
                try:
                    site._accept(self)
                except (ConnectionError, TimeoutError):
                    self.close_connection = True

            def handle(self) -> None:
                try:
                    super().handle()
                except (ConnectionError, TimeoutError):
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = _Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def requests_for(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def posts(self) -> list[Request]:
        """The POSTs answered 200, in order."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.status == 200]

    def _accept(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if self.post_delay:
            time.sleep(self.post_delay)
        with self._lock:
            status = self.fail_status if self.fail_posts > 0 else 200
            self.fail_posts = max(0, self.fail_posts - 1)
            self.requests.append(Request(handler.path, headers, status, "POST", body))
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        for key, value in (self.fail_headers if status != 200 else {}).items():
            handler.send_header(key, value)
        handler.end_headers()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0].split("#", 1)[0]
        resource = self.resources.get(path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if resource is None:
            resource = Resource(b"not found", "text/plain", status=404, etag=False)
        if resource.delay:
            time.sleep(resource.delay)
        status = resource.status
        extra = dict(resource.headers)
        body = resource.body
        if resource.etag and status == 200:
            tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            extra.setdefault("ETag", tag)
            if headers.get("if-none-match") == tag:
                status, body = 304, b""
        with self._lock:
            self.requests.append(Request(path, headers, status))
        handler.send_response(status)
        handler.send_header("Content-Type", resource.content_type)
        handler.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)


def load_folder(folder: Path, base_url: str, placeholder: str = "{{BASE}}") -> dict[str, Resource]:
    """Resources for every file below ``folder``, with ``placeholder`` replaced by ``base_url``."""
    resources: dict[str, Resource] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        body = path.read_bytes().replace(placeholder.encode(), base_url.encode())
        suffix = path.suffix.lower()
        if suffix in (".xml", ".rss"):
            kind = "application/rss+xml; charset=utf-8"
        elif suffix == ".atom":
            kind = "application/atom+xml; charset=utf-8"
        else:
            guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            kind = guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")
        resources["/" + path.relative_to(folder).as_posix()] = Resource(body, kind)
    return resources
