"""Operating runs from a laptop: list, inspect, cancel, retry and tear down (``finetune runs|status|...``).

Everything goes through the deployed stack's own resources with the caller's IAM rights: the
state machine (list/describe/stop/start executions), the run table (read), the reports (read)
and the teardown function (invoke). Nothing here holds a secret or reads dataset content.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from finetune_cli import aws
from secure_finetune.reports import DeploymentReport, Report, ValidationDocument, parse_report
from secure_finetune.runs import report_key
from secure_finetune.service_errors import ServiceError

_ATTEMPT = re.compile(r"^(?P<run>.+?)-a(?P<n>[0-9]+)$")
R = TypeVar("R", bound=Report)


@dataclass(frozen=True)
class Stack:
    state_machine_arn: str
    table: str
    bucket: str
    teardown_function: str

    @classmethod
    def named(cls, name: str) -> Stack:
        outputs = aws.stack_outputs(name)
        return cls(outputs["StateMachineArn"], outputs["RunsTableName"], outputs["DataBucketName"], outputs["TeardownFunctionName"])

    def execution_arn(self, run_id: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{run_id}"


def list_runs(stack: Stack, limit: int = 20) -> list[dict[str, str]]:
    executions = aws.list_executions(stack.state_machine_arn, limit)
    return [
        {
            "run": execution["name"],
            "state": execution["status"],
            "started": execution["startDate"].strftime("%Y-%m-%d %H:%M:%S"),
            "reason": _run_record(stack, execution["name"]).get("reason", ""),
        }
        for execution in executions
    ]


def run_status(stack: Stack, run_id: str) -> dict[str, Any]:
    """Steps taken, the run record (job, throughput, deadline) and the costs known so far."""
    execution = aws.describe_execution(stack.execution_arn(run_id))
    history = aws.execution_history(stack.execution_arn(run_id), max_results=1000)
    steps = [event["stateEnteredEventDetails"]["name"] for event in history if event["type"].endswith("StateEntered")]
    return {
        "run": run_id,
        "state": execution["status"],
        "error": execution.get("error"),
        "steps": steps,
        "record": _run_record(stack, run_id),
        "costs": _costs(stack, run_id),
    }


def cancel_run(stack: Stack, run_id: str) -> str:
    """Stop the execution; the rule on ABORTED executions stops its job and frees its job slot."""
    try:
        aws.stop_execution(stack.execution_arn(run_id), cause="cancelled with finetune cancel")
    except ServiceError as err:
        if err.code == "ExecutionDoesNotExist":
            return "no such run"
        raise
    return "cancelled"


def retry_run(stack: Stack, run_id: str) -> str:
    """A new attempt for the same dataset version: ``<run>-a<n>`` names the execution, the job and the model."""
    original = _ATTEMPT.match(run_id)
    base = original["run"] if original else run_id
    document = json.loads(aws.describe_execution(stack.execution_arn(run_id))["input"])
    for attempt in range(2, 100):  # the first name Step Functions has not run yet (it refuses a taken one)
        document["run"]["runId"] = new_id = f"{base}-a{attempt}"
        if aws.start_execution(stack.state_machine_arn, new_id, document):
            return new_id
    raise RuntimeError(f"{base} has had 99 attempts")


def teardown_run(stack: Stack, run_id: str) -> dict[str, Any]:
    """Delete the run's throughput or deployment now, through the stack's teardown function."""
    payload = {"runId": run_id, "action": "delete", "why": "torn down with finetune teardown"}
    answer: dict[str, Any]
    answer, function_error = aws.invoke(stack.teardown_function, payload)
    if function_error:
        raise RuntimeError(f"teardown failed: {answer.get('errorType', 'error')}")
    return answer


def _run_record(stack: Stack, run_id: str) -> dict[str, str]:
    record = aws.run_record(stack.table, run_id) or {}
    return {name: value for name, value in record.items() if name not in ("pk", "sk")}


def _costs(stack: Stack, run_id: str) -> dict[str, float | None]:
    validation = _document(stack, run_id, ValidationDocument)
    deployment = _document(stack, run_id, DeploymentReport)
    plan = deployment.plan if deployment is not None else None
    return {
        "estimatedTrainingCostUsd": validation.cost.estimated_training_usd if validation is not None else None,
        "estimatedHourlyCostUsd": plan.estimated_hourly_cost_usd if plan is not None else None,
        "estimatedCostOverTtlUsd": plan.estimated_cost_over_ttl_usd if plan is not None else None,
    }


def _document(stack: Stack, run_id: str, model: type[R]) -> R | None:
    """The run's ``model`` report document (None: not written, not readable, or not that model)."""
    try:
        body = aws.object_bytes(stack.bucket, report_key(run_id, model.step))
    except ServiceError:
        return None
    return parse_report(model, body)
