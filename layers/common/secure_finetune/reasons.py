"""Reason codes: the one list of why a run stopped or a finding was raised.

Contract (fixed for every step): a reason is written ``CODE`` or ``CODE:detail``,
e.g. ``DATASET_INVALID`` or ``GUARDRAIL_FAILED:GR-S3-04,GR-OBJ-01``. The code part is
always a member of :class:`ReasonCode`; the detail is short, ASCII, and never carries
dataset content (ids, line numbers, guardrail ids only). The same string is the
``Error`` of the state machine's Fail state, the ``reason`` of the run record and
the ``reason`` field of every failure notification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    # Trigger and run registration
    OBJECT_NOT_FOUND = "OBJECT_NOT_FOUND"  # the event's version cannot be read back
    OBJECT_CHANGED = "OBJECT_CHANGED"  # version/ETag/size differ from the event (TOCTOU)
    UNKNOWN_PROFILE = "UNKNOWN_PROFILE"  # incoming/<profile>/ names no profile
    OVERRIDE_NOT_ALLOWED = "OVERRIDE_NOT_ALLOWED"  # a finetune-* tag outside the allow-list
    OVERRIDE_INVALID = "OVERRIDE_INVALID"  # an allow-listed tag with a bad value
    # Dataset content (validator)
    DATASET_EMPTY = "DATASET_EMPTY"
    DATASET_TOO_LARGE = "DATASET_TOO_LARGE"
    DATASET_NOT_UTF8 = "DATASET_NOT_UTF8"
    DATASET_BOM = "DATASET_BOM"
    DATASET_COMPRESSED_OR_BINARY = "DATASET_COMPRESSED_OR_BINARY"
    DATASET_NUL_BYTE = "DATASET_NUL_BYTE"
    LINE_TOO_LONG = "LINE_TOO_LONG"
    LINE_BLANK = "LINE_BLANK"
    LINE_INVALID_JSON = "LINE_INVALID_JSON"
    LINE_NOT_OBJECT = "LINE_NOT_OBJECT"
    DUPLICATE_KEY = "DUPLICATE_KEY"
    NESTING_TOO_DEEP = "NESTING_TOO_DEEP"
    NON_FINITE_NUMBER = "NON_FINITE_NUMBER"
    LONE_SURROGATE = "LONE_SURROGATE"
    SCHEMA_MISMATCH = "SCHEMA_MISMATCH"
    TOO_MANY_RECORDS = "TOO_MANY_RECORDS"
    TOO_FEW_RECORDS = "TOO_FEW_RECORDS"
    SENSITIVE_DATA = "SENSITIVE_DATA"
    # Media objects a dataset references (read from S3 after the stream: secure_finetune.dataset.media)
    MEDIA_NOT_FOUND = "MEDIA_NOT_FOUND"  # no such object in the data bucket
    MEDIA_TOO_LARGE = "MEDIA_TOO_LARGE"  # bytes above the model's per-image / per-video limit
    MEDIA_DIMENSIONS_OUT_OF_RANGE = "MEDIA_DIMENSIONS_OUT_OF_RANGE"  # side, pixel count or aspect ratio
    MEDIA_TOO_LONG = "MEDIA_TOO_LONG"  # a video longer than the model allows
    MEDIA_UNREADABLE = "MEDIA_UNREADABLE"  # empty, or pixel dimensions / video duration not readable from its header
    DATASET_INVALID = "DATASET_INVALID"  # run-level summary: detail = the most frequent line code
    # Guardrails
    GUARDRAIL_FAILED = "GUARDRAIL_FAILED"  # detail = comma-separated GR ids
    # Training lifecycle
    JOB_REJECTED = "JOB_REJECTED"  # CreateModelCustomizationJob refused the request
    JOB_DRIFT = "JOB_DRIFT"  # Bedrock recorded another VPC/key/role than we sent (job stopped)
    JOB_FAILED = "JOB_FAILED"
    JOB_STOPPED = "JOB_STOPPED"  # stopped by the pipeline itself (detail says why); see JOB_CANCELLED
    JOB_CANCELLED = "JOB_CANCELLED"  # not a failure: stopped by an owner or outside the pipeline (detail = who)
    JOB_TIMED_OUT = "JOB_TIMED_OUT"  # no completion within the wait's TimeoutSeconds
    JOB_SLOT_TIMED_OUT = "JOB_SLOT_TIMED_OUT"  # queued for a job slot longer than JobSlotTimeoutSeconds
    JOB_QUOTA_EXCEEDED = "JOB_QUOTA_EXCEEDED"  # Bedrock still refused for quota after our retries
    METRICS_UNAVAILABLE = "METRICS_UNAVAILABLE"
    METRICS_GATE_FAILED = "METRICS_GATE_FAILED"
    # Deployment
    APPROVAL_REJECTED = "APPROVAL_REJECTED"  # an approver said no
    APPROVAL_EXPIRED = "APPROVAL_EXPIRED"  # no answer before the deadline = rejected
    THROUGHPUT_CAPACITY_SHORT = "THROUGHPUT_CAPACITY_SHORT"  # the account's no-commitment model units are in use
    NO_DEPLOYMENT_OPTION = "NO_DEPLOYMENT_OPTION"  # the base model offers neither throughput nor on-demand
    DEPLOYMENT_FAILED = "DEPLOYMENT_FAILED"  # the on-demand deployment ended Failed
    SMOKE_TEST_FAILED = "SMOKE_TEST_FAILED"  # a prompt got no answer (or an empty one) in time
    THROUGHPUT_CAP_EXCEEDED = "THROUGHPUT_CAP_EXCEEDED"
    THROUGHPUT_FAILED = "THROUGHPUT_FAILED"
    THROUGHPUT_TIMED_OUT = "THROUGHPUT_TIMED_OUT"
    # Evaluation (base vs custom on held-out prompts, after the smoke test)
    EVALUATION_GATE_FAILED = "EVALUATION_GATE_FAILED"  # detail = comma-separated metric ids (e.g. Correctness)
    EVALUATION_FAILED = "EVALUATION_FAILED"  # an evaluation job failed or was stopped; detail = base | custom
    EVALUATION_TIMED_OUT = "EVALUATION_TIMED_OUT"  # the jobs did not end within the polls (they were stopped)
    TTL_NOT_SCHEDULED = "TTL_NOT_SCHEDULED"  # the time-to-live teardown could not be scheduled: the purchase is rolled back
    # Anything we did not anticipate: the run still ends in Fail and the owner is told.
    INTERNAL_ERROR = "INTERNAL_ERROR"


_DETAIL = re.compile(r"^[A-Za-z0-9_.,:/@+=-]{1,200}$")


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    detail: str | None = None

    def __post_init__(self) -> None:
        if self.detail is not None and not _DETAIL.match(self.detail):
            raise ValueError("reason detail must be short ASCII ids, never content")

    def __str__(self) -> str:
        return self.code.value if self.detail is None else f"{self.code.value}:{self.detail}"

    @classmethod
    def parse(cls, text: str) -> Reason:
        code, _, detail = text.partition(":")
        return cls(ReasonCode(code), detail or None)


class PipelineStop(Exception):
    """Raised by a step to end the run on purpose (not retried).

    Its class name is the Step Functions error name the ASL catches; its message is the
    reason string, so the Fail state and the notifier need no mapping table.
    """

    def __init__(self, reason: Reason) -> None:
        super().__init__(str(reason))
        self.reason = reason


# One subclass per catchable error name in statemachine/pipeline.asl.json.
class RunRejected(PipelineStop):
    """The event or the run's settings cannot start a run (before any data is read)."""


class DatasetInvalid(PipelineStop):
    """The dataset breaks the format or the limits; it was quarantined with a report."""


class GuardrailFailed(PipelineStop):
    """A blocking guardrail check failed or could not be evaluated (fail closed)."""


class TrainingFailed(PipelineStop):
    """The customization job failed, was stopped, drifted or did not meet the metrics gate."""


class JobCancelled(PipelineStop):
    """The job was stopped by an owner or outside the pipeline: the run ends CANCELLED, not failed."""


class JobQuotaBusy(PipelineStop):
    """Bedrock refused a new job for quota (jobs started outside the pipeline hold slots).

    The state machine retries it with long backoff; only when that runs out does the run stop.
    """


class DeploymentFailed(PipelineStop):
    """Throughput could not be bought, was refused by the cap, or never became ready."""


class EvaluationFailed(PipelineStop):
    """The custom model did not beat its base model on the profile's metrics, or the evaluation could not finish."""


STOP_ERRORS: tuple[type[PipelineStop], ...] = (
    RunRejected,
    DatasetInvalid,
    GuardrailFailed,
    TrainingFailed,
    JobCancelled,
    JobQuotaBusy,
    DeploymentFailed,
    EvaluationFailed,
)
