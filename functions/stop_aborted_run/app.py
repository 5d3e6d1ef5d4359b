"""Target of the rule on this state machine's ABORTED executions: stop the run's training job."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import Identity, JobSlotSettings, NotifySettings, ScheduleSettings
from secure_finetune.observability import logger, tracer
from secure_finetune.training.stop import stop_job_of_aborted_run
from secure_finetune.wiring import Dependencies


class Env(Identity, JobSlotSettings, NotifySettings, ScheduleSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="detail.name")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    detail = EventBridgeModel.model_validate(event).detail
    run_id = str(detail["name"]) if isinstance(detail, dict) else ""  # execution name = run id
    outcome = stop_job_of_aborted_run(run_id, deps or Dependencies(ENV))
    logger.info("aborted run handled", outcome=outcome)
    return {"outcome": outcome}
