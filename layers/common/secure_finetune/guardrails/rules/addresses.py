"""Address sets for the network rules: ranges as sets, not strings (``0.0.0.0/1`` + ``128.0.0.0/1`` is the world).

Public address space is everything but the ranges below: RFC 1918, shared (RFC 6598), loopback and link-local for IPv4;
unique-local, link-local and loopback for IPv6. Multicast, reserved and NAT64 space count as public: a rule that must
keep the world out fails closed on them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

PRIVATE: tuple[Network, ...] = tuple(
    ipaddress.ip_network(c)
    for c in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


def parse(cidr: Any) -> Network | None:
    """A CIDR as AWS writes it (host bits allowed), or None when it is not one."""
    if not isinstance(cidr, str):
        return None
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None


def subtract(networks: Iterable[Network], removed: Iterable[Network]) -> list[Network]:
    """What of ``networks`` lies outside every network in ``removed`` (exact, as a list of disjoint networks)."""
    left = list(networks)
    for cut in removed:
        kept: list[Network] = []
        for net in left:
            if net.version != cut.version or not net.overlaps(cut):
                kept.append(net)
            elif net.prefixlen < cut.prefixlen:  # the cut lies inside: keep the rest
                kept.extend(net.address_exclude(cut))  # type: ignore[arg-type]
            # else: net lies inside the cut, nothing left of it
        left = kept
    return left


def public_part(networks: Iterable[Network]) -> list[Network]:
    """The public addresses among ``networks`` (empty: all of them are private)."""
    return subtract(networks, PRIVATE)


def outside(networks: Iterable[Network], allowed: Sequence[Network]) -> list[Network]:
    return subtract(networks, allowed)


def prefix_list(prefix_lists: Mapping[str, Sequence[str]] | None, list_id: str) -> list[Network] | None:
    """A managed prefix list's CIDRs; None when it was not read or holds something that is not a CIDR."""
    entries = (prefix_lists or {}).get(list_id)
    if entries is None:
        return None
    parsed = [parse(entry) for entry in entries]
    return None if any(p is None for p in parsed) else [p for p in parsed if p is not None]
