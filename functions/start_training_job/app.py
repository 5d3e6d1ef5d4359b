"""StartTrainingJob state (waitForTaskToken): store the token, create the job, verify what Bedrock recorded."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import JobSettings, NotifySettings, StackSettings, TableSettings
from secure_finetune.observability import logger, tracer
from secure_finetune.state import PipelineState
from secure_finetune.training.launch import start_training_job
from secure_finetune.wiring import Dependencies


class Env(JobSettings, TableSettings, NotifySettings, StackSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="state.run.runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    state = PipelineState.model_validate(event["state"])
    return {"jobArn": start_training_job(state, event["taskToken"], deps or Dependencies(ENV))}
