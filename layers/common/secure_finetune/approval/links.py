"""Approval links: the secret's capability, its digest, the stored record, the decision a form carries."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

from ..urls import url_allowed

SECRET_BYTES = 32  # 256 bits: guessing is not an attack worth rate-limiting


_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32): 43 base64url characters


_MAX_FORM_BYTES = 1024


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"

    @property
    def status(self) -> ApprovalStatus:
        return ApprovalStatus.APPROVED if self is Decision.APPROVE else ApprovalStatus.REJECTED


class ApprovalStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


Summary = dict[str, str | int | float]


@dataclass(frozen=True)
class ApprovalRecord:
    digest: str
    run_id: str
    task_token: str = field(repr=False)  # a credential for the run's wait: never shown or logged
    status: ApprovalStatus
    decide_by: int  # epoch seconds
    created_at: int
    summary: Summary
    decided_at: int | None = None
    decided_by: dict[str, str] | None = None


class ApprovalNotFound(Exception):
    """No approval was issued for this secret (or it was purged)."""


class ApprovalExpired(Exception):
    def __init__(self, record: ApprovalRecord) -> None:
        super().__init__("the decision deadline has passed")
        self.record = record


class ApprovalAlreadyDecided(Exception):
    def __init__(self, record: ApprovalRecord) -> None:
        super().__init__(f"already {record.status.value}")
        self.record = record


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_digest(secret: str) -> str:
    """What is stored and looked up: a leaked table or log line cannot be turned back into a link."""
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_secret(text: str) -> bool:
    """Shape check before any lookup (anything else is simply unknown)."""
    return bool(_SECRET_SHAPE.match(text))


def log_id(digest: str) -> str:
    """The most of an approval that goes into a log line."""
    return digest[:12]


def approval_link(base_url: str, secret: str) -> str:
    """``<base_url>/approvals/<secret>``; https only."""
    parts = urlsplit(base_url)
    if not url_allowed(base_url) or parts.query or parts.fragment:
        raise ValueError("the approval base URL must be https://host[/stage] without query or fragment")
    return f"{base_url.rstrip('/')}/approvals/{secret}"


# The summary: what the approver sees. Ids and numbers only, never anything from the dataset.
_SUMMARY_NUMBERS = (
    "modelUnits",
    "ttlHours",
    "estimatedHourlyCostUsd",
    "estimatedCostOverTtlUsd",
    "evaluationPrompts",  # the evaluation after the smoke test (evaluation/cost.py)
    "estimatedJudgeCostUsd",
    "estimatedEvaluationCostUsd",
)


_SUMMARY_IDS = ("runId", "profile", "baseModel", "modelArn", "mode")


_MAX_SOURCE = 600
_ID = re.compile(r"^[A-Za-z0-9_.:/@+=,-]{1,256}$")


def clean_summary(raw: Mapping[str, object]) -> Summary:
    """Keep the known keys whose values are finite numbers or id-shaped strings; drop the rest."""
    summary: Summary = {}
    for key in _SUMMARY_NUMBERS:
        value = raw.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            summary[key] = value
    for key in _SUMMARY_IDS:
        value = raw.get(key)
        if isinstance(value, str) and _ID.match(value):
            summary[key] = value
    source = raw.get("priceSource")  # where the hourly figure was read: our own words, escaped where shown
    if isinstance(source, str) and 0 < len(source) <= _MAX_SOURCE and source.isprintable():
        summary["priceSource"] = source
    return summary


def request_body(body: str | None, is_base64: bool) -> str | None:
    """The request body as text; None when it cannot be decoded (a 400, never a 500).

    API Gateway passes a body it did not treat as text base64-encoded with ``isBase64Encoded``
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html):
    flagged but not strict base64, or bytes that are not UTF-8, are the client's error."""
    if body is None:
        return ""
    if len(body) > 4 * _MAX_FORM_BYTES:  # decoding a huge body would only find it too large
        return None
    if not is_base64:
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None


def decision_from_form(body: str, content_type: str) -> Decision | None:
    """``decision=approve|reject`` from an HTML form post; None for anything else."""
    if not content_type.lower().startswith("application/x-www-form-urlencoded") or len(body) > _MAX_FORM_BYTES:
        return None
    try:
        fields = parse_qs(body, strict_parsing=True, max_num_fields=4)
    except ValueError:
        return None
    values = fields.get("decision", [])
    if len(values) != 1 or values[0] not in {d.value for d in Decision}:
        return None
    return Decision(values[0])
