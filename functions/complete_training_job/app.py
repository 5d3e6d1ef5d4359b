"""Target of the aws.bedrock job state-change rule: re-read the job and answer the run's wait."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import BucketSettings, JobSlotSettings
from secure_finetune.observability import logger, metrics, tracer
from secure_finetune.training.completion import complete_training_job
from secure_finetune.wiring import Dependencies


class Env(BucketSettings, JobSlotSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="detail.jobName")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    outcome = complete_training_job(event, deps or Dependencies(ENV))
    if outcome.ignored is not None:  # never an exception: a retried spoofed event would only come back
        metrics.add_metadata(key="ignoredBecause", value=outcome.ignored.value)
        metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
    logger.info("completion event handled", outcome=outcome.text)
    return {"outcome": outcome.text}
