"""The run's report documents (``reports/<run>/<step>.json``): one model per step, camelCase on the wire.

Every step writes its document with :func:`write_report`, which picks the key from the document's
step; every reader (the HTML page, the failure notice, the guardrails' evidence, the CLI, the
emulator) reads it back through the same model with :func:`read_report` or :func:`parse_report`.
A document that is missing or does not read as its model is ``None``: each reader says what that
means for it (the page: "not reached").

==============  ==============================  ===============================================
step            model                           written by
==============  ==============================  ===============================================
``register``    :class:`RegisterReport`         RegisterRun: the run's object and settings
``validation``  :class:`ValidationDocument`     ValidateDataset: the validator's report per
                                                file, the run's record-count problems, the cost
``guardrails``  :class:`GuardrailsReport`       VerifyGuardrails: the pre-launch findings
``training``    :class:`TrainingFailureReport`  the completion callback, when a job failed or
                                                stopped
``metrics``     :class:`MetricsReport`          ReadTrainingMetrics: loss curves and the gate
``deployment``  :class:`DeploymentReport`       PlanDeployment (purchase checks + plan), then
                                                CheckDeployment (failure) or AnnounceDeployment
``smoke``       :class:`SmokeReport`            SmokeTest: counts, lengths and latencies
==============  ==============================  ===============================================

Content-free by contract: ids, counts, codes, verdicts, costs and the validator's own messages;
never a record, a prompt or an answer. Bedrock's failure messages (``TrainingFailureReport``,
``DeploymentReport``) are kept here, in the encrypted bucket, and withheld from the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from .dataset import DatasetReport, FileRole
from .guardrails.framework import Finding
from .ports import DataBucketPort
from .runs import Step, report_key
from .settings import MetricsGate, RunSettings
from .state import DeploymentPlan, DeploymentResult, RunObject, ValidationFile
from .training.loss_curve import LossCurve
from .training.rft_metrics import RewardCurve


class _Part(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore", defer_build=True)

    def wire(self) -> dict[str, object]:
        """As stored: JSON values, camelCase names."""
        return self.model_dump(mode="json", by_alias=True)


class Report(_Part):
    """A step's report document: its step names its key (``reports/<run>/<step>.json``)."""

    step: ClassVar[Step]


# ---------------------------------------------------------------- register


class RegisterReport(Report):
    step = Step.REGISTER

    run: RunObject
    settings: RunSettings
    validation_file: ValidationFile | None = None
    started_at: str | None = None  # ISO-8601 UTC, when the run was registered (the report's start time)


# ---------------------------------------------------------------- validation


class RunProblem(_Part):
    """A problem of the run as a whole (record counts across both files): it has no line."""

    code: str  # a ReasonCode
    message: str  # content-free


class TrainingCost(_Part):
    """Billed tokens = training tokens x epochs [UG custom-models]; priced from pricing.PRICES."""

    estimated_tokens: int
    epochs: int
    billed_tokens: int
    estimated_training_usd: float | None = None  # None: no sourced price for the model
    price_source: str | None = None


class ValidationDocument(Report):
    """The validator's report of one run: one DatasetReport per file (by role), the run's own problems, the cost."""

    step = Step.VALIDATION

    training: DatasetReport
    validation: DatasetReport | None = None
    run_problems: tuple[RunProblem, ...] = ()
    cost: TrainingCost

    def files(self) -> dict[FileRole, DatasetReport]:
        """The file reports by role: training first, then the validation file if the run has one."""
        files = {FileRole.TRAINING: self.training}
        if self.validation is not None:
            files[FileRole.VALIDATION] = self.validation
        return files

    @property
    def accepted(self) -> bool:
        return all(report.accepted for report in self.files().values()) and not self.run_problems

    @property
    def error_count(self) -> int:
        """Every error of every file, and the run's own problems."""
        return sum(report.error_count for report in self.files().values()) + len(self.run_problems)

    def error_codes(self) -> dict[str, int]:
        """How often each error code occurs, over the files (all, not only the kept ones) and the run."""
        codes: dict[str, int] = {}
        for report in self.files().values():
            for code, count in report.errors_by_code.items():
                codes[code] = codes.get(code, 0) + count
        for problem in self.run_problems:
            codes[problem.code] = codes.get(problem.code, 0) + 1
        return codes


# ---------------------------------------------------------------- guardrails and purchase checks


class GuardrailsReport(Report):
    step = Step.GUARDRAILS

    findings: tuple[Finding, ...]


# ---------------------------------------------------------------- training


class TrainingFailureReport(Report):
    """Written when a job failed or stopped; Bedrock's failureMessage can quote a record."""

    step = Step.TRAINING

    job_arn: str
    status: str  # Failed | Stopped
    failure_message: str | None = None


class GateReport(MetricsGate):
    """The profile's metrics gate as applied, and what it found (empty: passed)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    problems: tuple[str, ...] = ()


class MetricsReport(Report):
    step = Step.METRICS

    job_arn: str
    output_model_arn: str | None = None
    training: LossCurve
    validation: LossCurve | None = None  # with a validation set, when the job wrote its series
    rewards: RewardCurve | None = None  # reinforcement fine-tuning: the mean reward per step (training/rft_metrics.py)
    gate: GateReport


# ---------------------------------------------------------------- deployment


class DeploymentReport(Report):
    """The purchase checks and the plan, decided before anything is bought; later what was bought
    (``deployment``, ``delete_at``) or Bedrock's ``failure_message`` when it failed."""

    step = Step.DEPLOYMENT

    findings: tuple[Finding, ...]  # the purchase checks (GR-JOB-07/08)
    plan: DeploymentPlan
    failure_message: str | None = None  # names capacity or permissions, never records
    deployment: DeploymentResult | None = None
    delete_at: str | None = None  # when the time-to-live schedule deletes it (None: kept)


class SmokeAnswer(_Part):
    """One prompt's outcome: never the prompt or the answer, only whether and how fast it came."""

    answered: bool
    error: str | None = None  # the exception's class name when the call failed
    answer_chars: int | None = None
    latency_ms: int


class InferencePath(_Part):
    """Which way the smoke test's prompts went, as the smoke test saw it from inside the VPC.

    ``private``: the stack's PrivateInference is on, so the calls were made from inside the VPC;
    ``through_endpoint``: the hostname the client used resolved there to addresses of the endpoint's network
    interfaces, and nothing else. Ids, names and addresses only."""

    private: bool
    hostname: str = ""  # the hostname the runtime client called (the regional bedrock-runtime name)
    addresses: tuple[str, ...] = ()  # what it resolved to inside the VPC
    endpoint_id: str | None = None
    endpoint_dns_name: str | None = None  # the endpoint-specific name (works without private DNS too)
    endpoint_addresses: tuple[str, ...] = ()  # the endpoint's network interfaces' private addresses
    private_dns: bool | None = None
    through_endpoint: bool = False
    function: str | None = None  # the function that made the calls (the smoke test)


class SmokeReport(Report):
    step = Step.SMOKE

    passed: bool
    prompts: int
    slowest_ms: int
    results: tuple[SmokeAnswer, ...]
    kept: bool  # the throughput or deployment stays (passed, or keep_on_smoke_failure)
    path: InferencePath | None = None  # None: a report written before the private path existed


# ---------------------------------------------------------------- writing and reading

R = TypeVar("R", bound=Report)


def write_report(bucket: DataBucketPort, run_id: str, report: Report) -> str:
    """Store ``report`` at ``reports/<run>/<its step>.json``; returns its s3:// URI."""
    return bucket.put_json(report_key(run_id, report.step), report.wire())


def read_report(bucket: DataBucketPort, run_id: str, model: type[R]) -> R | None:
    """The run's ``model`` document; None when it was never written or does not read as ``model``."""
    return parse_report(model, bucket.get_text(report_key(run_id, model.step)))


def parse_report(model: type[R], document: str | bytes | Mapping[str, object] | None) -> R | None:
    """A stored document (its JSON text, or already parsed) as ``model``; None when absent or malformed."""
    if document is None:
        return None
    try:
        if isinstance(document, Mapping):
            return model.model_validate(document)
        return model.model_validate_json(document)
    except ValidationError:
        return None


@dataclass(frozen=True)
class RunReports:
    """Every report document of one run; None for a step that wrote none (or one that cannot be read)."""

    register: RegisterReport | None = None
    validation: ValidationDocument | None = None
    guardrails: GuardrailsReport | None = None
    training: TrainingFailureReport | None = None
    metrics: MetricsReport | None = None
    deployment: DeploymentReport | None = None
    smoke: SmokeReport | None = None

    @classmethod
    def read(cls, bucket: DataBucketPort, run_id: str) -> RunReports:
        return cls(
            register=read_report(bucket, run_id, RegisterReport),
            validation=read_report(bucket, run_id, ValidationDocument),
            guardrails=read_report(bucket, run_id, GuardrailsReport),
            training=read_report(bucket, run_id, TrainingFailureReport),
            metrics=read_report(bucket, run_id, MetricsReport),
            deployment=read_report(bucket, run_id, DeploymentReport),
            smoke=read_report(bucket, run_id, SmokeReport),
        )

    def documents(self) -> list[Report]:
        """The documents read, in pipeline order."""
        documents = (self.register, self.validation, self.guardrails, self.training, self.metrics, self.deployment, self.smoke)
        return [document for document in documents if document is not None]

    def written(self) -> list[Step]:
        """The steps whose document was read, in pipeline order."""
        return [document.step for document in self.documents()]
