"""Target of the TTL schedules (warn, then delete) and of `finetune teardown RUN`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from secure_finetune.config import Identity, NotifySettings, ScheduleSettings, TableSettings
from secure_finetune.observability import logger, tracer
from secure_finetune.teardown.tear_down import tear_down
from secure_finetune.wiring import Dependencies


class Env(Identity, TableSettings, NotifySettings, ScheduleSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


class TeardownRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    runId: str  # the schedule's JSON input names it so
    action: Literal["warn", "delete"] = "delete"
    why: str = "time-to-live reached"
    scheduledAt: datetime | None = None  # a schedule's own time (Scheduler's context attribute)


@logger.inject_lambda_context(correlation_id_path="runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    request = TeardownRequest.model_validate(event)
    # Retries are timed from the later of this clock and the schedule's time (an emulated clock runs ahead).
    now = max(filter(None, (datetime.now(UTC), request.scheduledAt)))
    outcome = tear_down(request.runId, request.action, deps or Dependencies(ENV), why=request.why[:100], now=now)
    logger.info("teardown", action=request.action, outcome=outcome.text)
    # `kind` is what callers branch on (`finetune teardown` exits 1 on DELETE_FAILED); `outcome` is for people.
    return {"runId": request.runId, "action": request.action, "outcome": outcome.text, "kind": outcome.kind.value}
