"""The stack's private-inference function, from inside the VPC through the bedrock-runtime endpoint when
PrivateInference is on. Two states call it:

* SmokeTest (the pipeline state as input): a few prompts through Converse on the deployed ARN (counts, latencies
  and the route only);
* CollectAnswers (``{"task": "collect-answers", "state": <pipeline state>}``): a model deployed on demand answers the
  held-out prompts for its evaluation job (``evaluation/answers.py``), until the function's time is nearly up.

One function for both: they need the same identity and path (the role that may invoke deployed models only through
the stack's endpoint, the subnets, the security group the endpoint admits), which GR-NET-12 judges on this function.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import BucketSettings, PrivateInferenceSettings
from secure_finetune.deployment.smoke import smoke_test
from secure_finetune.observability import logger, tracer
from secure_finetune.state import PipelineState
from secure_finetune.wiring import Dependencies

COLLECT_ANSWERS = "collect-answers"


class Env(BucketSettings, PrivateInferenceSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="run.runId || state.run.runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    deps = deps or Dependencies(ENV)
    if event.get("task") == COLLECT_ANSWERS:
        from secure_finetune.evaluation.answers import collect_answers  # only this state pays for the import
        from secure_finetune.evaluation.state import EvaluationState

        state = PipelineState.model_validate(event["state"])
        current = EvaluationState.model_validate(event["state"]["evaluation"])
        return collect_answers(state, current, deps, lambda: context.get_remaining_time_in_millis() / 1000).wire()
    return smoke_test(PipelineState.model_validate(event), deps).wire()
