"""Guardrail checks as pure functions over evidence (walking-skeleton subset).

Each check declares its id, title and severity and returns PASS, FAIL or UNKNOWN with a
one-line explanation and, on FAIL, the fix. Evidence is gathered by an adapter
(``adapters/evidence.py``); a missing piece of evidence (access denied, throttled, absent
field) is ``None`` here and makes the check UNKNOWN, which blocks like a FAIL (fail closed).
The full catalogue is the guardrails issue; ids follow
``shared/reference/security-guardrails.md`` section 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from .reasons import Reason, ReasonCode


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a status, not a password
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class Evidence(BaseModel):
    """What the checks read; ``None`` = could not be read (fail closed)."""

    model_config = ConfigDict(frozen=True)
    account: str
    region: str
    expected_key_arn: str
    bucket_encryption_rules: list[dict[str, Any]] | None
    object_sse: str | None
    object_kms_key: str | None
    object_readable: bool
    service_role_trust: dict[str, Any] | None


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    severity: Severity
    status: Status
    explanation: str
    fix: str | None = None

    @property
    def blocks(self) -> bool:
        return self.severity is Severity.BLOCK and self.status is not Status.PASS


_KMS_ALGORITHMS = {"aws:kms", "aws:kms:dsse"}
Verdict = tuple[Status, str]


@dataclass(frozen=True)
class Check:
    """One catalogue entry: what it is, the rule (a pure function of evidence) and the fix."""

    id: str
    title: str
    severity: Severity
    anchors: tuple[str, ...]
    rule: Callable[[Evidence], Verdict]
    fix: Callable[[Evidence], str]

    def __call__(self, ev: Evidence) -> Finding:
        status, why = self.rule(ev)
        return Finding(
            id=self.id,
            title=self.title,
            severity=self.severity,
            status=status,
            explanation=why,
            fix=None if status is Status.PASS else self.fix(ev),
        )


def _bucket_default_key(ev: Evidence) -> Verdict:
    if ev.bucket_encryption_rules is None:
        return Status.UNKNOWN, "bucket encryption could not be read"
    for rule in ev.bucket_encryption_rules:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") in _KMS_ALGORITHMS and default.get("KMSMasterKeyID") == ev.expected_key_arn:
            return Status.PASS, "default encryption is SSE-KMS with the expected key ARN"
    return Status.FAIL, "default encryption is not SSE-KMS with the expected key ARN (an alias or aws/s3 does not count)"


def _object_key(ev: Evidence) -> Verdict:
    if not ev.object_readable:
        return Status.UNKNOWN, "the object version could not be read"
    if ev.object_sse not in _KMS_ALGORITHMS:
        return Status.FAIL, f"object is encrypted with {ev.object_sse or 'nothing'}, not SSE-KMS"
    if ev.object_kms_key != ev.expected_key_arn:
        return Status.FAIL, "object is SSE-KMS with another key"
    return Status.PASS, "object is SSE-KMS with the expected key ARN"


def _job_source_arn(ev: Evidence) -> str:
    return f"arn:aws:bedrock:{ev.region}:{ev.account}:model-customization-job/*"


def _service_role_trust(ev: Evidence) -> Verdict:
    if ev.service_role_trust is None:
        return Status.UNKNOWN, "the service role's trust policy could not be read"
    statements = ev.service_role_trust.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    allows = [s for s in statements if s.get("Effect") == "Allow"]
    if not allows:
        return Status.FAIL, "the trust policy allows nobody"
    for statement in allows:
        if statement.get("Principal") != {"Service": "bedrock.amazonaws.com"}:
            return Status.FAIL, "a trust statement names a principal other than bedrock.amazonaws.com"
        condition = statement.get("Condition", {})
        if _one(condition.get("StringEquals", {}).get("aws:SourceAccount")) != ev.account:
            return Status.FAIL, "a trust statement lacks StringEquals aws:SourceAccount = this account"
        arn_condition = {**condition.get("ArnLike", {}), **condition.get("ArnEquals", {})}
        if _one(arn_condition.get("aws:SourceArn")) != _job_source_arn(ev):
            return Status.FAIL, "a trust statement lacks aws:SourceArn = this account's customization jobs"
    return Status.PASS, "only Bedrock may assume the role, for this account's customization jobs"


def _one(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


PRE_LAUNCH_CHECKS: tuple[Check, ...] = (
    Check(
        id="GR-S3-01",
        title="Bucket default encryption is SSE-KMS with our key",
        severity=Severity.BLOCK,
        anchors=("SecurityHub S3.17", "prowler s3_bucket_kms_encryption"),
        rule=_bucket_default_key,
        fix=lambda ev: "Set the bucket's default encryption to SSE-KMS with the stack's key ARN (DatasetKey).",
    ),
    Check(
        id="GR-OBJ-01",
        title="The dataset object itself is SSE-KMS with our key",
        severity=Severity.BLOCK,
        anchors=("own check: no CSPM checks individual objects",),
        rule=_object_key,
        fix=lambda ev: "Upload the dataset again without naming another key or algorithm (the bucket default applies).",
    ),
    Check(
        id="GR-IAM-01",
        title="Service role trusts only Bedrock, with confused-deputy conditions",
        severity=Severity.BLOCK,
        anchors=("prowler iam_role_cross_service_confused_deputy_prevention",),
        rule=_service_role_trust,
        fix=lambda ev: (
            "Trust only bedrock.amazonaws.com with StringEquals aws:SourceAccount="
            f"{ev.account} and ArnEquals/ArnLike aws:SourceArn={_job_source_arn(ev)}."
        ),
    ),
)


def evaluate(ev: Evidence) -> list[Finding]:
    return [check(ev) for check in PRE_LAUNCH_CHECKS]


def blocking_reason(findings: list[Finding]) -> Reason | None:
    blocked = [f.id for f in findings if f.blocks]
    return Reason(ReasonCode.GUARDRAIL_FAILED, ",".join(blocked)) if blocked else None
