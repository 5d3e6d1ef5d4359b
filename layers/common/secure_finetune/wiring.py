"""The ports a step may use, built on first use from the handler's settings (handlers accept injected ones).

Each port is made lazily: a handler pays only for the clients its step touches (the trigger never
builds a Bedrock client, the approval page never an SNS one). Tests inject in-memory fakes of the
same Protocols (``tests/unit/fakes.py``), which mypy checks against ``ports.py``.
"""

from __future__ import annotations

from functools import cached_property
from typing import TypeVar

from .config import (
    BucketSettings,
    Identity,
    JobSlotSettings,
    NotifySettings,
    PurchaseSettings,
    ScheduleSettings,
    Settings,
    StackSettings,
    TableSettings,
    WorkflowSettings,
)
from .ports import (
    ApprovalLinks,
    CustomizationService,
    DataBucketPort,
    EvaluationService,
    EvidenceSource,
    InferenceService,
    Inventory,
    JobSlotsPort,
    NetworkSetupService,
    Notifier,
    PriceBook,
    RunStore,
    TeardownSchedules,
    Workflow,
)

S = TypeVar("S", bound=Settings)


class MissingSettings(LookupError):
    """A step asked for a section its handler does not declare (a wiring bug, caught by the tests)."""


class Dependencies:
    """Everything a step reaches outside itself. Pass a port to replace its adapter (tests)."""

    def __init__(self, config: Settings, **ports: object) -> None:
        self.config = config
        unknown = set(ports) - _PORTS
        if unknown:
            raise TypeError(f"unknown port(s): {', '.join(sorted(unknown))}")
        self.__dict__.update(ports)  # cached_property reads the instance dict first

    def settings(self, section: type[S]) -> S:
        """The handler's settings as ``section``: its ``Env`` must include that section."""
        if not isinstance(self.config, section):
            raise MissingSettings(f"{type(self.config).__name__} does not include {section.__name__}")
        return self.config

    @cached_property
    def bucket(self) -> DataBucketPort:
        from .adapters.s3 import DataBucket

        found = self.settings(BucketSettings)
        return DataBucket(found.bucket, found.account, found.key_arn)

    @cached_property
    def runs(self) -> RunStore:
        from .adapters.runs_table import RunTable

        return RunTable(self.settings(TableSettings).table)

    @cached_property
    def bedrock(self) -> CustomizationService:
        from .adapters.bedrock import Bedrock

        # What the pipeline creates carries the stack's tag (the janitor's proof of ownership) where the handler knows it.
        stack = self.config.stack_name if isinstance(self.config, StackSettings) else None
        return Bedrock(stack_tag=stack)

    @cached_property
    def inventory(self) -> Inventory:
        from .adapters.inventory import BedrockInventory

        return BedrockInventory()

    @cached_property
    def runtime(self) -> InferenceService:
        from .adapters.bedrock import BedrockRuntime

        return BedrockRuntime()

    @cached_property
    def network_setup(self) -> NetworkSetupService:
        from .adapters.network_setup import Ec2NetworkSetup

        return Ec2NetworkSetup()

    @cached_property
    def machine(self) -> Workflow:
        from .adapters.stepfunctions import StateMachine

        # Answering a task token needs no ARN; only the trigger starts executions.
        workflow = self.config if isinstance(self.config, WorkflowSettings) else None
        return StateMachine(workflow.state_machine_arn if workflow else "")

    @cached_property
    def notifier(self) -> Notifier:
        from .adapters.sns import SnsNotifier

        found = self.settings(NotifySettings)
        notifier: Notifier = SnsNotifier(found.topic_arn)
        if found.slack_webhook_secret_arn:  # SNS stays the system of record; Slack is best effort
            from .adapters.slack import SlackNotifier
            from .fanout import FanOutNotifier

            slack = SlackNotifier(found.slack_webhook_secret_arn)
            notifier = FanOutNotifier(notifier, slack)
        return notifier

    @cached_property
    def chat(self) -> Notifier:
        """Slack only (or nobody): for the run's outcome, whose SNS message the state machine publishes itself,
        once, from its own history (a retried notify step cannot tell the owners twice by e-mail)."""
        found = self.settings(NotifySettings)
        if not found.slack_webhook_secret_arn:
            from .fanout import FanOutNotifier

            return FanOutNotifier()  # no channel: tells no one
        from .adapters.slack import SlackNotifier

        return SlackNotifier(found.slack_webhook_secret_arn)

    @cached_property
    def slots(self) -> JobSlotsPort:
        from .adapters.job_slots import JobSlots

        found = self.settings(JobSlotSettings)
        return JobSlots(found.table, found.max_concurrent_jobs)

    @cached_property
    def scheduler(self) -> TeardownSchedules:
        from .adapters.scheduler import TeardownScheduler

        found = self.settings(ScheduleSettings)
        return TeardownScheduler(found.teardown_function_arn, found.scheduler_role_arn)

    @cached_property
    def evidence(self) -> EvidenceSource:
        from .adapters.evidence import EvidenceReader

        identity = self.settings(Identity)
        return EvidenceReader(identity.account, identity.region)

    @cached_property
    def evaluations(self) -> EvaluationService:
        from .adapters.evaluation import EvaluationJobs

        try:
            bucket: str | None = self.settings(BucketSettings).bucket
            owner = self.settings(Identity).account
        except MissingSettings:  # stop-only callers (the stack guard, the abort handler, the janitor): no result reads
            bucket, owner = None, ""
        stack = self.config.stack_name if isinstance(self.config, StackSettings) else None  # the janitor's proof
        return EvaluationJobs(bucket, owner, stack_tag=stack)

    @cached_property
    def prices(self) -> PriceBook:
        """The AWS Price List in AWS; the checked-in snapshot where the stack says so (the emulator has no Price List)."""
        from .pricing import SnapshotPrices

        if self.settings(PurchaseSettings).price_source == "snapshot":
            return SnapshotPrices()
        from .adapters.price_list import PriceList

        return PriceList()

    @cached_property
    def approvals(self) -> ApprovalLinks:
        from .adapters.approvals import ApprovalStore

        return ApprovalStore(self.settings(TableSettings).table)


_PORTS = frozenset(name for name, value in vars(Dependencies).items() if isinstance(value, cached_property))
