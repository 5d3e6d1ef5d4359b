"""Guardrails: judge live evidence before any job may start; UNKNOWN blocks (fail closed)."""

from __future__ import annotations

from ..config import GuardrailSettings, InferenceAuditSettings
from ..deployment.plan import deployment_mode
from ..guardrails import WARN_CHECKS, Finding, blocking_reason, evaluate
from ..models import find_model
from ..ports import EvidenceRequest
from ..reasons import DeploymentFailed, GuardrailFailed
from ..reports import GuardrailsReport, write_report
from ..runs import Step, report_key
from ..settings import RunSettings
from ..state import PipelineState
from ..training.launch import job_request
from ..wiring import Dependencies


def verify_run_guardrails(state: PipelineState, deps: Dependencies) -> dict[str, object]:
    config, run, settings, dataset = deps.settings(GuardrailSettings), state.run, state.settings, state.dataset
    assert dataset is not None, "validate runs before the guardrails"
    request = EvidenceRequest(
        bucket=config.bucket,
        event_bucket=run.bucket,
        key_arn=config.key_arn,
        subnet_ids=config.subnet_ids,
        security_group_ids=config.security_group_ids,
        service_role_arn=config.service_role_arn,
        launcher_role_arn=config.pipeline_role_arn,
        object_key=run.key,
        version_id=run.version_id,
        event_etag=run.etag,
        event_size=run.size,
        base_model=find_model(settings.base_model).model_id,
        customization_type=settings.customization_type.value,
        validation_report_key=report_key(run.run_id, Step.VALIDATION),
        dataset_sha256=dataset.sha256,
        malware_scan_enabled=config.malware_scan_enabled,
        job_request=job_request(state, config),  # the very request StartTrainingJob will send
        grader_lambda_arn=config.grader_lambda_arn,
        evaluation_role_arn=config.evaluation_role_arn,
        deployment_mode=_deployment_mode(settings),
        smoke_test_role_arn=config.smoke_test_role_arn,
    )
    evidence = deps.evidence.gather(request)
    findings = evaluate(evidence) + _inference_findings(deps) + evaluate(evidence, WARN_CHECKS)  # warnings never block
    report = write_report(deps.bucket, run.run_id, GuardrailsReport(findings=tuple(findings)))
    reason = blocking_reason(findings)
    if reason is not None:
        raise GuardrailFailed(reason)
    return {"report": report, "checks": len(findings)}


def _inference_findings(deps: Dependencies) -> list[Finding]:
    """GR-NET-12..14: the bedrock-runtime endpoint the smoke test will go through, judged before anything is spent."""
    from ..adapters.endpoints import read_inference_evidence
    from ..guardrails.catalogue import INFERENCE_CHECKS

    private = deps.settings(InferenceAuditSettings)
    identity = deps.settings(GuardrailSettings)
    evidence = read_inference_evidence(
        identity.account, identity.region, enabled=private.private_inference, function=private.smoke_test_function
    )
    return evaluate(evidence, INFERENCE_CHECKS)


def _deployment_mode(settings: RunSettings) -> str | None:
    """What the run will buy (GR-CTX-03 refuses a LEGACY model on provisioned throughput); None when the model offers
    nothing the profile asks for (PlanDeployment then fails the run with NO_DEPLOYMENT_OPTION)."""
    try:
        return deployment_mode(settings)
    except DeploymentFailed:
        return None
