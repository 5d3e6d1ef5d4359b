"""Daily (and ``finetune sweep``): find what this stack bought or left training that nothing wants; delete (a job:
stop) what the policy allows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import JanitorSettings, NotifySettings
from secure_finetune.janitor.rules import Action
from secure_finetune.janitor.sweep import sweep, sweep_message
from secure_finetune.observability import logger, metrics, tracer
from secure_finetune.wiring import Dependencies


class Env(JanitorSettings, NotifySettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    deps = deps or Dependencies(ENV)
    # Deletes only when asked for in so many words (the schedule's input, `finetune sweep --delete`): any
    # other invocation is a dry run.
    delete = isinstance(event, dict) and event.get("delete") is True
    now = datetime.now(UTC)
    result = sweep(deps, delete=delete, now=now)
    # Everything acted on: the resources deleted and the jobs stopped.
    metrics.add_metric(name="SweptResources", unit=MetricUnit.Count, value=len(result.deleted) + len(result.stopped))
    metrics.add_metric(name="SweepNotOurs", unit=MetricUnit.Count, value=len(result.of(Action.NOT_OURS)))
    metrics.add_metric(name="SweepDeletesRefused", unit=MetricUnit.Count, value=len(result.failed))
    message = sweep_message(result, deps.settings(JanitorSettings), now) if delete else None
    if message is not None:
        deps.notifier.send(message)
    return result.answer()
