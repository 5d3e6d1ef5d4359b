"""Operating runs from a laptop: list, inspect, cancel, retry and tear down (``finetune runs|status|...``).

Everything goes through the deployed stack's own resources with the caller's IAM rights: the
state machine (list/describe/stop/start executions), the run table (read), the reports (read)
and the teardown function (invoke). Nothing here holds a secret or reads dataset content.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .adapters.clients import client
from .adapters.runs_table import RunTable
from .adapters.stepfunctions import StateMachine
from .runs import Step, report_key

_ATTEMPT = re.compile(r"^(?P<run>.+?)-a(?P<n>[0-9]+)$")


@dataclass(frozen=True)
class Stack:
    state_machine_arn: str
    table: str
    bucket: str
    teardown_function: str

    @classmethod
    def named(cls, name: str) -> Stack:
        stack = client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        return cls(outputs["StateMachineArn"], outputs["RunsTableName"], outputs["DataBucketName"], outputs["TeardownFunctionName"])

    def execution_arn(self, run_id: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{run_id}"


def list_runs(stack: Stack, limit: int = 20) -> list[dict[str, str]]:
    executions = client("stepfunctions").list_executions(stateMachineArn=stack.state_machine_arn, maxResults=limit)["executions"]
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
    sfn = client("stepfunctions")
    execution = sfn.describe_execution(executionArn=stack.execution_arn(run_id))
    history = sfn.get_execution_history(executionArn=stack.execution_arn(run_id), maxResults=1000)["events"]
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
        client("stepfunctions").stop_execution(executionArn=stack.execution_arn(run_id), cause="cancelled with finetune cancel")
    except ClientError as err:
        if err.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return "no such run"
        raise
    return "cancelled"


def retry_run(stack: Stack, run_id: str) -> str:
    """A new attempt for the same dataset version: ``<run>-a<n>`` names the execution, the job and the model."""
    original = _ATTEMPT.match(run_id)
    base = original["run"] if original else run_id
    document = json.loads(client("stepfunctions").describe_execution(executionArn=stack.execution_arn(run_id))["input"])
    machine = StateMachine(stack.state_machine_arn)
    for attempt in range(2, 100):  # the first name Step Functions has not run yet (it refuses a taken one)
        document["run"]["runId"] = new_id = f"{base}-a{attempt}"
        if machine.start(new_id, document):
            return new_id
    raise RuntimeError(f"{base} has had 99 attempts")


def teardown_run(stack: Stack, run_id: str) -> dict[str, Any]:
    """Delete the run's throughput or deployment now, through the stack's teardown function."""
    payload = {"runId": run_id, "action": "delete", "why": "torn down with finetune teardown"}
    response = client("lambda").invoke(FunctionName=stack.teardown_function, Payload=json.dumps(payload).encode())
    answer: dict[str, Any] = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        raise RuntimeError(f"teardown failed: {answer.get('errorType', 'error')}")
    return answer


def _run_record(stack: Stack, run_id: str) -> dict[str, str]:
    record = RunTable(stack.table).get_run(run_id) or {}
    return {name: value for name, value in record.items() if name not in ("pk", "sk")}


def _costs(stack: Stack, run_id: str) -> dict[str, float | None]:
    costs: dict[str, float | None] = {}
    validation = _document(stack, report_key(run_id, Step.VALIDATION))
    costs["estimatedTrainingCostUsd"] = (validation.get("cost") or {}).get("estimatedTrainingUsd")
    plan = _document(stack, report_key(run_id, Step.DEPLOYMENT)).get("plan") or {}
    costs["estimatedHourlyCostUsd"] = plan.get("estimatedHourlyCostUsd")
    costs["estimatedCostOverTtlUsd"] = plan.get("estimatedCostOverTtlUsd")
    return costs


def _document(stack: Stack, key: str) -> dict[str, Any]:
    try:
        body = client("s3").get_object(Bucket=stack.bucket, Key=key)["Body"]
    except ClientError:
        return {}
    document: dict[str, Any] = json.loads(body.read())
    return document
