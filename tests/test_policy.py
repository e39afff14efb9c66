"""Address policy for links found in feeds: decisions only, nothing is connected to."""

from __future__ import annotations

import ipaddress

import pytest

from monitor.policy import addresses_refusal, is_public_address, link_refusal, parse_host_address

FEED = "https://feeds.example.org/rss"


@pytest.mark.parametrize(
    ("link", "refused"),
    [
        ("https://news.example.com/a", False),
        ("http://93.184.216.34/a", False),
        ("https://feeds.example.org/articles/1", False),  # same host as the feed
        ("http://127.0.0.1/admin", True),
        ("http://localhost.example.org.127.0.0.1.nip/x", False),  # a name: decided on resolution
        ("http://169.254.169.254/latest/meta-data/", True),
        ("http://10.0.0.5/", True),
        ("http://10.1/", True),  # inet_aton shorthand for 10.0.0.1
        ("http://192.168.1.1/", True),
        ("http://172.16.0.1/", True),
        ("http://[::1]/", True),
        ("http://[::ffff:127.0.0.1]/", True),  # IPv4-mapped
        ("http://[::ffff:169.254.169.254]/", True),
        ("http://[64:ff9b::a9fe:a9fe]/", True),  # NAT64 of 169.254.169.254
        ("http://[2002:a9fe:a9fe::]/", True),  # 6to4 of 169.254.169.254
        ("http://2130706433/", True),  # decimal 127.0.0.1
        ("http://0x7f000001/", True),  # hex 127.0.0.1
        ("http://0177.0.0.1/", True),  # octal 127.0.0.1
        ("http://0.0.0.0/", True),
        ("javascript:alert(1)", True),
        ("data:text/html,<h1>x</h1>", True),
        ("file:///etc/passwd", True),
        ("ftp://news.example.com/a", True),
        ("/relative/only", True),
    ],
)
def test_link_policy(link: str, refused: bool) -> None:
    assert (link_refusal(link, FEED) is not None) is refused


def test_a_loopback_feed_may_link_to_its_own_host() -> None:
    assert link_refusal("http://127.0.0.1:8080/a.html", "http://127.0.0.1:8080/feed.xml") is None
    assert link_refusal("http://127.0.0.1:9/a.html", "http://127.0.0.2:8080/feed.xml") is not None


@pytest.mark.parametrize(
    ("addresses", "refused"),
    [
        (["93.184.216.34"], False),
        (["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"], False),
        (["93.184.216.34", "10.0.0.1"], True),  # one private answer is enough to refuse
        (["127.0.0.53"], True),
        (["fe80::1"], True),
        (["fc00::1"], True),
        ([], True),
    ],
)
def test_resolved_addresses(addresses: list[str], refused: bool) -> None:
    parsed = [ipaddress.ip_address(a) for a in addresses]
    assert (addresses_refusal(parsed) is not None) is refused


def test_host_forms() -> None:
    assert parse_host_address("example.com") is None
    assert parse_host_address("1.2.3.256") is None
    assert str(parse_host_address("0x7f.1")) == "127.0.0.1"
    assert is_public_address(ipaddress.ip_address("8.8.8.8"))
    assert not is_public_address(ipaddress.ip_address("224.0.0.1"))
