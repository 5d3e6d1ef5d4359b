"""The ports: what the steps need from the outside world, as ``typing.Protocol`` classes.

Adapters (``adapters/``) implement them against AWS; the unit tests' in-memory fakes implement
them too, so mypy checks both against one contract. Ports speak in the domain's typed views
(``TrainingJob``, ``Throughput``, ``Deployment``, ``RunRecord``, ...) and raise the domain's
``ServiceError`` kinds (``service_errors.py``), never botocore's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from .approval import ApprovalRecord, Decision, Summary
from .notifications import MilestoneEvent
from .runs import RunChanges, RunRecord, RunStatus, Step

if TYPE_CHECKING:  # the guardrail models load with the catalogue, not with every handler
    from .guardrails.evidence import Evidence
    from .pricing import Price

# ---------------------------------------------------------------- typed views of Bedrock resources


class JobStatus(StrEnum):
    """``GetModelCustomizationJob.status`` (botocore ``ModelCustomizationJobStatus``)."""

    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


@dataclass(frozen=True)
class TrainingJob:
    """What Bedrock recorded for a customization job: what we drift-check and report."""

    arn: str
    status: JobStatus
    role_arn: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    output_model_kms_key_arn: str | None = None
    output_model_arn: str | None = None
    output_uri: str = ""
    created: datetime | None = None
    ended: datetime | None = None
    failure_message: str | None = None  # can quote a record: the encrypted report only

    @property
    def training_seconds(self) -> float | None:
        if self.created is None or self.ended is None:
            return None
        return round((self.ended - self.created).total_seconds(), 1)


@dataclass(frozen=True)
class Throughput:
    """A provisioned throughput (``ProvisionedModelSummary`` / ``GetProvisionedModelThroughput``)."""

    arn: str
    model_arn: str
    status: str  # Creating | InService | Updating | Failed
    model_units: int = 0
    commitment: str | None = None
    failure_message: str | None = None

    @property
    def alive(self) -> bool:
        return self.status in ("Creating", "InService", "Updating")


@dataclass(frozen=True)
class Deployment:
    """An on-demand custom model deployment (``GetCustomModelDeployment``)."""

    arn: str
    status: str  # Creating | Active | Failed
    failure_message: str | None = None


@dataclass(frozen=True)
class ObjectVersion:
    key: str
    version_id: str
    etag: str
    size: int
    sse: str | None
    kms_key: str | None


@dataclass(frozen=True)
class Waiter:
    run_id: str
    task_token: str
    enqueued_at_ms: int


@dataclass(frozen=True)
class SlotsView:
    holders: dict[int, str]  # slot number -> run id
    waiters: list[Waiter]  # oldest first


# ---------------------------------------------------------------- ports


class Upload(Protocol):
    """An object written part by part (a multipart upload under our key)."""

    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


class DataBucketPort(Protocol):
    """The data bucket: reports, validated copies, job output (always under our key)."""

    def head(self, key: str, version_id: str | None = None) -> ObjectVersion | None: ...
    def resolve_key(self, event_key: str, version_id: str, etag: str) -> ObjectVersion | None: ...
    def peek(self, key: str, max_bytes: int) -> tuple[ObjectVersion, bytes] | None: ...
    def read_range(self, key: str, etag: str, start: int, length: int) -> bytes | None: ...
    def tags(self, key: str, version_id: str) -> dict[str, str]: ...
    def stream(self, key: str, version_id: str) -> Iterator[bytes]: ...
    def copy_version(self, key: str, version_id: str, target: str, tags: dict[str, str] | None = None) -> None: ...
    def upload(self, key: str) -> Upload: ...
    def put_json(self, key: str, document: Any) -> str: ...
    def put_text(self, key: str, text: str, content_type: str) -> str: ...
    def get_json(self, key: str) -> Any: ...
    def get_text(self, key: str) -> str | None: ...
    def first_lines(self, key: str, limit: int) -> list[bytes]: ...
    def uri(self, key: str) -> str: ...


class RunStore(Protocol):
    """Run records and the task tokens of waits (the run table)."""

    def create_run(self, run_id: str, changes: RunChanges) -> bool: ...
    def record_start(self, run_id: str) -> bool: ...  # True once per run: the delivery that started it
    def set_status(self, run_id: str, status: RunStatus | None, changes: RunChanges | None = None) -> None: ...
    def get_run(self, run_id: str) -> RunRecord | None: ...
    def put_token(self, run_id: str, step: Step, token: str) -> None: ...
    def get_token(self, run_id: str, step: Step) -> str | None: ...
    def delete_token(self, run_id: str, step: Step) -> None: ...
    def waiting_since(self, step: Step, older_than_seconds: int) -> list[str]: ...
    def deployed_runs(self) -> list[RunRecord]: ...
    def unfinished_job_runs(self) -> list[RunRecord]: ...  # runs that meant to create a job and have not ended


class CustomizationService(Protocol):
    """Bedrock's control plane: customization jobs, custom models, throughputs and deployments."""

    def create_job(self, request: dict[str, Any]) -> str: ...
    def get_job(self, name: str) -> TrainingJob: ...
    def stop_job(self, name: str) -> None: ...
    def get_custom_model(self, name: str) -> dict[str, Any] | None: ...
    def find_throughput(self, model_arn: str, name: str) -> Throughput | None: ...  # the live one of that name for the model
    def create_throughput(self, name: str, model_arn: str, model_units: int, tags: dict[str, str]) -> str: ...
    def get_throughput(self, arn: str) -> Throughput: ...
    def delete_throughput(self, arn: str) -> bool: ...
    def no_commitment_units_in_use(self) -> int: ...
    def create_deployment(self, name: str, model_arn: str, tags: dict[str, str]) -> str: ...
    def get_deployment(self, arn: str) -> Deployment: ...
    def delete_deployment(self, arn: str) -> bool: ...


def answer_timeout_seconds(max_tokens: int) -> float:
    """How long one Converse attempt may wait for an answer of ``max_tokens``: 20 s for the smoke test's short ones,
    and a slow model's ~20 tokens a second beyond that (the adapter's read timeout; the callers' time budgets)."""
    return max(20.0, max_tokens / 20)


class InferenceService(Protocol):
    """Bedrock runtime: one Converse turn on a deployed model (the smoke test, the evaluation's collected answers)."""

    def converse(self, model_arn: str, prompt: str, max_tokens: int = 64, temperature: float | None = None) -> tuple[str, int]: ...
    def route(self) -> InferenceRoute: ...
    def resolve(self, hostname: str) -> tuple[str, ...]: ...  # the addresses the resolver where it runs answers


# ---------------------------------------------------------------- inference over PrivateLink (issue 16)


@dataclass(frozen=True)
class InferenceRoute:
    """The hostname a runtime client calls and what the resolver answered for it where the client runs (inside a
    VPC with the bedrock-runtime endpoint's private DNS: the endpoint's private addresses)."""

    hostname: str
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrivateAnswer:
    """One prompt through the private path: whether and how fast it was answered, never the text."""

    answered: bool
    latency_ms: int
    answer_chars: int | None = None
    error: str | None = None  # the exception's class name when the call failed


@dataclass(frozen=True)
class EvaluationJob:
    """What Bedrock recorded for a model evaluation job (``GetEvaluationJob``)."""

    arn: str
    name: str
    status: str  # InProgress | Completed | Failed | Stopping | Stopped | Deleting (EvaluationJobStatus)
    output_uri: str = ""
    key_id: str | None = None  # customerEncryptionKeyId as recorded
    role_arn: str | None = None
    failure_messages: tuple[str, ...] = ()


class EvaluationService(Protocol):
    """Bedrock model evaluation jobs (one per evaluated model) and their results in the data bucket."""

    def create_job(self, request: dict[str, Any]) -> str: ...
    def find_job(self, name: str) -> str | None: ...
    def get_job(self, arn: str) -> EvaluationJob: ...
    def stop_job(self, arn: str) -> None: ...
    def result_lines(self, output_uri: str, job_name: str) -> list[bytes]: ...


class Workflow(Protocol):
    """Step Functions: start a run, answer a wait's task token."""

    def start(self, name: str, document: dict[str, object]) -> bool: ...
    def succeed(self, token: str, output: dict[str, object]) -> bool: ...
    def fail(self, token: str, error: str, reason: str) -> bool: ...


class Notifier(Protocol):
    """Tells the owners about a milestone (SNS e-mail, Slack)."""

    def send(self, event: MilestoneEvent) -> None: ...


class JobSlotsPort(Protocol):
    """A counting semaphore with a FIFO queue: runs beyond the concurrent-job quota wait here."""

    def view(self) -> SlotsView: ...
    def try_acquire(self, run_id: str) -> int | None: ...
    def release(self, run_id: str) -> bool: ...
    def enqueue(self, run_id: str, task_token: str) -> None: ...
    def requeue(self, waiter: Waiter) -> None: ...
    def claim(self, run_id: str) -> bool: ...
    def dequeue(self, run_id: str) -> None: ...


class TeardownSchedules(Protocol):
    """One-time schedules that warn before and delete at a purchase's time-to-live."""

    def schedule_teardown(self, run_id: str, *, warn_at: datetime, delete_at: datetime) -> None: ...
    def schedule_retry(self, run_id: str, attempt: int, at: datetime, why: str) -> None: ...
    def cancel_teardown(self, run_id: str) -> None: ...


class ApprovalLinks(Protocol):
    """Approval links by the digest of their secret (the secret itself is never stored)."""

    def create(self, digest: str, run_id: str, task_token: str, decide_by: int, summary: Summary) -> None: ...
    def get(self, digest: str) -> ApprovalRecord | None: ...
    def decide(self, digest: str, decision: Decision, now: int, decided_by: dict[str, str]) -> ApprovalRecord: ...
    def reopen(self, digest: str, decided_at: int) -> None: ...


@dataclass(frozen=True)
class EvidenceRequest:
    """What the pre-launch guardrails judge for one run: the stack's resources and the run's own."""

    bucket: str
    event_bucket: str
    key_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    service_role_arn: str
    launcher_role_arn: str | None
    object_key: str
    version_id: str
    event_etag: str
    event_size: int
    base_model: str
    customization_type: str
    validation_report_key: str | None
    dataset_sha256: str | None
    malware_scan_enabled: bool
    job_request: dict[str, Any] | None
    grader_lambda_arn: str | None = None  # the stack's RFT grader (GR-RFT-01..03 read it)
    evaluation_role_arn: str | None = None  # the evaluation jobs' service role (GR-EVAL-01/02 read it)
    deployment_mode: str | None = None  # deployment/plan.py's resolved mode (GR-CTX-03: a LEGACY model on provisioned throughput)
    smoke_test_role_arn: str | None = None  # the one role the S3 endpoint may let use the run files (GR-NET-05)


class EvidenceSource(Protocol):
    """Live evidence (S3, KMS, EC2, IAM, Access Analyzer, Bedrock); what it cannot read is None (UNKNOWN)."""

    def gather(self, request: EvidenceRequest) -> Evidence: ...


class NetworkSetupService(Protocol):
    """EC2 for the stack's network custom resources (``custom_resources/network.py``)."""

    def security_group(self, group_id: str) -> dict[str, Any] | None: ...  # DescribeSecurityGroups; None: no such group
    def revoke(self, group_id: str, ingress: list[dict[str, Any]], egress: list[dict[str, Any]]) -> None: ...
    def prefix_list_id(self, name: str) -> str | None: ...  # DescribeManagedPrefixLists by name; None: none


# ---------------------------------------------------------------- the janitor's view of what bills (issue 12)


class BilledKind(StrEnum):
    """What keeps billing after a run: the janitor looks at these five kinds."""

    JOB = "customization-job"  # ListModelCustomizationJobs (statusEquals=InProgress): training, billed until it ends
    # ListEvaluationJobs (statusEquals=InProgress): its judge's and its generator's tokens are billed until it ends
    EVALUATION_JOB = "evaluation-job"
    THROUGHPUT = "throughput"  # ListProvisionedModelThroughputs
    DEPLOYMENT = "deployment"  # ListCustomModelDeployments
    CUSTOM_MODEL = "custom-model"  # ListCustomModels (isOwned): storage, billed monthly while it exists


@dataclass(frozen=True)
class BilledResource:
    """One resource of the account that may be ours, with what its listing says (no content)."""

    kind: BilledKind
    arn: str
    name: str
    status: str = ""
    created: datetime | None = None
    model_arn: str | None = None  # a throughput's or deployment's custom model; a custom model's or a job's base model


class Inventory(Protocol):
    """The account's billed Bedrock resources, their tags, and deleting one (a job is stopped through
    ``CustomizationService.stop_job``, by its run's write-ahead intent: ``teardown/intended.py``)."""

    def resources(self, kind: BilledKind) -> list[BilledResource]: ...  # JOB, EVALUATION_JOB: those in progress only
    def tags(self, arn: str) -> dict[str, str] | None: ...  # None: the tags could not be read (not proven ours)
    def delete(self, resource: BilledResource) -> bool: ...  # False: it was already gone


class PriceBook(Protocol):
    """A base model's customization prices in a region, each figure with its source (None: none to be read)."""

    def price(self, model_id: str, region: str) -> Price | None: ...
