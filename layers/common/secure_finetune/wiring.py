"""Builds the adapters a step needs from the stack config (handlers accept injected ones)."""

from __future__ import annotations

from dataclasses import dataclass

from .adapters.bedrock import Bedrock
from .adapters.runs_table import RunTable
from .adapters.s3 import DataBucket
from .adapters.sns import SnsNotifier
from .adapters.stepfunctions import StateMachine
from .config import StackConfig, stack_config
from .notifications import Notifier


@dataclass
class Dependencies:
    config: StackConfig
    bucket: DataBucket
    runs: RunTable
    bedrock: Bedrock
    machine: StateMachine
    notifier: Notifier

    @classmethod
    def from_env(cls) -> Dependencies:
        config = stack_config()
        return cls(
            config=config,
            bucket=DataBucket(config.bucket, config.account, config.key_arn),
            runs=RunTable(config.table),
            bedrock=Bedrock(),
            machine=StateMachine(config.state_machine_arn),
            notifier=SnsNotifier(config.topic_arn),
        )
