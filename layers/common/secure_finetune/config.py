"""The stack's settings, in sections, each read from the environment variables template.yaml sets.

Every handler declares the sections it needs (``class Env(BucketSettings, TableSettings)``) and
validates them at import, i.e. at cold start: a miswired function fails at once, naming the
missing variable, instead of late with an empty ARN. The template gives each function exactly
its ``Env``'s variables (``tests/template`` holds the two together). Steps read a section through
``Dependencies.settings(Section)``.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from .settings import StackLimits


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


# An optional setting: the template passes "" for a parameter left at its "" default or a feature a condition turns
# off (one validator as a type: a handler's Env inherits several sections, where same-named validators would shadow).
BlankIsNone = Annotated[str | None, BeforeValidator(_blank_is_none)]


class Settings(BaseModel):
    """A section of the stack's settings (``extra="ignore"``: the environment holds much more)."""

    # defer_build: a section's validator is built when first used; a handler builds only its Env's.
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", defer_build=True)

    @classmethod
    def from_environ(cls) -> Self:
        return cls.model_validate(dict(os.environ))

    @classmethod
    def variables(cls) -> frozenset[str]:
        """The environment variables this section reads (the template sets exactly these)."""
        return frozenset(str(field.alias) for field in cls.model_fields.values() if field.alias)

    @classmethod
    def required_variables(cls) -> frozenset[str]:
        return frozenset(str(field.alias) for field in cls.model_fields.values() if field.alias and field.is_required())


class Identity(Settings):
    account: str = Field(alias="EXPECTED_ACCOUNT")
    region: str = Field(alias="AWS_REGION")  # set by the Lambda runtime, not the template


class BucketSettings(Identity):
    bucket: str = Field(alias="DATA_BUCKET")
    key_arn: str = Field(alias="DATA_KEY_ARN")


class TableSettings(Settings):
    table: str = Field(alias="RUNS_TABLE")


class JobSlotSettings(TableSettings):
    max_concurrent_jobs: int = Field(default=2, ge=1, alias="MAX_CONCURRENT_JOBS")


class NotifySettings(Settings):
    topic_arn: str = Field(alias="NOTIFY_TOPIC_ARN")
    slack_webhook_secret_arn: BlankIsNone = Field(default=None, alias="SLACK_WEBHOOK_SECRET_ARN")  # None = no Slack


class WorkflowSettings(Settings):
    state_machine_arn: str = Field(alias="STATE_MACHINE_ARN")


class TimingSettings(Settings):
    """Durations every Wait / task-token state reads from the run's input (tests run in seconds)."""

    training_timeout_seconds: int = Field(default=7 * 24 * 3600, alias="TRAINING_TIMEOUT_SECONDS")
    job_slot_timeout_seconds: int = Field(default=14 * 24 * 3600, alias="JOB_SLOT_TIMEOUT_SECONDS")
    approval_timeout_seconds: int = Field(default=24 * 3600, alias="APPROVAL_TIMEOUT_SECONDS")
    throughput_poll_seconds: int = Field(default=120, alias="THROUGHPUT_POLL_SECONDS")
    throughput_max_polls: int = Field(default=30, alias="THROUGHPUT_MAX_POLLS")


class ReconcileSettings(Settings):
    reconcile_after_seconds: int = Field(default=900, alias="RECONCILE_AFTER_SECONDS")
    training_timeout_seconds: int = Field(default=7 * 24 * 3600, alias="TRAINING_TIMEOUT_SECONDS")


class GraderSettings(Settings):
    """Reinforcement fine-tuning's reward function: the stack's example grader or the platform team's Lambda
    (template parameter ExistingGraderLambdaArn). None = the stack runs no RFT job."""

    grader_lambda_arn: BlankIsNone = Field(default=None, alias="GRADER_LAMBDA_ARN")


class JobSettings(BucketSettings, GraderSettings):
    """What CreateModelCustomizationJob is given: the service role, our VPC and (from the bucket) our key."""

    service_role_arn: str = Field(alias="BEDROCK_SERVICE_ROLE_ARN")
    subnet_ids: tuple[str, ...] = Field(alias="JOB_SUBNET_IDS")
    security_group_ids: tuple[str, ...] = Field(alias="JOB_SECURITY_GROUP_IDS")

    @field_validator("subnet_ids", "security_group_ids", mode="before")
    @classmethod
    def _split_network_ids(cls, value: object) -> object:
        # CloudFormation passes a CommaDelimitedList joined with "," into the environment.
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value


class GuardrailSettings(JobSettings):
    pipeline_role_arn: str | None = Field(default=None, alias="PIPELINE_ROLE_ARN")
    malware_scan_enabled: bool = Field(default=False, alias="MALWARE_SCAN_ENABLED")
    # The evaluation jobs' service role, judged with the training role's rules (GR-EVAL-01/02); None: not judged.
    evaluation_role_arn: str | None = Field(default=None, alias="EVALUATION_ROLE_ARN")
    # The smoke-test function's role when it runs in the job subnets (PrivateInference), else "": the one role the
    # S3 endpoint may let use the run files (GR-NET-05).
    smoke_test_role_arn: BlankIsNone = Field(default=None, alias="SMOKE_TEST_ROLE_ARN")


class ProfileSettings(Settings):
    profiles_path: Path = Field(default=Path("/opt/profiles.toml"), alias="PROFILES_PATH")
    max_model_units: int = Field(default=1, alias="MAX_MODEL_UNITS")
    max_ttl_hours: float = Field(default=24, alias="MAX_TTL_HOURS")

    @property
    def limits(self) -> StackLimits:
        return StackLimits(max_model_units=self.max_model_units, max_ttl_hours=self.max_ttl_hours)


class PriceSettings(Settings):
    throughput_price_per_unit_hour: Annotated[float | None, BeforeValidator(_blank_is_none)] = Field(
        default=None, alias="THROUGHPUT_PRICE_PER_UNIT_HOUR"
    )


class PurchaseSettings(PriceSettings):
    # Where the throughput price comes from: the AWS Price List (pricing:GetProducts; template.yaml's default) in
    # AWS, the checked-in snapshot (pricing.py) offline and in the emulator, which has no Price List.
    price_source: Literal["price-list", "snapshot"] = Field(default="snapshot", alias="PRICE_SOURCE")
    max_model_units: int = Field(default=1, alias="MAX_MODEL_UNITS")
    # Bedrock's default allowance of no-commitment model units per account (UG prov-throughput,
    # older text: "2 MUs to distribute"); raised by AWS Support, so a stack parameter.
    no_commitment_model_units: int = Field(default=2, alias="NO_COMMITMENT_MODEL_UNITS")


class ScheduleSettings(Settings):
    """The time-to-live schedules: their target (the teardown function) and the role they run as."""

    teardown_function_arn: str = Field(alias="TEARDOWN_FUNCTION_ARN")
    scheduler_role_arn: str = Field(alias="SCHEDULER_ROLE_ARN")
    ttl_warning_minutes: int = Field(default=30, alias="TTL_WARNING_MINUTES")


class ApprovalSettings(Settings):
    approval_base_url: str = Field(alias="APPROVAL_BASE_URL")


class PrivateInferenceSettings(Settings):
    """Inference over PrivateLink (the stack's ``PrivateInference`` parameter), as the smoke test sees it: it runs in
    the job subnets and calls Bedrock through the bedrock-runtime interface endpoint, whose endpoint-specific DNS name
    (CloudFormation's ``DnsEntries``) tells it which addresses are the endpoint's. Off: both empty, the smoke test calls
    Bedrock's public regional endpoint and the GR-NET-12..14 rows are not applicable."""

    private_inference: bool = Field(default=False, alias="PRIVATE_INFERENCE")
    runtime_endpoint_id: BlankIsNone = Field(default=None, alias="RUNTIME_ENDPOINT_ID")
    runtime_endpoint_dns_name: BlankIsNone = Field(default=None, alias="RUNTIME_ENDPOINT_DNS_NAME")
    function_name: str | None = Field(default=None, alias="AWS_LAMBDA_FUNCTION_NAME")  # set by the Lambda runtime


class InferenceAuditSettings(Settings):
    """What the guardrail step reads to judge the private path (GR-NET-12..14): whether it is on, and the smoke-test
    function whose network it judges."""

    private_inference: bool = Field(default=False, alias="PRIVATE_INFERENCE")
    smoke_test_function: BlankIsNone = Field(default=None, alias="SMOKE_TEST_FUNCTION")


class EvaluationSettings(BucketSettings):
    """The evaluation jobs' service role and how the state machine waits for them (no EventBridge event exists
    for evaluation jobs: a bounded Wait/Check loop, ``EVALUATION_POLL_SECONDS`` x ``EVALUATION_MAX_POLLS``)."""

    evaluation_role_arn: str = Field(alias="EVALUATION_ROLE_ARN")
    evaluation_poll_seconds: int = Field(default=600, ge=1, alias="EVALUATION_POLL_SECONDS")
    evaluation_max_polls: int = Field(default=36, ge=1, alias="EVALUATION_MAX_POLLS")


STACK_TAG = "pipeline"  # tag key = the stack's name (the template puts it on the stack's own resources too)


class StackSettings(Settings):
    """The stack's name: the ``pipeline`` tag on everything the pipeline creates in Bedrock (jobs, custom models,
    throughputs, deployments), the first of the janitor's three proofs that a resource is ours."""

    stack_name: str = Field(alias="STACK_NAME")


class SweepPolicy(StrEnum):
    """What the janitor may delete (template parameter SweepPolicy)."""

    DELETE_ORPHANS = "delete-orphans"  # provably ours and no longer wanted: deleted; everything else reported
    REPORT_ONLY = "report-only"  # nothing deleted, everything reported


class JanitorSettings(StackSettings, TableSettings):
    """The janitor (janitor/): whose resources to look for, what it may delete, how long failed runs' models stay."""

    sweep_policy: SweepPolicy = Field(default=SweepPolicy.DELETE_ORPHANS, alias="SWEEP_POLICY")
    model_retention_days: int = Field(default=30, ge=1, alias="MODEL_RETENTION_DAYS")


class StackConfig(
    GuardrailSettings,
    JobSlotSettings,
    NotifySettings,
    WorkflowSettings,
    TimingSettings,
    ReconcileSettings,
    ProfileSettings,
    PurchaseSettings,
    ScheduleSettings,
    ApprovalSettings,
    PrivateInferenceSettings,
    InferenceAuditSettings,
    EvaluationSettings,
    JanitorSettings,
):
    """Every section at once: the whole stack's settings (tests and operator tools)."""
