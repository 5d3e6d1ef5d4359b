"""DeployModel state: no-commitment provisioned throughput under the cap, or an on-demand deployment."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import ScheduleSettings, StackSettings, TableSettings
from secure_finetune.deployment.deploy import deploy
from secure_finetune.observability import logger, tracer
from secure_finetune.state import PipelineState
from secure_finetune.wiring import Dependencies


class Env(TableSettings, ScheduleSettings, StackSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="run.runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    return deploy(PipelineState.model_validate(event), deps or Dependencies(ENV)).wire()
