"""The trigger and the completion handler trust no envelope: invoked directly with anything, they ignore
what is not theirs with a reason code and the EventsIgnored metric, and never raise (issue 12, item 4)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from local.lambda_runtime import load_handler

from secure_finetune.runs import Step
from tests.unit.fakes import STACK_ENVIRONMENT, FakeDeps
from tests.unit.test_handler_metrics import CONTEXT, emitted

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS, EVENTS = ROOT / "functions", ROOT / "events"
ACCOUNT, REGION, BUCKET = STACK_ENVIRONMENT["EXPECTED_ACCOUNT"], STACK_ENVIRONMENT["AWS_REGION"], STACK_ENVIRONMENT["DATA_BUCKET"]
RUN = "tickets-0123456789abcdef0123"
JOB_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/abcdefghwxyz"


@pytest.fixture(autouse=True)
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")


def s3_event(**changes: Any) -> dict[str, Any]:
    """The sample "Object Created" event, from our account, region and bucket, then ``changes`` (dotted paths)."""
    event = json.loads((EVENTS / "s3-object-created.json").read_text())
    event.update(account=ACCOUNT, region=REGION)
    event["detail"]["bucket"]["name"] = BUCKET
    return changed(event, changes)


def job_event(**changes: Any) -> dict[str, Any]:
    event = json.loads((EVENTS / "bedrock-job-state-change.json").read_text())
    event.update(account=ACCOUNT, region=REGION, resources=[JOB_ARN])
    event["detail"].update(jobName=RUN, jobArn=JOB_ARN)
    return changed(event, changes)


def changed(event: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = event
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return event


def emf(capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, float], str | None]:
    """The metrics the invocation emitted and the ``ignoredBecause`` metadata of its EMF document."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    values = {m["Name"]: d[m["Name"]] for d in lines for block in d["_aws"]["CloudWatchMetrics"] for m in block["Metrics"]}
    values = {name: value[0] if isinstance(value, list) else value for name, value in values.items()}
    return values, next((d["ignoredBecause"] for d in lines if "ignoredBecause" in d), None)


def trigger_deps() -> FakeDeps:
    deps = FakeDeps()
    deps.bucket.documents["incoming/support-bot/tickets.jsonl"] = b'{"prompt": "p", "completion": "c"}\n'
    return deps


# ------------------------------------------------------------------------------------------- trigger

SPOOFED_S3 = {
    "spoofed custom.s3 source": ({"source": "custom.s3"}, "OTHER_SOURCE"),
    "Object Deleted": ({"detail-type": "Object Deleted"}, "OTHER_DETAIL_TYPE"),
    "another account": ({"account": "999999999999"}, "OTHER_ACCOUNT"),
    "another region": ({"region": "eu-west-1"}, "OTHER_REGION"),
    "another bucket": ({"detail__bucket__name": "someone-elses-bucket"}, "OTHER_BUCKET"),
    "no detail at all": ({"detail": None}, "OTHER_BUCKET"),
    "object without a key": ({"detail__object": {"size": 1}}, "MALFORMED"),
    "a validation file": ({"detail__object__key": "incoming/support-bot/tickets.validation.jsonl"}, "VALIDATION_FILE"),
    "outside incoming/": ({"detail__object__key": "reports/x.jsonl"}, "NOT_A_DATASET"),
}


@pytest.mark.parametrize(("changes", "reason"), SPOOFED_S3.values(), ids=SPOOFED_S3.keys())
def test_the_trigger_ignores_every_event_that_is_not_an_object_created_in_our_bucket(
    changes: dict[str, Any], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an event the rule would not have delivered, invoked directly
    deps = trigger_deps()
    handler = load_handler(FUNCTIONS / "trigger", STACK_ENVIRONMENT)
    # When the trigger handles it
    answer = handler(s3_event(**changes), CONTEXT, deps=deps)
    # Then no run starts, the answer says why, and the ignore is counted
    assert answer == {"runId": None, "started": False, "ignored": reason}
    assert deps.machine.started == {}
    assert emf(capsys) == ({"EventsIgnored": 1}, reason)


@pytest.mark.parametrize("event", [[], "incoming/x.jsonl", None, 7, {}], ids=["list", "string", "null", "number", "empty"])
def test_the_trigger_ignores_json_that_is_no_event_at_all(event: Any, capsys: pytest.CaptureFixture[str]) -> None:
    deps = trigger_deps()
    answer = load_handler(FUNCTIONS / "trigger", STACK_ENVIRONMENT)(event, CONTEXT, deps=deps)
    assert answer["started"] is False and answer["ignored"] in ("MALFORMED", "OTHER_SOURCE")
    assert deps.machine.started == {}
    assert emitted(capsys) == {"EventsIgnored": 1}


def test_an_object_created_in_our_bucket_starts_one_run_and_redeliveries_are_duplicates_counted_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    deps = trigger_deps()
    handler = load_handler(FUNCTIONS / "trigger", STACK_ENVIRONMENT)
    first = handler(s3_event(), CONTEXT, deps=deps)
    assert first["started"] is True and first["runId"] in deps.machine.started
    assert emitted(capsys) == {"RunsStarted": 1}
    # When the same event comes again while the run is live: Step Functions answers success again
    # (same name, same input, open execution), so FakeMachine.start does too
    deps.machine.started.clear()
    again = handler(s3_event(), CONTEXT, deps=deps)
    # Then it is reported as a duplicate, and RunsStarted is not counted a second time
    assert again == {"runId": first["runId"], "started": False, "duplicate": True}
    assert emitted(capsys) == {"DuplicateDeliveries": 1}


def test_a_redelivery_after_the_run_closed_is_a_duplicate_too(capsys: pytest.CaptureFixture[str]) -> None:
    deps = trigger_deps()
    handler = load_handler(FUNCTIONS / "trigger", STACK_ENVIRONMENT)
    first = handler(s3_event(), CONTEXT, deps=deps)
    capsys.readouterr()
    # the execution name is taken (StartExecution: ExecutionAlreadyExists -> start() is False)
    again = handler(s3_event(), CONTEXT, deps=deps)
    assert again == {"runId": first["runId"], "started": False, "duplicate": True}
    assert emitted(capsys) == {"DuplicateDeliveries": 1}


def test_a_delivery_that_started_the_run_but_crashed_before_counting_it_is_completed_by_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a first delivery whose StartExecution succeeded but whose process died before the START item
    deps = trigger_deps()
    handler = load_handler(FUNCTIONS / "trigger", STACK_ENVIRONMENT)
    record_start = deps.runs.record_start

    def crash(run_id: str) -> bool:
        raise TimeoutError("the process died here")

    monkeypatch.setattr(deps.runs, "record_start", crash)
    with pytest.raises(TimeoutError):
        handler(s3_event(), CONTEXT, deps=deps)
    [run_id] = deps.machine.started
    # When the event is redelivered while the execution is open (StartExecution answers success again)
    monkeypatch.setattr(deps.runs, "record_start", record_start)
    deps.machine.started.clear()
    answer = handler(s3_event(), CONTEXT, deps=deps)
    # Then that delivery counts the start, once
    assert answer == {"runId": run_id, "started": True}
    assert deps.runs.starts == {run_id}


# ---------------------------------------------------------------------------------------- completion


def waiting_deps() -> FakeDeps:
    deps = FakeDeps()
    deps.runs.put_token(RUN, Step.TRAINING, "token-1")
    deps.bedrock.jobs[RUN] = {
        "jobArn": JOB_ARN,
        "status": "Completed",
        "outputModelArn": "arn:m",
        "outputDataConfig": {"s3Uri": "s3://b/o/"},
    }
    return deps


BATCH_INFERENCE = {  # https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-eventbridge-how-it-works.html
    "version": "0",
    "id": "b1",
    "detail-type": "Batch Inference Job State Change",
    "source": "aws.bedrock",
    "account": ACCOUNT,
    "time": "2026-11-24T12:00:00Z",
    "region": REGION,
    "resources": [f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/abcdefghwxyz"],
    "detail": {
        "version": "0.0",
        "accountId": ACCOUNT,
        "batchJobName": RUN,
        "batchJobArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/abcdefghwxyz",
        "status": "Completed",
    },
}

SPOOFED_JOB = {
    "spoofed source": (job_event(source="custom.bedrock"), "OTHER_SOURCE"),
    "batch inference state change": (BATCH_INFERENCE, "OTHER_DETAIL_TYPE"),
    "batch inference detail under our detail-type": (
        {**BATCH_INFERENCE, "detail-type": "Model Customization Job State Change"},
        "MALFORMED",
    ),
    "envelope from another account": (job_event(account="999999999999"), "OTHER_ACCOUNT"),
    "envelope from another region": (job_event(region="eu-west-1"), "OTHER_REGION"),
    "job ARN of another account": (
        job_event(detail__jobArn="arn:aws:bedrock:us-east-1:999999999999:model-customization-job/abcdefghwxyz"),
        "FOREIGN_JOB",
    ),
    "job ARN of another region": (
        job_event(detail__jobArn=f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:model-customization-job/abcdefghwxyz"),
        "FOREIGN_JOB",
    ),
    "not a job ARN": (job_event(detail__jobArn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/abc"), "FOREIGN_JOB"),
    "a job nobody waits for": (job_event(detail__jobName="someone-elses-job"), "NOT_WAITED_FOR"),
    "not JSON of an event": ([1, 2], "MALFORMED"),
}


@pytest.mark.parametrize(("event", "reason"), SPOOFED_JOB.values(), ids=SPOOFED_JOB.keys())
def test_the_completion_handler_ignores_what_is_not_a_job_of_ours_and_answers_no_wait(
    event: Any, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    deps = waiting_deps()
    handler = load_handler(FUNCTIONS / "complete_training_job", STACK_ENVIRONMENT)
    answer = handler(event, CONTEXT, deps=deps)
    assert answer["outcome"].startswith("ignored")
    assert deps.machine.answers == []
    assert deps.runs.get_token(RUN, Step.TRAINING) == "token-1"  # the run still waits for its own event
    assert emf(capsys) == ({"EventsIgnored": 1}, reason)


def test_the_completion_handler_answers_a_genuine_event_of_a_job_it_waits_for(capsys: pytest.CaptureFixture[str]) -> None:
    deps = waiting_deps()
    answer = load_handler(FUNCTIONS / "complete_training_job", STACK_ENVIRONMENT)(job_event(), CONTEXT, deps=deps)
    assert answer == {"outcome": "answered Completed"}
    assert [kind for kind, _ in deps.machine.answers] == ["success"]
    assert "EventsIgnored" not in emitted(capsys)


# ---------------------------------------------------------------- the aborted-execution rule's target


def aborted(**change: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "0",
        "id": "e-aborted",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": ACCOUNT,
        "time": "2026-12-03T08:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": {"name": "support-0123456789abcdef0123", "status": "ABORTED", "stateMachineArn": STACK_ENVIRONMENT["STATE_MACHINE_ARN"]},
    }
    detail = change.pop("detail", {})
    event.update(change)
    event["detail"].update(detail)
    return event


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (aborted(source="custom.states"), "OTHER_SOURCE"),
        (aborted(account="999999999999"), "OTHER_ACCOUNT"),
        (aborted(detail={"stateMachineArn": "arn:aws:states:us-east-1:999999999999:stateMachine:theirs"}), "OTHER_STATE_MACHINE"),
        (aborted(detail={"status": "SUCCEEDED"}), "NOT_ABORTED"),
        (aborted(detail={"name": 7}), "MALFORMED"),
        ("not an event", "MALFORMED"),
    ],
)
def test_a_spoofed_or_foreign_abort_cancels_nothing(event: Any, why: str, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a live run that trains
    handler = load_handler(FUNCTIONS / "stop_aborted_run", STACK_ENVIRONMENT)
    deps = FakeDeps()
    deps.runs.set_status("support-0123456789abcdef0123", None)
    # When the handler is invoked with an event that is not our execution's ABORTED change
    answer = handler(event, CONTEXT, deps=deps)
    # Then it is ignored (counted), and nothing was stopped, deleted or told
    assert answer == {"outcome": f"ignored: {why}"}
    assert deps.bedrock.stopped == [] and deps.notifier.sent == []
    assert emitted(capsys)["EventsIgnored"] == 1


def test_our_executions_abort_cancels_its_run() -> None:
    handler = load_handler(FUNCTIONS / "stop_aborted_run", STACK_ENVIRONMENT)
    deps = FakeDeps()
    deps.runs.set_status("support-0123456789abcdef0123", None)
    answer = handler(aborted(), CONTEXT, deps=deps)
    assert answer["outcome"].startswith("cancelled")
    [told] = deps.notifier.sent
    assert told.milestone == "RUN_CANCELLED"
