"""Completion: answer the training wait from Bedrock's event (or the reconciler), re-reading the job first."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import ValidationError

from ..config import Identity
from ..events import BEDROCK_SOURCE, JOB_STATE_CHANGE, BedrockJobStateChange, IgnoredEvent, envelope_problem
from ..ports import JobStatus
from ..reasons import JobCancelled, Reason, ReasonCode, TrainingFailed
from ..reports import TrainingFailureReport, write_report
from ..runs import ENDED, Step, StopActor
from ..service_errors import NotFound
from ..state import TrainingResult
from ..wiring import Dependencies
from .slots import release_job_slot

_FAILED_REASONS = {JobStatus.FAILED: ReasonCode.JOB_FAILED, JobStatus.STOPPED: ReasonCode.JOB_STOPPED}


class CompletionKind(StrEnum):
    """What a completion call did with a training wait: callers branch on this, never on the text."""

    IGNORED = "IGNORED"  # not ours, not waited for, or the job has not ended
    ANSWERED = "ANSWERED"  # this call ended the wait
    ALREADY_ANSWERED = "ALREADY_ANSWERED"  # the wait had been answered before (event and reconciler raced)


@dataclass(frozen=True)
class CompletionOutcome:
    kind: CompletionKind
    text: str  # for the log and the function's answer, e.g. "answered Completed"
    ignored: IgnoredEvent | None = field(default=None, compare=False)  # why, when IGNORED (EventsIgnored's metadata)


def job_event_problem(event: object, identity: Identity) -> tuple[IgnoredEvent | None, BedrockJobStateChange | None]:
    """Check a Bedrock event's envelope and its job ARN: (None, the event) when it is a job state change of ours.

    The rule matches source, detail-type and account, but the handler trusts no envelope: any
    principal allowed to invoke it, or a rule edited by mistake, can hand it anything. The job ARN
    must name our account and region too (the envelope's fields are the bus's; the ARN is Bedrock's)."""
    why = envelope_problem(event, source=BEDROCK_SOURCE, detail_type=JOB_STATE_CHANGE, account=identity.account, region=identity.region)
    if why is not None:
        return why, None
    try:
        parsed = BedrockJobStateChange.model_validate(event)
    except ValidationError:
        return IgnoredEvent.MALFORMED, None
    # arn:<partition>:bedrock:<region>:<account>:model-customization-job/<id>
    parts = parsed.detail.job_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "bedrock" or not parts[5].startswith("model-customization-job/"):
        return IgnoredEvent.FOREIGN_JOB, None
    if (parts[3], parts[4]) != (identity.region, identity.account):
        return IgnoredEvent.FOREIGN_JOB, None
    return None, parsed


def complete_training_job(event: object, deps: Dependencies) -> CompletionOutcome:
    """Answer the wait for a job we started; anything else is ignored, never raised."""
    why, parsed = job_event_problem(_as_envelope(event), deps.settings(Identity))
    if why is not None or parsed is None:
        return ignored(why or IgnoredEvent.MALFORMED)
    return answer_training_wait(parsed.detail.job_name, deps)


def ignored(why: IgnoredEvent, detail: str = "") -> CompletionOutcome:
    return CompletionOutcome(CompletionKind.IGNORED, f"ignored: {detail or why.value}", why)


def _as_envelope(event: object) -> object:
    # A parsed event (tests, callers in-process) is checked like the JSON it came from.
    return event.model_dump(mode="json", by_alias=True) if isinstance(event, BedrockJobStateChange) else event


def answer_training_wait(run_id: str, deps: Dependencies) -> CompletionOutcome:
    """Re-read the run's job and, if it ended, answer its task token (event or reconciler)."""
    token = deps.runs.get_token(run_id, Step.TRAINING)
    if token is None:
        return ignored(IgnoredEvent.NOT_WAITED_FOR, "not a job this pipeline is waiting for")
    try:
        job = deps.bedrock.get_job(run_id)  # the event is a trigger; the API is the truth
    except NotFound:
        # A token with no job behind it: the create was refused, or the run died before it. The run's
        # failure path owns it; once the run has ended, the stale token is removed so no pass sees it again.
        record = deps.runs.get_run(run_id)
        if record is None or record.status in ENDED:
            deps.runs.delete_token(run_id, Step.TRAINING)
        return ignored(IgnoredEvent.NO_JOB, "no job exists for this wait")
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
    elif status is JobStatus.STOPPED and (stopper := _stopped_by(run_id, deps)) is not StopActor.PIPELINE:
        # Stopped by an owner or outside the pipeline: the run ends CANCELLED, not failed (issue 12).
        answered = deps.machine.fail(token, JobCancelled.__name__, str(Reason(ReasonCode.JOB_CANCELLED, stopper.value)))
    elif status in _FAILED_REASONS:
        # failureMessage can quote a record, so it goes to the encrypted report, not the message.
        write_report(deps.bucket, run_id, TrainingFailureReport(job_arn=job.arn, status=status.value, failure_message=job.failure_message))
        answered = deps.machine.fail(token, TrainingFailed.__name__, str(Reason(_FAILED_REASONS[status])))
    else:
        return ignored(IgnoredEvent.JOB_NOT_ENDED, f"job is {status.value}")
    deps.runs.delete_token(run_id, Step.TRAINING)
    release_job_slot(run_id, deps)  # the job has ended: the next queued run may start its own
    if answered:
        return CompletionOutcome(CompletionKind.ANSWERED, f"answered {status.value}")
    return CompletionOutcome(CompletionKind.ALREADY_ANSWERED, f"already answered ({status.value})")


def _stopped_by(run_id: str, deps: Dependencies) -> StopActor:
    """Who stopped the run's job: the pipeline writes ``stoppedBy`` before each of its own stops (timeout,
    drift) and ``finetune cancel`` as the owner; a stop nobody recorded came from outside the pipeline."""
    record = deps.runs.get_run(run_id)
    recorded = record.stopped_by if record else None
    return StopActor(recorded) if recorded in {actor.value for actor in StopActor} else StopActor.OUTSIDE
