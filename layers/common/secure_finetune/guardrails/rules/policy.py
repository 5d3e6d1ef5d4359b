"""Readers the rule families share: policy statements, principals, conditions, key ids, Access Analyzer answers."""

from __future__ import annotations

import re
from typing import Any

from ..framework import FAIL, PASS, UNKNOWN, Verdict

KMS_ALGORITHMS = {"aws:kms", "aws:kms:dsse"}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(policy: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [s for s in as_list((policy or {}).get("Statement")) if isinstance(s, dict)]


def principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [str(p) for values in principal.values() for p in as_list(values)]
    return []


def matches(pattern: str, value: str) -> bool:
    """IAM-style wildcard match (``*`` and ``?``)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def condition_values(statement: dict[str, Any], key: str) -> list[str]:
    found: list[str] = []
    for operator_values in (statement.get("Condition") or {}).values():
        for name, values in operator_values.items():
            if name.lower() == key.lower():
                found += [str(v) for v in as_list(values)]
    return found


def key_id(arn_or_id: str | None) -> str | None:
    return arn_or_id.rsplit("/", 1)[-1] if arn_or_id else None


def no_public_access(answer: dict[str, Any] | None, what: str, passed: str) -> Verdict:
    """Judge an IAM Access Analyzer ``CheckNoPublicAccess`` answer, after our own parse passed."""
    if answer is None:
        return UNKNOWN, f"IAM Access Analyzer CheckNoPublicAccess could not be run on {what}"
    if answer.get("result") == "FAIL":
        reasons = "; ".join(str(r["description"]) for r in answer.get("reasons", []) if r.get("description"))
        return FAIL, f"IAM Access Analyzer: {what} may grant public access" + (f" ({reasons})" if reasons else "")
    if answer.get("result") != "PASS":
        return UNKNOWN, f"IAM Access Analyzer answered {answer.get('result')!r} for {what}"
    return PASS, f"{passed}; IAM Access Analyzer finds no public access"
