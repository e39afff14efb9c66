"""Which URLs the monitor may fetch on a feed's behalf. Pure decisions, no network.

Feed URLs come from the user's config and may point anywhere (loopback included). Article links
and redirects come from servers the user does not control, so they are fetched only when they are
http(s) and either stay on the feed's own server (host and port) or resolve to public addresses
only. Otherwise a hostile feed could make the monitor read from the machine's own services or the
cloud metadata endpoint. The address is checked again when the connection is made
(``monitor.guard``), so a name that resolves differently the second time gains nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_6TO4 = ipaddress.ip_network("2002::/16")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried inside an IPv4-mapped, NAT64 or 6to4 IPv6 address."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def is_public_address(address: IPAddress) -> bool:
    """True for globally routable unicast addresses only."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public_address(inner)
    return bool(address.is_global) and not address.is_multicast


def parse_host_address(host: str) -> IPAddress | None:
    """The literal IP address a URL host spells, in any of the forms browsers accept.

    Handles dotted quads, bracketed IPv6, and the decimal/hex/octal shorthands
    (``2130706433``, ``0x7f000001``, ``0177.0.0.1``) that resolvers also accept.
    """
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    try:
        numbers = [_inet_number(p) for p in parts]
    except ValueError:
        return None
    *head, last = numbers
    if any(not 0 <= n <= 255 for n in head) or not 0 <= last < 256 ** (5 - len(numbers)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (5 - len(numbers)) + last
    return ipaddress.IPv4Address(value) if value < 2**32 else None


def _inet_number(part: str) -> int:
    """One part of an inet_aton-style address: hex with 0x, octal with a leading 0."""
    if part.lower().startswith("0x"):
        return int(part[2:], 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part, 10)


def link_refusal(url: str, feed_url: str) -> str | None:
    """Why a link found in a feed must not be fetched before name resolution, or None."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'!r} is not fetched"
    if not parts.hostname:
        return "no host"
    if same_server(url, feed_url):
        return None
    literal = parse_host_address(parts.hostname)
    if literal is not None and not is_public_address(literal):
        return f"address {literal} is not public"
    return None


def server_key(url: str) -> str:
    """``host:port`` of a URL, the port spelled out: one server (the unit of trust and of
    rate limits)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme.lower() == "https" else 80
    return f"{(parts.hostname or '').lower()}:{port}"


def same_server(url: str, other: str) -> bool:
    """Same host and port: a loopback feed on :8080 may link to its own pages, not to :6379."""
    return bool(urlsplit(url).hostname) and server_key(url) == server_key(other)


def redirect_refusal(current: str, target: str) -> str | None:
    """Why a redirect from ``current`` to ``target`` must not be followed, or None."""
    scheme = urlsplit(target).scheme.lower()
    if scheme not in ("http", "https"):
        return f"redirect to scheme {scheme or '(none)'!r}"
    if urlsplit(current).scheme.lower() == "https" and scheme == "http":
        return "redirect from https to http (a downgrade)"
    return None


def addresses_refusal(addresses: Iterable[IPAddress]) -> str | None:
    """Why a host that resolved to these addresses must not be fetched, or None."""
    listed = list(addresses)
    if not listed:
        return "name did not resolve"
    for address in listed:
        if not is_public_address(address):
            return f"resolves to non-public address {address}"
    return None


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (a name is not resolved: other names are not)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
