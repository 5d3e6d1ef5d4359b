"""SmokeTest state: a few prompts through Converse on the deployed ARN, from inside the VPC through the bedrock-runtime
endpoint when PrivateInference is on (counts, latencies and the route only)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import BucketSettings, PrivateInferenceSettings
from secure_finetune.deployment.smoke import smoke_test
from secure_finetune.observability import logger, tracer
from secure_finetune.state import PipelineState
from secure_finetune.wiring import Dependencies


class Env(BucketSettings, PrivateInferenceSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="run.runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    return smoke_test(PipelineState.model_validate(event), deps or Dependencies(ENV)).wire()
