"""Stack deletion guard: a deleted stack never leaves a billing throughput behind silently.

The custom resource handler answers a real HTTPS server on loopback (``local/loopback_tls.py``, as
CloudFormation's pre-signed S3 URL would be answered); run records live in moto's DynamoDB; Bedrock, notifier and
scheduler are our in-memory fakes.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from local.lambda_runtime import load_handler

from secure_finetune.adapters.cloudformation import stack_status
from secure_finetune.adapters.runs_table import RunTable
from secure_finetune.notifications import Milestone
from secure_finetune.runs import Intent, ResourceKind, RunRecord, RunStatus
from secure_finetune.service_errors import Denied
from secure_finetune.teardown.stack_guard import BillingRun, billing_runs, listing
from tests.unit.custom_resources import CloudFormation, Context
from tests.unit.fakes import STACK_ENVIRONMENT, FakeDeps, FakeRuns

ROOT = Path(__file__).resolve().parents[2]
STACK = "finetune-prod"
STACK_ID = f"arn:aws:cloudformation:us-east-1:111122223333:stack/{STACK}/0d2f6a70-0000-11ef-9f5b-0a1b2c3d4e5f"
REQUEST_ID = "5f1c2d3e-aaaa-bbbb-cccc-0123456789ab"
PHYSICAL_ID = f"{STACK}-RunResourcesGuard"
DELETING = "DELETE_IN_PROGRESS"


GUARD = load_handler(ROOT / "functions" / "stack_guard", STACK_ENVIRONMENT)


@pytest.fixture
def aws(moto_runs_table: str) -> None:
    """moto with the run table (tests/unit/conftest.py)."""


def throughput_arn(run: str) -> str:
    return f"arn:aws:bedrock:us-east-1:111122223333:provisioned-model/{run}"


def deployment_arn(run: str) -> str:
    return f"arn:aws:bedrock:us-east-1:111122223333:custom-model-deployment/{run}"


def put_item(pk: str, sk: str, **fields: str) -> None:
    item = {"pk": {"S": pk}, "sk": {"S": sk}} | {name: {"S": value} for name, value in fields.items()}
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName="runs", Item=item)


def deployed_run(deps: FakeDeps, run: str, *, on_demand: bool = False, **fields: str) -> str:
    """A run record holding a live throughput (or deployment) that the Bedrock fake knows."""
    arn = deployment_arn(run) if on_demand else throughput_arn(run)
    if on_demand:
        deps.bedrock.deployments[arn] = {"modelArn": "m", "status": "Active"}
    else:
        deps.bedrock.throughputs[arn] = {"provisionedModelArn": arn, "modelArn": "m", "modelUnits": 1, "status": "InService"}
    arn_field = "deploymentArn" if on_demand else "provisionedModelArn"
    put_item(
        f"RUN#{run}",
        "RUN",
        status="SUCCEEDED",
        profile="default",
        bucket="b",
        objectKey=f"incoming/{run}.jsonl",
        versionId="v1",
        **{arn_field: arn},
        **fields,
    )
    return arn


def guard_deps() -> FakeDeps:
    return FakeDeps(runs=RunTable("runs"))


def request(request_type: str, url: str, properties: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    event = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:stack-guard",
        "ResponseURL": url,
        "StackId": STACK_ID,
        "RequestId": REQUEST_ID,
        "ResourceType": "AWS::CloudFormation::CustomResource",
        "LogicalResourceId": "RunResourcesGuard",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:stack-guard"}
        | ({"OnStackDelete": "delete"} if properties is None else properties),
    }
    if request_type != "Create":
        event["PhysicalResourceId"] = PHYSICAL_ID
    return event | overrides


def status_is(status: str) -> Any:
    return lambda stack_id: status


def never_asked(stack_id: str) -> str:
    raise AssertionError("Create/Update must not look at the stack")


def invoke(event: dict[str, Any], deps: Any = None, status_of: Any = never_asked, context: Context | None = None) -> dict[str, Any]:
    result: dict[str, Any] = GUARD(event, context or Context(), deps=deps, status_of=status_of)
    return result


def assert_echoes(answer: dict[str, Any], physical_id: str = PHYSICAL_ID) -> None:
    assert answer["StackId"] == STACK_ID
    assert answer["RequestId"] == REQUEST_ID
    assert answer["LogicalResourceId"] == "RunResourcesGuard"
    assert answer["PhysicalResourceId"] == physical_id


# ------------------------------------------------------------------ bad input


def test_a_plain_http_response_url_is_never_answered_even_on_loopback(cfn: CloudFormation) -> None:
    result = invoke(request("Create", cfn.url.replace("https://", "http://")))
    assert result == {"Status": "SUCCESS", "answered": False}
    assert cfn.answers == []


def test_an_unknown_request_type_is_answered_failed(cfn: CloudFormation) -> None:
    invoke(request("Replace", cfn.url))
    assert cfn.answer["Status"] == "FAILED"
    assert "Unknown RequestType 'Replace'" in cfn.answer["Reason"]
    assert_echoes(cfn.answer)


def test_a_create_without_the_on_stack_delete_property_is_answered_failed(cfn: CloudFormation) -> None:
    invoke(request("Create", cfn.url, properties={}))
    assert cfn.answer["Status"] == "FAILED"
    assert "OnStackDelete" in cfn.answer["Reason"]
    assert_echoes(cfn.answer)


def test_a_create_with_an_unknown_mode_is_answered_failed(cfn: CloudFormation) -> None:
    invoke(request("Create", cfn.url, properties={"OnStackDelete": "keep"}))
    assert cfn.answer["Status"] == "FAILED"


def test_a_request_without_resource_properties_or_ids_still_gets_a_failed_answer(cfn: CloudFormation) -> None:
    event = request("Delete", cfn.url)
    for name in ("ResourceProperties", "RequestId", "LogicalResourceId"):
        del event[name]
    invoke(event)
    assert cfn.answer["Status"] == "FAILED"
    assert "Malformed request" in cfn.answer["Reason"] and "RequestId" in cfn.answer["Reason"]
    assert cfn.answer["StackId"] == STACK_ID and cfn.answer["PhysicalResourceId"] == PHYSICAL_ID


def test_a_stack_deletion_without_the_property_fails_and_deletes_nothing(aws: None, cfn: CloudFormation) -> None:
    deps = guard_deps()
    deployed_run(deps, "a-run")
    invoke(request("Delete", cfn.url, properties={}), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "FAILED"
    assert "OnStackDelete must be delete or refuse" in cfn.answer["Reason"]
    assert deps.bedrock.deleted == []


def test_a_scan_error_fails_the_deletion_with_a_short_reason(aws: None, cfn: CloudFormation) -> None:
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName="runs")
    invoke(request("Delete", cfn.url), guard_deps(), status_is(DELETING))
    assert cfn.answer["Status"] == "FAILED"
    assert cfn.answer["Reason"].startswith("Stack guard failed (ResourceNotFoundException)")
    assert_echoes(cfn.answer)


def test_a_stack_status_error_fails_the_deletion(aws: None, cfn: CloudFormation) -> None:
    def denied(stack_id: str) -> str:
        raise Denied("AccessDenied", "DescribeStacks")

    invoke(request("Delete", cfn.url), guard_deps(), denied)
    assert cfn.answer["Status"] == "FAILED"
    assert "(AccessDenied)" in cfn.answer["Reason"]


def test_a_hung_scan_is_answered_failed_before_the_function_times_out(cfn: CloudFormation) -> None:
    release = threading.Event()

    class HungRuns(FakeRuns):
        def deployed_runs(self) -> list[RunRecord]:
            release.wait(30)  # a scan that never returns in time
            raise RuntimeError("released")

    started = time.monotonic()
    # 10.5 s left: the answer is due 10 s before the timeout, i.e. within half a second.
    invoke(request("Delete", cfn.url), FakeDeps(runs=HungRuns()), status_is(DELETING), Context(remaining_ms=10_500))
    release.set()
    assert time.monotonic() - started < 5
    assert cfn.answer["Status"] == "FAILED"
    assert "Timed out" in cfn.answer["Reason"]


def test_refusing_100_runs_fits_the_4kb_answer_naming_the_first_ones_and_how_many_more(aws: None, cfn: CloudFormation) -> None:
    deps = guard_deps()
    arns = [deployed_run(deps, f"run-{n:03d}-0123456789abcdef0123") for n in range(100)]
    invoke(request("Delete", cfn.url, properties={"OnStackDelete": "refuse"}), deps, status_is(DELETING))
    answer, reason = cfn.answer, cfn.answer["Reason"]
    assert answer["Status"] == "FAILED"
    assert cfn.sizes[0] <= 4096
    named = [arn for arn in arns if arn in reason]
    assert named == arns[: len(named)] and len(named) >= 5  # the first ones, in order
    assert f"and {100 - len(named)} more" in reason
    assert f"finetune teardown run-000-0123456789abcdef0123 --stack {STACK} ({arns[0]})" in reason
    assert deps.bedrock.deleted == []


def test_a_refusal_is_cut_to_the_budget_even_with_long_names() -> None:
    runs = [BillingRun(f"r{n}", "arn:" + "é" * 300) for n in range(3)]
    text = listing("Heading:", runs, STACK, budget=500)
    assert len(json.dumps(text)) - 2 <= 500
    assert "and 3 more" in text and "arn:" not in text  # the first name alone is over the budget


# ------------------------------------------------------------------ paths


def test_create_and_update_succeed_without_looking_at_runs(cfn: CloudFormation) -> None:
    # No moto and no table: a scan would fail, and never_asked fails on a stack lookup.
    invoke(request("Create", cfn.url, properties={"OnStackDelete": "refuse"}))
    invoke(request("Update", cfn.url, properties={"OnStackDelete": "delete"}))
    create, update = cfn.answers
    assert create["Status"] == update["Status"] == "SUCCESS"
    assert create["PhysicalResourceId"] == update["PhysicalResourceId"] == PHYSICAL_ID  # stable: no replacement
    assert_echoes(update)
    assert cfn.content_types == ["", ""]  # the pre-signed URL was signed without a content type


def test_a_stack_deletion_tears_down_every_billing_run_once_and_skips_torn_down_ones(aws: None, cfn: CloudFormation) -> None:
    deps = guard_deps()
    first, second = deployed_run(deps, "run-a"), deployed_run(deps, "run-b", on_demand=True)
    earlier = deployed_run(deps, "run-c", tornDownAt="2026-11-20T10:00:00Z")
    put_item("RUN#run-d", "RUN", status="FAILED")  # never deployed
    put_item("RUN#run-a", "TOKEN#training", taskToken="t")

    invoke(request("Delete", cfn.url), deps, status_is(DELETING))

    assert cfn.answer["Status"] == "SUCCESS"
    assert cfn.answer["Reason"] == "Tore down 2 run(s)."
    assert_echoes(cfn.answer)
    assert sorted(deps.bedrock.deleted) == sorted([first, second])
    assert earlier not in deps.bedrock.deleted
    assert [(n.milestone, n.run_id, n.why) for n in deps.notifier.sent] == [
        (Milestone.TORN_DOWN, "run-a", "stack deleted"),
        (Milestone.TORN_DOWN, "run-b", "stack deleted"),
    ]
    record = deps.runs.get_run("run-a")
    assert record is not None and record.torn_down_at


def test_deleting_the_stack_again_after_a_partial_teardown_finishes_the_rest(aws: None, cfn: CloudFormation) -> None:
    deps = guard_deps()
    arns = [deployed_run(deps, run) for run in ("run-a", "run-b")]
    # 25 s left: the answer is due in 15 s, and no teardown starts within 20 s of it.
    invoke(request("Delete", cfn.url), deps, status_is(DELETING), Context(remaining_ms=25_000))
    invoke(request("Delete", cfn.url), deps, status_is(DELETING))
    out_of_time, retried = cfn.answers
    assert out_of_time["Status"] == "FAILED"
    assert out_of_time["Reason"].startswith("Tore down 0 of 2 run(s); 0 failed, 2 not tried before the timeout.")
    assert all(arn in out_of_time["Reason"] for arn in arns)
    assert retried["Status"] == "SUCCESS"
    assert sorted(deps.bedrock.deleted) == sorted(arns)


def test_a_throughput_already_gone_counts_as_torn_down(aws: None, cfn: CloudFormation) -> None:
    deps = guard_deps()
    arn = deployed_run(deps, "run-a")
    deps.bedrock.throughputs.clear()  # deleted by hand in the console
    invoke(request("Delete", cfn.url), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "SUCCESS"
    assert deps.bedrock.deleted == [arn]


def test_one_failed_teardown_does_not_stop_the_others_but_fails_the_deletion(aws: None, cfn: CloudFormation) -> None:
    deps = guard_deps()
    broken, fine = deployed_run(deps, "run-a"), deployed_run(deps, "run-b")
    delete = deps.bedrock.delete_throughput

    def delete_throughput(arn: str) -> bool:
        if arn == broken:
            raise Denied("AccessDeniedException", "DeleteProvisionedModelThroughput")
        return delete(arn)

    deps.bedrock.delete_throughput = delete_throughput  # type: ignore[method-assign]
    invoke(request("Delete", cfn.url), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "FAILED"
    assert cfn.answer["Reason"].startswith("Tore down 1 of 2 run(s); 1 failed")
    assert broken in cfn.answer["Reason"] and fine not in cfn.answer["Reason"]
    assert fine in deps.bedrock.deleted


def test_a_stack_deletion_in_refuse_mode_fails_listing_what_still_bills(aws: None, cfn: CloudFormation) -> None:
    deps = guard_deps()
    throughput, deployment = deployed_run(deps, "run-a"), deployed_run(deps, "run-b", on_demand=True)
    deployed_run(deps, "run-c", tornDownAt="2026-11-20T10:00:00Z")
    invoke(request("Delete", cfn.url, properties={"OnStackDelete": "refuse"}), deps, status_is(DELETING))
    reason = cfn.answer["Reason"]
    assert cfn.answer["Status"] == "FAILED"
    assert reason.startswith("OnStackDelete=refuse: 2 run(s) still bill.")
    assert f"finetune teardown run-a --stack {STACK} ({throughput});" in reason
    assert f"finetune teardown run-b --stack {STACK} ({deployment});" in reason
    assert "run-c" not in reason and "more" not in reason
    assert deps.bedrock.deleted == [] and deps.notifier.sent == []


def test_a_deletion_with_nothing_deployed_succeeds(aws: None, cfn: CloudFormation) -> None:
    put_item("RUN#run-d", "RUN", status="FAILED")
    invoke(request("Delete", cfn.url, properties={"OnStackDelete": "refuse"}), guard_deps(), status_is(DELETING))
    assert cfn.answer["Status"] == "SUCCESS"


def test_a_delete_that_is_not_a_stack_deletion_keeps_the_runs(aws: None, cfn: CloudFormation) -> None:
    # e.g. the guard renamed or removed in an update, or a rollback: the stack and its runs stay.
    deps = guard_deps()
    deployed_run(deps, "run-a")
    invoke(request("Delete", cfn.url), deps, status_is("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
    assert cfn.answer["Status"] == "SUCCESS"
    assert "not being deleted" in cfn.answer["Reason"]
    assert deps.bedrock.deleted == []


# ------------------------------------------------------------------ domain and adapters


def test_billing_runs_are_run_records_with_an_arn_and_no_teardown_in_run_order() -> None:
    records = [
        RunRecord(run_id="b", deployment_arn="arn:d"),
        RunRecord(run_id="a", provisioned_model_arn="arn:p"),
        RunRecord(run_id="c", provisioned_model_arn="arn:c", torn_down_at="2026-11-20T10:00:00Z"),
        RunRecord(run_id="e"),
    ]
    assert billing_runs(records) == [BillingRun("a", "arn:p"), BillingRun("b", "arn:d")]


def test_the_scan_returns_run_records_with_an_arn_only(aws: None) -> None:
    put_item("RUN#a", "RUN", provisionedModelArn="arn:p", status="SUCCEEDED")
    put_item("RUN#b", "RUN", deploymentArn="arn:d", tornDownAt="2026-11-20T10:00:00Z")
    put_item("RUN#c", "RUN", status="FAILED")
    put_item("RUN#a", "TOKEN#training", taskToken="t", provisionedModelArn="arn:x")  # not a run record
    put_item("LOCK#job-slots", "SLOT#0", runId="a")
    found = sorted(RunTable("runs").deployed_runs(), key=lambda record: record.run_id)
    assert found == [
        RunRecord(run_id="a", provisioned_model_arn="arn:p"),
        RunRecord(run_id="b", deployment_arn="arn:d", torn_down_at="2026-11-20T10:00:00Z"),
    ]


def test_the_stack_status_is_read_by_stack_id(aws: None) -> None:
    template = {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    stack_id = cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(template))["StackId"]
    assert stack_status(stack_id) == "CREATE_COMPLETE"


# ------------------------------------------------------------------ jobs that would train unwatched (issue 12)


def training_run(deps: FakeDeps, run: str, status: RunStatus = RunStatus.TRAINING) -> None:
    """A run whose job trains: its write-ahead intent recorded, Bedrock's job InProgress."""
    deps.runs.set_status(run, status, Intent.of(ResourceKind.JOB, run).changes())
    deps.bedrock.jobs[run] = {"jobArn": f"arn:aws:bedrock:us-east-1:111122223333:model-customization-job/{run}", "status": "InProgress"}


def test_deleting_the_stack_stops_the_jobs_of_unfinished_runs(cfn: CloudFormation) -> None:
    deps = FakeDeps()
    training_run(deps, "run-train-0123456789abcdef0123")
    training_run(deps, "run-ended-0123456789abcdef0123", RunStatus.FAILED)  # its failure path owns it
    invoke(request("Delete", cfn.url), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "SUCCESS"
    assert deps.bedrock.stopped == ["run-train-0123456789abcdef0123"]


def test_refusing_the_deletion_names_the_runs_that_still_train_with_the_command_that_cancels_them(cfn: CloudFormation) -> None:
    deps = FakeDeps()
    training_run(deps, "run-train-0123456789abcdef0123")
    invoke(request("Delete", cfn.url, properties={"OnStackDelete": "refuse"}), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "FAILED" and deps.bedrock.stopped == []
    assert "finetune cancel run-train-0123456789abcdef0123 --stack" in cfn.answer["Reason"]


def test_refusing_names_only_runs_whose_job_still_trains(cfn: CloudFormation) -> None:
    # Given an unfinished run whose job completed (it waits for its approval), and one past its create (TRAINING
    # recorded) whose job Bedrock does not have
    deps = FakeDeps()
    training_run(deps, "run-waits-0123456789abcdef0123", RunStatus.TRAINED)
    deps.bedrock.jobs["run-waits-0123456789abcdef0123"]["status"] = "Completed"
    never = "run-never-0123456789abcdef0123"
    deps.runs.set_status(never, RunStatus.TRAINING, Intent.of(ResourceKind.JOB, never).changes())
    # Then nothing trains or bills: the stack may go, not "may still train"
    invoke(request("Delete", cfn.url, properties={"OnStackDelete": "refuse"}), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "SUCCESS" and deps.bedrock.stopped == []
    # and with one job in progress, only that run is named
    cfn.answers.clear()
    training_run(deps, "run-train-0123456789abcdef0123")
    invoke(request("Delete", cfn.url, properties={"OnStackDelete": "refuse"}), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "FAILED" and cfn.answer["Reason"].startswith("OnStackDelete=refuse: 1 run(s) may still train.")
    assert "run-train-" in cfn.answer["Reason"] and "run-waits-" not in cfn.answer["Reason"]


def test_refusing_names_a_queued_run_whose_create_may_be_in_flight(cfn: CloudFormation) -> None:
    # The intent is written, Bedrock has no job of that name yet: StartTrainingJob may be creating it right now
    deps = FakeDeps()
    queued = "run-inflight-0123456789abcdef01"
    deps.runs.set_status(queued, RunStatus.QUEUED, Intent.of(ResourceKind.JOB, queued).changes())
    invoke(request("Delete", cfn.url, properties={"OnStackDelete": "refuse"}), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "FAILED" and f"finetune cancel {queued}" in cfn.answer["Reason"]


def test_the_scan_finds_unfinished_runs_with_a_job_intent_only(aws: None) -> None:
    intent = Intent.of(ResourceKind.JOB, "a").changes().attributes()
    put_item("RUN#a", "RUN", status="TRAINING", **intent)
    put_item("RUN#b", "RUN", status="SUCCEEDED", **Intent.of(ResourceKind.JOB, "b").changes().attributes())
    put_item("RUN#c", "RUN", status="VALIDATED")
    put_item("RUN#a", "TOKEN#training", taskToken="t", **intent)  # not a run record
    assert [record.run_id for record in RunTable("runs").unfinished_job_runs()] == ["a"]


def test_deleting_the_stack_stops_an_evaluating_runs_evaluation_jobs_by_name(cfn: CloudFormation) -> None:
    from secure_finetune.evaluation.requests import Side, job_name

    deps = FakeDeps()
    run = "run-eval-0123456789abcdef0123"
    training_run(deps, run, RunStatus.DEPLOYING)
    deps.bedrock.jobs[run]["status"] = "Completed"  # its job trained long ago; the evaluation jobs still run
    arns = [
        deps.evaluations.create_job(
            {"jobName": job_name(run, side), "customerEncryptionKeyId": "k", "outputDataConfig": {"s3Uri": "s3://b/o/"}}
        )
        for side in Side
    ]
    invoke(request("Delete", cfn.url), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "SUCCESS" and sorted(deps.evaluations.stopped) == sorted(arns)


def test_deleting_the_stack_waits_for_a_queued_run_whose_create_may_be_in_flight(cfn: CloudFormation) -> None:
    # The intent is written and Bedrock has no job yet: a job created after the stack is gone would train unwatched
    deps = FakeDeps()
    queued = "run-inflight-0123456789abcdef01"
    deps.runs.set_status(queued, RunStatus.QUEUED, Intent.of(ResourceKind.JOB, queued).changes())
    invoke(request("Delete", cfn.url), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "FAILED" and f"finetune cancel {queued}" in cfn.answer["Reason"]
    assert "training job being created" in cfn.answer["Reason"]
    # once its job exists, the next deletion stops it and goes on
    cfn.answers.clear()
    deps.bedrock.jobs[queued] = {
        "jobArn": f"arn:aws:bedrock:us-east-1:111122223333:model-customization-job/{queued}",
        "status": "InProgress",
    }
    invoke(request("Delete", cfn.url), deps, status_is(DELETING))
    assert cfn.answer["Status"] == "SUCCESS" and deps.bedrock.stopped == [queued]
