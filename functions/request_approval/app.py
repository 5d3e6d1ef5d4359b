"""WaitForApproval state (waitForTaskToken): store the link's digest, send the approve/reject link.

The run then waits; the approval API answers the token, or the state's timeout rejects the run.
"""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.approval import log_id
from secure_finetune.approval.decisions import request_approval
from secure_finetune.config import ApprovalSettings, NotifySettings, TableSettings
from secure_finetune.observability import logger, tracer
from secure_finetune.state import PipelineState
from secure_finetune.wiring import Dependencies


class Env(TableSettings, NotifySettings, ApprovalSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()

# At DEBUG botocore logs request bodies, and the DynamoDB put carries the task token.
logging.getLogger("botocore").setLevel(logging.INFO)


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event carries the task token.
@logger.inject_lambda_context(correlation_id_path="state.run.runId", log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    state = PipelineState.model_validate(event["state"])
    digest = request_approval(state, event["taskToken"], deps or Dependencies(ENV))
    return {"approval": log_id(digest)}
