"""The stack's settings, read once per cold start from environment variables set by template.yaml."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .settings import StackLimits


class StackConfig(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    account: str = Field(alias="EXPECTED_ACCOUNT")
    region: str = Field(alias="AWS_REGION")
    bucket: str = Field(alias="DATA_BUCKET")
    key_arn: str = Field(alias="DATA_KEY_ARN")
    table: str = Field(alias="RUNS_TABLE")
    topic_arn: str = Field(alias="NOTIFY_TOPIC_ARN")
    state_machine_arn: str = Field(default="", alias="STATE_MACHINE_ARN")
    service_role_arn: str = Field(alias="BEDROCK_SERVICE_ROLE_ARN")
    pipeline_role_arn: str | None = Field(default=None, alias="PIPELINE_ROLE_ARN")
    malware_scan_enabled: bool = Field(default=False, alias="MALWARE_SCAN_ENABLED")
    subnet_ids: tuple[str, ...] = Field(alias="JOB_SUBNET_IDS")
    security_group_ids: tuple[str, ...] = Field(alias="JOB_SECURITY_GROUP_IDS")
    profiles_path: Path = Field(default=Path("/opt/profiles.toml"), alias="PROFILES_PATH")
    max_model_units: int = Field(default=1, alias="MAX_MODEL_UNITS")
    max_ttl_hours: float = Field(default=24, alias="MAX_TTL_HOURS")
    training_timeout_seconds: int = Field(default=7 * 24 * 3600, alias="TRAINING_TIMEOUT_SECONDS")
    throughput_poll_seconds: int = Field(default=120, alias="THROUGHPUT_POLL_SECONDS")
    throughput_max_polls: int = Field(default=30, alias="THROUGHPUT_MAX_POLLS")
    reconcile_after_seconds: int = Field(default=900, alias="RECONCILE_AFTER_SECONDS")
    max_concurrent_jobs: int = Field(default=2, ge=1, alias="MAX_CONCURRENT_JOBS")
    job_slot_timeout_seconds: int = Field(default=14 * 24 * 3600, alias="JOB_SLOT_TIMEOUT_SECONDS")
    # Set only by the local emulator: its webhook and approval API are http:// on loopback.
    emulator: bool = Field(default=False, alias="FINETUNE_EMULATOR")
    slack_webhook_secret_arn: str = Field(default="", alias="SLACK_WEBHOOK_SECRET_ARN")  # "" = no Slack
    approval_timeout_seconds: int = Field(default=24 * 3600, alias="APPROVAL_TIMEOUT_SECONDS")
    approval_base_url: str = Field(default="", alias="APPROVAL_BASE_URL")
    # Bedrock's default allowance of no-commitment model units per account (UG prov-throughput,
    # older text: "2 MUs to distribute"); raised by AWS Support, so a stack parameter.
    no_commitment_model_units: int = Field(default=2, alias="NO_COMMITMENT_MODEL_UNITS")
    throughput_price_per_unit_hour: float | None = Field(default=None, alias="THROUGHPUT_PRICE_PER_UNIT_HOUR")
    ttl_warning_minutes: int = Field(default=30, alias="TTL_WARNING_MINUTES")
    teardown_function_arn: str = Field(default="", alias="TEARDOWN_FUNCTION_ARN")
    scheduler_role_arn: str = Field(default="", alias="SCHEDULER_ROLE_ARN")

    @field_validator("throughput_price_per_unit_hour", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("subnet_ids", "security_group_ids", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        # CloudFormation passes a CommaDelimitedList joined with "," into the environment.
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def limits(self) -> StackLimits:
        return StackLimits(max_model_units=self.max_model_units, max_ttl_hours=self.max_ttl_hours)


@lru_cache(maxsize=1)
def stack_config() -> StackConfig:
    return StackConfig.model_validate(dict(os.environ))
