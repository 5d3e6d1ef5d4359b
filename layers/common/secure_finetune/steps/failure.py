"""Failure: turn the Catch's {Error, Cause} into a reason code, tell the owner, record it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..notifications import (
    DatasetRejected,
    FailedCheck,
    GuardrailsBlocked,
    JobFailed,
    LineError,
    MilestoneEvent,
    RunCancelled,
    RunFailed,
    render,
)
from ..observability import logger
from ..reasons import STOP_ERRORS, Reason, ReasonCode
from ..report_html import write_run_report
from ..reports import DeploymentReport, GuardrailsReport, ValidationDocument, read_report
from ..runs import RunChanges, RunRecord, RunStatus, Step, StopActor, iso_utc, profile_of, report_key
from ..service_errors import error_code
from ..settings import DEFAULT_PROFILE
from ..state import PipelineState
from ..teardown.intended import stop_intended_job
from ..teardown.tear_down import tear_down
from ..training.slots import release_job_slot
from ..wiring import Dependencies

_STEP_OF_ERROR = {
    "RunRejected": Step.REGISTER,
    "DatasetInvalid": Step.VALIDATION,
    "GuardrailFailed": Step.GUARDRAILS,
    "TrainingFailed": Step.TRAINING,
    "JobCancelled": Step.TRAINING,
    "States.Timeout": Step.TRAINING,  # the training wait; other waits rename their timeout
    "JobSlotTimeout": Step.TRAINING,
    "JobQuotaBusy": Step.TRAINING,
    "ApprovalExpired": Step.DEPLOYMENT,
    "DeploymentFailed": Step.DEPLOYMENT,
    "EvaluationFailed": Step.EVALUATION,
}
# The Pass state after WaitForJobSlot's timeout names it, so it is not read as the job's timeout.
JOB_SLOT_TIMEOUT = "JobSlotTimeout"
APPROVAL_EXPIRED = "ApprovalExpired"
_STOP_NAMES = {error.__name__ for error in STOP_ERRORS}
FIRST_ERRORS_SHOWN = 10
# Steps that stop a run before anything is spent: a stop there is a rejection, not a failure of ours.
BEFORE_SPEND = frozenset({Step.REGISTER.value, Step.VALIDATION.value, Step.GUARDRAILS.value})


def reason_of(error: str, cause: str | None) -> Reason:
    """Our own stops carry their reason as the message; anything else is INTERNAL_ERROR."""
    if error == "States.Timeout":
        return Reason(ReasonCode.JOB_TIMED_OUT)
    if error == JOB_SLOT_TIMEOUT:
        return Reason(ReasonCode.JOB_SLOT_TIMED_OUT)
    if error == APPROVAL_EXPIRED:
        return Reason(ReasonCode.APPROVAL_EXPIRED)
    if error in _STOP_NAMES and cause:
        try:
            return Reason.parse(json.loads(cause)["errorMessage"])
        except (ValueError, KeyError, TypeError):
            pass
    detail = "".join(c if c.isalnum() or c in "._-" else "_" for c in error)[:60] or None
    return Reason(ReasonCode.INTERNAL_ERROR, detail)


def notify_failure(state: PipelineState, deps: Dependencies) -> dict[str, Any]:
    """Stop whatever the run left running, record it, delete what it bought, and hand over the owner's message.

    Safe to run again (NotifyFailure retries a crash): the job is looked up by its write-ahead name
    and stopped only while it trains, the slot release and teardown are idempotent. The e-mail (SNS) is
    published by the state machine's next state from the returned ``message``, so however often this
    step runs, the owners are e-mailed once; Slack hears it here, once unless a crash falls between its
    post and ``notifiedAt`` (Slack is best effort)."""
    assert state.failure is not None, "only reached from a Catch"
    run = state.run
    reason = reason_of(state.failure.error, state.failure.cause)
    step = _STEP_OF_ERROR.get(state.failure.error, "pipeline")
    # Before settings exist (e.g. UNKNOWN_PROFILE), name the profile the key asked for.
    profile = state.registered.settings.profile if state.registered else profile_of(run.key) or DEFAULT_PROFILE
    record = deps.runs.get_run(run.run_id)
    # A job the run created trains on (and bills, and holds Bedrock's quota) until stopped, whatever
    # failed: by its intent's name, even if its ARN was never recorded.
    stop_intended_job(record, deps, StopActor.PIPELINE)
    deps.runs.delete_token(run.run_id, Step.TRAINING)  # a wait with no job left (refused create) would linger 30 days
    release_job_slot(run.run_id, deps)  # a stopped run holds no slot and waits in no queue
    event = _milestone(state, deps, reason, str(step), profile, record=record)
    if record is None or record.notified_at is None:
        deps.runs.set_status(run.run_id, RunStatus.FAILED, RunChanges(reason=str(reason)))
        deps.chat.send(event)
        deps.runs.set_status(run.run_id, None, RunChanges(notified_at=iso_utc(datetime.now(UTC))))
    if state.deployment is not None:
        # Only a run that deployed can have evaluation jobs; they stop before the model they call is deleted.
        _stop_evaluation(run.run_id, deps)
    if not _kept_on_purpose(state, reason):
        # Whatever stopped the run (a crash after the purchase too), it leaves nothing billing;
        # the run record says what it bought or meant to buy, if anything.
        tear_down(run.run_id, "delete", deps, why=str(reason))
    write_run_report(deps.bucket, run.run_id)  # the page people open, for failed runs too
    cause = f"{step} stopped the run; report: s3://{run.bucket}/reports/{run.run_id}/"
    return {"reason": str(reason), "cause": cause, "step": str(step), "message": owner_message(event)}


def owner_message(event: MilestoneEvent) -> dict[str, str]:
    """The SNS message the state machine publishes (``TellOwner*`` states): the notifier's own rendering."""
    rendered = render(event)
    return {"subject": rendered.subject, "body": rendered.body, **rendered.attributes}


def notify_cancelled(state: PipelineState, deps: Dependencies) -> dict[str, Any]:
    """The run's job was stopped by an owner or outside the pipeline: CANCELLED, not failed.

    Clean up as after a failure (slot, anything bought), tell the owner once with RUN_CANCELLED
    saying who stopped it; the execution then ends in a Succeed state (no failed-executions alarm)."""
    assert state.failure is not None, "only reached from the RunCancelled Catch"
    run = state.run
    reason = reason_of(state.failure.error, state.failure.cause)
    record = deps.runs.get_run(run.run_id)
    by = reason.detail if reason.detail in (StopActor.OWNER.value, StopActor.OUTSIDE.value) else StopActor.OUTSIDE.value
    profile = state.settings.profile if state.registered else None
    return cancel_run(run.run_id, deps, StopActor(by), record, profile=profile, published_by_state_machine=True)


def cancel_run(
    run_id: str,
    deps: Dependencies,
    by: StopActor,
    record: RunRecord | None,
    *,
    profile: str | None = None,
    published_by_state_machine: bool,
) -> dict[str, Any]:
    """End run ``run_id`` as CANCELLED (``by`` an owner or outside the pipeline): its job stopped, its
    slot freed, what it bought deleted, the owner told once. Shared by the JobCancelled Catch (the state
    machine publishes the returned ``message``) and the handler of aborted executions (``finetune cancel``:
    no state machine left, so it publishes itself)."""
    reason = Reason(ReasonCode.JOB_CANCELLED, by.value)
    if record is not None and record.stopped_by is None:
        deps.runs.set_status(run_id, None, RunChanges(stopped_by=by.value))
    stop_intended_job(record, deps, by)
    deps.runs.delete_token(run_id, Step.TRAINING)
    release_job_slot(run_id, deps)
    event = RunCancelled(
        run_id=run_id,
        profile=profile or (record.profile if record else None) or DEFAULT_PROFILE,
        dataset=record.dataset_uri if record else "",
        reason=str(reason),
        stopped_by=by.value,
        job_arn=record.job_arn if record else None,
    )
    if record is not None and record.notified_at is None:
        deps.runs.set_status(run_id, RunStatus.CANCELLED, RunChanges(reason=str(reason)))
        (deps.chat if published_by_state_machine else deps.notifier).send(event)
        deps.runs.set_status(run_id, None, RunChanges(notified_at=iso_utc(datetime.now(UTC))))
    if record is not None and record.status is RunStatus.DEPLOYING:  # cancelled while it was being evaluated, maybe
        _stop_evaluation(run_id, deps)
    torn = tear_down(run_id, "delete", deps, why=str(reason))
    cause = f"cancelled by {by.value}"
    return {"reason": str(reason), "cause": cause, "step": Step.TRAINING.value, "teardown": torn.text, "message": owner_message(event)}


def _stop_evaluation(run_id: str, deps: Dependencies) -> None:
    """Stop the run's evaluation jobs; a refusal is logged, never allowed to skip the teardown that follows (the
    throughput bills by the hour, the evaluation's tokens stop with the model it calls)."""
    from ..evaluation.steps import stop_running_evaluation  # only runs that deployed: kept off the cold start

    try:
        stop_running_evaluation(run_id, deps)
    except Exception as err:
        logger.warning("evaluation jobs not stopped", error=error_code(err))


def _kept_on_purpose(state: PipelineState, reason: Reason) -> bool:
    """Only a failed smoke test under keep_on_smoke_failure keeps what was bought."""
    return reason.code is ReasonCode.SMOKE_TEST_FAILED and state.registered is not None and state.settings.keep_on_smoke_failure


def _milestone(
    state: PipelineState, deps: Dependencies, reason: Reason, step: str, profile: str, *, record: RunRecord | None = None
) -> MilestoneEvent:
    run = state.run
    common = {"run_id": run.run_id, "profile": profile, "dataset": run.uri}
    if reason.code is ReasonCode.DATASET_INVALID:
        validation = read_report(deps.bucket, run.run_id, ValidationDocument)
        errors: list[tuple[int | None, str]] = []
        if validation is not None:
            errors = [(error.line, error.code) for report in validation.files().values() for error in report.errors]
            errors += [(None, problem.code) for problem in validation.run_problems]  # no line: file-level
        errors.sort(key=lambda error: -1 if error[0] is None else error[0])  # file-level first: usually the reason
        return DatasetRejected(
            **common,
            reason=str(reason),
            error_count=validation.error_count if validation is not None else 0,
            first_errors=tuple(LineError(line="file" if line is None else line, code=code) for line, code in errors[:FIRST_ERRORS_SHOWN]),
            report=deps.bucket.uri(report_key(run.run_id, Step.VALIDATION)),
        )
    if reason.code is ReasonCode.GUARDRAIL_FAILED:
        # Pre-launch checks report in guardrails.json; the purchase checks (GR-JOB-07/08) in deployment.json.
        checked: GuardrailsReport | DeploymentReport | None
        if step == Step.DEPLOYMENT:
            checked = read_report(deps.bucket, run.run_id, DeploymentReport)
        else:
            checked = read_report(deps.bucket, run.run_id, GuardrailsReport)
        failed = tuple(FailedCheck(id=f.id, fix=f.fix or "") for f in (checked.findings if checked else ()) if f.blocks)
        key = report_key(run.run_id, Step.DEPLOYMENT if step == Step.DEPLOYMENT else Step.GUARDRAILS)
        return GuardrailsBlocked(**common, reason=str(reason), failed=failed, report=deps.bucket.uri(key))
    if step == Step.TRAINING:
        record = record if record is not None or state.training else deps.runs.get_run(run.run_id)
        job_arn = state.training.job_arn if state.training else record.job_arn if record else None
        return JobFailed(**common, reason=str(reason), job_arn=job_arn)
    failure_message = None
    if step == Step.DEPLOYMENT:
        # Bedrock's failureMessage for a throughput or deployment names capacity or permissions, not
        # records (unlike a training job's), so the owner gets it, shortened.
        deployment = read_report(deps.bucket, run.run_id, DeploymentReport) if state.plan else None
        failure_message = ((deployment.failure_message if deployment else None) or "")[:300] or None
    evaluation = ""
    if step == Step.EVALUATION:  # the owner gets both models' scores (ids and numbers only)
        from ..evaluation.report import evaluation_message

        evaluation = evaluation_message(deps.bucket, run.run_id)
    return RunFailed(**common, reason=str(reason), step=step, failure_message=failure_message, evaluation=evaluation)
