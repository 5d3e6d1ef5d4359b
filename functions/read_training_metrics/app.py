"""ReadTrainingMetrics state: the loss curve from the job output, kept for the report."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import BucketSettings, NotifySettings, PriceSettings, TableSettings
from secure_finetune.observability import logger, metrics, tracer
from secure_finetune.state import PipelineState
from secure_finetune.training.metrics import read_training_metrics
from secure_finetune.wiring import Dependencies


class Env(BucketSettings, TableSettings, NotifySettings, PriceSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="run.runId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    state = PipelineState.model_validate(event)
    result = read_training_metrics(state, deps or Dependencies(ENV))
    # after the step: a gate failure or a retried attempt does not count the job again
    if state.training and state.training.training_seconds is not None:
        metrics.add_metric(name="JobDurationSeconds", unit=MetricUnit.Seconds, value=state.training.training_seconds)
    return result.wire()
