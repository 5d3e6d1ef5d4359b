"""Training: launch in the VPC with our key, answer the wait on Bedrock's event, read the metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import StackConfig
from ..events import BedrockJobStateChange
from ..models import find_model
from ..notifications import JobFinished, JobStarted
from ..observability import logger
from ..ports import JobStatus, TrainingJob
from ..reasons import JobQuotaBusy, Reason, ReasonCode, TrainingFailed
from ..runs import RunChanges, RunStatus, Step, output_prefix, report_key
from ..service_errors import Denied, Invalid, NotFound, QuotaExceeded, ServiceError, error_code
from ..state import MetricsResult, PipelineState, TrainingResult
from ..training_metrics import VALIDATION_METRICS_FILES, LossCurve, MetricsUnreadable, gate_problems, metrics_key, parse_loss_curve
from ..wiring import Dependencies
from .deployment import next_step, tear_down
from .slots import reclaim_job_slots, release_job_slot


def job_request(state: PipelineState, config: StackConfig) -> dict[str, Any]:
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
    request: dict[str, Any] = {
        "jobName": run.run_id,
        "customModelName": run.run_id,
        "roleArn": config.service_role_arn,
        "clientRequestToken": run.run_id,
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
    request = job_request(state, deps.config)
    try:
        job_arn = deps.bedrock.create_job(request)
    except (Invalid, Denied, NotFound) as err:
        raise TrainingFailed(Reason(ReasonCode.JOB_REJECTED, err.code)) from None
    except QuotaExceeded:  # jobs outside the pipeline hold the quota
        raise JobQuotaBusy(Reason(ReasonCode.JOB_QUOTA_EXCEEDED)) from None
    drifted = drift(deps.bedrock.get_job(run.run_id), request)
    if drifted:
        deps.bedrock.stop_job(run.run_id)
        raise TrainingFailed(Reason(ReasonCode.JOB_DRIFT, ",".join(drifted)))
    deps.runs.set_status(run.run_id, RunStatus.TRAINING, RunChanges(job_arn=job_arn))
    deps.notifier.send(
        JobStarted(
            run_id=run.run_id,
            profile=state.settings.profile,
            dataset=run.uri,
            job_arn=job_arn,
            base_model=state.settings.base_model,
            customization_type=state.settings.customization_type.value,
            estimated_training_cost_usd=state.dataset.estimated_training_cost_usd if state.dataset else None,
        )
    )
    return job_arn


_FAILED_REASONS = {JobStatus.FAILED: ReasonCode.JOB_FAILED, JobStatus.STOPPED: ReasonCode.JOB_STOPPED}


def complete_training_job(event: BedrockJobStateChange, deps: Dependencies) -> str:
    """Answer the wait for a job we started. Returns what was done (for the log)."""
    if event.account != deps.config.account or event.region != deps.config.region:
        return "ignored: another account or region"
    return answer_training_wait(event.detail.job_name, deps)


ANSWERED = "answered"  # the outcome of a wait this call ended


def answer_training_wait(run_id: str, deps: Dependencies) -> str:
    """Re-read the run's job and, if it ended, answer its task token (event or reconciler)."""
    token = deps.runs.get_token(run_id, Step.TRAINING)
    if token is None:
        return "ignored: not a job this pipeline is waiting for"
    job = deps.bedrock.get_job(run_id)  # the event is a trigger; the API is the truth
    status = job.status
    if status is JobStatus.COMPLETED:
        result = TrainingResult(
            job_arn=job.arn,
            status=status.value,
            output_model_arn=job.output_model_arn,
            output_uri=job.output_uri,
            training_seconds=job.training_seconds,
        )
        answered = deps.machine.succeed(token, result.wire())
    elif status in _FAILED_REASONS:
        # failureMessage can quote a record, so it goes to the encrypted report, not the message.
        deps.bucket.put_json(
            report_key(run_id, Step.TRAINING),
            {"jobArn": job.arn, "status": status.value, "failureMessage": job.failure_message},
        )
        answered = deps.machine.fail(token, TrainingFailed.__name__, str(Reason(_FAILED_REASONS[status])))
    else:
        return f"ignored: job is {status.value}"
    deps.runs.delete_token(run_id, Step.TRAINING)
    release_job_slot(run_id, deps)  # the job has ended: the next queued run may start its own
    return f"{ANSWERED} {status.value}" if answered else f"already answered ({status.value})"


@dataclass(frozen=True)
class PipelineHealth:
    queued_runs: int  # waiting for a job slot
    overdue_training_waits: int  # training for more than 80% of TrainingTimeoutSeconds


def pipeline_health(deps: Dependencies) -> PipelineHealth:
    """What the reconciler reports every 15 minutes (alarmed in the template)."""
    overdue_after = int(deps.config.training_timeout_seconds * 0.8)
    return PipelineHealth(
        queued_runs=len(deps.slots.view().waiters),
        overdue_training_waits=len(deps.runs.waiting_since(Step.TRAINING, overdue_after)),
    )


def events_recovered(outcomes: dict[str, str]) -> int:
    """How many of the reconciler's outcomes answered a wait whose completion event was lost."""
    return sum(outcome.startswith(ANSWERED) for outcome in outcomes.values())


def reconcile_training_waits(deps: Dependencies, older_than_seconds: int) -> dict[str, str]:
    """Bedrock's events are best effort: answer the waits whose completion event never came,
    then reclaim job slots a crashed release left behind and serve the slot queue."""
    outcomes = {run_id: answer_training_wait(run_id, deps) for run_id in deps.runs.waiting_since(Step.TRAINING, older_than_seconds)}
    outcomes.update({run_id: "given a job slot" for run_id in reclaim_job_slots(deps)})
    return outcomes


def stop_job_of_aborted_run(run_id: str, deps: Dependencies) -> str:
    """An operator aborted the execution: its job must not train (and bill) on unobserved,
    and its job slot (or its place in the slot queue) goes to the next run."""
    if deps.runs.get_token(run_id, Step.TRAINING) is None:
        release_job_slot(run_id, deps)
        # Aborted while deploying or smoke-testing: what it bought must not bill on unobserved either.
        torn = tear_down(run_id, "delete", deps, why="run aborted")
        return "ignored: the run was not training" if torn == "nothing deployed" else f"torn down: {torn}"
    try:
        deps.bedrock.stop_job(run_id)
    except ServiceError as err:
        return f"could not stop: {err.code}"
    deps.runs.delete_token(run_id, Step.TRAINING)
    deps.runs.set_status(run_id, RunStatus.FAILED, RunChanges(reason="JOB_STOPPED:aborted"))
    release_job_slot(run_id, deps)
    return "stopped"


def stop_training_job(state: PipelineState, deps: Dependencies) -> None:
    """After the wait timed out: stop the job if it still runs (a timeout does not cancel it)."""
    try:
        deps.bedrock.stop_job(state.run.run_id)
    except ServiceError as err:
        logger.warning("could not stop the job", error=error_code(err))


def _validation_curve(state: PipelineState, deps: Dependencies) -> LossCurve | None:
    """The validation loss series, when the run trained with a validation set and the job wrote it."""
    training = state.training
    if training is None or state.dataset is None or state.dataset.validation_uri is None:
        return None
    for file in VALIDATION_METRICS_FILES:
        text = deps.bucket.get_text(metrics_key(output_prefix(state.run.run_id), training.job_arn, file))
        if text:
            try:
                return parse_loss_curve(text, "validation_loss")
            except MetricsUnreadable:
                return None
    return None


def read_training_metrics(state: PipelineState, deps: Dependencies) -> MetricsResult:
    run, training = state.run, state.training
    assert training is not None, "training completes before metrics"
    key = metrics_key(output_prefix(run.run_id), training.job_arn)
    text = deps.bucket.get_text(key)
    try:
        curve = parse_loss_curve(text or "")
    except MetricsUnreadable:
        raise TrainingFailed(Reason(ReasonCode.METRICS_UNAVAILABLE)) from None
    validation = _validation_curve(state, deps)
    gate = state.settings.metrics_gate
    problems = gate_problems(curve, gate.max_final_training_loss, gate.require_loss_decrease, validation, gate.max_final_validation_loss)
    report = deps.bucket.put_json(
        report_key(run.run_id, Step.METRICS),
        {
            "jobArn": training.job_arn,
            "outputModelArn": training.output_model_arn,
            "training": curve.model_dump(mode="json"),
            "validation": validation.model_dump(mode="json") if validation else None,
            "gate": {**gate.model_dump(mode="json"), "problems": problems},
        },
    )
    if problems:
        raise TrainingFailed(Reason(ReasonCode.METRICS_GATE_FAILED, ",".join(problems)))
    deps.runs.set_status(run.run_id, RunStatus.TRAINED, RunChanges(output_model_arn=training.output_model_arn or ""))
    deps.notifier.send(
        JobFinished(
            run_id=run.run_id,
            profile=state.settings.profile,
            dataset=run.uri,
            job_arn=training.job_arn,
            output_model_arn=training.output_model_arn or "",
            final_training_loss=curve.final_loss,
            next_step=next_step(state.settings, deps.config.throughput_price_per_unit_hour),
        )
    )
    return MetricsResult(final_training_loss=curve.final_loss, best_training_loss=curve.best_loss, report=report)
