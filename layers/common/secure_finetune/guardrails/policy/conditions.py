"""The Condition element: every operator family, ``...IfExists``, ``ForAnyValue:``/``ForAllValues:``, ``Null``.

Semantics from the IAM User Guide pages "IAM JSON policy elements: Condition operators", "Conditions with
multiple context keys or values" and "Single-valued vs. multivalued context keys":
- operators in a block, and keys under one operator: AND; values for one key: OR, and NOR for a negated
  operator (StringNotEquals, ArnNotLike, NotIpAddress, ...);
- a key absent from the request: the condition is false, true for a negated operator, true with ...IfExists;
  ``Null`` tests presence; ``ForAllValues`` is true and ``ForAnyValue`` false on an absent (or empty) key;
- key names are case-insensitive, values case-sensitive except ...IgnoreCase and Bool.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .core import (
    ABSENT,
    SomeAccount,
    SomeArn,
    Tri,
    account_glob,
    all_of,
    any_of,
    arn_glob,
    as_list,
    equals_symbolic,
    glob_match,
    has_wildcard,
    is_variable,
)

Symbolic = SomeAccount | SomeArn
Compare = Callable[[str, Any], Tri]  # (policy value, one request value) -> does it match?


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _string(ignore_case: bool, like: bool) -> Compare:
    def compare(policy: str, value: Any) -> Tri:
        if isinstance(value, SomeAccount | SomeArn):
            if like and has_wildcard(policy):
                return _symbolic_like(policy, value)
            return equals_symbolic(policy, value)
        text = _text(value)
        if text is None:
            return Tri.UNKNOWN
        if like:
            return Tri.of(glob_match(policy, text, ignore_case))
        return Tri.of(policy.casefold() == text.casefold() if ignore_case else policy == text)

    return compare


def _symbolic_like(glob: str, value: SomeAccount | SomeArn) -> Tri:
    if isinstance(value, SomeArn):
        return arn_glob(glob, value, segmentwise=False)
    return account_glob(glob, value)


def _arn(policy: str, value: Any) -> Tri:
    if isinstance(value, SomeArn):
        return arn_glob(policy, value, segmentwise=True)
    if not isinstance(value, str):
        return Tri.UNKNOWN
    return arn_glob(policy, value, segmentwise=True)


def _ordered(parse: Callable[[Any], Any], test: Callable[[Any, Any], bool]) -> Compare:
    def compare(policy: str, value: Any) -> Tri:
        try:
            return Tri.of(test(parse(value), parse(policy)))
        except (ValueError, TypeError, InvalidOperation, OverflowError):
            return Tri.UNKNOWN

    return compare


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(value)
    return Decimal(str(value))


def _date(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromtimestamp(float(value), UTC)  # epoch seconds are allowed
        except ValueError:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise TypeError(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _bool(policy: str, value: Any) -> Tri:
    expected, text = policy.lower(), _text(value)
    if expected not in ("true", "false") or text is None:
        return Tri.UNKNOWN
    return Tri.of(expected == text.lower())


def _ip(policy: str, value: Any) -> Tri:
    try:
        network = ipaddress.ip_network(policy, strict=False)
        address = ipaddress.ip_address(str(value)) if isinstance(value, str) else None
    except ValueError:
        return Tri.UNKNOWN
    if address is None:
        return Tri.UNKNOWN
    return Tri.of(address.version == network.version and address in network)


def _binary(policy: str, value: Any) -> Tri:
    try:
        expected = base64.b64decode(policy, validate=True)
        actual = value if isinstance(value, bytes) else base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        return Tri.UNKNOWN
    return Tri.of(expected == actual)


_LT, _LE = (lambda a, b: a < b), (lambda a, b: a <= b)
_GT, _GE, _EQ = (lambda a, b: a > b), (lambda a, b: a >= b), (lambda a, b: a == b)

# operator -> (comparison of one policy value with one request value, negated?)
OPERATORS: dict[str, tuple[Compare, bool]] = {
    "StringEquals": (_string(False, False), False),
    "StringNotEquals": (_string(False, False), True),
    "StringEqualsIgnoreCase": (_string(True, False), False),
    "StringNotEqualsIgnoreCase": (_string(True, False), True),
    "StringLike": (_string(False, True), False),
    "StringNotLike": (_string(False, True), True),
    "NumericEquals": (_ordered(_number, _EQ), False),
    "NumericNotEquals": (_ordered(_number, _EQ), True),
    "NumericLessThan": (_ordered(_number, _LT), False),
    "NumericLessThanEquals": (_ordered(_number, _LE), False),
    "NumericGreaterThan": (_ordered(_number, _GT), False),
    "NumericGreaterThanEquals": (_ordered(_number, _GE), False),
    "DateEquals": (_ordered(_date, _EQ), False),
    "DateNotEquals": (_ordered(_date, _EQ), True),
    "DateLessThan": (_ordered(_date, _LT), False),
    "DateLessThanEquals": (_ordered(_date, _LE), False),
    "DateGreaterThan": (_ordered(_date, _GT), False),
    "DateGreaterThanEquals": (_ordered(_date, _GE), False),
    "Bool": (_bool, False),
    "BinaryEquals": (_binary, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
    "ArnEquals": (_arn, False),  # ArnEquals and ArnLike both match field by field, wildcards allowed
    "ArnLike": (_arn, False),
    "ArnNotEquals": (_arn, True),
    "ArnNotLike": (_arn, True),
}
POSITIVE_EQUALITY = {"StringEquals", "StringLike", "ArnEquals", "ArnLike"}


def parse_operator(name: str) -> tuple[str | None, str, bool] | None:
    """``ForAnyValue:StringLikeIfExists`` -> ("ForAnyValue", "StringLike", True); None when not an operator."""
    qualifier, _, base = name.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        return None
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    if base == "Null":
        return None if if_exists or qualifier else (None, base, False)
    return (qualifier or None, base, if_exists) if base in OPERATORS else None


class Unset:
    """The caller did not say whether the key is present, nor its value: nothing about it can be proven."""


UNSET = Unset()


def evaluate_block(condition: Any, lookup: Callable[[str], Any]) -> Tri:
    """A whole Condition element against a request: ``lookup(key)`` gives a value, a list, ABSENT or UNSET."""
    if condition is None:
        return Tri.TRUE
    if not isinstance(condition, Mapping) or not condition:
        return Tri.UNKNOWN
    results = []
    for operator, block in condition.items():
        parsed = parse_operator(str(operator))
        if parsed is None or not isinstance(block, Mapping) or not block:
            results.append(Tri.UNKNOWN)
            continue
        results.extend(_clause(parsed, str(key), values, lookup(str(key).lower())) for key, values in block.items())
    return all_of(results)


def _clause(parsed: tuple[str | None, str, bool], key: str, raw: Any, found: Any) -> Tri:
    qualifier, base, if_exists = parsed
    policy_values = [_text(v) for v in as_list(raw)]
    if not policy_values or found is UNSET:
        return Tri.UNKNOWN
    values = [] if found is ABSENT else [v for v in as_list(found)]
    if base == "Null":
        present, wanted = bool(values), [(v or "").lower() for v in policy_values]
        return any_of(Tri.UNKNOWN if v not in ("true", "false") else Tri.of((v == "true") != present) for v in wanted)
    compare, negated = OPERATORS[base]
    if not values:
        if if_exists or qualifier == "ForAllValues":
            return Tri.TRUE
        return Tri.FALSE if qualifier == "ForAnyValue" else Tri.of(negated)

    def one(value: Any) -> Tri:
        positive = any_of(Tri.UNKNOWN if p is None or is_variable(p) else compare(p, value) for p in policy_values)
        return ~positive if negated else positive

    if qualifier == "ForAllValues":
        return all_of(one(v) for v in values)
    if qualifier == "ForAnyValue":
        return any_of(one(v) for v in values)
    return one(values[0]) if len(values) == 1 else Tri.UNKNOWN  # a single-valued operator on a list: unsure
