"""Target of the aws.bedrock job state-change rule: re-read the job and answer the run's wait."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.events import BedrockJobStateChange
from secure_finetune.observability import logger, tracer
from secure_finetune.steps.training import complete_training_job
from secure_finetune.wiring import Dependencies


@logger.inject_lambda_context(correlation_id_path="detail.jobName")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    outcome = complete_training_job(BedrockJobStateChange.model_validate(event), deps or Dependencies.from_env())
    logger.info("completion event handled", outcome=outcome)
    return {"outcome": outcome}
