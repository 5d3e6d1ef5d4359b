"""Launch: the job request (in our VPC, with our key, deterministic names) and its start, read back for drift."""

from __future__ import annotations

from typing import Any

from ..config import JobSettings
from ..models import RFT, CustomizationType, find_model
from ..notifications import JobStarted
from ..ports import TrainingJob
from ..pricing import training_price_facts
from ..reasons import JobCancelled, JobQuotaBusy, Reason, ReasonCode, TrainingFailed
from ..runs import Intent, ResourceKind, RunChanges, RunStatus, Step, StopActor, output_prefix, resource_name
from ..service_errors import Denied, Invalid, NotFound, QuotaExceeded
from ..state import PipelineState
from ..wiring import Dependencies
from .rft import rft_config


def job_request(state: PipelineState, config: JobSettings) -> dict[str, Any]:
    """The CreateModelCustomizationJob request: deterministic, in our VPC, with our key."""
    run, settings, dataset = state.run, state.settings, state.dataset
    assert dataset is not None, "validate runs before training"
    tags = {
        "run-id": run.run_id,
        "dataset-sha256": dataset.sha256,
        "source-version": run.version_id,
        "profile": settings.profile,
    }
    if run.requester:
        tags["uploader"] = run.requester
    name = resource_name(run.run_id)  # the write-ahead intent's name and token (runs.Intent)
    request: dict[str, Any] = {
        "jobName": name,
        "customModelName": name,
        "roleArn": config.service_role_arn,
        "clientRequestToken": name,
        "baseModelIdentifier": find_model(settings.base_model).customization_id,
        "customizationType": settings.customization_type.value,
        "customModelKmsKeyId": config.key_arn,
        "trainingDataConfig": {"s3Uri": dataset.training_uri},
        "outputDataConfig": {"s3Uri": f"s3://{config.bucket}/{output_prefix(run.run_id)}"},
        "hyperParameters": dict(settings.hyperparameters),
        "vpcConfig": {"subnetIds": list(config.subnet_ids), "securityGroupIds": list(config.security_group_ids)},
        "jobTags": [{"key": k, "value": _tag_value(v)} for k, v in tags.items()],
        "customModelTags": [{"key": k, "value": _tag_value(v)} for k, v in tags.items()],
    }
    if dataset.validation_uri:
        request["validationDataConfig"] = {"validators": [{"s3Uri": dataset.validation_uri}]}
    if settings.customization_type is CustomizationType.REINFORCEMENT_FINE_TUNING:  # typed, in rftConfig (training/rft.py)
        del request["hyperParameters"]
        request["customizationConfig"] = rft_config(find_model(settings.base_model), settings.hyperparameters, config.grader_lambda_arn)
    if settings.teacher_model is not None:  # DISTILLATION: the teacher answers the prompts
        teacher: dict[str, Any] = {"teacherModelIdentifier": settings.teacher_model}
        if settings.max_response_length is not None:
            teacher["maxResponseLengthForInference"] = settings.max_response_length
        request["customizationConfig"] = {"distillationConfig": {"teacherModelConfig": teacher}}
    return request


def _tag_value(value: str) -> str:
    # Bedrock tag values: [a-zA-Z0-9\s._:/=+@-]*, at most 256 chars.
    return "".join(c if c.isalnum() or c in " ._:/=+@-" else "_" for c in value)[:256]


def drift(recorded: TrainingJob, request: dict[str, Any]) -> list[str]:
    """What Bedrock recorded differently from what we asked (GR-JOB-06, minimal)."""
    problems = []
    if sorted(recorded.subnet_ids) != sorted(request["vpcConfig"]["subnetIds"]):
        problems.append("subnets")
    if sorted(recorded.security_group_ids) != sorted(request["vpcConfig"]["securityGroupIds"]):
        problems.append("security-groups")
    if recorded.output_model_kms_key_arn != request["customModelKmsKeyId"]:
        problems.append("kms-key")
    if recorded.role_arn != request["roleArn"]:
        problems.append("role")
    return problems


def start_training_job(state: PipelineState, task_token: str, deps: Dependencies) -> str:
    run = state.run
    # The token is stored before the job exists, so even an instant completion event finds it.
    deps.runs.put_token(run.run_id, Step.TRAINING, task_token)
    request = job_request(state, deps.settings(JobSettings))
    # Write-ahead: the run record says which job is about to exist before it can, so every cleanup
    # path finds (and stops) it by name even if this function dies before recording its ARN.
    deps.runs.set_status(run.run_id, None, Intent.of(ResourceKind.JOB, run.run_id).changes())
    try:
        job_arn = deps.bedrock.create_job(request)
    except (Invalid, Denied, NotFound) as err:
        raise TrainingFailed(Reason(ReasonCode.JOB_REJECTED, err.code)) from None
    except QuotaExceeded:  # jobs outside the pipeline hold the quota
        raise JobQuotaBusy(Reason(ReasonCode.JOB_QUOTA_EXCEEDED)) from None
    drifted = drift(deps.bedrock.get_job(run.run_id), request)
    if drifted:
        # The pipeline's own stop (a security event): its Stopped event must not read as a cancel.
        deps.runs.set_status(run.run_id, None, RunChanges(stopped_by=StopActor.PIPELINE.value))
        deps.bedrock.stop_job(run.run_id)
        raise TrainingFailed(Reason(ReasonCode.JOB_DRIFT, ",".join(drifted)))
    deps.runs.set_status(run.run_id, RunStatus.TRAINING, RunChanges(job_arn=job_arn))
    record = deps.runs.get_run(run.run_id)
    if record is not None and record.stopped_by == StopActor.OWNER.value:
        # Cancelled while the create was in flight (throttle retries take seconds): the cancel found no job to
        # stop, so this step stops the one it just made; its wait was answered by the cancel.
        deps.bedrock.stop_job(run.run_id)
        raise JobCancelled(Reason(ReasonCode.JOB_CANCELLED, StopActor.OWNER.value))
    deps.notifier.send(
        JobStarted(
            run_id=run.run_id,
            profile=state.settings.profile,
            dataset=run.uri,
            job_arn=job_arn,
            base_model=state.settings.base_model,
            customization_type=state.settings.customization_type.value,
            estimated_training_cost_usd=state.dataset.estimated_training_cost_usd if state.dataset else None,
            # storage per month and where each figure comes from (reinforcement fine-tuning: not per token)
            **training_price_facts(state.settings.base_model, per_token=state.settings.customization_type is not RFT),
        )
    )
    return job_arn
