"""Notify states: the run-level milestones (throughput ready), every failure (reason code + owner told) and a cancel."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import BucketSettings, JobSlotSettings, NotifySettings, ScheduleSettings
from secure_finetune.deployment.deploy import announce_deployment
from secure_finetune.observability import logger, metrics, tracer
from secure_finetune.state import PipelineState
from secure_finetune.steps.failure import BEFORE_SPEND, notify_cancelled, notify_failure
from secure_finetune.wiring import Dependencies


class Env(BucketSettings, JobSlotSettings, NotifySettings, ScheduleSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="state.run.runId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    state, deps = PipelineState.model_validate(event["state"]), deps or Dependencies(ENV)
    if event["milestone"] == "THROUGHPUT_READY":
        announce_deployment(state, deps)
        metrics.add_metric(name="RunsSucceeded", unit=MetricUnit.Count, value=1)
        return {"notified": "THROUGHPUT_READY"}
    if event["milestone"] == "RUN_CANCELLED":  # stopped by an owner or outside the pipeline: not a failure
        outcome = notify_cancelled(state, deps)
        metrics.add_metric(name="RunsCancelled", unit=MetricUnit.Count, value=1)
        return outcome
    outcome = notify_failure(state, deps)
    metrics.add_metric(name="RunsFailed", unit=MetricUnit.Count, value=1)
    if outcome["step"] in BEFORE_SPEND:
        metrics.add_metric(name="RunsRejected", unit=MetricUnit.Count, value=1)
    return outcome
