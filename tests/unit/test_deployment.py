"""Deployment: plan and price before spending, deploy under the cap, smoke test, time-to-live teardown."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from secure_finetune.deployment.deploy import announce_deployment, check_deployment, deploy
from secure_finetune.deployment.plan import hourly_cost, plan_deployment
from secure_finetune.deployment.smoke import prompt_of, smoke_test
from secure_finetune.notifications import Milestone
from secure_finetune.reasons import DeploymentFailed
from secure_finetune.reports import DeploymentReport, SmokeReport, read_report
from secure_finetune.runs import resource_name
from secure_finetune.settings import ProfileCatalog, StackLimits, resolve_settings
from secure_finetune.state import DeploymentPlan, Failure, PipelineState, Registered, SmokeResult, TrainingResult
from secure_finetune.steps.failure import notify_failure
from secure_finetune.teardown.tear_down import TeardownKind, TeardownOutcome, tear_down
from tests.unit.fakes import CONFIG, STACK_ENVIRONMENT, FakeDeps, FakeRuntime
from tests.unit.test_training import JOB_ARN, RUN
from tests.unit.test_training import state as training_state

MODEL_ARN = "arn:aws:bedrock:us-east-1:111122223333:custom-model/m1"
KEY = CONFIG.key_arn


def state(base_model: str = "amazon.nova-micro-v1:0", max_ttl_hours: float = 24, **profile: object) -> PipelineState:
    catalog = ProfileCatalog.model_validate({"version": "v", "profiles": {"default": {"base_model": base_model, **profile}}})
    settings = resolve_settings(catalog, None, {}, StackLimits(max_model_units=2, max_ttl_hours=max_ttl_hours))
    return training_state().model_copy(
        update={
            "registered": Registered(settings=settings),
            "training": TrainingResult(job_arn=JOB_ARN, status="Completed", output_model_arn=MODEL_ARN, output_uri="s3://b/output/"),
        }
    )


def deps(**bedrock: object) -> FakeDeps:
    fake = FakeDeps(config=CONFIG.model_copy(update={"max_model_units": 2}))
    fake.bedrock.models[RUN] = {"modelKmsKeyArn": KEY, "jobArn": JOB_ARN}
    for name, value in bedrock.items():
        setattr(fake.bedrock, name, value)
    return fake


def planned(s: PipelineState, d: FakeDeps) -> PipelineState:
    return s.model_copy(update={"plan": plan_deployment(s, d)})


# ---------------------------------------------------------------- bad input first


def test_a_model_that_offers_no_chosen_option_stops_before_anything_is_bought() -> None:
    # Llama 3.3 70B: on-demand only in the registry
    with pytest.raises(DeploymentFailed, match="NO_DEPLOYMENT_OPTION:provisioned-throughput-not-offered"):
        plan_deployment(state("meta.llama3-3-70b-instruct-v1:0", deployment="provisioned-throughput"), deps())


def test_short_no_commitment_capacity_stops_with_what_is_free_and_needed() -> None:
    d = deps(units_elsewhere=1)
    with pytest.raises(DeploymentFailed, match="THROUGHPUT_CAPACITY_SHORT:1-free-2-needed"):
        plan_deployment(state(model_units=2), d)
    assert d.bedrock.throughputs == {}
    report = read_report(d.bucket, RUN, DeploymentReport)
    assert report is not None and report.plan.model_units == 2  # the report says what was asked


def test_a_model_under_another_key_blocks_the_purchase_with_gr_job_07() -> None:
    d = deps()
    d.bedrock.models[RUN] = {"modelKmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/other", "jobArn": JOB_ARN}
    with pytest.raises(DeploymentFailed, match="GUARDRAIL_FAILED:GR-JOB-07"):
        plan_deployment(state(), d)


def test_a_failed_smoke_test_deletes_what_was_bought_and_keeps_no_text() -> None:
    s, d = state(smoke_test_prompts=["secret question"]), deps()
    d.runtime = FakeRuntime(answer="   ")
    s = planned(s, d)
    s = s.model_copy(update={"deployment": deploy(s, d)})
    with pytest.raises(DeploymentFailed, match="SMOKE_TEST_FAILED:1-of-1") as stopped:
        smoke_test(s, d)
    failure = Failure(error="DeploymentFailed", cause=json.dumps({"errorMessage": str(stopped.value)}))
    notify_failure(s.model_copy(update={"failure": failure}), d)  # the Catch's next state
    assert s.deployment is not None
    assert d.bedrock.deleted == [s.deployment.arn]
    report = read_report(d.bucket, RUN, SmokeReport)
    assert report is not None and report.kept is False and "secret question" not in str(d.bucket.documents[f"reports/{RUN}/smoke.json"])


def test_a_profile_may_keep_the_throughput_after_a_failed_smoke_test() -> None:
    s, d = state(keep_on_smoke_failure=True), deps()  # no profile prompts: taken from the data
    assert s.dataset is not None
    d.bucket.documents[s.dataset.training_uri.removeprefix("s3://data-bucket/")] = b'{"prompt": "p", "completion": "c"}\n'
    d.runtime = FakeRuntime(error=TimeoutError())
    s = planned(s, d)
    s = s.model_copy(update={"deployment": deploy(s, d)})
    with pytest.raises(DeploymentFailed, match="SMOKE_TEST_FAILED"):
        smoke_test(s, d)
    assert d.bedrock.deleted == []
    report = read_report(d.bucket, RUN, SmokeReport)
    assert report is not None and report.results[0].error == "TimeoutError" and report.kept is True


def test_a_failed_throughput_stops_the_run_with_its_failure_message_in_the_report_only() -> None:
    s, d = state(), deps()
    s = planned(s, d)
    s = s.model_copy(update={"deployment": deploy(s, d)})
    assert s.deployment is not None
    d.bedrock.throughputs[s.deployment.arn].update(status="Failed", failureMessage="capacity")
    with pytest.raises(DeploymentFailed, match=r"^THROUGHPUT_FAILED$"):
        check_deployment(s, d)
    report = read_report(d.bucket, RUN, DeploymentReport)
    assert report is not None and report.failure_message == "capacity" and report.plan == s.plan  # the plan is kept


@pytest.mark.parametrize(
    ("line", "prompt"),
    [
        (b'{"prompt": "p", "completion": "c"}', "p"),
        (b'{"input": "text"}', "text"),
        (b'{"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": [{"text": "hi"}]}]}', "hi"),
        (b'{"messages": [{"role": "user", "content": "hey"}, {"role": "assistant", "content": "yo"}]}', "hey"),
        (b"not json", None),
        (b"[1]", None),
        (b'{"messages": [{"role": "assistant", "content": "x"}]}', None),
    ],
)
def test_smoke_prompts_come_from_the_users_turn_of_each_format(line: bytes, prompt: str | None) -> None:
    assert prompt_of(line) == prompt


# ---------------------------------------------------------------- the good path


@pytest.mark.usefixtures("priced")
def test_the_plan_prices_the_throughput_before_anything_is_spent() -> None:
    s, d = state(model_units=2, ttl_hours=4), deps()
    plan = plan_deployment(s, d)
    assert (plan.mode, plan.model_units, plan.estimated_hourly_cost_usd, plan.estimated_cost_over_ttl_usd) == (
        "provisioned-throughput",
        2,
        121.0,  # 2 x $60.50 (pricing.py, Nova Micro no-commitment)
        484.0,
    )
    assert d.bedrock.throughputs == {}  # planning buys nothing


def test_a_stack_price_overrides_the_table_and_an_unknown_price_stays_unknown() -> None:
    assert hourly_cost("amazon.nova-micro-v1:0", 1, 10.0) == 10.0
    assert hourly_cost("meta.llama3-1-8b-instruct-v1:0", 1, None) is None


def test_the_runs_own_throughput_is_reused_by_a_retried_step_not_bought_twice() -> None:
    s, d = state(), deps(units_elsewhere=2)  # no free capacity, but nothing new is needed
    existing = d.bedrock.create_throughput(resource_name(RUN), MODEL_ARN, 1, {})  # bought before DeployModel crashed
    s = planned(s, d)
    assert deploy(s, d).arn == existing
    assert len(d.bedrock.throughputs) == 1


def test_on_demand_where_the_model_offers_only_that() -> None:
    s, d = state("meta.llama3-3-70b-instruct-v1:0"), deps()
    s = planned(s, d)
    assert s.plan is not None
    assert (s.plan.mode, s.plan.estimated_hourly_cost_usd) == ("on-demand", None)  # billed per token
    result = deploy(s, d)
    d.bedrock.deployments[result.arn]["status"] = "Active"
    assert check_deployment(s.model_copy(update={"deployment": result}), d).status == "Ready"


@pytest.mark.usefixtures("priced")
def test_the_purchase_schedules_its_teardown_and_announce_tells_the_owner_how_to_call_the_model() -> None:
    s, d = state(ttl_hours=4), deps()
    s = planned(s, d)
    bought = deploy(s, d, now=datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    # scheduled with the purchase, before the smoke test: a kept failure or an abort still ends at the TTL
    warn_at, delete_at = d.scheduler.scheduled[RUN]
    assert (warn_at.hour, warn_at.minute, delete_at.hour) == (15, 30, 16)
    assert d.runs.runs[RUN]["deleteAt"] == "2026-11-24T16:00:00Z"
    s = s.model_copy(update={"deployment": bought.model_copy(update={"status": "Ready", "polls": 2})})
    s = s.model_copy(update={"smoke": SmokeResult(passed=True, prompts=1, slowest_ms=150)})
    announce_deployment(s, d)
    [ready] = d.notifier.sent
    assert ready.milestone is Milestone.THROUGHPUT_READY
    assert (ready.delete_at, ready.estimated_hourly_cost_usd) == ("2026-11-24T16:00:00Z", 60.5)
    assert f"--model-id {bought.arn}" in ready.example_call and ready.report.endswith("/index.html")
    assert f"reports/{RUN}/index.html" in d.bucket.documents


def test_a_ttl_of_zero_under_no_cap_schedules_nothing() -> None:
    s, d = state(ttl_hours=0, max_ttl_hours=0), deps()  # MaxTtlHours = 0: the platform team lifted the cap
    s = planned(s, d)
    s = s.model_copy(update={"deployment": deploy(s, d).model_copy(update={"status": "Ready"})})
    announce_deployment(s, d)
    assert d.scheduler.scheduled == {}
    assert d.notifier.sent[0].delete_at is None


def test_teardown_warns_then_deletes_once() -> None:
    d = deps()
    arn = d.bedrock.create_throughput(RUN, MODEL_ARN, 1, {})
    d.runs.runs[RUN] = {"status": "SUCCEEDED", "provisionedModelArn": arn, "profile": "default", "deleteAt": "2026-11-24T16:00:00Z"}
    assert tear_down(RUN, "warn", d) == TeardownOutcome(TeardownKind.WARNED, "warned")
    assert tear_down(RUN, "delete", d) == TeardownOutcome(TeardownKind.DELETED, "deleted")
    assert tear_down(RUN, "delete", d) == TeardownOutcome(TeardownKind.ALREADY_TORN_DOWN, "already torn down")
    assert [n.milestone for n in d.notifier.sent] == [Milestone.TTL_WARNING, Milestone.TORN_DOWN]
    assert d.bedrock.throughputs == {} and d.scheduler.cancelled == [RUN, RUN]


def test_teardown_of_a_run_that_deployed_nothing_changes_nothing() -> None:
    d = deps()
    assert tear_down(RUN, "delete", d) == TeardownOutcome(TeardownKind.NOTHING_DEPLOYED, "nothing deployed")
    assert d.notifier.sent == []


def test_a_train_only_run_ends_at_the_plan_with_its_report_and_nothing_bought() -> None:
    d = deps()
    plan = plan_deployment(state(deployment="none"), d)
    assert (plan.mode, plan.model_units, plan.approval_required) == ("none", 0, False)
    assert d.runs.runs[RUN]["status"] == "SUCCEEDED"
    page = d.bucket.documents[f"reports/{RUN}/index.html"]
    assert '<td class="ok">not requested (train only)</td>' in page
    assert d.bedrock.throughputs == {}


def test_the_plan_travels_on_the_wire_in_camel_case() -> None:
    plan = DeploymentPlan(mode="none", model_arn="m", model_units=0, ttl_hours=0, approval_required=False, report="r")
    assert plan.wire()["approvalRequired"] is False


@pytest.mark.usefixtures("priced")
def test_the_message_before_the_purchase_says_what_it_will_cost() -> None:
    from secure_finetune.deployment.plan import next_step

    told = next_step(state(model_units=2, ttl_hours=4).settings, None)
    assert told.startswith("2 model unit(s) of no-commitment throughput: $121.00/h, $484.00 in all (price: test fixture")
    assert told.endswith("https://aws.amazon.com/bedrock/pricing/ (2026-12-03)); deleted after 4 h")  # source, page and date
    assert "(price: the stack's ThroughputPricePerUnitHour parameter)" in next_step(state(ttl_hours=4).settings, 10.0)
    assert next_step(state(approval_required=True, ttl_hours=0).settings, None).startswith("after approval, 1 model unit(s)")
    assert next_step(state("meta.llama3-1-8b-instruct-v1:0").settings, None).endswith("no public price; deleted after 4 h")
    assert next_step(state(deployment="none").settings, None) == "no deployment (the profile trains only)"


def test_a_refused_delete_is_asked_again_later_and_the_owner_told_it_still_bills() -> None:
    d = deps(refused_deletes=1)
    arn = d.bedrock.create_throughput(RUN, MODEL_ARN, 1, {})
    d.runs.runs[RUN] = {"status": "SUCCEEDED", "provisionedModelArn": arn, "profile": "default"}
    before = datetime.now(UTC)
    outcome = tear_down(RUN, "delete", d)
    assert outcome.kind is TeardownKind.DELETE_FAILED
    assert outcome.text.startswith("delete failed (ThrottlingException); asked again at ")
    assert arn in d.bedrock.throughputs and d.scheduler.cancelled == []
    [(run, attempt, at, why)] = d.scheduler.retries
    assert (run, attempt, why) == (RUN, 1, "time-to-live reached") and 14 * 60 <= (at - before).total_seconds() <= 16 * 60
    [failed] = d.notifier.sent
    assert failed.milestone is Milestone.TEARDOWN_FAILED and failed.error == "ThrottlingException"
    assert failed.delete_by_hand == f"aws bedrock delete-provisioned-model-throughput --region us-east-1 --provisioned-model-id {arn}"
    assert "Rate exceeded" not in str(failed.model_dump())  # the service's code, not its message
    # the retry schedule fires and Bedrock answers this time
    assert tear_down(RUN, "delete", d) == TeardownOutcome(TeardownKind.DELETED, "deleted")
    assert d.bedrock.throughputs == {} and d.scheduler.cancelled == [RUN]
    assert [n.milestone for n in d.notifier.sent] == [Milestone.TEARDOWN_FAILED, Milestone.TORN_DOWN]


def test_after_the_last_retry_the_owner_is_told_to_delete_it_by_hand() -> None:
    d = deps(refused_deletes=99)
    arn = d.bedrock.create_throughput(RUN, MODEL_ARN, 1, {})
    d.runs.runs[RUN] = {"status": "SUCCEEDED", "provisionedModelArn": arn, "profile": "default"}
    now, outcomes = datetime(2030, 1, 1, 10, 0, tzinfo=UTC), []
    for _ in range(6):  # the TTL's delete, then each retry when its schedule fires
        outcomes.append(tear_down(RUN, "delete", d, now=now))
        now = d.scheduler.retries[-1][2]
    assert [(attempt, f"{at:%H:%M}") for _, attempt, at, _ in d.scheduler.retries] == [
        (1, "10:15"), (2, "10:45"), (3, "11:45"), (4, "13:45"), (5, "17:45"),
    ]  # fmt: skip
    assert outcomes[-1] == TeardownOutcome(
        TeardownKind.DELETE_FAILED, "delete failed (ThrottlingException); no retry left: delete it by hand"
    )
    assert d.notifier.sent[-1].retry_at is None and arn in d.notifier.sent[-1].delete_by_hand


def test_a_refusal_while_a_retry_waits_starts_no_second_chain() -> None:
    d = deps(refused_deletes=2)
    arn = d.bedrock.create_throughput(RUN, MODEL_ARN, 1, {})
    d.runs.runs[RUN] = {"status": "FAILED", "provisionedModelArn": arn, "profile": "default"}
    first = tear_down(RUN, "delete", d, why="THROUGHPUT_FAILED", now=datetime(2030, 1, 1, 10, 0, tzinfo=UTC))
    # `finetune teardown` five minutes later meets the same refusal: it is told when the retry comes
    again = tear_down(RUN, "delete", d, why="torn down with finetune teardown", now=datetime(2030, 1, 1, 10, 5, tzinfo=UTC))
    assert first.text.endswith("asked again at 2030-01-01T10:15:00Z") and again == first
    assert [(attempt, why) for _, attempt, _, why in d.scheduler.retries] == [(1, "THROUGHPUT_FAILED")]  # its reason kept


def test_the_teardown_function_times_a_retry_from_its_schedules_own_time() -> None:
    # Scheduler fills in <aws.scheduler.scheduled-time>; the retry is 15 min after the later of it and the clock
    from local.lambda_runtime import load_handler

    from tests.unit.test_handler_metrics import CONTEXT, FUNCTIONS

    d = deps(refused_deletes=1)
    arn = d.bedrock.create_throughput(RUN, MODEL_ARN, 1, {})
    d.runs.runs[RUN] = {"status": "SUCCEEDED", "provisionedModelArn": arn, "profile": "default"}
    handler = load_handler(FUNCTIONS / "teardown", STACK_ENVIRONMENT)
    answer = handler({"runId": RUN, "action": "delete", "scheduledAt": "2030-01-01T10:00:00Z"}, CONTEXT, deps=d)
    assert answer["outcome"] == "delete failed (ThrottlingException); asked again at 2030-01-01T10:15:00Z"
    assert answer["kind"] == "DELETE_FAILED"  # what `finetune teardown` branches on
    assert d.scheduler.retries == [(RUN, 1, datetime(2030, 1, 1, 10, 15, tzinfo=UTC), "time-to-live reached")]


def test_a_failed_deployment_whose_teardown_is_refused_still_tells_the_owner_and_writes_the_report() -> None:
    d = deps(refused_deletes=1)
    s = planned(state(), d)
    failure = Failure(error="DeploymentFailed", cause=json.dumps({"errorMessage": "THROUGHPUT_FAILED"}))
    s = s.model_copy(update={"deployment": deploy(s, d), "failure": failure})
    outcome = notify_failure(s, d)
    assert outcome["reason"] == "THROUGHPUT_FAILED"
    assert [n.milestone for n in d.notifier.sent] == [Milestone.RUN_FAILED, Milestone.TEARDOWN_FAILED]
    assert f"reports/{RUN}/index.html" in d.bucket.documents and len(d.scheduler.retries) == 1


def test_an_unexpected_error_after_the_purchase_still_tears_it_down() -> None:
    # e.g. the smoke-test function crashed (Catch States.ALL): not a deployment error, still billing
    s, d = state(ttl_hours=0), deps()  # no time-to-live schedule would ever delete it
    s = planned(s, d)
    s = s.model_copy(update={"deployment": deploy(s, d), "failure": Failure(error="Lambda.Unknown", cause="crashed")})
    outcome = notify_failure(s, d)
    assert outcome["reason"] == "INTERNAL_ERROR:Lambda.Unknown"
    assert d.bedrock.throughputs == {} and Milestone.TORN_DOWN in [n.milestone for n in d.notifier.sent]


def test_a_run_aborted_while_deploying_has_what_it_bought_torn_down() -> None:
    from secure_finetune.training.stop import stop_job_of_aborted_run

    d = deps()
    arn = d.bedrock.create_throughput(RUN, MODEL_ARN, 1, {})
    d.runs.runs[RUN] = {"status": "DEPLOYING", "provisionedModelArn": arn, "profile": "default"}
    assert stop_job_of_aborted_run(RUN, d) == "cancelled; teardown: deleted"
    assert d.bedrock.throughputs == {} and [n.milestone for n in d.notifier.sent] == [Milestone.RUN_CANCELLED, Milestone.TORN_DOWN]
    assert d.runs.runs[RUN]["status"] == "CANCELLED" and d.runs.runs[RUN]["reason"] == "JOB_CANCELLED:owner"
    assert stop_job_of_aborted_run("never-registered", d) == "ignored: no run record"


def test_a_throughput_someone_else_bought_for_the_model_is_not_adopted_nor_given_our_time_to_live() -> None:
    # Given an application team bought its own throughput for the run's custom model (in the console)
    s, d = state(), deps()
    theirs = "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/theirs000001"
    d.bedrock.throughputs[theirs] = {
        "provisionedModelArn": theirs,
        "provisionedModelName": "app-team-throughput",
        "modelArn": MODEL_ARN,
        "modelUnits": 1,
        "status": "InService",
    }
    # When the run deploys, Then it buys its own, and only its own gets the run's time-to-live
    bought = deploy(planned(s, d), d)
    assert bought.arn != theirs and len(d.bedrock.throughputs) == 2
    record = d.runs.get_run(RUN)
    assert record is not None and record.provisioned_model_arn == bought.arn
