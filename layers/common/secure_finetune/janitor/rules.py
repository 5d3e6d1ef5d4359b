"""What the janitor does with one resource: prove whose it is, then keep, delete, stop or report it (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from ..config import STACK_TAG, SweepPolicy
from ..evaluation.requests import Side, job_name
from ..ports import BilledKind, BilledResource
from ..runs import ENDED, ResourceKind, RunRecord, RunStatus, is_run_name

# A run that has just ended is still being cleaned up by its own failure path (NotifyFailure, the TTL
# teardown): the janitor is the backstop, it does not race them.
GRACE = timedelta(hours=1)
ENDED_WITHOUT_PRODUCT = frozenset({RunStatus.FAILED, RunStatus.CANCELLED})
_INTENT_OF = {
    BilledKind.JOB: ResourceKind.JOB,
    BilledKind.THROUGHPUT: ResourceKind.THROUGHPUT,
    BilledKind.DEPLOYMENT: ResourceKind.DEPLOYMENT,
    BilledKind.CUSTOM_MODEL: ResourceKind.JOB,
    # Both evaluation jobs of a run: its evaluation intent, named for the run (the jobs: evaluation/requests.job_name)
    BilledKind.EVALUATION_JOB: ResourceKind.EVALUATION,
}
_ALIVE = frozenset({"Creating", "InService", "Updating", "Active"})  # throughput / deployment statuses that bill
# The one job status that trains and bills (botocore ModelCustomizationJobStatus; Stopping ends on its own):
# StopModelCustomizationJob "stops an active model customization job".
_TRAINING = "InProgress"


class Action(StrEnum):
    DELETE = "DELETE"  # ours, and nothing wants it any more
    STOP = "STOP"  # a job of ours still training for a run that has ended: stopped (a job is never deleted)
    KEEP = "KEEP"  # ours, and wanted (a live run, a time-to-live ahead, a model in use or within its retention)
    REPORT = "REPORT"  # ours and costing money, but not the janitor's to delete (the policy, a product past retention)
    NOT_OURS = "NOT_OURS"  # some proofs but not all: reported, never deleted
    IGNORE = "IGNORE"  # no proof at all: someone else's, not mentioned


class Why(StrEnum):
    RUN_LIVE = "RUN_LIVE"
    RUN_JUST_ENDED = "RUN_JUST_ENDED"  # within GRACE: its own cleanup may still be running
    TTL_AHEAD = "TTL_AHEAD"
    NO_TTL = "NO_TTL"  # the owners chose no time-to-live: kept until `finetune teardown`
    PAST_TTL = "PAST_TTL"
    RUN_ENDED = "RUN_ENDED"  # the run failed or was cancelled and nothing will tear this down
    TORN_DOWN_BUT_ALIVE = "TORN_DOWN_BUT_ALIVE"  # the record says deleted, Bedrock still lists it
    MODEL_IN_USE = "MODEL_IN_USE"  # a throughput or deployment still serves it
    WITHIN_RETENTION = "WITHIN_RETENTION"
    PAST_RETENTION = "PAST_RETENTION"
    AGE_UNKNOWN = "AGE_UNKNOWN"
    NOT_TRAINING = "NOT_TRAINING"  # a job that is stopping or has ended: nothing to stop
    NOT_ALL_PROOFS = "NOT_ALL_PROOFS"
    NO_PROOF = "NO_PROOF"


@dataclass(frozen=True)
class Proof:
    """The three proofs of ownership (see the package docstring)."""

    tag: bool
    name: bool
    record: bool

    @property
    def ours(self) -> bool:
        return self.tag and self.name and self.record

    @property
    def missing(self) -> str:
        return ",".join(name for name, held in (("tag", self.tag), ("name", self.name), ("record", self.record)) if not held)


def run_of(resource: BilledResource) -> str:
    """The run a resource is named for: its own name, or an evaluation job's ``<run id>-eval-<side>`` ("" if not)."""
    if resource.kind is not BilledKind.EVALUATION_JOB:
        return resource.name
    run = resource.name.rpartition("-eval-")[0]
    return run if resource.name in {job_name(run, side) for side in Side} else ""


def proof(resource: BilledResource, tags: dict[str, str] | None, record: RunRecord | None, stack: str) -> Proof:
    """Whether the stack's tag, our naming rule and a write-ahead intent of that very name all say it is ours."""
    intent = record.intent(_INTENT_OF[resource.kind]) if record is not None else None
    run = run_of(resource)
    return Proof(
        tag=tags is not None and tags.get(STACK_TAG) == stack,
        name=is_run_name(run),
        record=intent is not None and intent.name == run,
    )


@dataclass(frozen=True)
class Decision:
    resource: BilledResource
    proof: Proof
    action: Action
    why: Why
    age_days: float | None = None
    storage_per_month_usd: float | None = None  # a custom model's (pricing.py); None: not a model, or no public price

    def line(self) -> str:
        """How a message lists it: kind, ARN, reason code (never content)."""
        return f"{self.resource.kind.value} {self.resource.arn} ({self.why.value})"


def decide(
    resource: BilledResource,
    found: Proof,
    record: RunRecord | None,
    *,
    now: datetime,
    policy: SweepPolicy,
    retention_days: int,
    in_use: frozenset[str] = frozenset(),
) -> Decision:
    """Keep, delete, report or ignore ``resource``; ``in_use`` = the custom models a live purchase serves."""
    if not found.ours:
        partly = found.tag or found.name or found.record
        return Decision(resource, found, Action.NOT_OURS if partly else Action.IGNORE, Why.NOT_ALL_PROOFS if partly else Why.NO_PROOF)
    assert record is not None  # the record proof holds
    if resource.kind is BilledKind.CUSTOM_MODEL:
        action, why, age = _model(resource, record, now, retention_days, in_use)
    elif resource.kind in (BilledKind.JOB, BilledKind.EVALUATION_JOB):
        action, why, age = (*_job(resource, record, now), None)
    else:
        action, why, age = (*_purchase(resource, record, now), None)
    if action in (Action.DELETE, Action.STOP) and policy is SweepPolicy.REPORT_ONLY:
        action = Action.REPORT
    return Decision(resource, found, action, why, age)


def _purchase(resource: BilledResource, record: RunRecord, now: datetime) -> tuple[Action, Why]:
    if resource.status and resource.status not in _ALIVE:
        return Action.KEEP, Why.RUN_ENDED  # Failed: no longer billed, nothing to delete for money's sake
    if record.torn_down_at:
        return Action.DELETE, Why.TORN_DOWN_BUT_ALIVE
    delete_at = _moment(record.delete_at)
    if delete_at is not None and now > delete_at + GRACE:
        return Action.DELETE, Why.PAST_TTL
    if record.status not in ENDED:
        return Action.KEEP, Why.RUN_LIVE
    if delete_at is not None:
        return Action.KEEP, Why.TTL_AHEAD  # its teardown is scheduled (the owners may be inspecting it)
    if record.status is RunStatus.SUCCEEDED:
        return Action.KEEP, Why.NO_TTL
    updated = _moment(record.updated_at)
    if updated is not None and now - updated < GRACE:
        return Action.KEEP, Why.RUN_JUST_ENDED
    return Action.DELETE, Why.RUN_ENDED


def _job(resource: BilledResource, record: RunRecord, now: datetime) -> tuple[Action, Why]:
    """A job trains (and bills, and holds a slot of Bedrock's concurrent-job quota) until it ends or is stopped; an
    evaluation job bills its judge's and generator's tokens until it ends.

    Its run's own cleanup paths (NotifyFailure, cancel, the stack guard) stop it first; the janitor is the
    backstop for a job they missed. A SUCCEEDED run's jobs completed before the run could succeed, so one of
    its jobs still in progress is an anomaly: stopped like an ended run's."""
    if resource.status and resource.status != _TRAINING:
        return Action.KEEP, Why.NOT_TRAINING
    if record.status not in ENDED:
        return Action.KEEP, Why.RUN_LIVE
    # The owners were told how the run ended: its own cleanup, which stops the job before that message, is
    # over, so there is nothing to wait for. Otherwise it may still be running: the janitor does not race it.
    updated = _moment(record.updated_at)
    if record.notified_at is None and updated is not None and now - updated < GRACE:
        return Action.KEEP, Why.RUN_JUST_ENDED
    return Action.STOP, Why.RUN_ENDED


def _model(
    resource: BilledResource, record: RunRecord, now: datetime, retention_days: int, in_use: frozenset[str]
) -> tuple[Action, Why, float | None]:
    age = (now - resource.created).total_seconds() / 86400 if resource.created else None
    if resource.arn in in_use:
        return Action.KEEP, Why.MODEL_IN_USE, age
    if record.status not in ENDED:
        return Action.KEEP, Why.RUN_LIVE, age
    if age is None:
        return Action.KEEP, Why.AGE_UNKNOWN, age
    if age <= retention_days:
        return Action.KEEP, Why.WITHIN_RETENTION, age
    # A failed run's model was kept for inspection: its retention is over. A successful run's model is a
    # product the owners may use without a purchase of ours: reported with its cost, never deleted.
    return (Action.DELETE if record.status in ENDED_WITHOUT_PRODUCT else Action.REPORT), Why.PAST_RETENTION, age


def in_use_models(purchases: list[BilledResource], going: set[str]) -> frozenset[str]:
    """The custom models a billing throughput or deployment still serves (those deleted in this sweep aside)."""
    return frozenset(p.model_arn for p in purchases if p.model_arn and p.arn not in going and (not p.status or p.status in _ALIVE))


def _moment(value: object) -> datetime | None:
    """An ISO-8601 time or epoch seconds from the run record (``never`` and blanks: None)."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or not value or value == "never":
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
