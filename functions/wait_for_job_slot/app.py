"""WaitForJobSlot state (waitForTaskToken): queue the run for a job slot; answered at once if one is free."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import JobSlotSettings
from secure_finetune.observability import logger, tracer
from secure_finetune.state import PipelineState
from secure_finetune.training.slots import wait_for_job_slot
from secure_finetune.wiring import Dependencies


class Env(JobSlotSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="state.run.runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    state = PipelineState.model_validate(event["state"])
    woken = wait_for_job_slot(state, event["taskToken"], deps or Dependencies(ENV))
    logger.info("queued for a job slot", woken=len(woken), this_run_started=state.run.run_id in woken)
    return {"woken": woken}
