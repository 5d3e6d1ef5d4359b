"""Target of the rule on this state machine's ABORTED executions: stop the run's training job."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import Identity, JobSlotSettings, NotifySettings, ScheduleSettings, WorkflowSettings
from secure_finetune.observability import logger, metrics, tracer
from secure_finetune.training.stop import aborted_execution_problem, stop_job_of_aborted_run
from secure_finetune.wiring import Dependencies


class Env(Identity, JobSlotSettings, NotifySettings, ScheduleSettings, WorkflowSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="detail.name")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    why, run_id = aborted_execution_problem(event, ENV, ENV.state_machine_arn)
    if why is not None:  # never an exception: a retried spoofed event would only come back
        metrics.add_metadata(key="ignoredBecause", value=why.value)
        metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
        logger.info("event ignored", why=why.value)
        return {"outcome": f"ignored: {why.value}"}
    outcome = stop_job_of_aborted_run(run_id, deps or Dependencies(ENV))
    logger.info("aborted run handled", outcome=outcome)
    return {"outcome": outcome}
