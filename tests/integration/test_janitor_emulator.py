"""The janitor on the emulator (issue 12, item 5): the real template's function, role settings and schedule input,
moto's Bedrock (custom models, tags) and the stand-in's throughputs and deployments.

Given an orphaned throughput, deployment and custom model that are provably ours (the stack's tag, a run id as
name, a write-ahead intent on that run's record) and look-alikes that are not, the janitor deletes the first
three, leaves the others alone, reports them, and tells the owners. A failed run's job still training is
stopped (moto's ListModelCustomizationJobs with statusEquals and its job tags; the stand-in's StopModelCustomizationJob)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from local.bedrock_standin import ACCOUNT
from local.emulator import REGION, LocalPipeline
from moto.bedrock.models import bedrock_backends

from finetune_cli.main import main as finetune
from secure_finetune.adapters.bedrock import Bedrock
from secure_finetune.adapters.runs_table import RunTable
from secure_finetune.runs import Intent, ResourceKind, RunChanges, RunStatus, run_pk

BASE = "meta.llama3-1-8b-instruct-v1:0:128k"


def name(n: int) -> str:
    return f"support-{n:020x}"


def tags(stack: str) -> list[dict[str, str]]:
    return [{"key": "pipeline", "value": stack}]


def ended_run(pipeline: LocalPipeline, run: str, status: RunStatus, *kinds: ResourceKind) -> None:
    """A run record as the pipeline leaves it: its write-ahead intents, then its end, two days ago."""
    table = pipeline.stack.physical_ids["RunsTable"]
    runs = RunTable(table)
    runs.create_run(run, RunChanges(bucket=pipeline.bucket, object_key="incoming/x.jsonl", version_id="v1"))
    for kind in kinds:
        runs.set_status(run, None, Intent.of(kind, run, datetime.now(UTC) - timedelta(days=40)).changes())
    runs.set_status(run, status)
    two_days_ago = str(int(time.time()) - 2 * 86400)
    boto3.client("dynamodb").update_item(
        TableName=table,
        Key={"pk": {"S": run_pk(run)}, "sk": {"S": "RUN"}},
        UpdateExpression="SET updatedAt = :t",
        ExpressionAttributeValues={":t": {"N": two_days_ago}},
    )


def custom_model(pipeline: LocalPipeline, run: str, stack: str, age_days: int) -> str:
    """A custom model made by a customization job of that name (moto's Bedrock), aged ``age_days``."""
    bedrock = boto3.client("bedrock")
    bedrock.create_model_customization_job(
        jobName=run,
        customModelName=run,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/x",
        baseModelIdentifier=BASE,
        trainingDataConfig={"s3Uri": f"s3://{pipeline.bucket}/validated/x/x.jsonl"},
        outputDataConfig={"s3Uri": f"s3://{pipeline.bucket}/output/{run}/"},
        hyperParameters={"epochCount": "1"},
        customModelTags=tags(stack),
    )
    model = bedrock_backends[ACCOUNT][REGION].custom_models[run]
    model.creation_time = (datetime.now(UTC) - timedelta(days=age_days)).strftime("%Y-%m-%d %H:%M:%S")
    return str(model.model_arn)


def training_job(pipeline: LocalPipeline, run: str, stack: str) -> str:
    """A job created as StartTrainingJob creates it: through the pipeline's Bedrock adapter (which adds the stack's
    ``pipeline`` tag to ``jobTags``), with launch.py's ``run-id`` tag."""
    return Bedrock(stack_tag=stack).create_job(
        {
            "jobName": run,
            "customModelName": run,
            "clientRequestToken": run,
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/x",
            "baseModelIdentifier": BASE,
            "trainingDataConfig": {"s3Uri": f"s3://{pipeline.bucket}/validated/x/x.jsonl"},
            "outputDataConfig": {"s3Uri": f"s3://{pipeline.bucket}/output/{run}/"},
            "hyperParameters": {"epochCount": "1"},
            "jobTags": [{"key": "run-id", "value": run}],
        }
    )


def still_training(*runs: str) -> None:
    """The stand-in's trainers end a job within a second; a real one trains for hours: Bedrock still says InProgress."""
    for run in runs:
        bedrock_backends[ACCOUNT][REGION].model_customization_jobs[run].status = "InProgress"


def job_status(run: str) -> str:
    return str(boto3.client("bedrock").get_model_customization_job(jobIdentifier=run)["status"])


def throughput(run: str, model_arn: str, stack: str) -> str:
    answer = boto3.client("bedrock").create_provisioned_model_throughput(
        provisionedModelName=run, modelId=model_arn, modelUnits=1, tags=tags(stack)
    )
    return str(answer["provisionedModelArn"])


def deployment(run: str, model_arn: str, stack: str) -> str:
    answer = boto3.client("bedrock").create_custom_model_deployment(modelDeploymentName=run, modelArn=model_arn, tags=tags(stack))
    return str(answer["customModelDeploymentArn"])


def models() -> set[str]:
    return {m["modelName"] for m in boto3.client("bedrock").list_custom_models()["modelSummaries"]}


def test_the_janitor_removes_our_orphans_and_leaves_and_reports_the_look_alikes(pipeline: LocalPipeline) -> None:
    stack = pipeline.stack_name
    # Given three orphans that are provably ours: a failed run's throughput, a cancelled run's deployment and
    # a failed gate's custom model past the 30-day retention (the throughput serves that model)
    ended_run(pipeline, name(1), RunStatus.FAILED, ResourceKind.JOB, ResourceKind.THROUGHPUT)
    ended_run(pipeline, name(2), RunStatus.CANCELLED, ResourceKind.JOB, ResourceKind.DEPLOYMENT)
    orphan_model = custom_model(pipeline, name(1), stack, age_days=40)
    orphan_throughput = throughput(name(1), orphan_model, stack)
    orphan_deployment = deployment(name(2), orphan_model, stack)
    # and look-alikes: our naming rule and tag but no run record; a record and name but another stack's tag
    ended_run(pipeline, name(4), RunStatus.FAILED, ResourceKind.JOB)
    foreign_throughput = throughput(name(3), "arn:aws:bedrock:us-east-1:123456789012:custom-model/theirs", stack)
    foreign_model = custom_model(pipeline, name(4), "another-stack", age_days=400)
    pipeline.bedrock.join()  # the stand-in's trainers of both jobs have finished
    # When the daily schedule runs the janitor (its input says delete)
    answer: dict[str, Any] = pipeline.invoke("JanitorFunction", {"delete": True})
    # Then our three orphans are gone
    assert set(answer["deleted"]) == {orphan_throughput, orphan_deployment, orphan_model}
    assert orphan_throughput not in pipeline.bedrock.throughputs and orphan_deployment not in pipeline.bedrock.deployments
    assert name(1) not in models()
    # and the look-alikes are untouched and reported with what was missing
    assert foreign_throughput in pipeline.bedrock.throughputs and name(4) in models()
    reported = {row["arn"]: row["missingProofs"] for row in answer["resources"] if row["action"] == "NOT_OURS"}
    assert reported == {foreign_throughput: "record", foreign_model: "tag"}
    # and the owners were told, ARNs and reason codes only
    [swept] = [n for n in pipeline.notifications() if n["milestone"] == "SWEPT"]
    assert orphan_throughput in swept["body"] and foreign_throughput in swept["body"] and "RUN_ENDED" in swept["body"]


def test_a_dry_run_deletes_nothing_and_tells_nobody(pipeline: LocalPipeline) -> None:
    stack = pipeline.stack_name
    ended_run(pipeline, name(1), RunStatus.FAILED, ResourceKind.THROUGHPUT)
    orphan = throughput(name(1), "arn:aws:bedrock:us-east-1:123456789012:custom-model/m", stack)
    answer = pipeline.invoke("JanitorFunction", {})  # no "delete": true, e.g. `finetune sweep` without --delete
    assert answer["deletesAllowed"] is False and answer["deleted"] == []
    assert [(r["arn"], r["action"]) for r in answer["resources"]] == [(orphan, "DELETE")]
    assert orphan in pipeline.bedrock.throughputs
    assert [n for n in pipeline.notifications() if n["milestone"] == "SWEPT"] == []
    assert json.dumps(answer)  # the answer is plain JSON (the CLI prints it)


def test_finetune_sweep_is_a_dry_run_unless_told_to_delete(pipeline: LocalPipeline, capsys: pytest.CaptureFixture[str]) -> None:
    stack = pipeline.stack_name
    ended_run(pipeline, name(1), RunStatus.FAILED, ResourceKind.THROUGHPUT)
    orphan = throughput(name(1), "arn:aws:bedrock:us-east-1:123456789012:custom-model/m", stack)
    capsys.readouterr()
    # Without --delete: the table says what it would do, nothing is deleted
    assert finetune(["sweep", "--stack", pipeline.stack.name]) == 0
    printed = capsys.readouterr().out
    assert "would delete" in printed and "dry run" in printed
    assert orphan in pipeline.bedrock.throughputs
    # With --delete: deleted, and the JSON answer says so
    assert finetune(["sweep", "--stack", pipeline.stack.name, "--delete", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] == [orphan]
    assert orphan not in pipeline.bedrock.throughputs


def test_the_janitor_stops_a_failed_runs_job_left_training_and_leaves_a_look_alike_alone(pipeline: LocalPipeline) -> None:
    stack = pipeline.stack_name
    # Given a run whose record says FAILED (two days ago) and whose job, created by the pipeline's adapter, still trains
    ended_run(pipeline, name(5), RunStatus.FAILED, ResourceKind.JOB)
    ours = training_job(pipeline, name(5), stack)
    # and look-alikes still training: our name and tag but no run record; our name and a record but another stack's tag
    looks_ours = training_job(pipeline, name(6), stack)
    pipeline.bedrock.join()  # the stand-in's concurrent-job quota is 2
    ended_run(pipeline, name(7), RunStatus.FAILED, ResourceKind.JOB)
    other_stack = training_job(pipeline, name(7), "another-stack")
    pipeline.bedrock.join()
    still_training(name(5), name(6), name(7))
    # When the daily schedule runs the janitor
    answer: dict[str, Any] = pipeline.invoke("JanitorFunction", {"delete": True})
    # Then our job is stopped, as the pipeline's own stop (written on the run record first), and nothing else is
    assert answer["stopped"] == [ours] and answer["failed"] == []
    assert job_status(name(5)) == "Stopped"
    record = RunTable(pipeline.stack.physical_ids["RunsTable"]).get_run(name(5))
    assert record is not None and record.stopped_by == "pipeline" and record.status is RunStatus.FAILED
    # and the look-alikes train on, reported with what was missing
    assert job_status(name(6)) == "InProgress" and job_status(name(7)) == "InProgress"
    reported = {row["arn"]: row["missingProofs"] for row in answer["resources"] if row["action"] == "NOT_OURS"}
    assert {arn: reported.get(arn) for arn in (looks_ours, other_stack)} == {looks_ours: "record", other_stack: "tag"}
    # and the owners are told it was stopped
    [swept] = [n for n in pipeline.notifications() if n["milestone"] == "SWEPT"]
    assert f"customization-job {ours} (RUN_ENDED) stopped" in swept["body"]


def test_the_janitor_stops_a_failed_runs_evaluation_jobs_left_judging_and_leaves_a_look_alike_alone(pipeline: LocalPipeline) -> None:
    from secure_finetune.adapters.evaluation import EvaluationJobs
    from secure_finetune.evaluation.config import EvaluationProfile
    from secure_finetune.evaluation.requests import Generator, Side, dataset_key, evaluation_job_request

    stack = pipeline.stack_name

    def evaluation_job(run: str, side: str, tagged_for: str) -> str:
        """As StartEvaluation creates one: its request, through the pipeline's adapter (which adds the stack's tag)."""
        request = evaluation_job_request(
            run_id=run,
            side=Side(side),
            generator=Generator("meta.llama3-1-8b-instruct-v1:0", dataset_key(run)),
            profile=EvaluationProfile(),
            bucket=pipeline.bucket,
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/x",
            key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/x",
            tags={"run-id": run},
        )
        return EvaluationJobs(pipeline.bucket, ACCOUNT, stack_tag=tagged_for).create_job(request)

    # Given a run that failed two days ago with both its evaluation jobs still judging (tokens billed)
    ended_run(pipeline, name(8), RunStatus.FAILED, ResourceKind.JOB, ResourceKind.EVALUATION)
    ours = [evaluation_job(name(8), side, stack) for side in ("base", "custom")]
    # and a look-alike: our naming rule and a run record, another stack's tag
    ended_run(pipeline, name(9), RunStatus.FAILED, ResourceKind.JOB, ResourceKind.EVALUATION)
    other_stack = evaluation_job(name(9), "base", "another-stack")
    # When the daily schedule runs the janitor
    answer: dict[str, Any] = pipeline.invoke("JanitorFunction", {"delete": True})
    # Then ours are stopped (by ARN; never deleted), the look-alike judges on, reported with the proof it lacks
    assert sorted(a for a in answer["stopped"] if "evaluation-job" in a) == sorted(ours) and answer["failed"] == []
    statuses = {job.arn: job.status for job in pipeline.evaluation.jobs.values()}
    assert [statuses[arn] for arn in ours] == ["Stopped", "Stopped"] and statuses[other_stack] == "InProgress"
    reported = {row["arn"]: row["missingProofs"] for row in answer["resources"] if row["action"] == "NOT_OURS"}
    assert reported.get(other_stack) == "tag"
    [swept] = [n for n in pipeline.notifications() if n["milestone"] == "SWEPT" and ours[0] in n["body"]]
    assert f"evaluation-job {ours[1]} (RUN_ENDED) stopped" in swept["body"]
