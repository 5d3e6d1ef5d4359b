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

Report layout
    ``reports/<run_id>/<step>.json`` — one JSON document per step (``register``,
    ``validation``, ``guardrails``, ``training``, ``metrics``, ``deployment``, ``smoke``) and
    the self-contained ``index.html`` people open (``report_html.py``). Accepted data is copied to ``validated/<sha256>/<name>``,
    rejected data to ``quarantine/<run_id>/<name>``; job output goes to
    ``output/<run_id>/``. Nothing under ``incoming/`` is ever deleted or overwritten.
"""

from __future__ import annotations

import hashlib
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


class RunStatus(StrEnum):
    """Where a run is; the run record's ``status``."""

    REGISTERED = "REGISTERED"
    VALIDATED = "VALIDATED"
    TRAINING = "TRAINING"
    TRAINED = "TRAINED"
    DEPLOYING = "DEPLOYING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


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

    def attributes(self) -> dict[str, str]:
        """The set fields as the table's attribute names and string values."""
        return {name: str(value) for name, value in self.model_dump(by_alias=True, exclude_none=True).items()}


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

    @property
    def bought_arn(self) -> str | None:
        """The throughput or deployment the run bought (None: nothing)."""
        return self.provisioned_model_arn or self.deployment_arn or None

    @property
    def dataset_uri(self) -> str:
        return f"s3://{self.bucket}/{self.object_key}?versionId={self.version_id}"

    @classmethod
    def from_attributes(cls, attributes: dict[str, str]) -> RunRecord:
        """A table item (flattened to strings) as a record; the run id comes from its key."""
        return cls.model_validate({**attributes, "runId": attributes.get("pk", "").removeprefix(run_pk(""))})
