"""StartEvaluation state: held-out prompts -> Bedrock's evaluation dataset (our key), one judge job per model
(base, custom); or a stated skip (off, no held-out prompts). An on-demand run comes here twice: first for the
dataset (then CollectAnswers), then, its answers collected, for the jobs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import EvaluationSettings, StackSettings, TableSettings
from secure_finetune.evaluation.state import EvaluationState
from secure_finetune.evaluation.steps import start_evaluation
from secure_finetune.observability import logger, tracer
from secure_finetune.state import PipelineState
from secure_finetune.wiring import Dependencies


class Env(EvaluationSettings, StackSettings, TableSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="run.runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    current = EvaluationState.model_validate(event["evaluation"]) if event.get("evaluation") else None
    return start_evaluation(PipelineState.model_validate(event), deps or Dependencies(ENV), current).wire()
