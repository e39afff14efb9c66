"""Who is who: canonical URLs, entry keys and content fingerprints. Pure functions."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from html import unescape as html_unescape
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only track a click; they never change what a page shows.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "yclid", "msclkid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "ocid", "cmpid", "ncid", "spm",
        "__twitter_impression", "at_medium", "at_campaign", "rss", "feature", "xtor",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "ga_", "hsa_", "pk_", "mtm_", "at_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


# AMP and mobile editions of a page: host prefixes, path forms and query flags.
_EDITION_HOSTS = ("amp.", "m.", "mobile.", "www.")
_AMP_QUERY = frozenset({"amp", "_amp", "amp_js_v", "usqp"})
_AMP_VALUED = frozenset({"outputtype", "output"})  # dropped when their value is "amp"
_AMP_CACHE = re.compile(r"^[\w-]+\.cdn\.ampproject\.org$")
_INDEX = re.compile(r"/index\.(?:html?|php|aspx?)$")


def canonical_url(url: str) -> str:
    """One spelling for every address of the same page.

    Scheme and host case, default ports, fragments and tracking parameters go; so do AMP and
    mobile editions (``amp.``/``m.``/``mobile.``/``www.`` hosts, ``/amp`` paths, ``?amp=1``,
    the Google AMP cache and viewer), a trailing slash or ``index.html``; the remaining query
    parameters are sorted. Pure: no network (redirects and ``rel=canonical`` are the fetcher's
    and ``page_canonical``'s business).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    path = parts.path or "/"
    inner = _amp_viewer_target(host, path)
    if inner is not None:
        return canonical_url(inner)
    for prefix in _EDITION_HOSTS:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    port = parts.port if parts.port and parts.port != _DEFAULT_PORTS.get(scheme) else None
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc = f"{netloc}:{port}"
    path = _INDEX.sub("/", path)
    if path.endswith(".amp.html"):
        path = path[: -len(".amp.html")] + ".html"
    elif path.endswith(".amp"):
        path = path[: -len(".amp")]
    if path.startswith("/amp/"):
        path = path[len("/amp") :]
    for suffix in ("/amp/", "/amp"):
        if path.endswith(suffix):
            path = path[: -len(suffix)] or "/"
            break
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(k)
        and k.lower() not in _AMP_QUERY
        and not (k.lower() in _AMP_VALUED and v.lower() == "amp")
    )
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _amp_viewer_target(host: str, path: str) -> str | None:
    """The publisher's URL inside a Google AMP cache or viewer address, if this is one."""
    if _AMP_CACHE.match(host) or (host.endswith("google.com") and path.startswith("/amp/")):
        rest = path.split("/", 2)[2] if path.startswith("/amp/") else path.lstrip("/")
        segments = rest.split("/")
        if segments[:1] == ["c"]:  # /c/s/host/path on the cache
            segments = segments[1:]
        secure = segments[:1] == ["s"]
        if secure:
            segments = segments[1:]
        if len(segments) >= 1 and "." in segments[0]:
            return ("https://" if secure else "http://") + "/".join(segments)
    return None


_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)


def page_canonical(html: str, base_url: str) -> str | None:
    """The page's own statement of its address: ``<link rel=canonical>``, else ``og:url``.

    Only an absolute or relative http(s) URL counts; it is resolved against ``base_url``.
    """
    end = _HEAD_END.search(html, 0, 300_000)
    head = html[: end.start() if end else 200_000]
    found = None
    for tag in _LINK_TAG.findall(head):
        attrs = _attrs(tag)
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href"):
            found = attrs["href"]
            break
    if found is None:
        for tag in _META_TAG.findall(head):
            attrs = _attrs(tag)
            if attrs.get("property", attrs.get("name", "")).lower() == "og:url":
                found = attrs.get("content")
                break
    if not found:
        return None
    absolute = urljoin(base_url, html_unescape(found.strip()))
    if urlsplit(absolute).scheme not in ("http", "https") or not urlsplit(absolute).hostname:
        return None
    return canonical_url(absolute)


def page_address(html: bytes, url: str) -> str:
    """Where a fetched page says it lives (``page_canonical`` of its head), else ``url``; in
    canonical form."""
    head = html[:300_000].decode("utf-8", errors="replace")
    return page_canonical(head, url) or canonical_url(url)


def _attrs(tag: str) -> dict[str, str]:
    return {
        match.group(1).lower(): next(g for g in match.groups()[1:] if g is not None)
        for match in _ATTR.finditer(tag)
    }


def normalise_text(text: str) -> str:
    """Text folded for comparison: NFKC, case-folded, punctuation dropped, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"[^\w\s]", " ", folded)
    return " ".join(folded.split())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_key(guid: str | None, link: str | None, title: str, summary: str) -> str:
    """An entry's identity: its GUID, else its canonical link, else a hash of title and summary."""
    if guid and guid.strip():
        return "guid:" + guid.strip()
    if link and link.strip():
        return "url:" + canonical_url(link)
    return "hash:" + _digest(normalise_text(title) + "\n" + normalise_text(summary))[:32]


def content_hash(title: str, text: str) -> str:
    """A fingerprint of an article's content, equal for the same text under different URLs.

    Long texts are fingerprinted on the body alone (syndicated copies often retitle); short
    ones include the title so two different one-line summaries do not collide.
    """
    body = normalise_text(text)
    if len(body) < 200:
        body = normalise_text(title) + "\n" + body
    return _digest(body)


def entry_revision(title: str, summary: str, content: str, updated: str | None) -> str:
    """What a feed says about an item, condensed: another value means the item was re-issued
    with changed words or a new ``updated`` date, and its page is worth reading again."""
    parts = (normalise_text(title), normalise_text(summary), normalise_text(content), updated or "")
    return _digest("\x1f".join(parts))[:16]
