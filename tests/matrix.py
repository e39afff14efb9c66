"""A real Matrix homeserver (Synapse) on loopback for chat delivery tests.

SQLite, client API only (no federation, no key servers: it never talks beyond 127.0.0.1),
users registered with the shared secret. Starts in a second or two.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.servers import free_port

SECRET = "news-monitor-test-secret"


class MatrixServer:
    def __init__(self) -> None:
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="synapse-")
        self.root = Path(self._dir.name)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> MatrixServer:
        config = self.root / "homeserver.yaml"
        config.write_text(
            f"""
server_name: "localhost"
pid_file: {self.root}/homeserver.pid
listeners:
  - port: {self.port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: {self.root}/homeserver.db
media_store_path: {self.root}/media
signing_key_path: {self.root}/signing.key
registration_shared_secret: "{SECRET}"
report_stats: false
macaroon_secret_key: "test-macaroon"
form_secret: "test-form"
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
enable_metrics: false
rc_message: {{per_second: 1000, burst_count: 1000}}
rc_joins: {{local: {{per_second: 1000, burst_count: 1000}}}}
rc_login:
  address: {{per_second: 1000, burst_count: 1000}}
  account: {{per_second: 1000, burst_count: 1000}}
  failed_attempts: {{per_second: 1000, burst_count: 1000}}
""",
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config)]
        subprocess.run([*command, "--generate-keys"], check=True, capture_output=True)
        self._log = (self.root / "synapse.log").open("wb")
        self._proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.call("GET", "/_matrix/client/versions")
                return self
            except (urllib.error.URLError, ConnectionError):
                if self._proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("Synapse did not start: " + (self.root / "synapse.log").read_text())

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._log is not None:
            self._log.close()
        self._dir.cleanup()

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str = ""
    ) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def register(self, user: str, password: str) -> None:
        """Create a user with the shared secret (the admin API's HMAC handshake)."""
        nonce = self.call("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), user.encode(), password.encode(), b"notadmin"]))
        self.call(
            "POST",
            "/_synapse/admin/v1/register",
            {"nonce": nonce, "username": user, "password": password, "mac": mac.hexdigest()},
        )

    def login(self, user: str, password: str) -> str:
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user},
            "password": password,
        }
        return str(self.call("POST", "/_matrix/client/v3/login", body)["access_token"])

    def messages(self, alias: str, token: str) -> list[dict[str, Any]]:
        """The text messages of a room, oldest first."""
        quoted = urllib.parse.quote(alias)
        room = self.call("GET", f"/_matrix/client/v3/directory/room/{quoted}", token=token)
        room_id = urllib.parse.quote(room["room_id"])
        found = self.call(
            "GET", f"/_matrix/client/v3/rooms/{room_id}/messages?dir=b&limit=100", token=token
        )
        events = [e for e in found["chunk"] if e["type"] == "m.room.message"]
        return [e["content"] for e in reversed(events)]
