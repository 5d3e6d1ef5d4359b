"""PrivateConverse: the smoke test's prompts through Converse from inside the VPC (counts, latencies and the route only).

Runs in the job subnets with a security group that reaches the bedrock-runtime interface endpoint only; its runtime
client calls the regional hostname, which the endpoint's private DNS answers inside the VPC.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import Settings
from secure_finetune.deployment.private_converse import PrivateConverseRequest, answers_adapter, converse_privately
from secure_finetune.observability import logger, tracer
from secure_finetune.wiring import Dependencies


class Env(Settings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these): none of the
    stack's settings; the smoke test gives it the model and the prompts."""


ENV = Env.from_environ()


@logger.inject_lambda_context(correlation_id_path="runId")
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> Any:
    answers = converse_privately(PrivateConverseRequest.model_validate(event), (deps or Dependencies(ENV)).runtime)
    return answers_adapter().dump_python(answers, mode="json")
