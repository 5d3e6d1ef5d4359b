"""Issue 12: write-ahead intents, cleanup by name when no ARN was recorded, cancelled is not failed, every status."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from secure_finetune.deployment.deploy import deploy
from secure_finetune.notifications import Milestone
from secure_finetune.reasons import DeploymentFailed, JobCancelled, TrainingFailed
from secure_finetune.runs import (
    INTENT_ATTRIBUTES,
    Intent,
    ResourceKind,
    RunChanges,
    RunRecord,
    RunStatus,
    Step,
    StopActor,
    is_run_name,
    run_id,
)
from secure_finetune.service_errors import Throttled
from secure_finetune.state import Failure
from secure_finetune.steps.failure import notify_cancelled, notify_failure
from secure_finetune.teardown.intended import JobStop, find_bought, stop_intended_job
from secure_finetune.teardown.stack_guard import billing_runs
from secure_finetune.teardown.tear_down import TeardownKind, tear_down
from secure_finetune.training.completion import CompletionKind, answer_training_wait
from secure_finetune.training.launch import job_request, start_training_job
from secure_finetune.training.reconcile import reconcile_training_waits
from secure_finetune.training.slots import wait_for_job_slot
from tests.unit.fakes import CONFIG, FakeDeps
from tests.unit.test_deployment import MODEL_ARN, deps, planned, state
from tests.unit.test_training import JOB_ARN, RUN, waiting_deps
from tests.unit.test_training import state as training_state

NOW = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)

# ---------------------------------------------------------------- the intent model


def test_an_intent_round_trips_through_the_run_record_as_one_json_attribute_per_kind() -> None:
    intent = Intent.of(ResourceKind.THROUGHPUT, RUN, NOW, model_arn=MODEL_ARN)
    attributes = intent.changes().attributes()
    assert list(attributes) == [INTENT_ATTRIBUTES[ResourceKind.THROUGHPUT]] == ["intentThroughput"]
    assert json.loads(attributes["intentThroughput"]) == {
        "kind": "throughput",
        "name": RUN,
        "clientToken": RUN,
        "at": "2030-01-01T10:00:00Z",
        "modelArn": MODEL_ARN,
    }
    record = RunRecord.from_attributes({"pk": f"RUN#{RUN}", **attributes})
    assert record.intents == (intent,) and record.intent(ResourceKind.JOB) is None
    assert record.bought == (ResourceKind.THROUGHPUT, RUN)  # no ARN yet: its name


def test_a_recorded_arn_wins_over_the_intents_name() -> None:
    record = RunRecord(run_id=RUN, intent_deployment=Intent.of(ResourceKind.DEPLOYMENT, RUN, NOW), deployment_arn="arn:d")
    assert record.bought == (ResourceKind.DEPLOYMENT, "arn:d")


@pytest.mark.parametrize(
    ("name", "ours"),
    [
        (run_id("b", "incoming/support.jsonl", "v1"), True),
        (run_id("b", "incoming/support.jsonl", "v1") + "-a2", True),  # finetune retry's attempt
        ("support-0123456789abcdef", False),  # 16 hex: not our hash length
        ("my-throughput", False),
        ("Support-0123456789abcdef01234567", False),  # capitals never come out of run_id
    ],
)
def test_the_naming_rule_matches_run_ids_only(name: str, ours: bool) -> None:
    assert is_run_name(name) is ours


# ---------------------------------------------------------------- write-ahead before every create


def test_the_job_intent_is_on_the_run_record_before_the_create_call() -> None:
    d = FakeDeps()
    seen: list[Intent | None] = []
    create = d.bedrock.create_job

    def create_job(request: dict[str, Any]) -> str:
        record = d.runs.get_run(RUN)
        seen.append(record.intent(ResourceKind.JOB) if record else None)
        return create(request)

    d.bedrock.create_job = create_job  # type: ignore[method-assign]
    d.bedrock.jobs[RUN] = {"jobArn": JOB_ARN, "status": "InProgress"}  # records no VPC: drift, stopped
    with pytest.raises(TrainingFailed, match="JOB_DRIFT"):
        start_training_job(training_state(), "token-1", d)
    record = d.runs.get_run(RUN)
    assert record is not None and record.stopped_by == "pipeline" and d.bedrock.stopped == [RUN]  # drift: a failure, not a cancel
    [intent] = seen
    assert intent is not None and (intent.kind, intent.name, intent.client_token) == (ResourceKind.JOB, RUN, RUN)
    assert d.bedrock.created_jobs[0]["clientRequestToken"] == intent.client_token


@pytest.mark.parametrize(
    ("deployment", "kind"), [("provisioned-throughput", ResourceKind.THROUGHPUT), ("on-demand", ResourceKind.DEPLOYMENT)]
)
def test_the_purchase_intent_is_written_before_buying_and_the_arn_right_after(deployment: str, kind: ResourceKind) -> None:
    base_model = "amazon.nova-micro-v1:0" if kind is ResourceKind.THROUGHPUT else "meta.llama3-3-70b-instruct-v1:0"
    s, d = state(base_model, deployment=deployment), deps()
    s = planned(s, d)
    seen: list[tuple[str, ...]] = []
    create = d.bedrock.create_throughput if kind is ResourceKind.THROUGHPUT else d.bedrock.create_deployment

    def buy(name: str, *args: Any) -> str:
        record = d.runs.get_run(RUN)
        seen.append(tuple(i.kind.value for i in record.intents) if record else ())
        return create(name, *args)

    setattr(d.bedrock, "create_throughput" if kind is ResourceKind.THROUGHPUT else "create_deployment", buy)
    result = deploy(s, d, now=NOW)
    assert seen == [(kind.value,)]
    record = d.runs.get_run(RUN)
    assert record is not None and record.bought == (kind, result.arn) and record.status is RunStatus.DEPLOYING


def test_a_time_to_live_that_cannot_be_scheduled_rolls_the_purchase_back_and_fails_the_step() -> None:
    s, d = state(), deps()
    s = planned(s, d)

    def refuse(*_: Any, **__: Any) -> None:
        raise RuntimeError("scheduler unavailable")

    d.scheduler.schedule_teardown = refuse  # type: ignore[method-assign]
    with pytest.raises(DeploymentFailed, match="TTL_NOT_SCHEDULED:RuntimeError"):
        deploy(s, d, now=NOW)
    assert d.bedrock.throughputs == {} and len(d.bedrock.deleted) == 1


# ---------------------------------------------------------------- cleanup by name, ARN recorded or not


def crashed_after_create(job_status: str = "InProgress") -> FakeDeps:
    """A run whose StartTrainingJob died between CreateModelCustomizationJob and recording the ARN."""
    d = waiting_deps(job_status=job_status)
    d.runs.set_status(RUN, RunStatus.QUEUED, Intent.of(ResourceKind.JOB, RUN, NOW).changes())
    return d


def test_a_job_whose_arn_was_never_recorded_is_found_by_name_and_stopped_as_the_pipelines_own_stop() -> None:
    d = crashed_after_create()
    assert stop_intended_job(d.runs.get_run(RUN), d, StopActor.PIPELINE) is JobStop.STOPPED
    assert d.bedrock.stopped == [RUN]
    record = d.runs.get_run(RUN)
    assert record is not None and record.stopped_by == "pipeline" and record.job_arn is None


@pytest.mark.parametrize(("status", "expected"), [("Completed", JobStop.ENDED), ("Stopping", JobStop.STOPPING), ("Failed", JobStop.ENDED)])
def test_a_job_that_no_longer_trains_is_left_alone(status: str, expected: JobStop) -> None:
    d = crashed_after_create(status)
    assert stop_intended_job(d.runs.get_run(RUN), d, StopActor.PIPELINE) is expected
    assert d.bedrock.stopped == []


def test_no_intent_or_no_such_job_means_nothing_to_stop() -> None:
    d = FakeDeps()
    d.runs.set_status(RUN, RunStatus.VALIDATED)
    assert stop_intended_job(d.runs.get_run(RUN), d, StopActor.PIPELINE) is JobStop.NO_JOB  # never meant to create one
    d.runs.set_status(RUN, None, Intent.of(ResourceKind.JOB, RUN, NOW).changes())
    assert stop_intended_job(d.runs.get_run(RUN), d, StopActor.PIPELINE) is JobStop.NO_JOB  # the create never got through
    assert d.bedrock.stopped == []


def test_a_throughput_bought_before_a_crash_is_torn_down_by_its_name_and_its_arn_written_back() -> None:
    d = deps()
    arn = d.bedrock.create_throughput(RUN, MODEL_ARN, 1, {})  # bought; the function died before recording it
    d.runs.set_status(RUN, RunStatus.TRAINED, Intent.of(ResourceKind.THROUGHPUT, RUN, NOW, model_arn=MODEL_ARN).changes())
    assert [run.run_id for run in billing_runs([r for r in [d.runs.get_run(RUN)] if r])] == [RUN]  # the stack guard sees it
    assert tear_down(RUN, "delete", d, why="crash").kind is TeardownKind.DELETED
    record = d.runs.get_run(RUN)
    assert d.bedrock.throughputs == {} and record is not None and record.provisioned_model_arn == arn and record.torn_down_at


def test_an_intent_whose_create_never_happened_is_nothing_deployed() -> None:
    d = deps()
    d.runs.set_status(RUN, RunStatus.TRAINED, Intent.of(ResourceKind.DEPLOYMENT, RUN, NOW).changes())
    assert find_bought(d.runs.get_run(RUN), d) is None
    assert tear_down(RUN, "delete", d).kind is TeardownKind.NOTHING_DEPLOYED
    assert [n.milestone for n in d.notifier.sent] == []


def test_notify_failure_stops_the_job_frees_the_slot_and_tells_the_owner_once_even_when_run_twice() -> None:
    d = crashed_after_create()
    d.slots.try_acquire(RUN)
    s = training_state().model_copy(update={"failure": Failure(error="LambdaCrashed", cause="died")})
    first = notify_failure(s, d)
    second = notify_failure(s, d)  # NotifyFailure retried after a crash after its send
    assert first["reason"] == second["reason"] == "INTERNAL_ERROR:LambdaCrashed"
    assert d.bedrock.stopped == [RUN] and d.slots.view().holders == {}
    assert [n.milestone for n in d.notifier.sent] == [Milestone.RUN_FAILED]
    record = d.runs.get_run(RUN)
    assert record is not None and record.status is RunStatus.FAILED and record.notified_at


# ---------------------------------------------------------------- cancelled is not failed


@pytest.mark.parametrize(("stopped_by", "outcome"), [(None, "outside"), ("owner", "owner")])
def test_a_job_stopped_by_an_owner_or_outside_the_pipeline_answers_the_wait_as_cancelled(stopped_by: str | None, outcome: str) -> None:
    d = waiting_deps(job_status="Stopped")
    if stopped_by:
        d.runs.set_status(RUN, None, RunChanges(stopped_by=stopped_by))
    answer_training_wait(RUN, d)
    assert d.machine.answers == [("failure", ("JobCancelled", f"JOB_CANCELLED:{outcome}"))]


def test_a_stop_the_pipeline_made_itself_stays_a_failure_with_its_code() -> None:
    d = waiting_deps(job_status="Stopped")
    d.runs.set_status(RUN, None, RunChanges(stopped_by=StopActor.PIPELINE.value))
    answer_training_wait(RUN, d)
    assert d.machine.answers == [("failure", ("TrainingFailed", "JOB_STOPPED"))]


def test_a_cancelled_run_is_recorded_cancelled_and_the_owner_told_who_stopped_it() -> None:
    d = waiting_deps(job_status="Stopped")
    d.runs.set_status(RUN, RunStatus.TRAINING, RunChanges(job_arn=JOB_ARN, profile="default"))
    d.slots.try_acquire(RUN)
    cause = json.dumps({"errorType": "JobCancelled", "errorMessage": "JOB_CANCELLED:outside"})
    s = training_state().model_copy(update={"failure": Failure(error="JobCancelled", cause=cause)})
    outcome = notify_cancelled(s, d)
    notify_cancelled(s, d)  # retried: told once
    assert outcome["reason"] == "JOB_CANCELLED:outside"
    [message] = d.notifier.sent
    assert message.milestone is Milestone.RUN_CANCELLED and message.facts()["stopped_by"] == "outside"
    record = d.runs.get_run(RUN)
    assert record is not None and record.status is RunStatus.CANCELLED and record.reason == "JOB_CANCELLED:outside"
    assert d.slots.view().holders == {}


# ---------------------------------------------------------------- the status walks every state


def test_a_queued_run_reads_queued() -> None:
    d = FakeDeps()
    d.runs.set_status(RUN, RunStatus.VALIDATED)
    wait_for_job_slot(training_state(), "token-slot", d)
    record = d.runs.get_run(RUN)
    assert record is not None and record.status is RunStatus.QUEUED  # then woken at once: the slot was free
    assert d.machine.answers == [("success", {"slot": 0})]


def test_the_outcome_carries_the_e_mail_the_state_machine_publishes_the_same_on_every_attempt() -> None:
    # NotifyFailure may run twice (a crash after its Slack post); TellOwnerFailed publishes the last answer's message.
    d = crashed_after_create()
    s = training_state().model_copy(update={"failure": Failure(error="LambdaCrashed", cause="died")})
    first, second = notify_failure(s, d), notify_failure(s, d)
    assert first["message"] == second["message"]
    message = first["message"]
    assert message["milestone"] == "RUN_FAILED" and message["profile"] == "default"
    assert message["subject"].endswith(f"({RUN})") and "INTERNAL_ERROR:LambdaCrashed" in message["body"]


# ---------------------------------------------------------------- crash windows an audit found (issue 12)


def _job_as_requested(d: FakeDeps) -> None:
    request = job_request(training_state(), CONFIG)
    d.bedrock.jobs[RUN] = {
        "jobArn": JOB_ARN,
        "status": "InProgress",
        "vpcConfig": request["vpcConfig"],
        "outputModelKmsKeyArn": CONFIG.key_arn,
        "roleArn": CONFIG.service_role_arn,
    }


def test_a_cancel_that_lands_while_the_create_is_in_flight_stops_the_job_the_create_made() -> None:
    # Given an owner cancels while CreateModelCustomizationJob is still retrying: the cancel finds no job to stop
    d = FakeDeps()
    _job_as_requested(d)
    create = d.bedrock.create_job

    def create_job(request: dict[str, Any]) -> str:
        arn = create(request)
        d.runs.set_status(RUN, RunStatus.CANCELLED, RunChanges(stopped_by=StopActor.OWNER.value))
        return arn

    d.bedrock.create_job = create_job  # type: ignore[method-assign]
    # When the create returns, Then the step stops the job itself, and the run stays CANCELLED (it never walks back)
    with pytest.raises(JobCancelled):
        start_training_job(training_state(), "token-1", d)
    record = d.runs.get_run(RUN)
    assert d.bedrock.stopped == [RUN] and record is not None and record.status is RunStatus.CANCELLED
    assert record.job_arn == JOB_ARN  # what it made is still recorded


def test_a_wait_with_no_job_behind_it_neither_stops_the_reconciler_nor_lingers_after_its_run_ended() -> None:
    # Given a run whose create was refused (its token stays, no job) and a run whose job completed, lost its event
    d = waiting_deps()
    d.runs.put_token("refused-run", Step.TRAINING, "token-refused")
    d.runs.set_status("refused-run", RunStatus.FAILED)
    d.runs.put_token("throttled-run", Step.TRAINING, "token-throttled")
    get_job = d.bedrock.get_job

    def throttled(name: str) -> Any:
        if name == "throttled-run":
            raise Throttled("ThrottlingException", "GetModelCustomizationJob")
        return get_job(name)

    d.bedrock.get_job = throttled  # type: ignore[method-assign]
    # When the reconciler passes
    answers = reconcile_training_waits(d, 0).answers
    # Then the lost event is answered all the same, the dead wait is dropped, the throttled one waits for the next pass
    assert answers[RUN].kind is CompletionKind.ANSWERED
    assert answers["refused-run"].kind is answers["throttled-run"].kind is CompletionKind.IGNORED
    assert d.runs.get_token("refused-run", Step.TRAINING) is None
    assert d.runs.get_token("throttled-run", Step.TRAINING) == "token-throttled"


def test_a_failed_run_leaves_no_training_wait_behind() -> None:
    d = crashed_after_create()
    d.runs.put_token(RUN, Step.TRAINING, "token-1")
    notify_failure(training_state().model_copy(update={"failure": Failure(error="JobQuotaBusy", cause="busy")}), d)
    assert d.runs.get_token(RUN, Step.TRAINING) is None
