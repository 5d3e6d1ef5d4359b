"""VerifyGuardrails state: judge live evidence; any blocking FAIL or UNKNOWN stops the run."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import GuardrailSettings, InferenceAuditSettings
from secure_finetune.observability import logger, tracer
from secure_finetune.state import PipelineState
from secure_finetune.steps.verify_guardrails import verify_run_guardrails
from secure_finetune.wiring import Dependencies


class Env(GuardrailSettings, InferenceAuditSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="run.runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    return verify_run_guardrails(PipelineState.model_validate(event), deps or Dependencies(ENV))
