"""The check at connection time: the address a socket actually connects to obeys the policy.

Checking a URL's name before the request is not enough: the name can resolve to a public address
for the check and to ``127.0.0.1`` a moment later (DNS rebinding), and a redirect names a new
host. So the HTTP client connects through ``GuardedBackend``, which resolves the name itself,
refuses non-allowed addresses, connects to the checked address (never to the name again) and
checks the peer of the socket it got. Which addresses are allowed is set per request with
``connect_policy`` (a context variable: httpcore connects in the task that sends the request).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import typing
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar

import httpcore
import httpx

from monitor.policy import IPAddress, parse_host_address

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
AddressCheck = Callable[[Sequence[IPAddress]], str | None]  # why refused, or None

_CHECK: ContextVar[AddressCheck | None] = ContextVar("connect_check", default=None)


class ConnectRefused(Exception):
    """The policy refused the address a connection would go to (translated by fetch.py)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@contextlib.contextmanager
def connect_policy(check: AddressCheck | None) -> Iterator[None]:
    """Connections made inside this block must satisfy ``check`` (None: any address)."""
    token = _CHECK.set(check)
    try:
        yield
    finally:
        _CHECK.reset(token)


async def system_resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses of ``host`` from the system resolver ([] when it does not resolve)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        try:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        except ValueError:
            continue
        if address not in found:
            found.append(address)
    return found


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the address policy applied to every TCP connection."""

    def __init__(self, resolve: Resolver = system_resolve) -> None:
        self._resolve = resolve
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        literal = parse_host_address(host)
        addresses = [literal] if literal is not None else await self._resolve(host, port)
        if not addresses:
            raise httpcore.ConnectError(f"name {host!r} did not resolve")
        check = _CHECK.get()
        refusal = check(addresses) if check else None
        if refusal:
            raise ConnectRefused(f"{host}: {refusal}")
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            peer = _peer(stream)
            refusal = "no peer address" if peer is None else (check([peer]) if check else None)
            if refusal:
                await stream.aclose()
                raise ConnectRefused(f"{host}: connected to {peer}: {refusal}")
            return stream
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _peer(stream: httpcore.AsyncNetworkStream) -> IPAddress | None:
    """The address at the other end of the stream's socket."""
    name = stream.get_extra_info("server_addr")  # the socket's getpeername()
    try:
        return ipaddress.ip_address(str(name[0]).split("%", 1)[0])
    except (TypeError, ValueError, IndexError):
        return None


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport over a connection pool that connects through ``GuardedBackend``."""

    def __init__(
        self, *, limits: httpx.Limits, resolve: Resolver, ssl_context: ssl.SSLContext | None
    ) -> None:
        context = ssl_context or httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=context, limits=limits, trust_env=False)
        # httpx builds its pool without a network_backend argument; this is the same pool
        # with ours (httpcore's documented extension point).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(resolve),
        )
