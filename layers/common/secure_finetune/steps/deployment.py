"""Deployment: buy no-commitment provisioned throughput under the cap, poll it to InService."""

from __future__ import annotations

from ..guardrails import PURCHASE_CHECKS, PurchaseEvidence, blocking_reason, evaluate, findings_document
from ..notifications import ThroughputReady
from ..reasons import DeploymentFailed, Reason, ReasonCode
from ..runs import RunStatus, Step, report_key
from ..state import PipelineState, ThroughputResult
from ..wiring import Dependencies


def buy_throughput(state: PipelineState, deps: Dependencies) -> ThroughputResult:
    run, settings, training = state.run, state.settings, state.training
    assert training is not None and training.output_model_arn, "a trained model comes first"
    if settings.approval_required:
        # The approval flow is not built yet: never spend without the yes a profile asks for.
        raise DeploymentFailed(Reason(ReasonCode.APPROVAL_REQUIRED))
    evidence = PurchaseEvidence(
        expected_key_arn=deps.config.key_arn,
        job_arn=training.job_arn,
        custom_model=deps.bedrock.get_custom_model(run.run_id),  # customModelName = run id
        model_units=settings.model_units,
        max_model_units=deps.config.max_model_units,
        commitment=None,  # never bought with a commitment
        client_request_token=run.run_id,
        run_id=run.run_id,
    )
    findings = evaluate(evidence, PURCHASE_CHECKS)
    deps.bucket.put_json(report_key(run.run_id, Step.DEPLOYMENT), findings_document(findings))
    reason = blocking_reason(findings)
    if reason is not None:
        raise DeploymentFailed(reason)
    existing = deps.bedrock.find_throughput(training.output_model_arn)
    if existing is not None:
        arn = existing["provisionedModelArn"]  # never buy twice for one model
    else:
        arn = deps.bedrock.create_throughput(
            run.run_id, training.output_model_arn, settings.model_units, {"run-id": run.run_id, "profile": settings.profile}
        )
    deps.runs.set_status(run.run_id, RunStatus.DEPLOYING, provisionedModelArn=arn)
    return ThroughputResult(provisioned_model_arn=arn, status="Creating", polls=0)


def check_throughput(state: PipelineState, deps: Dependencies) -> ThroughputResult:
    current = state.throughput
    assert current is not None, "buy before polling"
    status = deps.bedrock.get_throughput(current.provisioned_model_arn)["status"]
    polls = current.polls + 1
    if status == "Failed":
        raise DeploymentFailed(Reason(ReasonCode.THROUGHPUT_FAILED))
    if status != "InService" and polls >= state.timing.throughput_max_polls:
        raise DeploymentFailed(Reason(ReasonCode.THROUGHPUT_TIMED_OUT, f"{polls}polls"))
    return ThroughputResult(provisioned_model_arn=current.provisioned_model_arn, status=status, polls=polls)


def announce_throughput(state: PipelineState, deps: Dependencies) -> None:
    run, settings, throughput = state.run, state.settings, state.throughput
    assert throughput is not None
    findings = deps.bucket.get_json(report_key(run.run_id, Step.DEPLOYMENT)).get("findings", [])
    deps.bucket.put_json(report_key(run.run_id, Step.DEPLOYMENT), {"findings": findings, "throughput": throughput.wire()})
    deps.runs.set_status(run.run_id, RunStatus.SUCCEEDED)
    deps.notifier.send(
        ThroughputReady(
            run_id=run.run_id,
            profile=settings.profile,
            dataset=run.uri,
            provisioned_model_arn=throughput.provisioned_model_arn,
            model_units=settings.model_units,
            ttl_hours=settings.ttl_hours,
        )
    )
