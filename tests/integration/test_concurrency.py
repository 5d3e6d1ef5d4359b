"""Real concurrency on the emulator (issue 12, item 6): Lambdas invoked in parallel from a thread pool,
EventBridge deliveries asynchronous with Lambda's retries and dead-letter queue (``local/async_delivery``),
moto's non-atomic check-then-write operations serialised (``local/moto_concurrency``).

A thread switch every 10 µs (instead of Python's 5 ms) makes interleavings likely inside each call,
where a check and its write would otherwise rarely be split.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import boto3
import pytest
from local import moto_patches
from local.bedrock_standin import ACCOUNT, Scenario
from local.emulator import ROOT, LocalPipeline

from secure_finetune.runs import JOB_SLOTS_PK, START_SK, run_pk

KEY = "incoming/support.jsonl"


@pytest.fixture(autouse=True)
def frequent_thread_switches() -> Iterator[None]:
    saved = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(saved)


@pytest.fixture
def concurrent() -> Iterator[Callable[..., LocalPipeline]]:
    opened: list[LocalPipeline] = []

    def start(scenario: Scenario | None = None, **parameters: str) -> LocalPipeline:
        running = LocalPipeline(scenario=scenario, parameters=parameters, concurrency=12)
        opened.append(running)
        return running.__enter__()

    yield start
    for running in opened:
        running.__exit__(None, None, None)


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` in a thread pool, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def released(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(released, calls))


def invoke(pipeline: LocalPipeline, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
    lambdas = boto3.client("lambda")  # one client per call: a thread pool must not share a botocore client's state
    answer = lambdas.invoke(FunctionName=pipeline.stack.physical_ids[logical_id], Payload=json.dumps(event).encode())
    return dict(json.loads(answer["Payload"].read()))


def table_items(pipeline: LocalPipeline, pk: str) -> list[dict[str, Any]]:
    return list(
        boto3.client("dynamodb").query(
            TableName=pipeline.stack.physical_ids["RunsTable"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
        )["Items"]
    )


def test_the_same_s3_event_delivered_five_times_at_once_makes_one_run_counted_once(
    concurrent: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    pipeline = concurrent()
    # Given the real "Object Created" event S3 emitted for an upload (held back from the trigger)
    held: list[dict[str, Any]] = []
    trigger = pipeline.stack.physical_ids["TriggerFunction"]
    assert pipeline.delivery is not None
    delivery = pipeline.delivery

    def hold_the_triggers(target: dict[str, Any], event: dict[str, Any]) -> None:
        if target["Arn"].endswith(f":function:{trigger}"):
            held.append(event)
        else:
            delivery(target, event)

    moto_patches.set_deliverer(hold_the_triggers)
    try:
        version = pipeline.upload(KEY, good_dataset)
    finally:
        moto_patches.set_deliverer(pipeline.delivery)
    [event] = held
    # When it reaches the trigger five times at once (EventBridge and Lambda both deliver at least once)
    answers = at_once([lambda: invoke(pipeline, "TriggerFunction", event)] * 5)
    # Then exactly one delivery started the run and counted it; the four others are duplicates
    run_id = pipeline.execution_arn(KEY, version).rsplit(":", 1)[-1]
    assert sorted(json.dumps(a, sort_keys=True) for a in answers) == sorted(
        [json.dumps({"runId": run_id, "started": True}, sort_keys=True)]
        + [json.dumps({"duplicate": True, "runId": run_id, "started": False}, sort_keys=True)] * 4
    )
    assert pipeline.lambdas.most_running >= 2  # they did overlap
    assert [e["name"] for e in pipeline.executions()] == [run_id]  # moto alone made 2+ of one name (moto_concurrency)
    assert [i for i in table_items(pipeline, run_pk(run_id)) if i["sk"]["S"] == START_SK] != []
    result = pipeline.wait(pipeline.execution_arn(KEY, version))
    assert result["status"] == "SUCCEEDED", result.get("error")
    assert len(pipeline.bedrock.jobs_created) == 1


def test_ten_uploads_at_once_on_two_job_slots_never_train_more_than_two_and_all_finish(
    concurrent: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    # Given Bedrock would accept ten jobs at once: only our job slots (MaxConcurrentJobs=2) hold them back
    pipeline = concurrent(
        Scenario(job_quota=10, training_seconds=0.3),
        MaxConcurrentJobs="2",
        NoCommitmentModelUnits="20",
        JobSlotTimeoutSeconds="600",
        TrainingTimeoutSeconds="600",
    )
    keys = [f"incoming/burst-{i:02}.jsonl" for i in range(10)]
    # When ten data scientists upload at the same moment (each upload's event is delivered asynchronously)
    versions = at_once([partial(pipeline.upload, key, good_dataset) for key in keys])
    results = [pipeline.wait(pipeline.execution_arn(key, version), timeout=300) for key, version in zip(keys, versions, strict=True)]
    # Then every run finishes with its own job, never more than two trained at once, and every slot is back
    assert [(r["status"], r.get("error")) for r in results if r["status"] != "SUCCEEDED"] == []
    assert len(pipeline.bedrock.jobs_created) == 10
    assert pipeline.bedrock.most_in_progress == 2
    assert pipeline.lambdas.most_running >= 2
    assert table_items(pipeline, JOB_SLOTS_PK) == []


def test_a_completion_event_racing_the_reconciler_answers_the_wait_once(
    concurrent: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    # Given a job that completes but whose event is late (Lost: held back), and a reconciler that looks at every wait
    pipeline = concurrent(Scenario(job_outcome="Lost", training_seconds=1.5), ReconcileAfterSeconds="0")
    version = pipeline.upload(KEY, good_dataset)
    arn = pipeline.execution_arn(KEY, version)
    run_id = arn.rsplit(":", 1)[-1]
    job = pipeline.wait_for_job(status="Completed")
    event = json.loads((ROOT / "events" / "bedrock-job-state-change.json").read_text())
    event.update(account=ACCOUNT, region="us-east-1", resources=[job["jobArn"]])
    event["detail"].update(jobName=run_id, jobArn=job["jobArn"], jobStatus="Completed")
    # When the completion event and the scheduled reconciler handle it at the same moment
    completion, reconciler = at_once(
        [lambda: invoke(pipeline, "CompleteTrainingJobFunction", event), lambda: invoke(pipeline, "ReconcileTrainingFunction", {})]
    )
    # Then exactly one of them answered the wait, and the run went on once
    outcomes = [completion["outcome"], reconciler["reconciled"].get(run_id, "ignored: not looked at")]
    assert [o for o in outcomes if o.startswith("answered")] == ["answered Completed"], outcomes
    result = pipeline.wait(arn)
    assert result["status"] == "SUCCEEDED", result.get("error")
    assert [n["milestone"] for n in pipeline.notifications()].count("JOB_FINISHED") == 1
    assert table_items(pipeline, JOB_SLOTS_PK) == []


def test_a_trigger_that_keeps_failing_is_retried_twice_then_its_event_lands_in_the_dead_letter_queue(
    concurrent: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    pipeline = concurrent()
    trigger = pipeline.stack.physical_ids["TriggerFunction"]
    # Given the trigger cannot start executions (its state machine ARN points nowhere)
    lambdas = boto3.client("lambda")
    # (moto keeps CloudFormation's numbers as numbers: Lambda's API wants strings)
    variables = {k: str(v) for k, v in lambdas.get_function_configuration(FunctionName=trigger)["Environment"]["Variables"].items()}
    missing = variables["STATE_MACHINE_ARN"] + "-gone"
    lambdas.update_function_configuration(FunctionName=trigger, Environment={"Variables": {**variables, "STATE_MACHINE_ARN": missing}})
    # When a dataset lands
    pipeline.upload(KEY, good_dataset)
    assert pipeline.delivery is not None
    pipeline.delivery.drain()
    # Then Lambda ran it three times (two retries) and the event went to the function's dead-letter queue
    assert pipeline.delivery.attempts[trigger] == 3
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_url(QueueName=pipeline.delivery.function_dead_letters[trigger].rsplit(":", 1)[-1])["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"], MaxNumberOfMessages=10)["Messages"]
    assert json.loads(message["Body"])["detail"]["object"]["key"] == KEY
    attributes = message["MessageAttributes"]  # Lambda's: the error's type and message (our code, never content)
    assert attributes["ErrorCode"]["StringValue"] == "ServiceError"
    assert attributes["ErrorMessage"]["StringValue"] == "StartExecution: StateMachineDoesNotExist"
    assert pipeline.executions() == []
