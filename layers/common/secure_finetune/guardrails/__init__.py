"""Guardrails as code: the catalogue (catalogue.py) of rules (rules/) judging live evidence (evidence.py), fail closed."""

from __future__ import annotations

from .catalogue import OPS_CHECKS, PRE_LAUNCH_CHECKS, PURCHASE_CHECKS, WARN_CHECKS, evaluate
from .evidence import BucketEvidence, Evidence, KeyEvidence, NetworkEvidence, ObjectEvidence, RoleEvidence
from .framework import Check, Finding, Severity, Status, blocking_reason, findings_document
from .rules.iam import access_probes
from .rules.ops import StackEvidence
from .rules.purchase import PurchaseEvidence

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
    "access_probes",
    "blocking_reason",
    "evaluate",
    "findings_document",
]
