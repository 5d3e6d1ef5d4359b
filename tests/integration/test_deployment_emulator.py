"""Issue 6 on the real ASL: cost before spend, approval, deployment failure, smoke test, time-to-live."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from local.bedrock_standin import Scenario
from local.emulator import LocalPipeline

from finetune_cli.main import main as finetune
from secure_finetune.reports import DeploymentReport, SmokeReport

from .conftest import EVENTS
from .test_pipeline import KEY, milestones, run


def test_the_plan_shows_the_cost_before_anything_is_bought_and_the_run_ends_ready(pipeline: LocalPipeline, good_dataset: bytes) -> None:
    _, arn, result = run(pipeline, KEY, good_dataset)
    assert result["status"] == "SUCCEEDED", result.get("error")
    run_id = arn.rsplit(":", 1)[-1]
    names = [state.name for state in pipeline.timeline(arn)]
    assert names.index("PlanDeployment") < names.index("DeployModel") < names.index("SmokeTest") < names.index("NotifyModelReady")
    deployment = pipeline.report(run_id, DeploymentReport)
    assert (deployment.plan.mode, deployment.plan.model_units, deployment.plan.ttl_hours) == ("provisioned-throughput", 1, 4)
    assert deployment.deployment is not None and deployment.deployment.status == "Ready"
    assert pipeline.report(run_id, SmokeReport).passed is True
    assert f"reports/{run_id}/index.html" in pipeline.keys(f"reports/{run_id}/")
    [ready] = [m for m in pipeline.notifications() if m["milestone"] == "THROUGHPUT_READY"]
    assert "Example call: aws bedrock-runtime converse" in ready["body"] and "Delete at: " in ready["body"]
    started = next(m for m in pipeline.notifications() if m["milestone"] == "JOB_STARTED")
    # No AWS page could be read for a Llama 3.1 8B training price (price_snapshot.json): the message says so, never $0
    assert re.search(r"Estimated training cost \(USD\): no public price", started["body"])


def test_a_train_only_run_succeeds_with_its_report_and_buys_nothing(
    pipeline: LocalPipeline, good_dataset: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    _, arn, result = run(pipeline, "incoming/train-only/support.jsonl", good_dataset)
    assert result["status"] == "SUCCEEDED", result.get("error")
    run_id = arn.rsplit(":", 1)[-1]
    names = [state.name for state in pipeline.timeline(arn)]
    assert "PlanDeployment" in names and "DeployModel" not in names
    assert pipeline.bedrock.throughputs == {} and pipeline.bedrock.deployments == {}
    assert f"reports/{run_id}/index.html" in pipeline.keys(f"reports/{run_id}/")
    capsys.readouterr()
    assert finetune(["status", run_id, "--stack", pipeline.stack.name, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["record"]["status"] == "SUCCEEDED"
    assert milestones(pipeline)[-1] == "JOB_FINISHED"


def test_an_approved_run_waits_for_the_post_and_a_get_decides_nothing(pipeline: LocalPipeline, good_dataset: bytes) -> None:
    version = pipeline.upload("incoming/regulated/support.jsonl", good_dataset)
    arn = pipeline.execution_arn("incoming/regulated/support.jsonl", version)
    link = pipeline.approval_link()
    assert link.startswith("https://") and "taskToken" not in link
    # Mail scanners prefetch links: a GET only shows what is being approved
    for _ in range(2):
        page = pipeline.open_approval("GET", link)
        assert page["statusCode"] == 200 and "approve" in page["body"].lower()
    assert pipeline.bedrock.throughputs == {}
    assert boto3.client("stepfunctions").describe_execution(executionArn=arn)["status"] == "RUNNING"
    # The decision is a POST, once
    assert pipeline.open_approval("POST", link, "approve")["statusCode"] == 200
    assert pipeline.wait(arn)["status"] == "SUCCEEDED"
    assert len(pipeline.bedrock.throughputs) == 1
    assert pipeline.open_approval("POST", link, "reject")["statusCode"] == 409  # replayed


def test_a_rejected_run_buys_nothing_and_tells_the_owner(pipeline: LocalPipeline, good_dataset: bytes) -> None:
    version = pipeline.upload("incoming/regulated/support.jsonl", good_dataset)
    arn = pipeline.execution_arn("incoming/regulated/support.jsonl", version)
    pipeline.open_approval("POST", pipeline.approval_link(), "reject")
    result = pipeline.wait(arn)
    assert (result["status"], result["error"]) == ("FAILED", "APPROVAL_REJECTED")
    assert pipeline.bedrock.throughputs == {} and pipeline.bedrock.deleted == []
    assert milestones(pipeline)[-1] == "RUN_FAILED"


def test_no_decision_before_the_deadline_is_a_rejection(pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes) -> None:
    pipeline = pipeline_with(None, ApprovalTimeoutSeconds="2")
    _, _, result = run(pipeline, "incoming/regulated/support.jsonl", good_dataset)
    assert (result["status"], result["error"]) == ("FAILED", "APPROVAL_EXPIRED")
    assert pipeline.bedrock.throughputs == {}
    assert milestones(pipeline)[-2:] == ["APPROVAL_NEEDED", "RUN_FAILED"]


def test_a_failed_throughput_stops_the_run_deletes_it_and_tells_the_owner(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    pipeline = pipeline_with(Scenario(deployment_outcome="Failed"))
    _, _, result = run(pipeline, KEY, good_dataset)
    assert (result["status"], result["error"]) == ("FAILED", "THROUGHPUT_FAILED")
    assert len(pipeline.bedrock.deleted) == 1 and pipeline.bedrock.throughputs == {}
    # NotifyFailure deletes what the run bought (TORN_DOWN) before the state machine publishes RUN_FAILED
    assert milestones(pipeline)[-2:] == ["TORN_DOWN", "RUN_FAILED"]


def test_a_failed_smoke_test_tears_the_throughput_down(pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes) -> None:
    pipeline = pipeline_with(Scenario(smoke_answer=""))
    _, arn, result = run(pipeline, KEY, good_dataset)
    assert (result["status"], result["error"]) == ("FAILED", "SMOKE_TEST_FAILED:1-of-1")
    assert pipeline.bedrock.throughputs == {}
    assert pipeline.report(arn.rsplit(":", 1)[-1], SmokeReport).kept is False


def test_the_time_to_live_warns_then_deletes_the_throughput(pipeline: LocalPipeline, good_dataset: bytes) -> None:
    _, _, result = run(pipeline, KEY, good_dataset)
    assert result["status"] == "SUCCEEDED"
    now = datetime.now(UTC)
    # Half an hour before the 4-hour TTL: only the warning fires
    assert [a["name"].rsplit("-", 1)[-1] for a in pipeline.fire_schedules(now + timedelta(hours=3, minutes=31))] == ["w"]  # the warning
    assert milestones(pipeline)[-1] == "TTL_WARNING" and len(pipeline.bedrock.throughputs) == 1
    # At the deadline: deleted, owner told, no schedule left
    [deleted] = pipeline.fire_schedules(now + timedelta(hours=4, minutes=1))
    assert json.loads(deleted["answer"])["outcome"] == "deleted"
    assert pipeline.bedrock.throughputs == {} and milestones(pipeline)[-1] == "TORN_DOWN"
    assert pipeline.fire_schedules(now + timedelta(days=30)) == []


def test_a_refused_ttl_delete_tells_the_owner_and_is_asked_again_later(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline = pipeline_with(Scenario(refused_deletes=2))
    _, execution, result = run(pipeline, KEY, good_dataset)
    assert result["status"] == "SUCCEEDED"
    now = datetime.now(UTC)
    # At the deadline Bedrock refuses: the owner hears it still bills, with the command that deletes it
    fired = pipeline.fire_schedules(now + timedelta(hours=4, minutes=1))
    assert json.loads(fired[-1]["answer"])["outcome"].startswith("delete failed (AccessDeniedException); asked again at ")
    [failed] = [m for m in pipeline.notifications() if m["milestone"] == "TEARDOWN_FAILED"]
    [arn] = pipeline.bedrock.throughputs
    assert (
        f"Delete by hand: aws bedrock delete-provisioned-model-throughput --region us-east-1 --provisioned-model-id {arn}" in failed["body"]
    )
    assert "denied by policy" not in failed["body"]
    # `finetune teardown` meets the same refusal: it says so and exits 1 (the throughput still bills)
    capsys.readouterr()
    assert finetune(["teardown", execution.rsplit(":", 1)[-1], "--stack", pipeline.stack.name]) == 1
    assert "delete failed (AccessDeniedException)" in capsys.readouterr().out
    # the retry already waiting (15 min after the TTL) deletes it; the second refusal started no other
    [retried] = pipeline.fire_schedules(now + timedelta(hours=5))
    assert retried["name"].endswith("-ttl-r1") and json.loads(retried["answer"])["outcome"] == "deleted"
    assert pipeline.bedrock.throughputs == {} and milestones(pipeline)[-1] == "TORN_DOWN"
    assert pipeline.fire_schedules(now + timedelta(days=30)) == []


def test_a_model_offered_on_demand_is_deployed_and_smoke_tested_there(pipeline: LocalPipeline) -> None:
    # Llama 3.3 70B: on-demand only; no profile prompts, so the smoke test takes the dataset's user turns
    conversations = (EVENTS / "sample-conversation.jsonl").read_bytes()
    _, arn, result = run(pipeline, "incoming/on-demand/support.jsonl", conversations)
    assert result["status"] == "SUCCEEDED", result.get("error")
    [deployment] = pipeline.bedrock.deployments
    assert pipeline.bedrock.throughputs == {}
    assert pipeline.bedrock.conversations == [deployment] * 3
    plan = pipeline.report(arn.rsplit(":", 1)[-1], DeploymentReport).plan
    assert (plan.mode, plan.estimated_hourly_cost_usd) == ("on-demand", None)  # billed per token, not per hour


def test_operating_runs_from_the_cli(pipeline: LocalPipeline, good_dataset: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    _, arn, result = run(pipeline, KEY, good_dataset)
    assert result["status"] == "SUCCEEDED"
    run_id = arn.rsplit(":", 1)[-1]
    stack = ["--stack", pipeline.stack.name]
    assert finetune(["runs", *stack]) == 0
    assert run_id in capsys.readouterr().out
    assert finetune(["status", run_id, *stack, "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    steps = [step["name"] for step in status["steps"]]
    assert status["status"] == "SUCCEEDED" and "SmokeTest" in steps and status["record"]["provisionedModelArn"]
    # teardown on demand
    assert finetune(["teardown", run_id, *stack]) == 0
    assert pipeline.bedrock.throughputs == {}
    # a retry is a new attempt with its own job name
    capsys.readouterr()
    assert finetune(["retry", run_id, *stack]) == 0
    retried = f"{run_id}-a2"
    assert retried in capsys.readouterr().out
    assert pipeline.wait(arn.replace(run_id, retried))["status"] == "SUCCEEDED"
    assert sorted(job["jobName"] for job in pipeline.bedrock.jobs_created) == [run_id, retried]


def test_finetune_cancel_aborts_the_run_and_the_abort_rule_stops_its_job(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    pipeline = pipeline_with(Scenario(job_outcome="Lost", training_seconds=3), TrainingTimeoutSeconds="120")
    version = pipeline.upload(KEY, good_dataset)
    arn = pipeline.execution_arn(KEY, version)
    pipeline.wait_for_job()
    assert finetune(["cancel", arn.rsplit(":", 1)[-1], "--stack", pipeline.stack.name]) == 0
    assert pipeline.wait(arn)["status"] == "ABORTED"
    # the execution's status-change event reaches the rule on ABORTED runs, whose target stops the job
    assert pipeline.wait_for_job("Stopped")["status"] == "Stopped"
    # Cancelled is not failed (issue 12): the run reads CANCELLED, the owner hears RUN_CANCELLED once, by whom
    table, run_id = boto3.client("dynamodb"), arn.rsplit(":", 1)[-1]
    key = {"pk": {"S": f"RUN#{run_id}"}, "sk": {"S": "RUN"}}
    deadline = time.time() + 30
    while time.time() < deadline and "notifiedAt" not in table.get_item(TableName=pipeline.stack.outputs["RunsTableName"], Key=key)["Item"]:
        time.sleep(0.1)
    record = table.get_item(TableName=pipeline.stack.outputs["RunsTableName"], Key=key)["Item"]
    assert (record["status"]["S"], record["reason"]["S"], record["stoppedBy"]["S"]) == ("CANCELLED", "JOB_CANCELLED:owner", "owner")
    assert milestones(pipeline) == ["JOB_STARTED", "RUN_CANCELLED"]
    assert "owner" in pipeline.notifications()[-1]["body"]  # who stopped it
