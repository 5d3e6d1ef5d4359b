"""Launch request, drift check and the completion callback (with fakes of our ports)."""

import re
from typing import Any

import pytest

from secure_finetune.adapters.bedrock import training_job
from secure_finetune.events import BedrockJobStateChange
from secure_finetune.reports import TrainingFailureReport, read_report
from secure_finetune.runs import Step
from secure_finetune.settings import ProfileCatalog, StackLimits, resolve_settings
from secure_finetune.state import DatasetResult, PipelineState, Registered, RunObject, Timing
from secure_finetune.training.completion import CompletionKind, CompletionOutcome, complete_training_job
from secure_finetune.training.launch import drift, job_request
from tests.unit.fakes import CONFIG, FakeDeps

RUN = "support-0123456789abcdef0123"
JOB_ARN = f"arn:aws:bedrock:us-east-1:111122223333:model-customization-job/{RUN}"


def state() -> PipelineState:
    catalog = ProfileCatalog.model_validate(
        {"version": "v", "profiles": {"default": {"base_model": "meta.llama3-1-8b-instruct-v1:0", "hyperparameters": {"epochCount": "2"}}}}
    )
    return PipelineState(
        run=RunObject(
            run_id=RUN,
            bucket="data-bucket",
            key="incoming/support.jsonl",
            version_id="v1",
            etag="e",
            size=10,
            requester="arn:aws:iam::1:user/alice",
        ),
        timing=Timing(training_timeout_seconds=60, job_slot_timeout_seconds=60, throughput_poll_seconds=1, throughput_max_polls=3),
        registered=Registered(settings=resolve_settings(catalog, None, {}, StackLimits())),
        dataset=DatasetResult(
            sha256="ab" * 32, records=10, training_uri=f"s3://data-bucket/validated/{'ab' * 32}/support.jsonl", report="s3://r"
        ),
    )


def test_the_job_request_runs_in_our_vpc_with_our_key_and_deterministic_names() -> None:
    request = job_request(state(), CONFIG)
    assert request["vpcConfig"] == {"subnetIds": ["subnet-1", "subnet-2"], "securityGroupIds": ["sg-1"]}
    assert request["customModelKmsKeyId"] == CONFIG.key_arn
    assert request["jobName"] == request["customModelName"] == request["clientRequestToken"] == RUN
    assert request["baseModelIdentifier"] == "meta.llama3-1-8b-instruct-v1:0:128k"
    assert request["outputDataConfig"] == {"s3Uri": f"s3://data-bucket/output/{RUN}/"}
    assert all(isinstance(v, str) for v in request["hyperParameters"].values())
    tags = {t["key"]: t["value"] for t in request["jobTags"]}
    assert tags["dataset-sha256"] == "ab" * 32 and tags["source-version"] == "v1" and tags["run-id"] == RUN
    assert all(re.fullmatch(r"[a-zA-Z0-9\s._:/=+@-]*", t["value"]) for t in request["jobTags"])


@pytest.mark.parametrize(
    ("recorded_change", "problem"),
    [
        ({"vpcConfig": None}, "subnets"),
        ({"outputModelKmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/invented"}, "kms-key"),
        ({"roleArn": "arn:aws:iam::111122223333:role/other"}, "role"),
    ],
)
def test_drift_names_what_bedrock_recorded_differently(recorded_change: dict[str, Any], problem: str) -> None:
    request = job_request(state(), CONFIG)
    recorded = {
        "jobArn": "arn:j",
        "status": "InProgress",
        "vpcConfig": request["vpcConfig"],
        "outputModelKmsKeyArn": CONFIG.key_arn,
        "roleArn": CONFIG.service_role_arn,
    }
    assert drift(training_job(recorded), request) == []
    assert problem in drift(training_job({**recorded, **recorded_change}), request)


def event(status: str = "Completed", account: str = "111122223333", region: str = "us-east-1", job: str = RUN) -> BedrockJobStateChange:
    return BedrockJobStateChange.model_validate(
        {
            "version": "0",
            "id": "e1",
            "detail-type": "Model Customization Job State Change",
            "source": "aws.bedrock",
            "account": account,
            "time": "2026-11-24T12:00:00Z",
            "region": region,
            "resources": [JOB_ARN],
            "detail": {"jobName": job, "jobArn": JOB_ARN, "jobStatus": status},
        }
    )


def waiting_deps(job_status: str = "Completed", failure_message: str | None = None) -> FakeDeps:
    deps = FakeDeps()
    deps.runs.put_token(RUN, Step.TRAINING, "token-1")
    deps.bedrock.jobs[RUN] = {
        "jobArn": JOB_ARN,
        "status": job_status,
        "outputModelArn": "arn:aws:bedrock:us-east-1:111122223333:custom-model/m/abc",
        "outputDataConfig": {"s3Uri": f"s3://data-bucket/output/{RUN}/"},
        "failureMessage": failure_message,
    }
    return deps


@pytest.mark.parametrize("other", [{"account": "999999999999"}, {"region": "eu-west-1"}, {"job": "not-ours"}])
def test_events_from_elsewhere_or_for_unknown_jobs_are_ignored(other: dict[str, str]) -> None:
    deps = waiting_deps()
    outcome = complete_training_job(event(**other), deps)
    assert outcome.kind is CompletionKind.IGNORED and outcome.text.startswith("ignored")
    assert deps.machine.answers == []


def test_the_api_is_the_truth_not_the_event() -> None:
    # Given the event says Completed but the job is still running
    deps = waiting_deps(job_status="InProgress")
    assert complete_training_job(event("Completed"), deps) == CompletionOutcome(CompletionKind.IGNORED, "ignored: job is InProgress")
    assert deps.machine.answers == []


def test_completed_job_answers_success_once_and_a_duplicate_event_is_harmless() -> None:
    deps = waiting_deps()
    assert complete_training_job(event(), deps) == CompletionOutcome(CompletionKind.ANSWERED, "answered Completed")
    assert complete_training_job(event(), deps).kind is CompletionKind.IGNORED  # token gone
    assert [kind for kind, _ in deps.machine.answers] == ["success"]
    assert deps.machine.answers[0][1]["outputModelArn"].endswith("custom-model/m/abc")


def test_failed_job_answers_failure_with_a_reason_code_and_keeps_the_failure_message_out_of_it() -> None:
    deps = waiting_deps(job_status="Failed", failure_message='Input size exceeded for record starting with {"prompt": "secret')
    complete_training_job(event("Failed"), deps)
    kind, (error, reason) = deps.machine.answers[0]
    assert (kind, error, reason) == ("failure", "TrainingFailed", "JOB_FAILED")
    report = read_report(deps.bucket, RUN, TrainingFailureReport)
    assert report is not None and "secret" in (report.failure_message or "")  # kept in the encrypted report only


def test_the_sample_bedrock_event_in_events_parses() -> None:
    import json
    from pathlib import Path

    sample = json.loads((Path(__file__).resolve().parents[2] / "events" / "bedrock-job-state-change.json").read_text())
    parsed = BedrockJobStateChange.model_validate(sample)
    assert (parsed.detail.job_status, parsed.detail_type) == ("Completed", "Model Customization Job State Change")


def test_a_distillation_request_names_the_teacher_from_the_settings() -> None:
    catalog = ProfileCatalog.model_validate(
        {
            "version": "v",
            "profiles": {
                "default": {
                    "base_model": "amazon.nova-lite-v1:0",
                    "customization_type": "DISTILLATION",
                    "teacher_model": "amazon.nova-pro-v1:0",
                    "max_response_length": 1000,
                }
            },
        }
    )
    distilling = state().model_copy(update={"registered": Registered(settings=resolve_settings(catalog, None, {}, StackLimits()))})
    request = job_request(distilling, CONFIG)
    assert request["customizationType"] == "DISTILLATION"
    assert request["customizationConfig"] == {
        "distillationConfig": {
            "teacherModelConfig": {"teacherModelIdentifier": "amazon.nova-pro-v1:0", "maxResponseLengthForInference": 1000}
        }
    }


def test_the_metrics_gate_names_what_failed() -> None:
    from secure_finetune.training.loss_curve import gate_problems, parse_loss_curve

    falling = parse_loss_curve("step_number,epoch_number,training_loss\n0,0,2.0\n1,0,1.0\n")
    rising = parse_loss_curve("step_number,epoch_number,training_loss\n0,0,1.0\n1,0,1.5\n")
    assert gate_problems(falling, 1.5, True) == []
    assert gate_problems(falling, 0.5, True) == ["final-loss-too-high"]
    assert gate_problems(rising, None, True) == ["loss-did-not-decrease"]
    assert gate_problems(rising, None, False) == []


def test_the_validation_loss_gate_fails_closed_without_a_validation_series() -> None:
    from secure_finetune.training.loss_curve import gate_problems, parse_loss_curve

    falling = parse_loss_curve("step_number,epoch_number,training_loss\n0,0,2.0\n1,0,1.0\n")
    validation = parse_loss_curve("step_number,epoch_number,validation_loss\n0,0,1.4\n1,1,1.2\n", "validation_loss")
    assert gate_problems(falling, None, True, validation, 1.3) == []
    assert gate_problems(falling, None, True, validation, 1.1) == ["validation-loss-too-high"]
    assert gate_problems(falling, None, True, None, 1.1) == ["no-validation-loss"]
    assert gate_problems(falling, None, True, None, None) == []


def test_the_reconciler_answers_waits_whose_job_ended_and_leaves_running_ones() -> None:
    from secure_finetune.training.reconcile import events_recovered, reconcile_training_waits

    deps = waiting_deps()
    deps.runs.put_token("still-running", Step.TRAINING, "token-2")
    deps.bedrock.jobs["still-running"] = {"jobArn": "arn:x", "status": "InProgress"}
    first = reconcile_training_waits(deps, 900)
    assert first.outcomes() == {RUN: "answered Completed", "still-running": "ignored: job is InProgress"}
    assert events_recovered(first) == 1
    assert [kind for kind, _ in deps.machine.answers] == ["success"]
    again = reconcile_training_waits(deps, 900)
    assert again.outcomes() == {"still-running": "ignored: job is InProgress"} and events_recovered(again) == 0
