"""Operating runs from a laptop: list, inspect, follow, submit, cancel, retry and tear down.

Everything goes through the deployed stack's own resources with the caller's IAM rights: the
state machine (list/describe/stop/start executions), the run table (read), the bucket (one put
under ``incoming/`` for ``submit``), the reports (read) and the teardown function (invoke).
Nothing here holds a secret or reads dataset content. Output shapes are plain dicts (``wire``)
that ``operate_cli`` prints as text or JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from finetune_cli import aws
from finetune_cli.errors import CliError
from secure_finetune.reports import DeploymentReport, Report, ValidationDocument, parse_report
from secure_finetune.runs import INCOMING_PREFIX, RunStatus, profile_of, report_key, run_id
from secure_finetune.service_errors import ServiceError

_ATTEMPT = re.compile(r"^(?P<run>.+?)-a(?P<n>[0-9]+)$")
R = TypeVar("R", bound=Report)
# How an execution ended (ExecutionStatus; PENDING_REDRIVE is a failed one waiting for a redrive, which we never start):
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
ENDED = {
    "SUCCEEDED": RunStatus.SUCCEEDED,
    "FAILED": RunStatus.FAILED,
    "TIMED_OUT": RunStatus.FAILED,
    "ABORTED": RunStatus.CANCELLED,
    "PENDING_REDRIVE": RunStatus.FAILED,
}
_FINAL = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)
_OUTPUTS = ("StateMachineArn", "RunsTableName", "DataBucketName", "TeardownFunctionName")


@dataclass(frozen=True)
class Stack:
    name: str
    state_machine_arn: str
    table: str
    bucket: str
    teardown_function: str

    @classmethod
    def named(cls, name: str) -> Stack:
        outputs = aws.stack_outputs(name)
        missing = [output for output in _OUTPUTS if output not in outputs]
        if missing:
            raise CliError(f"stack {name} has no output {missing[0]}: is it a secure-finetune stack? check --stack")
        return cls(name, *(outputs[output] for output in _OUTPUTS))

    def execution_arn(self, run: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{run}"


def run_status_of(execution_status: str, recorded: str | None) -> RunStatus:
    """The run's status as the README lists it: the run record's, unless the execution ended and
    the record does not say how (then the execution's end: SUCCEEDED, FAILED, or CANCELLED for ABORTED)."""
    known = RunStatus(recorded) if recorded is not None and recorded in set(RunStatus) else None
    if execution_status in ENDED and known not in _FINAL:
        return ENDED[execution_status]
    return known or RunStatus.REGISTERED


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _summary(stack: Stack, execution: dict[str, Any]) -> dict[str, Any]:
    described = aws.describe_execution(execution["executionArn"])
    try:
        key = str(json.loads(described.get("input") or "{}").get("run", {}).get("key", ""))
    except (ValueError, AttributeError):
        key = ""
    record = _run_record(stack, execution["name"])
    key = record.get("objectKey") or key
    started, stopped = execution["startDate"], execution.get("stopDate")
    return {
        "runId": execution["name"],
        "status": run_status_of(execution["status"], record.get("status")).value,
        "execution": execution["status"],
        "key": key,
        "profile": record.get("profile") or (profile_of(key) if key else None) or "default",
        "startedAt": iso(started),
        "stoppedAt": iso(stopped),
        "durationSeconds": round(((stopped or datetime.now(UTC)) - started).total_seconds(), 1),
        "reason": record.get("reason") or described.get("error") or None,
    }


def list_runs(
    stack: Stack, limit: int = 20, statuses: frozenset[str] = frozenset(), since: datetime | None = None, profile: str | None = None
) -> list[dict[str, Any]]:
    """The newest runs first, each as ``_summary``; filtered by run status, start time and profile."""
    filtered = bool(statuses or profile)
    runs = []
    for execution in aws.list_executions(stack.state_machine_arn, 1000 if filtered else limit):
        if since is not None and execution["startDate"] < since:
            break  # newest first: the rest started earlier still
        summary = _summary(stack, execution)
        if (statuses and summary["status"] not in statuses) or (profile and summary["profile"] != profile):
            continue
        runs.append(summary)
        if len(runs) >= limit:
            break
    return runs


def timeline(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each state the run entered: when, for how long, and how it ended (ok, caught, failed, running)."""
    steps: list[dict[str, Any]] = []
    open_steps: dict[str, dict[str, Any]] = {}
    failed = False
    for event in history:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            step = {
                "name": event["stateEnteredEventDetails"]["name"],
                "enteredAt": event["timestamp"],
                "seconds": None,
                "outcome": "running",
            }
            steps.append(step)
            open_steps[step["name"]] = step
        elif kind.endswith("Failed") or kind.endswith("TimedOut"):
            failed = True
        elif kind.endswith("StateExited"):
            exited = open_steps.pop(event["stateExitedEventDetails"]["name"], None)
            if exited is not None:
                exited["seconds"] = round((event["timestamp"] - exited["enteredAt"]).total_seconds(), 2)
                exited["outcome"] = "caught" if failed else "ok"
            failed = False
        elif kind in ("ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"):
            for step in open_steps.values():
                step["outcome"] = "failed" if kind != "ExecutionAborted" else "cancelled"
    return [{**step, "enteredAt": iso(step["enteredAt"])} for step in steps]


def run_status(stack: Stack, run: str) -> dict[str, Any]:
    """The run (``_summary``), its steps with times, the run record (job, throughput, deadline) and costs so far."""
    execution = aws.describe_execution(stack.execution_arn(run))
    history = aws.execution_history(stack.execution_arn(run), max_results=1000)
    summary = _summary(stack, {**execution, "name": run})
    return {
        **summary,
        "error": execution.get("error"),
        "steps": timeline(history),
        "record": _run_record(stack, run),
        "costs": _costs(stack, run),
    }


def cancel_run(stack: Stack, run: str) -> tuple[bool, dict[str, Any]]:
    """(stopped now, the run): a run that already ended is left as it is (and said so)."""
    execution = aws.describe_execution(stack.execution_arn(run))
    if execution["status"] != "RUNNING":
        return False, _summary(stack, {**execution, "name": run})
    # The rule on ABORTED executions stops its job and frees its job slot.
    aws.stop_execution(stack.execution_arn(run), cause="cancelled with finetune cancel")
    return True, _summary(stack, {**aws.describe_execution(stack.execution_arn(run)), "name": run})


def retry_run(stack: Stack, run: str) -> str:
    """A new attempt for the same dataset version: ``<run>-a<n>`` names the execution, the job and the model."""
    original = _ATTEMPT.match(run)
    base = original["run"] if original else run
    document = json.loads(aws.describe_execution(stack.execution_arn(run))["input"])
    for attempt in range(2, 100):  # the first name Step Functions has not run yet (it refuses a taken one)
        document["run"]["runId"] = new_id = f"{base}-a{attempt}"
        if aws.start_execution(stack.state_machine_arn, new_id, document):
            return new_id
    raise CliError(f"{base} has had 99 attempts: upload the dataset again for a new run")


def teardown_run(stack: Stack, run: str) -> dict[str, Any]:
    """Delete the run's throughput or deployment now, through the stack's teardown function."""
    if aws.run_record(stack.table, run) is None:
        raise CliError(f"no run {run} in stack {stack.name}: `finetune runs --stack {stack.name}` lists the runs")
    payload = {"runId": run, "action": "delete", "why": "torn down with finetune teardown"}
    answer: dict[str, Any]
    answer, function_error = aws.invoke(stack.teardown_function, payload)
    if function_error:
        raise CliError(f"teardown of {run} failed ({answer.get('errorType', 'error')}): see the teardown function's logs, then retry")
    return answer


def submit(stack: Stack, path: Path, profile: str | None, name: str | None = None) -> dict[str, Any]:
    """Upload ``path`` under ``incoming/[<profile>/]`` as the pipeline's trigger expects; the run id it will have."""
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    filename = name or path.name
    if not filename.endswith(".jsonl") or "/" in filename:
        raise CliError(f"{filename}: a dataset is a *.jsonl file (only those start a run); rename it or give --name NAME.jsonl")
    key = f"{INCOMING_PREFIX}{profile + '/' if profile and profile != 'default' else ''}{filename}"
    version = aws.upload(str(path), stack.bucket, key)
    return {"runId": run_id(stack.bucket, key, version), "bucket": stack.bucket, "key": key, "versionId": version}


def _run_record(stack: Stack, run: str) -> dict[str, str]:
    record = aws.run_record(stack.table, run) or {}
    return {name: value for name, value in record.items() if name not in ("pk", "sk")}


def _costs(stack: Stack, run: str) -> dict[str, float | None]:
    validation = _document(stack, run, ValidationDocument)
    deployment = _document(stack, run, DeploymentReport)
    plan = deployment.plan if deployment is not None else None
    return {
        "estimatedTrainingCostUsd": validation.cost.estimated_training_usd if validation is not None else None,
        "estimatedHourlyCostUsd": plan.estimated_hourly_cost_usd if plan is not None else None,
        "estimatedCostOverTtlUsd": plan.estimated_cost_over_ttl_usd if plan is not None else None,
    }


def _document(stack: Stack, run: str, model: type[R]) -> R | None:
    """The run's ``model`` report document (None: not written, not readable, or not that model)."""
    try:
        body = aws.object_bytes(stack.bucket, report_key(run, model.step))
    except ServiceError:
        return None
    return parse_report(model, body)
