"""The JSON that flows through the state machine, as typed models (camelCase on the wire).

Only pointers, ids and counts travel in the state (Step Functions caps it at 256 KiB and
logs it); dataset content never does. Each step adds its own section:

``run`` + ``timing`` (trigger) -> ``settings`` (register) -> ``dataset`` (validate)
-> ``guardrails`` -> ``slot`` -> ``training`` (completion callback) -> ``metrics`` -> ``plan``
-> ``approval`` (if required) -> ``deployment`` -> ``smoke``;
on a stop, ``failure`` ({Error, Cause} from the Catch) and ``outcome`` (the notifier's
reason and cause, read by the Fail state's ErrorPath/CausePath).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from .settings import RunSettings


class _Wire(BaseModel):
    # defer_build (here and in the other document models): a validator is built on first use, so a
    # handler's cold start pays only for the models its step touches.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore", defer_build=True)

    def wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


class RunObject(_Wire):
    run_id: str
    bucket: str
    key: str
    version_id: str
    etag: str
    size: int
    requester: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}?versionId={self.version_id}"


class Timing(_Wire):
    """Durations every Wait / task-token state reads from the input (tests run in seconds)."""

    training_timeout_seconds: int
    job_slot_timeout_seconds: int
    approval_timeout_seconds: int = 86400
    throughput_poll_seconds: int
    throughput_max_polls: int


class ValidationFile(_Wire):
    key: str
    version_id: str


class Registered(_Wire):
    settings: RunSettings
    validation_file: ValidationFile | None = None


class DatasetResult(_Wire):
    sha256: str
    records: int
    estimated_tokens: int = 0
    estimated_training_cost_usd: float | None = None  # None: no sourced price for the model
    training_uri: str
    validation_uri: str | None = None
    report: str


class TrainingResult(_Wire):
    job_arn: str
    status: str
    output_model_arn: str | None = None
    output_uri: str
    training_seconds: float | None = None  # creation to end, as Bedrock recorded them


class MetricsResult(_Wire):
    final_training_loss: float
    best_training_loss: float
    report: str


class DeploymentPlan(_Wire):
    """What will be bought and what it costs, decided (and shown) before anything is spent."""

    mode: str  # provisioned-throughput | on-demand | none
    model_arn: str
    model_units: int
    ttl_hours: float  # 0 = kept until torn down by hand
    approval_required: bool
    estimated_hourly_cost_usd: float | None = None  # None: no sourced price (or billed per token)
    estimated_cost_over_ttl_usd: float | None = None
    price_source: str | None = None  # where the hourly figure was read (pricing.py, or the stack's parameter)
    # The evaluation after the smoke test (evaluation/cost.py): 0 prompts = none; None costs = a price we have no source for.
    evaluation_prompts: int = 0
    estimated_evaluation_cost_usd: float | None = None  # judge + base-model tokens + throughput hours beyond the TTL
    estimated_judge_cost_usd: float | None = None
    report: str


class DeploymentResult(_Wire):
    arn: str  # the provisioned model ARN or the custom model deployment ARN
    mode: str
    status: str  # InService / Active when ready
    polls: int
    delete_at: str | None = None  # when the time-to-live schedule deletes it (None: kept)


class SmokeResult(_Wire):
    passed: bool
    prompts: int
    slowest_ms: int


class Failure(_Wire):
    error: str
    cause: str | None = None

    model_config = ConfigDict(
        frozen=True, extra="ignore", populate_by_name=True, alias_generator=lambda n: n.capitalize(), defer_build=True
    )


class PipelineState(_Wire):
    run: RunObject
    timing: Timing
    registered: Registered | None = None
    dataset: DatasetResult | None = None
    training: TrainingResult | None = None
    metrics: MetricsResult | None = None
    plan: DeploymentPlan | None = None
    deployment: DeploymentResult | None = None
    smoke: SmokeResult | None = None
    failure: Failure | None = None

    @property
    def settings(self) -> RunSettings:
        if self.registered is None:
            raise ValueError("the run is not registered yet")
        return self.registered.settings
