"""Run identity, run record keys and the report layout (contracts shared by every step).

Run id
    One dataset object *version* is one run. ``run_id`` is derived from
    ``bucket``, ``key`` and ``versionId`` only, so every redelivery of the same S3 event
    yields the same id. It is at the same time:

    * the Step Functions execution name (<= 80 chars; Step Functions refuses a second
      execution of that name, which is how duplicate deliveries end quietly),
    * the Bedrock ``jobName`` (<= 63, ``[a-zA-Z0-9](-*[a-zA-Z0-9+\\-.])*``),
    * the ``customModelName`` / ``provisionedModelName`` (``([0-9a-zA-Z][_-]?){1,63}``),
    * the ``clientRequestToken`` of every Bedrock create call
      (``[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?``).

    Shape: ``<slug>-<hash>`` where ``slug`` is the file stem reduced to ``[a-z0-9]`` runs
    joined by single hyphens (<= 30 chars, for humans) and ``hash`` is the first 20 hex
    chars of sha256(bucket NUL key NUL versionId) (for uniqueness). Total <= 51 chars.

Run record (one DynamoDB table, ``pk``/``sk`` strings, TTL attribute ``expiresAt``)
    ==========================  ======================  =================================
    pk                          sk                      item
    ==========================  ======================  =================================
    ``RUN#<run_id>``            ``RUN``                 the run: object, profile, status,
                                                        reason, job/throughput ARNs
    ``RUN#<run_id>``            ``START``               the trigger delivery that started
                                                        the run (conditional put), TTL'd
    ``RUN#<run_id>``            ``TOKEN#<step>``        a task token waiting for ``step``
                                                        (e.g. ``TOKEN#training``), TTL'd
    ``LOCK#job-slots``          ``SLOT#<n>``            job slot ``n`` (< MaxConcurrentJobs)
                                                        held by ``runId``
    ``LOCK#job-slots``          ``WAIT#<run_id>``       a run queued for a slot: its task
                                                        token and ``enqueuedAt`` (FIFO)
    ``idempotency#<function>``  ``<hash>``              Powertools idempotency records
    ==========================  ======================  =================================

    The completion handler finds the token from the event's ``detail.jobName`` alone,
    because the job name *is* the run id.

Write-ahead intents (``Intent``; attributes ``intentJob``, ``intentThroughput``,
``intentDeployment``, ``intentEvaluation`` of the run item, one JSON document each)
    Before a step creates anything that costs money it writes on the run record what it is about
    to create: its kind, its deterministic name, its client token and when. The name of every
    resource a run creates is the run id itself (``resource_name``), so a resource named ``N``
    can only be run ``N``'s, and ``get_run(N).intent(kind)`` is the proof that the pipeline meant
    to create it. Every cleanup path (NotifyFailure, cancel/abort, the time-to-live teardown, the
    stack deletion guard, the janitor) reads ``RunRecord.intents`` and looks the resources up by
    name, so a crash between the create call and recording its ARN leaves nothing unfindable.
    An intent is never removed: it is the audit trail of what the run asked for, and a cleanup
    that finds nothing under its name is a no-op.

Report layout
    ``reports/<run_id>/<step>.json`` — one JSON document per step (``register``,
    ``validation``, ``guardrails``, ``training``, ``metrics``, ``deployment``, ``smoke``) and
    the self-contained ``index.html`` people open (``report_html.py``). Accepted data is copied to ``validated/<sha256>/<name>``,
    rejected data to ``quarantine/<run_id>/<name>``; job output goes to
    ``output/<run_id>/``. Nothing under ``incoming/`` is ever deleted or overwritten.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import PurePosixPath

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

INCOMING_PREFIX = "incoming/"
VALIDATED_PREFIX = "validated/"
QUARANTINE_PREFIX = "quarantine/"
REPORTS_PREFIX = "reports/"
OUTPUT_PREFIX = "output/"
DATASET_SUFFIX = ".jsonl"
VALIDATION_SUFFIX = ".validation.jsonl"

_SLUG_MAX = 30
_HASH_CHARS = 20


class Step(StrEnum):
    """Steps that write a report and that may own a task token."""

    REGISTER = "register"
    VALIDATION = "validation"
    GUARDRAILS = "guardrails"
    TRAINING = "training"
    METRICS = "metrics"
    DEPLOYMENT = "deployment"
    SMOKE = "smoke"
    APPROVAL = "approval"
    EVALUATION = "evaluation"  # base vs custom on held-out prompts (evaluation/)


class RunStatus(StrEnum):
    """Where a run is; the run record's ``status`` (every value is set by some step)."""

    REGISTERED = "REGISTERED"  # RegisterRun: settings resolved
    VALIDATED = "VALIDATED"  # ValidateDataset: the dataset was accepted
    QUEUED = "QUEUED"  # WaitForJobSlot: guardrails passed, waiting for a job slot
    TRAINING = "TRAINING"  # StartTrainingJob: the job was created
    TRAINED = "TRAINED"  # ReadTrainingMetrics: the job completed and passed the gate
    DEPLOYING = "DEPLOYING"  # DeployModel: the throughput or deployment was bought
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"  # its job was stopped by an owner or outside the pipeline (not a failure)


# A run in one of these states has no step left to run: its waits can no longer be answered.
ENDED = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})


class StopActor(StrEnum):
    """Who stopped a run's training job (the run record's ``stoppedBy``, the RUN_CANCELLED milestone's ``by``)."""

    PIPELINE = "pipeline"  # the pipeline itself (training timeout, drift): a failure with its own reason
    OWNER = "owner"  # an owner: ``finetune cancel`` (or StopExecution) -> CANCELLED
    OUTSIDE = "outside"  # someone outside the pipeline stopped the job (console, CLI) -> CANCELLED


def iso_utc(moment: datetime | float) -> str:
    """The one timestamp format of messages, records and pages (a datetime or epoch seconds)."""
    when = moment if isinstance(moment, datetime) else datetime.fromtimestamp(moment, UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_id(bucket: str, key: str, version_id: str) -> str:
    digest = hashlib.sha256("\0".join((bucket, key, version_id)).encode()).hexdigest()
    return f"{_slug(PurePosixPath(key).name)}-{digest[:_HASH_CHARS]}"


def _slug(file_name: str) -> str:
    stem = file_name.removesuffix(DATASET_SUFFIX)
    words = re.findall(r"[a-z0-9]+", stem.lower())
    slug = "-".join(words)[:_SLUG_MAX].strip("-")
    return slug or "dataset"


def run_pk(run: str) -> str:
    return f"RUN#{run}"


def token_sk(step: Step) -> str:
    return f"TOKEN#{step.value}"


RUN_SK = "RUN"
START_SK = "START"  # written once by the trigger delivery that started the run (duplicates lose it)


JOB_SLOTS_PK = "LOCK#job-slots"


def slot_sk(number: int) -> str:
    return f"SLOT#{number}"


def waiter_sk(run: str) -> str:
    return f"WAIT#{run}"


def report_key(run: str, step: Step) -> str:
    return f"{REPORTS_PREFIX}{run}/{step.value}.json"


def validated_key(sha256_hex: str, key: str) -> str:
    # Bedrock's S3 URI pattern allows only [-!_*'().a-zA-Z0-9] per segment.
    return f"{VALIDATED_PREFIX}{sha256_hex}/{_safe_name(key)}"


def quarantine_key(run: str, key: str) -> str:
    return f"{QUARANTINE_PREFIX}{run}/{_safe_name(key)}"


def output_prefix(run: str) -> str:
    return f"{OUTPUT_PREFIX}{run}/"


def _safe_name(key: str) -> str:
    name = re.sub(r"[^-!_*'().a-zA-Z0-9]+", "_", PurePosixPath(key).name)
    return name if name.endswith(DATASET_SUFFIX) else f"{name}{DATASET_SUFFIX}"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def dataset_key_problem(key: str) -> str | None:
    """Why ``key`` is not a dataset under incoming/ (None = it is one); validation files are."""
    if not key.startswith(INCOMING_PREFIX) or not key.endswith(DATASET_SUFFIX) or key.endswith("/"):
        return "not incoming/*.jsonl"
    if _CONTROL.search(key) or len(key.encode()) > 1024:
        return "key has control characters or is too long"
    return None


def is_validation_file(key: str) -> bool:
    """``x.validation.jsonl`` belongs to the run of ``x.jsonl``; it never starts one."""
    return key.endswith(VALIDATION_SUFFIX)


def validation_key_for(key: str) -> str:
    return key.removesuffix(DATASET_SUFFIX) + VALIDATION_SUFFIX


def profile_of(key: str) -> str | None:
    """``incoming/<profile>/<file>.jsonl`` -> ``<profile>``; directly under incoming/ -> None."""
    parts = key.removeprefix(INCOMING_PREFIX).split("/")
    return parts[0] if len(parts) > 1 else None


_RUN_NAME = re.compile(rf"^[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{{{_HASH_CHARS}}}(-a[0-9]{{1,2}})?$")


def is_run_name(name: str) -> bool:
    """Whether ``name`` follows our naming rule (``run_id``'s shape, or a retry's ``<run>-a<n>``).

    A name match alone proves nothing (anyone may pick such a name): the janitor also wants the
    stack's tag and a write-ahead ``Intent`` on the run record of that name."""
    return len(name) <= 63 and _RUN_NAME.match(name) is not None


def resource_name(run: str) -> str:
    """The name of every resource run ``run`` creates: its job, custom model, throughput, deployment."""
    return run


class ResourceKind(StrEnum):
    """What a run may create that costs money (each kind at most once per run)."""

    JOB = "job"  # CreateModelCustomizationJob (jobName; the custom model it makes has the same name)
    THROUGHPUT = "throughput"  # CreateProvisionedModelThroughput (provisionedModelName)
    DEPLOYMENT = "deployment"  # CreateCustomModelDeployment (modelDeploymentName)
    # CreateEvaluationJob, twice: its name is the run's, the jobs' ``<name>-eval-base`` / ``-custom`` (evaluation/requests)
    EVALUATION = "evaluation"


class Intent(BaseModel):
    """Write-ahead: a resource the run is about to create, recorded *before* the create call.

    ``name`` is the resource's deterministic name (= the run id, see ``resource_name``) and
    ``client_token`` the ``clientRequestToken`` the create call sends (so a retried call cannot make
    a second one); ``at`` is when the intent was written (ISO-8601 UTC); ``model_arn`` is the custom
    model a throughput or deployment serves. Bedrock accepts the name wherever it accepts the ARN for
    these resources (GetModelCustomizationJob/StopModelCustomizationJob ``jobIdentifier``,
    Get/DeleteProvisionedModelThroughput ``provisionedModelId``, Get/DeleteCustomModelDeployment
    ``customModelDeploymentIdentifier``: "ARN or name", botocore's bedrock service model), which is how a
    cleanup finds a resource whose ARN was never recorded."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore", defer_build=True)

    kind: ResourceKind
    name: str
    client_token: str
    at: str
    model_arn: str | None = None

    @classmethod
    def of(cls, kind: ResourceKind, run: str, now: datetime | None = None, model_arn: str | None = None) -> Intent:
        """The intent to create ``kind`` for run ``run``, now."""
        name = resource_name(run)
        return cls(kind=kind, name=name, client_token=name, at=iso_utc(now or datetime.now(UTC)), model_arn=model_arn)

    def changes(self) -> RunChanges:
        """This intent as the run-record change that writes it."""
        return RunChanges.model_validate({_INTENT_FIELDS[self.kind]: self})


_INTENT_FIELDS = {
    ResourceKind.JOB: "intent_job",
    ResourceKind.THROUGHPUT: "intent_throughput",
    ResourceKind.DEPLOYMENT: "intent_deployment",
    ResourceKind.EVALUATION: "intent_evaluation",
}
# The run item's attribute holding each kind's intent (what a table scan filters on).
INTENT_ATTRIBUTES = {kind: to_camel(field) for kind, field in _INTENT_FIELDS.items()}


class RunChanges(BaseModel):
    """Fields a step writes on the run record (camelCase attributes, stored as strings)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid", defer_build=True)

    bucket: str | None = None
    object_key: str | None = None
    version_id: str | None = None
    profile: str | None = None
    profiles_version: str | None = None
    reason: str | None = None
    job_arn: str | None = None
    output_model_arn: str | None = None
    provisioned_model_arn: str | None = None
    deployment_arn: str | None = None
    delete_at: str | None = None  # ISO-8601 UTC, or "never" (no time-to-live)
    torn_down_at: str | None = None
    teardown_retries: int | None = None
    teardown_retry_at: str | None = None
    stopped_by: str | None = None  # who stopped the run's job: StopActor (why the run ended as it did)
    notified_at: str | None = None  # when the owner was told how the run ended (a retried notify does not tell twice)
    intent_job: Intent | None = None
    intent_throughput: Intent | None = None
    intent_deployment: Intent | None = None
    intent_evaluation: Intent | None = None

    def attributes(self) -> dict[str, str]:
        """The set fields as the table's attribute names and string values (an intent as compact JSON)."""
        dumped = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return {
            name: json.dumps(value, sort_keys=True, separators=(",", ":")) if isinstance(value, dict) else str(value)
            for name, value in dumped.items()
        }


class RunRecord(RunChanges):
    """The run record as read back: what every cleanup path and the operator tools rely on."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore", defer_build=True)

    run_id: str
    status: RunStatus = RunStatus.REGISTERED
    created_at: int | None = None
    updated_at: int | None = None

    @field_validator("teardown_retries", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("intent_job", "intent_throughput", "intent_deployment", "intent_evaluation", mode="before")
    @classmethod
    def _intent_from_json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    def intent(self, kind: ResourceKind) -> Intent | None:
        """The run's write-ahead intent to create ``kind`` (None: it never meant to)."""
        found: Intent | None = getattr(self, _INTENT_FIELDS[kind])
        return found

    @property
    def intents(self) -> tuple[Intent, ...]:
        """Everything the run meant to create, job first: what every cleanup path looks up by name."""
        return tuple(found for kind in ResourceKind if (found := self.intent(kind)) is not None)

    @property
    def bought(self) -> tuple[ResourceKind, str] | None:
        """The throughput or deployment the run bought or meant to buy, as (kind, ARN or else its name)."""
        if self.provisioned_model_arn:
            return ResourceKind.THROUGHPUT, self.provisioned_model_arn
        if self.deployment_arn:
            return ResourceKind.DEPLOYMENT, self.deployment_arn
        for kind in (ResourceKind.THROUGHPUT, ResourceKind.DEPLOYMENT):
            if (found := self.intent(kind)) is not None:
                return kind, found.name
        return None

    @property
    def bought_arn(self) -> str | None:
        """The recorded ARN of the throughput or deployment the run bought (None: none recorded; see ``bought``)."""
        return self.provisioned_model_arn or self.deployment_arn or None

    @property
    def dataset_uri(self) -> str:
        return f"s3://{self.bucket}/{self.object_key}?versionId={self.version_id}"

    @classmethod
    def from_attributes(cls, attributes: dict[str, str]) -> RunRecord:
        """A table item (flattened to strings) as a record; the run id comes from its key."""
        return cls.model_validate({**attributes, "runId": attributes.get("pk", "").removeprefix(run_pk(""))})
