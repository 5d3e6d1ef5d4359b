"""The one rule for where this package links or posts: https to a named host, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit


def url_allowed(url: str) -> bool:
    """https with a host. The certificate is verified by the default SSL context when it is used."""
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname)
