"""Target of the aws.bedrock job state-change rule: re-read the job and answer the run's wait."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import BucketSettings, JobSlotSettings
from secure_finetune.events import BedrockJobStateChange
from secure_finetune.observability import logger, tracer
from secure_finetune.training.completion import complete_training_job
from secure_finetune.wiring import Dependencies


class Env(BucketSettings, JobSlotSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="detail.jobName")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    outcome = complete_training_job(BedrockJobStateChange.model_validate(event), deps or Dependencies(ENV))
    logger.info("completion event handled", outcome=outcome.text)
    return {"outcome": outcome.text}
