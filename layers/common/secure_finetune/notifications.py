"""Notification events: the one list of milestones owners hear about, with their fields.

Contract: a notification carries ids, counts, reason codes, ARNs, costs and links only;
never dataset content. Every milestone is a model below (``milestone`` is the
discriminator); a notifier (SNS e-mail, later Slack) renders it, and the SNS message
carries the attributes ``milestone`` and ``profile`` so owners can subscribe with a filter
policy to the profiles and milestones they care about.

=====================  =========================================================
milestone              fields (besides run_id, profile, dataset)
=====================  =========================================================
DATASET_REJECTED       reason, error_count, first_errors (line + code), report
GUARDRAIL_FAILED       reason, failed (check id + fix), report
JOB_STARTED            job_arn, base_model, customization_type, estimated_training_cost_usd
JOB_FINISHED           job_arn, output_model_arn, final_training_loss, next_step (what will
                       be bought and its cost, before it is bought)
JOB_FAILED             reason, job_arn
APPROVAL_NEEDED        model_units, ttl_hours, hourly and TTL cost, approve_link, expires_at
THROUGHPUT_READY       model_arn (the throughput or the deployment), model_units, delete_at,
                       hourly cost, smoke test, private_endpoint (the bedrock-runtime endpoint's
                       DNS name), example_call (through that endpoint), report
TTL_WARNING            model_arn, delete_at
TORN_DOWN              model_arn, why
TEARDOWN_FAILED        model_arn, why, error (its code), retry_at (none when no
                       retry is left), delete_by_hand (the command that deletes it now)
RUN_FAILED             reason, step (any other stop: settings, deployment, ...), and for a
                       failed throughput or deployment Bedrock's failure_message
RUN_CANCELLED          reason (JOB_CANCELLED:<who>), stopped_by (owner: ``finetune cancel`` or
                       StopExecution; outside: the job was stopped outside the pipeline), job_arn
SWEPT                  the janitor's pass (run_id ``sweep-<date>``, profile ``*``): why (the
                       policy), deleted, not_ours (reported, never deleted), retained (ours,
                       left by policy, e.g. models past the retention) and their storage per month
=====================  =========================================================
"""

from __future__ import annotations

import math
import re
import typing
from enum import StrEnum
from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .pricing import usd


class Milestone(StrEnum):
    DATASET_REJECTED = "DATASET_REJECTED"
    GUARDRAIL_FAILED = "GUARDRAIL_FAILED"
    JOB_STARTED = "JOB_STARTED"
    JOB_FINISHED = "JOB_FINISHED"
    JOB_FAILED = "JOB_FAILED"
    APPROVAL_NEEDED = "APPROVAL_NEEDED"
    THROUGHPUT_READY = "THROUGHPUT_READY"
    TTL_WARNING = "TTL_WARNING"
    TORN_DOWN = "TORN_DOWN"
    TEARDOWN_FAILED = "TEARDOWN_FAILED"
    RUN_FAILED = "RUN_FAILED"
    RUN_CANCELLED = "RUN_CANCELLED"
    SWEPT = "SWEPT"


class MilestoneEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    milestone: Milestone
    run_id: str
    profile: str
    dataset: str  # s3://bucket/key?versionId=... (an id, not content)

    def facts(self) -> dict[str, object]:
        return self.model_dump(exclude={"milestone", "run_id", "profile", "dataset"})


class LineError(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    line: int | Literal["file"]  # "file": a problem of the file or the run as a whole (it has no line)
    code: str


class FailedCheck(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    id: str
    fix: str


class DatasetRejected(MilestoneEvent):
    milestone: Literal[Milestone.DATASET_REJECTED] = Milestone.DATASET_REJECTED
    reason: str
    error_count: int
    first_errors: tuple[LineError, ...]
    report: str


class GuardrailsBlocked(MilestoneEvent):
    """A blocking guardrail check failed or could not be evaluated, so no job started (the step raised
    the exception ``reasons.GuardrailFailed``, whose name the state machine catches)."""

    milestone: Literal[Milestone.GUARDRAIL_FAILED] = Milestone.GUARDRAIL_FAILED
    reason: str
    failed: tuple[FailedCheck, ...]
    report: str


class JobStarted(MilestoneEvent):
    milestone: Literal[Milestone.JOB_STARTED] = Milestone.JOB_STARTED
    job_arn: str
    base_model: str
    customization_type: str
    estimated_training_cost_usd: float | None = None  # None: no public price for this model
    estimated_storage_per_month_usd: float | None = None  # the custom model's storage, billed while it exists
    price_source: str = ""  # where each figure above was read (pricing.py)


class JobFinished(MilestoneEvent):
    milestone: Literal[Milestone.JOB_FINISHED] = Milestone.JOB_FINISHED
    job_arn: str
    output_model_arn: str
    final_training_loss: float | None
    next_step: str = ""  # what will be bought and what it costs, before it is bought


class JobFailed(MilestoneEvent):
    milestone: Literal[Milestone.JOB_FAILED] = Milestone.JOB_FAILED
    reason: str
    job_arn: str | None


class ApprovalNeeded(MilestoneEvent):
    milestone: Literal[Milestone.APPROVAL_NEEDED] = Milestone.APPROVAL_NEEDED
    model_units: int = 1
    ttl_hours: float = 0
    estimated_hourly_cost_usd: float | None
    estimated_cost_over_ttl_usd: float | None = None
    price_source: str = ""  # where the hourly figure was read (pricing.py, or the stack's parameter)
    approve_link: str  # shows what is approved; the decision is a separate POST
    expires_at: str = ""


class ModelReady(MilestoneEvent):
    """The provisioned throughput or the on-demand deployment answers: the model is ready to call."""

    milestone: Literal[Milestone.THROUGHPUT_READY] = Milestone.THROUGHPUT_READY
    model_arn: str  # the provisioned model ARN or the custom model deployment ARN
    model_units: int
    ttl_hours: float
    delete_at: str | None = None  # None: kept until `finetune teardown`
    estimated_hourly_cost_usd: float | None = None
    price_source: str = ""  # where the hourly figure was read
    smoke_test: str = ""  # e.g. "passed 1/1, slowest 412 ms"
    # The bedrock-runtime interface endpoint's DNS name (PrivateInference on): the example call goes through it.
    private_endpoint: str = ""
    example_call: str = ""
    report: str = ""
    evaluation: str = ""  # base vs custom per metric: ids and scores (evaluation/gate.py scores_line)


class TtlWarning(MilestoneEvent):
    milestone: Literal[Milestone.TTL_WARNING] = Milestone.TTL_WARNING
    model_arn: str
    delete_at: str


class TornDown(MilestoneEvent):
    milestone: Literal[Milestone.TORN_DOWN] = Milestone.TORN_DOWN
    model_arn: str
    why: str = "time-to-live reached"


class TeardownFailed(MilestoneEvent):
    milestone: Literal[Milestone.TEARDOWN_FAILED] = Milestone.TEARDOWN_FAILED
    model_arn: str  # still billing
    why: str
    error: str  # the service's error code, e.g. ThrottlingException
    retry_at: str | None  # None: no automatic retry left
    delete_by_hand: str  # the aws CLI command that deletes it now


class RunFailed(MilestoneEvent):
    milestone: Literal[Milestone.RUN_FAILED] = Milestone.RUN_FAILED
    reason: str
    step: str
    failure_message: str | None = None  # Bedrock's, for a failed throughput or deployment only
    evaluation: str = ""  # EVALUATION_GATE_FAILED: both models' scores per metric (ids and numbers)


class RunCancelled(MilestoneEvent):
    """Not a failure: an owner cancelled the run, or someone stopped its job outside the pipeline."""

    milestone: Literal[Milestone.RUN_CANCELLED] = Milestone.RUN_CANCELLED
    reason: str
    stopped_by: str  # runs.StopActor: owner | outside
    job_arn: str | None = None


class Swept(MilestoneEvent):
    """The janitor's pass over the account (janitor/): what it deleted and what it only reports. ARNs and names only."""

    milestone: Literal[Milestone.SWEPT] = Milestone.SWEPT
    why: str  # the policy and whether deletes were allowed (a dry run says so)
    deleted: tuple[str, ...] = ()  # what it acted on: "<kind> <ARN> (<reason code>)", a job it stopped "... stopped"
    not_ours: tuple[str, ...] = ()  # matched our name or our tag, not every proof: reported, left alone
    retained: tuple[str, ...] = ()  # ours, still billing, left by policy (e.g. a product past the model retention)
    estimated_storage_per_month_usd: float | None = None  # of the retained custom models (None: none, or no public price)


Notification = Annotated[
    DatasetRejected
    | GuardrailsBlocked
    | JobStarted
    | JobFinished
    | JobFailed
    | ApprovalNeeded
    | ModelReady
    | TtlWarning
    | TornDown
    | TeardownFailed
    | RunFailed
    | RunCancelled
    | Swept,
    Field(discriminator="milestone"),
]


@cache
def notification_adapter() -> TypeAdapter[Notification]:
    """Validates any milestone by its ``milestone`` tag (built on first use, not at cold start)."""
    return TypeAdapter(Notification)


_TITLES = {
    Milestone.DATASET_REJECTED: "dataset rejected",
    Milestone.GUARDRAIL_FAILED: "guardrail check failed, no job started",
    Milestone.JOB_STARTED: "training job started",
    Milestone.JOB_FINISHED: "training job finished",
    Milestone.JOB_FAILED: "training job failed",
    Milestone.APPROVAL_NEEDED: "approval needed before buying throughput",
    Milestone.THROUGHPUT_READY: "model ready to call",
    Milestone.TTL_WARNING: "throughput will be deleted soon",
    Milestone.TORN_DOWN: "throughput deleted",
    Milestone.TEARDOWN_FAILED: "delete refused, still billing",
    Milestone.RUN_FAILED: "run failed",
    Milestone.RUN_CANCELLED: "run cancelled",
    Milestone.SWEPT: "janitor's sweep",
}


# GR-OPS-02: the kinds of field a notification may carry (ids, counts, reason codes, ARNs, costs,
# links). A new field whose name is not one of these is a possible channel for content.
CONTENT_FREE_FIELD = re.compile(
    r"^(milestone|run_id|profile|dataset|reason|step|error_count|first_errors|failed|report|job_arn|base_model|"
    r"customization_type|output_model_arn|model_arn|model_units|ttl_hours|delete_at|expires_at|approve_link|"
    r"example_call|private_endpoint|smoke_test|why|error|retry_at|delete_by_hand|final_training_loss|next_step|failure_message|stopped_by|price_source|evaluation|deleted|not_ours|retained|"
    r"estimated_[a-z_]+_usd)$"
)


def milestone_fields() -> dict[str, tuple[str, ...]]:
    """Every milestone's field names, read from the models themselves (evidence for GR-OPS-02)."""
    models = typing.get_args(typing.get_args(Notification)[0])
    return {model.model_fields["milestone"].default.value: tuple(model.model_fields) for model in models}


def title(milestone: Milestone, model_arn: str = "") -> str:
    """The few words every channel shows first for ``milestone``; a TTL warning or teardown of an on-demand
    deployment (a ``custom-model-deployment/`` ARN) names the deployment, not throughput."""
    words = _TITLES[milestone]
    if ":custom-model-deployment/" in model_arn and milestone in (Milestone.TTL_WARNING, Milestone.TORN_DOWN):
        words = words.replace("throughput", "on-demand deployment")
    return words


class RenderedMessage(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)
    subject: str
    body: str
    attributes: dict[str, str]


def render(event: MilestoneEvent) -> RenderedMessage:
    """E-mail friendly subject (<100 chars, SNS's limit) and a plain-text body."""
    milestone: Milestone = event.milestone
    subject = _subject(event.profile, title(milestone, str(getattr(event, "model_arn", "") or "")), event.run_id)
    # The labels Slack and the report use ("Estimated hourly cost (USD)"), never the field names.
    lines = [f"Run: {event.run_id}", f"Profile: {event.profile}", f"Dataset: {event.dataset}"]
    for name, value in event.facts().items():
        if isinstance(value, (list, tuple)):
            lines.append(f"{label(name)}:")
            lines.extend(f"  - {flat(item)}" for item in value)
        else:
            lines.append(f"{label(name)}: {shown(name, value) or 'none'}")
    return RenderedMessage(
        subject=subject,
        body="\n".join(lines) + "\n",
        attributes={"milestone": milestone.value, "profile": event.profile},
    )


def _subject(profile: str, what: str, run_id: str, limit: int = 99) -> str:
    """``[finetune] profile: what (run)`` within SNS's limit: the words give way, then the profile
    name, never the run id (what an owner searches their mail for)."""
    head, tail = f"[finetune] {profile}: {what}", f" ({run_id})"
    if len(head) + len(tail) > limit:
        head = head[: max(limit - len(tail) - 1, 0)] + "…"
    return (head + tail)[-limit:]


_ACRONYMS = {"arn": "ARN", "ttl": "TTL", "id": "ID", "kms": "KMS", "sha256": "SHA256", "uri": "URI", "url": "URL", "usd": "(USD)"}


def label(name: str) -> str:
    """A field name (snake_case or camelCase) as people read it, the same in Slack and the report:
    ``estimated_hourly_cost_usd`` and ``estimatedHourlyCostUsd`` -> "Estimated hourly cost (USD)"."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).replace("_", " ").split()
    text = " ".join(_ACRONYMS.get(word.lower(), word.lower()) for word in words)
    return text[:1].upper() + text[1:]


def shown(name: str, value: object) -> str | None:
    """A fact's value as every channel shows it (e-mail, Slack, the report): dollars for a cost
    (unknown, never $0), yes/no, numbers with separators; None stays None for each to mark."""
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if name.endswith(("_usd", "Usd")) and (value is None or number is not None):
        return usd(number)
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if number is not None and math.isfinite(number):
        return number_text(number)
    return str(value)


def number_text(number: float) -> str:
    """Whole numbers with separators (12,470), others to 4 significant digits (0.9123)."""
    return f"{int(number):,}" if float(number).is_integer() and abs(number) < 1e15 else f"{number:.4g}"


def flat(item: object) -> str:
    """One list item of a milestone (e.g. a line error) as ``k=v, ...``: the same in every channel."""
    if isinstance(item, dict):
        return ", ".join(f"{k}={v}" for k, v in item.items())
    return str(item)
