"""Cleanup by write-ahead intent: find what a run created by its deterministic name, even without an ARN.

Every cleanup path (NotifyFailure, cancel/abort, the time-to-live teardown, the stack deletion guard)
goes through these two functions, so none of them depends on a step having lived long enough to
record an ARN: the run record's ``Intent`` says what was about to be created and under which name
(``runs.py``), and Bedrock answers for that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..observability import logger
from ..ports import JobStatus, TrainingJob
from ..runs import ResourceKind, RunChanges, RunRecord, StopActor
from ..service_errors import NotFound, ServiceError, error_code
from ..wiring import Dependencies

# A job in these states still trains (and bills): StopModelCustomizationJob applies to it.
_ACTIVE = frozenset({JobStatus.IN_PROGRESS})


class JobStop(StrEnum):
    """What ``stop_intended_job`` found and did."""

    NO_JOB = "NO_JOB"  # the run never meant to create one, or Bedrock has none of that name
    ENDED = "ENDED"  # the job had already ended (Completed, Failed, Stopped)
    STOPPING = "STOPPING"  # already stopping: it ends Stopped without another call
    STOPPED = "STOPPED"  # this call asked Bedrock to stop it


def intended_job(record: RunRecord | None, deps: Dependencies) -> TrainingJob | None:
    """The job the run meant to create, found by its write-ahead name; None: no intent, or Bedrock has none of that
    name (the create never reached it, or has not yet). Raises ``ServiceError`` when Bedrock refuses the read."""
    intent = record.intent(ResourceKind.JOB) if record else None
    if intent is None:
        return None
    try:
        return deps.bedrock.get_job(intent.name)
    except NotFound:
        return None


def stop_intended_job(record: RunRecord | None, deps: Dependencies, by: StopActor) -> JobStop:
    """Stop the job the run created, whatever state it was left in (ARN recorded or not).

    Raises ``ServiceError`` when Bedrock refuses the read or the stop: the caller's step then fails
    (and is retried) rather than leaving a job training unobserved."""
    job = intended_job(record, deps)
    if record is None or job is None:
        return JobStop.NO_JOB
    intent = record.intent(ResourceKind.JOB)
    assert intent is not None
    if job.status is JobStatus.STOPPING:
        return JobStop.STOPPING
    if job.status not in _ACTIVE:
        return JobStop.ENDED
    # Written before the stop: the job's Stopped event must read as the pipeline's own stop, not a cancel.
    if record.stopped_by is None:
        deps.runs.set_status(record.run_id, None, RunChanges(stopped_by=by.value))
    deps.bedrock.stop_job(intent.name)
    return JobStop.STOPPED


@dataclass(frozen=True)
class Bought:
    """A throughput or deployment a run bought, found alive (or at least existing) under its ARN."""

    kind: ResourceKind  # THROUGHPUT or DEPLOYMENT
    arn: str


def find_bought(record: RunRecord | None, deps: Dependencies) -> Bought | None:
    """The throughput or deployment the run bought: by its recorded ARN, else by its intent's name.

    A purchase found by name only is written back on the run record (its ARN), so the next reader
    (the operator, the janitor) sees it without asking Bedrock again. None: nothing was bought."""
    bought = record.bought if record else None
    if record is None or bought is None:
        return None
    kind, identifier = bought
    if identifier.startswith("arn:"):
        return Bought(kind, identifier)
    try:
        found = (
            deps.bedrock.get_throughput(identifier).arn if kind is ResourceKind.THROUGHPUT else deps.bedrock.get_deployment(identifier).arn
        )
    except NotFound:  # the create never reached Bedrock, or someone deleted it already
        return None
    except ServiceError as err:  # unknown: the caller's delete by name is the safe answer
        logger.warning("could not read the purchase by name", kind=kind.value, error=error_code(err))
        return Bought(kind, identifier)
    field = "provisioned_model_arn" if kind is ResourceKind.THROUGHPUT else "deployment_arn"
    deps.runs.set_status(record.run_id, None, RunChanges.model_validate({field: found}))
    return Bought(kind, found)
