"""Completion: answer the training wait from Bedrock's event (or the reconciler), re-reading the job first."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..config import Identity
from ..events import BedrockJobStateChange
from ..ports import JobStatus
from ..reasons import Reason, ReasonCode, TrainingFailed
from ..reports import TrainingFailureReport, write_report
from ..runs import Step
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


def complete_training_job(event: BedrockJobStateChange, deps: Dependencies) -> CompletionOutcome:
    """Answer the wait for a job we started."""
    identity = deps.settings(Identity)
    if event.account != identity.account or event.region != identity.region:
        return CompletionOutcome(CompletionKind.IGNORED, "ignored: another account or region")
    return answer_training_wait(event.detail.job_name, deps)


def answer_training_wait(run_id: str, deps: Dependencies) -> CompletionOutcome:
    """Re-read the run's job and, if it ended, answer its task token (event or reconciler)."""
    token = deps.runs.get_token(run_id, Step.TRAINING)
    if token is None:
        return CompletionOutcome(CompletionKind.IGNORED, "ignored: not a job this pipeline is waiting for")
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
        write_report(deps.bucket, run_id, TrainingFailureReport(job_arn=job.arn, status=status.value, failure_message=job.failure_message))
        answered = deps.machine.fail(token, TrainingFailed.__name__, str(Reason(_FAILED_REASONS[status])))
    else:
        return CompletionOutcome(CompletionKind.IGNORED, f"ignored: job is {status.value}")
    deps.runs.delete_token(run_id, Step.TRAINING)
    release_job_slot(run_id, deps)  # the job has ended: the next queued run may start its own
    if answered:
        return CompletionOutcome(CompletionKind.ANSWERED, f"answered {status.value}")
    return CompletionOutcome(CompletionKind.ALREADY_ANSWERED, f"already answered ({status.value})")
