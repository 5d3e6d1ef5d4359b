"""StopTrainingJob state: after the wait timed out, stop the job if it still runs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import Settings
from secure_finetune.observability import logger, tracer
from secure_finetune.state import PipelineState
from secure_finetune.training.stop import stop_training_job
from secure_finetune.wiring import Dependencies


class Env(Settings):
    """This function reads no stack setting (template.yaml sets none)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="run.runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    stop_training_job(PipelineState.model_validate(event), deps or Dependencies(ENV))
    return {"stopped": True}
