"""EventBridge target for S3 "Object Created" under incoming/: start one run per object version."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import BucketSettings, TimingSettings, WorkflowSettings
from secure_finetune.events import S3EventNotificationEventBridgeModel
from secure_finetune.observability import logger, metrics, tracer
from secure_finetune.steps.trigger import start_run
from secure_finetune.wiring import Dependencies


class Env(BucketSettings, TimingSettings, WorkflowSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="id")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    run_id, started = start_run(S3EventNotificationEventBridgeModel.model_validate(event), deps or Dependencies(ENV))
    if started:
        metrics.add_metric(name="RunsStarted", unit=MetricUnit.Count, value=1)
    return {"runId": run_id, "started": started}
