"""Stopping a job: after the training wait timed out, or when an owner aborted (cancelled) the run."""

from __future__ import annotations

from ..config import Identity
from ..events import IgnoredEvent, envelope_problem
from ..observability import logger
from ..runs import RunStatus, StopActor
from ..service_errors import ServiceError, error_code
from ..state import PipelineState
from ..wiring import Dependencies
from .slots import release_job_slot

STATES_SOURCE, EXECUTION_STATUS_CHANGE = "aws.states", "Step Functions Execution Status Change"


def aborted_execution_problem(event: object, identity: Identity, state_machine_arn: str) -> tuple[IgnoredEvent | None, str]:
    """(None, the run id) when ``event`` says an execution of our state machine was ABORTED; else why it is ignored.

    The rule matches all of this, but the handler trusts no envelope: a spoofed event for a live run would
    otherwise cancel it (stop its job, delete its throughput)."""
    why = envelope_problem(
        event, source=STATES_SOURCE, detail_type=EXECUTION_STATUS_CHANGE, account=identity.account, region=identity.region
    )
    if why is not None:
        return why, ""
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict) or not isinstance(detail.get("name"), str):
        return IgnoredEvent.MALFORMED, ""
    if detail.get("stateMachineArn") != state_machine_arn:
        return IgnoredEvent.OTHER_STATE_MACHINE, ""
    if detail.get("status") != "ABORTED":
        return IgnoredEvent.NOT_ABORTED, ""
    return None, detail["name"]  # the execution's name is the run id


def stop_job_of_aborted_run(run_id: str, deps: Dependencies) -> str:
    """An owner aborted the execution (``finetune cancel``, or StopExecution): the run ends CANCELLED.

    Its job (found by its write-ahead name, recorded ARN or not) must not train and bill unobserved,
    its job slot (or its place in the queue) goes to the next run, what it bought is deleted, and the
    owner is told once, with RUN_CANCELLED. A run that had already ended is left as it was."""
    from ..steps.failure import cancel_run  # the failure step's cleanup is this one's too

    record = deps.runs.get_run(run_id)
    if record is None:  # aborted before RegisterRun wrote it: nothing was created, but it may be queued
        release_job_slot(run_id, deps)
        return "ignored: no run record"
    if record.status in (RunStatus.SUCCEEDED, RunStatus.FAILED) and record.notified_at:
        return "ignored: the run had already ended"
    try:
        outcome = cancel_run(run_id, deps, StopActor.OWNER, record, published_by_state_machine=False)
    except ServiceError as err:  # the rule's target is retried (RetryPolicy) and then dead-lettered
        logger.warning("could not cancel", error=error_code(err))
        raise
    return f"cancelled; teardown: {outcome['teardown']}"  # cancel_run dropped the training wait


def stop_training_job(state: PipelineState, deps: Dependencies) -> None:
    """After the wait timed out: stop the job if it still runs (a timeout does not cancel it)."""
    # No ``stoppedBy`` needed: the wait already ended with States.Timeout, so the Stopped event that
    # follows answers nothing (JOB_TIMED_OUT stands), and NotifyFailure records the pipeline's stop.
    try:
        deps.bedrock.stop_job(state.run.run_id)
    except ServiceError as err:
        logger.warning("could not stop the job", error=error_code(err))
