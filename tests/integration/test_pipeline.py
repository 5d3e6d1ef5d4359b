"""The real ASL, template and handlers on the embedded emulator: outcomes a user sees."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from local.bedrock_standin import Scenario
from local.emulator import ROOT, LocalPipeline

from secure_finetune.reports import MetricsReport, RegisterReport, ValidationDocument

KEY = "incoming/support.jsonl"


def run(pipeline: LocalPipeline, key: str, body: bytes, tags: dict[str, str] | None = None) -> tuple[str, str, dict[str, Any]]:
    version = pipeline.upload(key, body, tags)
    arn = pipeline.execution_arn(key, version)
    return version, arn, pipeline.wait(arn)


def milestones(pipeline: LocalPipeline) -> list[str]:
    return [n["milestone"] for n in pipeline.notifications()]


def test_a_valid_dataset_trains_in_the_vpc_with_our_key_and_ends_with_ready_throughput(
    pipeline: LocalPipeline, good_dataset: bytes
) -> None:
    _, arn, result = run(pipeline, KEY, good_dataset)
    assert result["status"] == "SUCCEEDED", result.get("error")
    [request] = pipeline.bedrock.jobs_created
    outputs = pipeline.stack.outputs
    assert request["customModelKmsKeyId"] == outputs["DatasetKeyArn"]
    assert request["vpcConfig"] == {"subnetIds": outputs["JobSubnetIds"].split(","), "securityGroupIds": [outputs["JobSecurityGroupIds"]]}
    assert request["trainingDataConfig"]["s3Uri"].startswith(f"s3://{pipeline.bucket}/validated/")
    assert milestones(pipeline) == ["JOB_STARTED", "JOB_FINISHED", "THROUGHPUT_READY"]
    # the same milestones reached Slack through the webhook kept in Secrets Manager
    assert [m["text"] for m in pipeline.slack.messages] == [n["subject"] for n in pipeline.notifications()]
    run_id = arn.rsplit(":", 1)[-1]
    assert pipeline.report(run_id, ValidationDocument).training.accepted is True
    assert pipeline.report(run_id, MetricsReport).training.final_loss == 0.91
    assert len(pipeline.bedrock.throughputs) == 1


def test_an_invalid_dataset_fails_with_its_reason_code_quarantines_a_copy_and_starts_no_job(
    pipeline: LocalPipeline, bad_dataset: bytes
) -> None:
    version, _, result = run(pipeline, KEY, bad_dataset)
    assert result["status"] == "FAILED"
    assert result["error"] == "DATASET_INVALID:LINE_BLANK"
    assert pipeline.bedrock.jobs_created == []
    s3 = boto3.client("s3")
    # the original version is untouched, a copy sits in quarantine with the reason
    original = s3.get_object(Bucket=pipeline.bucket, Key=KEY, VersionId=version)["Body"].read()
    assert original == bad_dataset
    [copy] = pipeline.keys("quarantine/")
    tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=pipeline.bucket, Key=copy)["TagSet"]}
    assert tags["reason"] == "DATASET_INVALID" and tags["pipeline-status"] == "rejected"
    # the owner is told the lines, and nothing of the content
    [message] = pipeline.notifications()
    assert message["milestone"] == "DATASET_REJECTED"
    for line, code in ((2, "LINE_BLANK"), (3, "SCHEMA_MISMATCH"), (4, "LINE_INVALID_JSON"), (5, "LINE_NOT_OBJECT")):
        assert f"line={line}, code={code}" in message["body"]
    assert "reset my password" not in message["body"] and "Missing completion" not in message["body"]


def test_a_failed_job_fails_the_run_and_tells_the_owner(pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes) -> None:
    pipeline = pipeline_with(Scenario(job_outcome="Failed"))
    _, _, result = run(pipeline, KEY, good_dataset)
    assert (result["status"], result["error"]) == ("FAILED", "JOB_FAILED")
    assert milestones(pipeline) == ["JOB_STARTED", "JOB_FAILED"]
    assert pipeline.bedrock.throughputs == {}


def test_a_lost_completion_event_times_out_stops_the_job_and_tells_the_owner(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    pipeline = pipeline_with(Scenario(job_outcome="Lost"), TrainingTimeoutSeconds="2")
    _, arn, result = run(pipeline, KEY, good_dataset)
    assert (result["status"], result["error"]) == ("FAILED", "JOB_TIMED_OUT")
    assert "StopTrainingJob" in [state.name for state in pipeline.timeline(arn)]
    assert milestones(pipeline) == ["JOB_STARTED", "JOB_FAILED"]


def test_the_same_s3_event_delivered_twice_makes_one_execution_one_job_and_no_second_message(
    pipeline: LocalPipeline, good_dataset: bytes
) -> None:
    version, arn, result = run(pipeline, KEY, good_dataset)
    assert result["status"] == "SUCCEEDED"
    told = len(pipeline.notifications())
    # Given the same event again (at-least-once delivery), straight to the rule's target
    head = boto3.client("s3").head_object(Bucket=pipeline.bucket, Key=KEY, VersionId=version)
    event = json.loads((ROOT / "events" / "s3-object-created.json").read_text())
    event["detail"]["bucket"]["name"] = pipeline.bucket
    event["detail"]["object"].update({"key": KEY, "version-id": version, "etag": head["ETag"].strip('"'), "size": head["ContentLength"]})
    trigger = pipeline.stack.physical_ids["TriggerFunction"]
    answer = json.loads(boto3.client("lambda").invoke(FunctionName=trigger, Payload=json.dumps(event))["Payload"].read())
    assert answer == {"runId": arn.rsplit(":", 1)[-1], "started": False, "duplicate": True}
    assert len(pipeline.executions()) == 1
    assert len(pipeline.bedrock.jobs_created) == 1
    assert len(pipeline.notifications()) == told


def test_a_dataset_under_an_unknown_profile_is_rejected_before_reading_it(pipeline: LocalPipeline, good_dataset: bytes) -> None:
    _, _, result = run(pipeline, "incoming/no-such-team/x.jsonl", good_dataset)
    assert (result["status"], result["error"]) == ("FAILED", "UNKNOWN_PROFILE:no-such-team")
    [message] = pipeline.notifications()
    assert (message["milestone"], "no-such-team" in message["subject"]) == ("RUN_FAILED", True)
    assert pipeline.bedrock.jobs_created == []


def test_a_validation_file_never_starts_a_run_and_is_used_by_its_training_file(pipeline: LocalPipeline, good_dataset: bytes) -> None:
    pipeline.upload("incoming/support.validation.jsonl", good_dataset)
    assert pipeline.executions() == []
    _, _, result = run(pipeline, KEY, good_dataset)
    assert result["status"] == "SUCCEEDED"
    [request] = pipeline.bedrock.jobs_created
    assert request["validationDataConfig"]["validators"][0]["s3Uri"].endswith("/support.validation.jsonl")


def test_the_demo_follows_the_template_a_changed_rule_pattern_changes_what_starts_a_run(tmp_path: Path, good_dataset: bytes) -> None:
    # Given a copy of the project whose S3 rule listens on landing/ instead of incoming/
    for part in ("template.yaml", "statemachine", "functions", "layers", "config"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / part)
    template = tmp_path / "template.yaml"
    template.write_text(template.read_text().replace('wildcard: "incoming/*.jsonl"', 'wildcard: "landing/*.jsonl"'))
    # When a dataset lands in incoming/, Then the trigger is not even called and no run starts
    with LocalPipeline(root=tmp_path) as pipeline:
        pipeline.upload(KEY, good_dataset)
        assert pipeline.executions() == []
        assert [i.function for i in pipeline.lambdas.invocations if i.function == "TriggerFunction"] == []
        # and an object under landing/ now reaches the trigger (which, by its own rule, starts runs from incoming/ only)
        pipeline.upload("landing/x.jsonl", good_dataset)
        assert [i.function for i in pipeline.lambdas.invocations if i.function == "TriggerFunction"] == ["TriggerFunction"]


def test_keys_with_spaces_plus_percent_and_non_ascii_resolve_to_the_exact_object(pipeline: LocalPipeline, good_dataset: bytes) -> None:
    key = "incoming/a b+c%41ü.jsonl"
    version, arn, result = run(pipeline, key, good_dataset)
    assert result["status"] == "SUCCEEDED", result.get("error")
    registered = pipeline.report(arn.rsplit(":", 1)[-1], RegisterReport)
    assert (registered.run.key, registered.run.version_id) == (key, version)


def test_the_emulator_answers_get_foundation_model_from_the_registry(pipeline: LocalPipeline) -> None:
    bedrock = boto3.client("bedrock")
    details = bedrock.get_foundation_model(modelIdentifier="meta.llama3-1-8b-instruct-v1:0:128k")["modelDetails"]
    assert (details["customizationsSupported"], details["modelLifecycle"]["status"]) == (["DISTILLATION", "FINE_TUNING"], "ACTIVE")
    with pytest.raises(bedrock.exceptions.ResourceNotFoundException):
        bedrock.get_foundation_model(modelIdentifier="acme.unknown-v1")


def test_a_profile_with_a_validation_split_carves_a_deterministic_validation_set(pipeline: LocalPipeline, good_dataset: bytes) -> None:
    # Given the support-bot profile (validation_split = 0.1) and no x.validation.jsonl
    _, _, result = run(pipeline, "incoming/support-bot/tickets.jsonl", good_dataset)
    assert result["status"] == "SUCCEEDED", result.get("error")
    [request] = pipeline.bedrock.jobs_created
    s3 = boto3.client("s3")

    def lines(uri: str) -> list[bytes]:
        key = uri.removeprefix(f"s3://{pipeline.bucket}/")
        obj = s3.get_object(Bucket=pipeline.bucket, Key=key)
        assert obj["ServerSideEncryption"] == "aws:kms" and obj["SSEKMSKeyId"] == pipeline.stack.outputs["DatasetKeyArn"]
        body: bytes = obj["Body"].read()
        return body.splitlines()

    training = lines(request["trainingDataConfig"]["s3Uri"])
    validation = lines(request["validationDataConfig"]["validators"][0]["s3Uri"])
    assert sorted(training + validation) == sorted(good_dataset.splitlines())
    assert 0 < len(validation) < len(training)
    # and the job's validation loss series lands in the run's metrics report
    run_id = request["jobName"]
    validation_curve = pipeline.report(run_id, MetricsReport).validation
    assert validation_curve is not None and validation_curve.final_loss == pytest.approx(1.25)  # the stand-in: last epoch + 0.1


def test_a_loss_that_does_not_fall_fails_the_metrics_gate_and_buys_nothing(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    pipeline = pipeline_with(Scenario(losses=(1.2, 1.4, 1.6)))
    _, _, result = run(pipeline, KEY, good_dataset)
    assert (result["status"], result["error"]) == ("FAILED", "METRICS_GATE_FAILED:loss-did-not-decrease")
    assert pipeline.bedrock.throughputs == {}
    assert milestones(pipeline) == ["JOB_STARTED", "JOB_FAILED"]


def test_a_job_stopped_outside_the_pipeline_cancels_the_run_without_failing_it(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    # Given someone stops the job in the console (nobody recorded a stop): cancelled is not failed (issue 12)
    pipeline = pipeline_with(Scenario(job_outcome="Stopped"))
    _, arn, result = run(pipeline, KEY, good_dataset)
    # Then the execution succeeds (ExecutionsFailed does not count it), the run reads CANCELLED by "outside"
    assert result["status"] == "SUCCEEDED"
    key = {"pk": {"S": f"RUN#{arn.rsplit(':', 1)[-1]}"}, "sk": {"S": "RUN"}}
    record = boto3.client("dynamodb").get_item(TableName=pipeline.stack.outputs["RunsTableName"], Key=key)["Item"]
    assert (record["status"]["S"], record["reason"]["S"], record["stoppedBy"]["S"]) == ("CANCELLED", "JOB_CANCELLED:outside", "outside")
    assert milestones(pipeline) == ["JOB_STARTED", "RUN_CANCELLED"]


def test_a_lost_completion_event_is_recovered_by_the_reconciler(pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes) -> None:
    # Given Bedrock finishes the job but its event never arrives, and a wait long enough to reconcile
    pipeline = pipeline_with(Scenario(job_outcome="Lost"), TrainingTimeoutSeconds="120", ReconcileAfterSeconds="0")
    version = pipeline.upload(KEY, good_dataset)
    arn = pipeline.execution_arn(KEY, version)
    pipeline.wait_for_job("Completed")  # the emulated job has ended; its event is never sent
    # When the scheduled reconciler runs (moto does not deliver schedules: invoke it as the rule would)
    answer = pipeline.run_reconciler()
    # Then the run completes as if the event had come
    assert list(answer["reconciled"].values()) == ["answered Completed"]
    assert pipeline.wait(arn)["status"] == "SUCCEEDED"
    assert pipeline.bedrock.events_sent == []


def test_a_throttled_launch_retries_with_the_same_token_and_makes_one_job(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    pipeline = pipeline_with(Scenario(throttled_creates=2))
    _, _, result = run(pipeline, KEY, good_dataset)
    assert result["status"] == "SUCCEEDED", result.get("error")
    assert pipeline.bedrock.throttled == 2
    assert len(pipeline.bedrock.jobs_created) == 1


def test_the_completion_event_delivered_twice_answers_the_wait_once(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    pipeline = pipeline_with(Scenario(duplicate_events=True))
    _, arn, result = run(pipeline, KEY, good_dataset)
    assert result["status"] == "SUCCEEDED", result.get("error")
    assert len(pipeline.bedrock.events_sent) == 2
    assert milestones(pipeline) == ["JOB_STARTED", "JOB_FINISHED", "THROUGHPUT_READY"]
    assert [state.name for state in pipeline.timeline(arn)].count("ReadTrainingMetrics") == 1


def test_twenty_datasets_at_once_with_a_quota_of_two_all_finish_and_never_exceed_it(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    # Given Bedrock refuses a third concurrent job (ServiceQuotaExceededException) and jobs that take a while
    # (and enough no-commitment model units for every run's throughput: that cap is tested elsewhere)
    # (waits long enough for the last of ten rounds on a loaded CI machine)
    pipeline = pipeline_with(
        Scenario(job_quota=2, training_seconds=0.3),
        MaxConcurrentJobs="2",
        NoCommitmentModelUnits="20",
        JobSlotTimeoutSeconds="900",
        TrainingTimeoutSeconds="900",
    )
    # When 20 datasets land at once
    arns = [pipeline.execution_arn(key, pipeline.upload(key, good_dataset)) for key in (f"incoming/burst-{i:02}.jsonl" for i in range(20))]
    results = [pipeline.wait(arn, timeout=600) for arn in arns]
    # Then every run finishes, each with its own job, and Bedrock never saw more than two at once
    failed = [(r["status"], r.get("error")) for r in results if r["status"] != "SUCCEEDED"]
    assert failed == []
    assert len(pipeline.bedrock.jobs_created) == 20
    assert pipeline.bedrock.most_in_progress == 2
    slots = boto3.client("dynamodb").query(
        TableName=pipeline.stack.physical_ids["RunsTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "LOCK#job-slots"}},
    )["Items"]
    assert slots == []  # every slot given back, nobody left queued


def test_a_completion_event_from_another_account_is_ignored_and_the_run_waits_for_its_own(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    pipeline = pipeline_with(Scenario(training_seconds=2))
    version = pipeline.upload(KEY, good_dataset)
    arn = pipeline.execution_arn(KEY, version)
    run_id = arn.rsplit(":", 1)[-1]
    pipeline.wait_for_job()
    # A forged "Completed" for our job name, from another account (as a cross-account rule would forward it)
    forged = json.loads((ROOT / "events" / "bedrock-job-state-change.json").read_text())
    forged["account"] = "999999999999"
    forged["detail"]["jobName"] = run_id
    assert pipeline.invoke("CompleteTrainingJobFunction", forged) == {"outcome": "ignored: OTHER_ACCOUNT"}
    assert boto3.client("stepfunctions").describe_execution(executionArn=arn)["status"] == "RUNNING"
    # The run ends on its own job's event
    assert pipeline.wait(arn)["status"] == "SUCCEEDED"
    assert milestones(pipeline) == ["JOB_STARTED", "JOB_FINISHED", "THROUGHPUT_READY"]
