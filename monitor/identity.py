"""Who is who: canonical URLs, entry keys and content fingerprints. Pure functions."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def canonical_url(url: str) -> str:
    """The URL with case, default port, fragment and tracking parameters normalised away."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port if parts.port and parts.port != _DEFAULT_PORTS.get(scheme) else None
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc = f"{netloc}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


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
