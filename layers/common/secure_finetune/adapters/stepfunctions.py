"""Step Functions: start runs and answer task tokens."""

from __future__ import annotations

import json

from ..service_errors import AlreadyAnswered, AlreadyExists
from .clients import client


class StateMachine:
    def __init__(self, arn: str = "") -> None:
        self.arn = arn
        self._sfn = client("stepfunctions")

    def start(self, name: str, document: dict[str, object]) -> bool:
        """Start one execution per name; False when that name already ran (a duplicate event)."""
        try:
            self._sfn.start_execution(stateMachineArn=self.arn, name=name, input=json.dumps(document))
        except AlreadyExists:
            return False
        return True

    def succeed(self, token: str, output: dict[str, object]) -> bool:
        try:
            self._sfn.send_task_success(taskToken=token, output=json.dumps(output))
        except AlreadyAnswered:  # a duplicate or late answer: the wait already ended one way or another
            return False
        return True

    def fail(self, token: str, error: str, reason: str) -> bool:
        # Same Cause shape as a Lambda error, so one parser reads both.
        cause = json.dumps({"errorType": error, "errorMessage": reason})
        try:
            self._sfn.send_task_failure(taskToken=token, error=error, cause=cause)
        except AlreadyAnswered:  # a duplicate or late answer: the wait already ended one way or another
            return False
        return True
