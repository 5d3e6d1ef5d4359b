"""Guardrails: judge live evidence before any job may start; UNKNOWN blocks (fail closed)."""

from __future__ import annotations

from ..adapters.evidence import gather_evidence
from ..guardrails import blocking_reason, evaluate
from ..reasons import GuardrailFailed
from ..runs import Step, report_key
from ..state import PipelineState
from ..wiring import Dependencies


def verify_run_guardrails(state: PipelineState, deps: Dependencies) -> dict[str, object]:
    findings = evaluate(gather_evidence(deps.config, state.run.key, state.run.version_id))
    report = deps.bucket.put_json(
        report_key(state.run.run_id, Step.GUARDRAILS), {"findings": [f.model_dump(mode="json") for f in findings]}
    )
    reason = blocking_reason(findings)
    if reason is not None:
        raise GuardrailFailed(reason)
    return {"report": report, "passed": [f.id for f in findings]}
