"""The one rule for where this package links or posts: https, or plain http to loopback only."""

from __future__ import annotations

from urllib.parse import urlsplit

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in _LOOPBACK


def url_allowed(url: str, *, allow_loopback_http: bool) -> bool:
    """https to a host; plain http solely to a loopback host, and only when the caller allows it
    (the tests and the emulator)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return allow_loopback_http and parts.scheme == "http" and parts.hostname in _LOOPBACK
