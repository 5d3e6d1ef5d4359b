"""Guardrails as code: the catalogue (catalogue.py) of rules (rules/) judging live evidence (evidence.py), fail closed."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .evidence import (
    BucketEvidence,
    Evidence,
    GraderEvidence,
    KeyEvidence,
    NetworkEvidence,
    ObjectEvidence,
    RoleEvidence,
    ValidatorEvidence,
)
from .framework import Check, Finding, Severity, Status, blocking_reason

if TYPE_CHECKING:
    from .catalogue import OPS_CHECKS, PRE_LAUNCH_CHECKS, PURCHASE_CHECKS, WARN_CHECKS, evaluate
    from .rules.iam import access_probes
    from .rules.ops import StackEvidence
    from .rules.purchase import PurchaseEvidence

# The catalogue imports every rule (and the policy engine): loaded on first use, so a handler that
# only reads a Finding (e.g. to write a report) does not pay for it at cold start.
_LAZY = {
    "OPS_CHECKS": ".catalogue",
    "PRE_LAUNCH_CHECKS": ".catalogue",
    "PURCHASE_CHECKS": ".catalogue",
    "WARN_CHECKS": ".catalogue",
    "evaluate": ".catalogue",
    "access_probes": ".rules.iam",
    "StackEvidence": ".rules.ops",
    "PurchaseEvidence": ".rules.purchase",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "OPS_CHECKS",
    "PRE_LAUNCH_CHECKS",
    "PURCHASE_CHECKS",
    "WARN_CHECKS",
    "BucketEvidence",
    "Check",
    "Evidence",
    "Finding",
    "GraderEvidence",
    "KeyEvidence",
    "NetworkEvidence",
    "ObjectEvidence",
    "PurchaseEvidence",
    "RoleEvidence",
    "Severity",
    "StackEvidence",
    "Status",
    "ValidatorEvidence",
    "access_probes",
    "blocking_reason",
    "evaluate",
]
