"""The handlers emit the metrics the template alarms and charts (CloudWatch EMF on stdout)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from local.lambda_runtime import LambdaContext, load_handler

from secure_finetune.runs import RunStatus, Step
from tests.unit.fakes import STACK_ENVIRONMENT, FakeDeps
from tests.unit.test_training import state as training_state

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
FUNCTION = SimpleNamespace(function_name="f", function_arn="arn:aws:lambda:us-east-1:111122223333:function:f", memory_size=512)
CONTEXT = LambdaContext(FUNCTION)


def emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in capsys.readouterr().out.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for definition in document["_aws"]["CloudWatchMetrics"]:
            assert definition["Namespace"] == "SecureFinetune"
            for metric in definition["Metrics"]:
                value = document[metric["Name"]]
                values[metric["Name"]] = value[0] if isinstance(value, list) else value
    return values


@pytest.fixture(autouse=True)
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")


def test_the_reconciler_reports_the_queue_overdue_waits_and_recovered_events(capsys: pytest.CaptureFixture[str]) -> None:
    deps = FakeDeps()
    deps.slots.enqueue("queued-run", "token-q")
    deps.slots.holders = {0: "a", 1: "b"}  # both slots held by training runs: the queued run stays queued
    for holder in ("a", "b"):
        deps.runs.set_status(holder, RunStatus.TRAINING)
    # TrainingTimeoutSeconds is 7 days in CONFIG: overdue past 80% of it (134.4 h), not before
    for run, hours in (("long-run", 135), ("recent-run", 134)):
        deps.runs.put_token(run, Step.TRAINING, f"token-{run}")
        deps.runs.waiting_for[(run, Step.TRAINING.value)] = hours * 3600
        deps.bedrock.jobs[run] = {"status": "InProgress"}
    handler = load_handler(FUNCTIONS / "reconcile_training", STACK_ENVIRONMENT)
    handler({}, CONTEXT, deps=deps)
    assert emitted(capsys) == {"QueuedRuns": 1, "OverdueTrainingWaits": 1, "LostEventsRecovered": 0}


def test_a_stop_before_any_spend_counts_as_rejected_as_well_as_failed(capsys: pytest.CaptureFixture[str]) -> None:
    state = training_state().model_dump(mode="json", by_alias=True, exclude={"registered", "dataset"})
    state["failure"] = {"Error": "RunRejected", "Cause": json.dumps({"errorMessage": "UNKNOWN_PROFILE:nobody"})}
    handler = load_handler(FUNCTIONS / "notify", STACK_ENVIRONMENT)
    outcome = handler({"milestone": "FAILURE", "state": state}, CONTEXT, deps=FakeDeps())
    assert (outcome["reason"], outcome["step"]) == ("UNKNOWN_PROFILE:nobody", "register")
    assert emitted(capsys) == {"RunsFailed": 1, "RunsRejected": 1}


def test_a_started_run_is_counted(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    event = json.loads((FUNCTIONS.parent / "events" / "s3-object-created.json").read_text())
    event["detail"]["bucket"]["name"] = "data-bucket"
    event["account"] = STACK_ENVIRONMENT["EXPECTED_ACCOUNT"]  # the trigger checks the envelope's account itself
    event["detail"]["object"]["key"] = "incoming/support.jsonl"
    deps = FakeDeps()
    monkeypatch.setattr(deps.bucket, "resolve_key", lambda key, version, etag: None)
    monkeypatch.setattr(deps.machine, "start", lambda name, document: True)
    load_handler(FUNCTIONS / "trigger", STACK_ENVIRONMENT)(event, CONTEXT, deps=deps)
    assert emitted(capsys) == {"RunsStarted": 1}
