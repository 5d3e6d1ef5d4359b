"""Guardrails as code: the catalogue (checks.py) judging live evidence (evidence.py), fail closed."""

from __future__ import annotations

from ..reasons import Reason, ReasonCode
from .checks import (
    OPS_CHECKS,
    PRE_LAUNCH_CHECKS,
    PURCHASE_CHECKS,
    WARN_CHECKS,
    Check,
    Finding,
    PurchaseEvidence,
    Severity,
    StackEvidence,
    Status,
    evaluate,
)
from .evidence import BucketEvidence, Evidence, KeyEvidence, NetworkEvidence, ObjectEvidence, RoleEvidence


def blocking_reason(findings: list[Finding]) -> Reason | None:
    blocked = [f.id for f in findings if f.blocks]
    return Reason(ReasonCode.GUARDRAIL_FAILED, ",".join(blocked)) if blocked else None


def findings_document(findings: list[Finding]) -> dict[str, object]:
    """The report section every judging step writes (reports/<run>/<step>.json)."""
    return {"findings": [f.model_dump(mode="json") for f in findings]}


__all__ = [
    "OPS_CHECKS",
    "PRE_LAUNCH_CHECKS",
    "PURCHASE_CHECKS",
    "WARN_CHECKS",
    "BucketEvidence",
    "Check",
    "Evidence",
    "Finding",
    "KeyEvidence",
    "NetworkEvidence",
    "ObjectEvidence",
    "PurchaseEvidence",
    "RoleEvidence",
    "Severity",
    "StackEvidence",
    "Status",
    "blocking_reason",
    "evaluate",
    "findings_document",
]
