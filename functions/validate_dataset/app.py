"""ValidateDataset state: stream, check, report; copy to validated/ or quarantine/."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import BucketSettings, TableSettings
from secure_finetune.observability import logger, tracer
from secure_finetune.runs import RunStatus
from secure_finetune.state import PipelineState
from secure_finetune.steps.validate import validate_run_dataset
from secure_finetune.wiring import Dependencies


class Env(BucketSettings, TableSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="run.runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    state, deps = PipelineState.model_validate(event), deps or Dependencies(ENV)
    result = validate_run_dataset(state, deps)
    deps.runs.set_status(state.run.run_id, RunStatus.VALIDATED)  # accepted (a rejection raised above)
    return result.wire()
