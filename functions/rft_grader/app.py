"""Example reward function (grader) for reinforcement fine-tuning: Bedrock invokes it with a batch of model
answers and scores them. Logs counts only, never a sample; Powertools neither logs the event nor traces the
response."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.config import Settings
from secure_finetune.grader import grade_batch
from secure_finetune.observability import logger, tracer


class Env(Settings):
    """This function reads no stack setting (template.yaml sets none)."""


ENV = Env.from_environ()


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: list[dict[str, Any]], context: LambdaContext) -> list[dict[str, Any]]:
    graded, unreadable = grade_batch(event)
    logger.info("graded a batch", extra={"samples": len(graded), "unreadable": unreadable})
    return [sample.as_output() for sample in graded]
