"""CheckEvaluation state: one poll of both evaluation jobs; when both completed, the gate (base vs custom per
metric). A failed gate, a failed job or too many polls stop the run (NotifyFailure tears down what was bought)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import EvaluationSettings
from secure_finetune.evaluation.state import EvaluationState
from secure_finetune.evaluation.steps import check_evaluation
from secure_finetune.observability import logger, tracer
from secure_finetune.state import PipelineState
from secure_finetune.wiring import Dependencies


class Env(EvaluationSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="run.runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    state, current = PipelineState.model_validate(event), EvaluationState.model_validate(event["evaluation"])
    return check_evaluation(state, current, deps or Dependencies(ENV)).wire()
