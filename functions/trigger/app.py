"""EventBridge target for S3 "Object Created" under incoming/: start one run per object version."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import BucketSettings, TableSettings, TimingSettings, WorkflowSettings
from secure_finetune.observability import logger, metrics, tracer
from secure_finetune.steps.trigger import Start, start_run
from secure_finetune.wiring import Dependencies


class Env(BucketSettings, TableSettings, TimingSettings, WorkflowSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()

# One metric per outcome; an ignored event's reason goes with it as metadata (and in the log line).
_METRIC = {Start.STARTED: "RunsStarted", Start.DUPLICATE: "DuplicateDeliveries", Start.IGNORED: "EventsIgnored"}


@logger.inject_lambda_context(correlation_id_path="id")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    outcome = start_run(event, deps or Dependencies(ENV))
    if outcome.ignored is not None:
        metrics.add_metadata(key="ignoredBecause", value=outcome.ignored.value)
    metrics.add_metric(name=_METRIC[outcome.start], unit=MetricUnit.Count, value=1)
    return outcome.answer()
