"""The ports a step may use, built on first use from the stack config (handlers accept injected ones).

Each port is made lazily: a handler pays only for the clients its step touches (the trigger never
builds a Bedrock client, the approval page never an SNS one). Tests inject in-memory fakes of the
same Protocols (``tests/unit/fakes.py``), which mypy checks against ``ports.py``.
"""

from __future__ import annotations

from functools import cached_property

from .config import StackConfig, stack_config
from .ports import (
    ApprovalLinks,
    CustomizationService,
    DataBucketPort,
    InferenceService,
    JobSlotsPort,
    Notifier,
    RunStore,
    TeardownSchedules,
    Workflow,
)


class Dependencies:
    """Everything a step reaches outside itself. Pass a port to replace its adapter (tests)."""

    def __init__(self, config: StackConfig | None = None, **ports: object) -> None:
        self.config = config or stack_config()
        unknown = set(ports) - _PORTS
        if unknown:
            raise TypeError(f"unknown port(s): {', '.join(sorted(unknown))}")
        self.__dict__.update(ports)  # cached_property reads the instance dict first

    @classmethod
    def from_env(cls) -> Dependencies:
        return cls()

    @cached_property
    def bucket(self) -> DataBucketPort:
        from .adapters.s3 import DataBucket

        return DataBucket(self.config.bucket, self.config.account, self.config.key_arn)

    @cached_property
    def runs(self) -> RunStore:
        from .adapters.runs_table import RunTable

        return RunTable(self.config.table)

    @cached_property
    def bedrock(self) -> CustomizationService:
        from .adapters.bedrock import Bedrock

        return Bedrock()

    @cached_property
    def runtime(self) -> InferenceService:
        from .adapters.bedrock import BedrockRuntime

        return BedrockRuntime()

    @cached_property
    def machine(self) -> Workflow:
        from .adapters.stepfunctions import StateMachine

        return StateMachine(self.config.state_machine_arn)

    @cached_property
    def notifier(self) -> Notifier:
        from .adapters.sns import SnsNotifier

        notifier: Notifier = SnsNotifier(self.config.topic_arn)
        if self.config.slack_webhook_secret_arn:  # SNS stays the system of record; Slack is best effort
            from .adapters.slack import SlackNotifier
            from .fanout import FanOutNotifier

            slack = SlackNotifier(self.config.slack_webhook_secret_arn, allow_loopback_http=self.config.emulator)
            notifier = FanOutNotifier(notifier, slack)
        return notifier

    @cached_property
    def slots(self) -> JobSlotsPort:
        from .adapters.job_slots import JobSlots

        return JobSlots(self.config.table, self.config.max_concurrent_jobs)

    @cached_property
    def scheduler(self) -> TeardownSchedules:
        from .adapters.scheduler import TeardownScheduler

        return TeardownScheduler(self.config.teardown_function_arn, self.config.scheduler_role_arn)

    @cached_property
    def approvals(self) -> ApprovalLinks:
        from .adapters.approvals import ApprovalStore

        return ApprovalStore(self.config.table)


_PORTS = frozenset(name for name, value in vars(Dependencies).items() if isinstance(value, cached_property))
