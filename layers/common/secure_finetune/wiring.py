"""Builds the adapters a step needs from the stack config (handlers accept injected ones)."""

from __future__ import annotations

from dataclasses import dataclass

from .adapters.bedrock import Bedrock, BedrockRuntime
from .adapters.job_slots import JobSlots
from .adapters.runs_table import RunTable
from .adapters.s3 import DataBucket
from .adapters.scheduler import TeardownScheduler
from .adapters.slack import SlackNotifier
from .adapters.sns import SnsNotifier
from .adapters.stepfunctions import StateMachine
from .config import StackConfig, stack_config
from .fanout import FanOutNotifier
from .notifications import Notifier


@dataclass
class Dependencies:
    config: StackConfig
    bucket: DataBucket
    runs: RunTable
    bedrock: Bedrock
    machine: StateMachine
    notifier: Notifier
    slots: JobSlots
    runtime: BedrockRuntime
    scheduler: TeardownScheduler

    @classmethod
    def from_env(cls) -> Dependencies:
        config = stack_config()
        notifier: Notifier = SnsNotifier(config.topic_arn)
        if config.slack_webhook_secret_arn:  # SNS stays the system of record; Slack is best effort
            notifier = FanOutNotifier(notifier, SlackNotifier(config.slack_webhook_secret_arn, allow_loopback_http=config.emulator))
        return cls(
            config=config,
            bucket=DataBucket(config.bucket, config.account, config.key_arn),
            runs=RunTable(config.table),
            bedrock=Bedrock(),
            machine=StateMachine(config.state_machine_arn),
            notifier=notifier,
            slots=JobSlots(config.table, config.max_concurrent_jobs),
            runtime=BedrockRuntime(),
            scheduler=TeardownScheduler(config.teardown_function_arn, config.scheduler_role_arn),
        )
