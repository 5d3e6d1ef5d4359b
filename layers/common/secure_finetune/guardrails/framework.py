"""The machinery every guardrail shares: statuses, severities, findings, and a check that judges evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from ..reasons import Reason, ReasonCode


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a status, not a password
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, defer_build=True)  # as in the report documents
    id: str
    title: str
    severity: Severity
    status: Status
    explanation: str
    fix: str | None = None
    evidence: str = ""
    anchors: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        return self.severity is Severity.BLOCK and self.status is not Status.PASS


Verdict = tuple[Status, str]
PASS, FAIL, UNKNOWN = Status.PASS, Status.FAIL, Status.UNKNOWN


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: Severity
    evidence: str  # the API calls and fields read
    anchors: tuple[str, ...]
    rule: Callable[[Any], Verdict]  # Evidence, or PurchaseEvidence for the purchase checks
    fix: str
    per_run: bool = False  # judges a run's own evidence (its object, validator report, job request)

    def __call__(self, ev: Any) -> Finding:
        try:
            status, why = self.rule(ev)
        except (KeyError, TypeError, ValueError, AttributeError) as err:  # malformed evidence is unknown evidence
            status, why = UNKNOWN, f"evidence could not be interpreted ({type(err).__name__})"
        return Finding(
            id=self.id,
            title=self.title,
            severity=self.severity,
            status=status,
            explanation=why,
            fix=None if status is PASS else self.fix,
            evidence=self.evidence,
            anchors=self.anchors,
        )


def blocking_reason(findings: list[Finding]) -> Reason | None:
    blocked = [f.id for f in findings if f.blocks]
    return Reason(ReasonCode.GUARDRAIL_FAILED, ",".join(blocked)) if blocked else None
