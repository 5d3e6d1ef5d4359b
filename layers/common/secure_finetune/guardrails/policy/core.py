"""Three-valued logic, wildcard globs and the symbolic values the policy engine reasons with."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Final


class Tri(enum.Enum):
    """Kleene's three values. Over a *set* of requests TRUE means "for every member", FALSE "for none"."""

    FALSE = 0
    UNKNOWN = 1
    TRUE = 2

    def __and__(self, other: Tri) -> Tri:
        return Tri(min(self.value, other.value))

    def __or__(self, other: Tri) -> Tri:
        return Tri(max(self.value, other.value))

    def __invert__(self) -> Tri:
        return Tri(2 - self.value)

    def __bool__(self) -> bool:
        raise TypeError("a Tri is not a bool: compare with `is Tri.TRUE`")

    @staticmethod
    def of(value: bool) -> Tri:
        return Tri.TRUE if value else Tri.FALSE


def all_of(values: Iterable[Tri]) -> Tri:
    result = Tri.TRUE
    for value in values:
        result &= value
        if result is Tri.FALSE:
            break
    return result


def any_of(values: Iterable[Tri]) -> Tri:
    result = Tri.FALSE
    for value in values:
        result |= value
        if result is Tri.TRUE:
            break
    return result


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()
"""A context key known NOT to be in the request (matters for ...IfExists, Null and negated operators)."""


@dataclass(frozen=True)
class SomeAccount:
    """Symbolic: any 12-digit account id other than those in ``excluded`` (e.g. "some foreign account")."""

    excluded: frozenset[str]

    def __str__(self) -> str:
        return "some account not in {" + ", ".join(sorted(self.excluded)) + "}"


@dataclass(frozen=True)
class SomeArn:
    """Symbolic: any ARN whose account field is ``account``; partition, service, region, resource arbitrary."""

    account: str | SomeAccount

    def __str__(self) -> str:
        return f"any ARN in {self.account}"


@dataclass(frozen=True)
class Matching:
    """Symbolic: every action (or resource) that matches ``glob``: asks "for all of them" / "for none"."""

    glob: str


ACCOUNT_RE: Final = re.compile(r"[0-9]{12}")
FRESH: Final = "zq7"  # filler for wildcards when a concrete witness is built; appears in no real policy


def is_variable(text: str) -> bool:
    return "${" in text


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


@lru_cache(maxsize=4096)
def _regex(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(glob: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard match of a whole string: ``*`` any run of characters, ``?`` exactly one."""
    return _regex(glob, ignore_case).fullmatch(value) is not None


def glob_intersects(p: str, q: str, ignore_case: bool = False) -> bool:
    """Whether some string matches both globs (exact)."""
    if ignore_case:
        p, q = p.lower(), q.lower()

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(p) and j == len(q):
            return True
        if i < len(p) and p[i] == "*" and (go(i + 1, j) or (j < len(q) and go(i, j + 1))):
            return True
        if j < len(q) and q[j] == "*" and (go(i, j + 1) or (i < len(p) and go(i + 1, j))):
            return True
        if i < len(p) and j < len(q) and "*" not in (p[i], q[j]):
            return (p[i] == q[j] or "?" in (p[i], q[j])) and go(i + 1, j + 1)
        return False

    return go(0, 0)


def glob_contains(outer: str, inner: str, ignore_case: bool = False) -> bool:
    """Whether every string matching ``inner`` matches ``outer``. Sound (True is a proof), not complete."""
    if ignore_case:
        outer, inner = outer.lower(), inner.lower()

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(outer):
            return j == len(inner)
        if outer[i] == "*":
            return go(i + 1, j) or (j < len(inner) and go(i, j + 1))
        if j == len(inner) or inner[j] == "*":
            return False
        if outer[i] == "?":
            return go(i + 1, j + 1)
        return inner[j] != "?" and outer[i] == inner[j] and go(i + 1, j + 1)

    return go(0, 0)


def instances(glob: str) -> list[str]:
    """Concrete strings matching ``glob``, used as witnesses (wildcards filled with a fresh token)."""
    return list(dict.fromkeys([glob.replace("*", FRESH).replace("?", "q"), glob.replace("*", "").replace("?", "q")]))


def arn_parts(text: str) -> list[str] | None:
    parts = text.split(":", 5)
    return parts if len(parts) == 6 else None


def account_glob(glob: str, account: str | SomeAccount) -> Tri:
    """Does an account-id glob match the account (for a symbolic account: all / none / some of them)?"""
    if isinstance(account, str):
        return Tri.of(glob_match(glob, account))
    if not re.fullmatch(r"[0-9*?]*", glob):
        return Tri.FALSE  # a literal non-digit never matches a 12-digit id
    fixed = len(glob.replace("*", ""))
    if fixed > 12 or ("*" not in glob and fixed != 12):
        return Tri.FALSE
    if not has_wildcard(glob):
        return Tri.FALSE if glob in account.excluded else Tri.UNKNOWN
    return Tri.TRUE if set(glob) <= {"*", "?"} else Tri.UNKNOWN


def arn_glob(glob: str, value: str | SomeArn, segmentwise: bool) -> Tri:
    """Match an ARN glob. ``segmentwise``: ArnLike/ArnEquals semantics (each of the six fields alone)."""
    if glob == "*":
        return Tri.TRUE
    parts = arn_parts(glob)
    if isinstance(value, str):
        have = arn_parts(value)
        if segmentwise and (have is None or parts is None):
            return Tri.FALSE if have is None else Tri.UNKNOWN  # a non-ARN value never matches; a non-ARN glob: unsure
        whole = glob_match(glob, value)
        if parts is None or have is None:
            return Tri.of(whole)
        fields = all(glob_match(g, v) for g, v in zip(parts, have, strict=True))
        if segmentwise or whole == fields:
            return Tri.of(fields)
        return Tri.UNKNOWN  # a '*' spanning ':' would decide it: too subtle to guess
    if parts is None or (not segmentwise and any(has_wildcard(p) for p in parts[:5])):
        return Tri.UNKNOWN
    if parts[0] != "arn" and not glob_match(parts[0], "arn"):
        return Tri.FALSE
    rest = Tri.TRUE if all(p == "*" for p in (parts[1], parts[2], parts[3], parts[5])) else Tri.UNKNOWN
    return account_glob(parts[4], value.account) & rest


def equals_symbolic(literal: str, value: SomeAccount | SomeArn) -> Tri:
    """String equality of a literal with a symbolic value: FALSE when impossible, otherwise UNKNOWN."""
    if isinstance(value, SomeAccount):
        return Tri.FALSE if literal in value.excluded or not ACCOUNT_RE.fullmatch(literal) else Tri.UNKNOWN
    parts = arn_parts(literal)
    if parts is None:
        return Tri.FALSE
    account = parts[4]
    if isinstance(value.account, str):
        return Tri.UNKNOWN if account == value.account else Tri.FALSE
    return equals_symbolic(account, value.account)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
