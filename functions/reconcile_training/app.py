"""Scheduled: complete the training waits whose Bedrock event was lost (delivery is best effort)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import BucketSettings, JobSlotSettings, ReconcileSettings
from secure_finetune.observability import logger, metrics, tracer
from secure_finetune.training.reconcile import events_recovered, pipeline_health, reconcile_training_waits
from secure_finetune.wiring import Dependencies


class Env(BucketSettings, JobSlotSettings, ReconcileSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    deps = deps or Dependencies(ENV)
    reconciled = reconcile_training_waits(deps, deps.settings(ReconcileSettings).reconcile_after_seconds)
    outcomes = reconciled.outcomes()
    logger.info("reconciled", runs=len(outcomes), outcomes=outcomes)
    health = pipeline_health(deps)
    metrics.add_metric(name="QueuedRuns", unit=MetricUnit.Count, value=health.queued_runs)
    metrics.add_metric(name="OverdueTrainingWaits", unit=MetricUnit.Count, value=health.overdue_training_waits)
    metrics.add_metric(name="LostEventsRecovered", unit=MetricUnit.Count, value=events_recovered(reconciled))
    return {"reconciled": outcomes}
