"""Custom resources RestrictDefaultSecurityGroup and ManagedPrefixList: the created VPC's default security group
emptied, the S3 prefix list's id looked up (``secure_finetune/custom_resources``). Every path answers CloudFormation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import Settings
from secure_finetune.custom_resources.network import decide
from secure_finetune.custom_resources.response import answer
from secure_finetune.observability import logger, tracer
from secure_finetune.wiring import Dependencies


class Env(Settings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these): none; the
    request's properties say which group or prefix list."""


ENV = Env.from_environ()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    # The EC2 client is made only for a request that parsed (a malformed one is answered without it).
    return answer(event, context, lambda request: decide(request, (deps or Dependencies(ENV)).network_setup))
