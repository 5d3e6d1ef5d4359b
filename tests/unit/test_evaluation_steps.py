"""Evaluation gate, the steps: skip and say why, start one job per model, poll, gate, stop what runs, tell the owner."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from local.lambda_runtime import LambdaContext, load_handler

from secure_finetune.evaluation.report import EvaluationReport
from secure_finetune.evaluation.state import EvaluationState
from secure_finetune.evaluation.steps import check_evaluation, plan_estimate, start_evaluation
from secure_finetune.reasons import EvaluationFailed
from secure_finetune.reports import read_report
from secure_finetune.state import Failure, PipelineState
from secure_finetune.steps.failure import notify_failure
from tests.unit.evaluation_fakes import THROUGHPUT, FakeEvaluations, evaluated_state, evaluation_deps
from tests.unit.fakes import CONFIG, STACK_ENVIRONMENT, FakeDeps
from tests.unit.test_training import RUN

C, P = "Builtin.Correctness", "Builtin.Completeness"
FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
CONTEXT = LambdaContext(
    SimpleNamespace(function_name="f", function_arn="arn:aws:lambda:us-east-1:111122223333:function:f", memory_size=512)
)


def report(deps: FakeDeps) -> EvaluationReport:
    found = read_report(deps.bucket, RUN, EvaluationReport)
    assert found is not None
    return found


# ---------------------------------------------------------------- skips: stated, nothing started


@pytest.mark.parametrize(
    ("state", "why"),
    [
        (evaluated_state(enabled=False), "turned off by the profile"),
        (evaluated_state(validation=False), "no held-out prompts"),
    ],
)
def test_a_run_that_cannot_be_evaluated_skips_and_says_why(state: PipelineState, why: str) -> None:
    deps, evaluations = evaluation_deps()
    result = start_evaluation(state, deps)
    assert result.status == "Skipped" and evaluations.requests == []
    assert report(deps).status == "skipped" and why in (report(deps).why or "")


def test_held_out_records_without_prompt_and_answer_skip_the_evaluation() -> None:
    deps, evaluations = evaluation_deps()
    deps.bucket.documents[next(k for k in deps.bucket.documents if k.startswith("validated/"))] = b'{"prompt": "only"}\n[]\n'
    assert start_evaluation(evaluated_state(), deps).status == "Skipped"
    assert "no usable held-out prompts" in (report(deps).why or "") and evaluations.requests == []


# ---------------------------------------------------------------- start


def test_start_writes_the_dataset_under_the_runs_evaluation_prefix_and_starts_one_job_per_model() -> None:
    deps, evaluations = evaluation_deps(prompts=5)
    result = start_evaluation(evaluated_state(), deps)
    dataset = deps.bucket.documents[f"reports/{RUN}/evaluation/prompts.jsonl"]
    assert [json.loads(line)["referenceResponse"] for line in dataset.splitlines()] == [f"answer {i}." for i in range(5)]
    models = [r["inferenceConfig"]["models"][0]["bedrockModel"]["modelIdentifier"] for r in evaluations.requests]
    assert models == ["meta.llama3-1-8b-instruct-v1:0", THROUGHPUT]  # base (on demand), then the bought throughput
    assert {r["customerEncryptionKeyId"] for r in evaluations.requests} == {CONFIG.key_arn}
    assert {r["roleArn"] for r in evaluations.requests} == {STACK_ENVIRONMENT["EVALUATION_ROLE_ARN"]}
    assert result.status == "Running" and len(result.jobs) == 2 and result.wait_seconds == CONFIG.evaluation_poll_seconds
    assert report(deps).prompts == 5 and report(deps).status == "running"


def test_a_retried_start_finds_its_jobs_instead_of_starting_two_more() -> None:
    deps, evaluations = evaluation_deps()
    first = start_evaluation(evaluated_state(), deps)
    again = start_evaluation(evaluated_state(), deps)
    assert [j.arn for j in again.jobs] == [j.arn for j in first.jobs] and len(evaluations.jobs) == 2


def test_the_profile_may_name_its_own_base_model_identifier_and_judge() -> None:
    deps, evaluations = evaluation_deps()
    start_evaluation(
        evaluated_state(base_model_id="us.meta.llama3-1-8b-instruct-v1:0", judge_model="anthropic.claude-3-haiku-20240307-v1:0"), deps
    )
    base = evaluations.requests[0]
    assert base["inferenceConfig"]["models"][0]["bedrockModel"]["modelIdentifier"] == "us.meta.llama3-1-8b-instruct-v1:0"
    judge = base["evaluationConfig"]["automated"]["evaluatorModelConfig"]["bedrockEvaluatorModels"][0]["modelIdentifier"]
    assert judge == "anthropic.claude-3-haiku-20240307-v1:0"


# ---------------------------------------------------------------- poll and gate


def started() -> tuple[FakeDeps, FakeEvaluations, EvaluationState]:
    deps, evaluations = evaluation_deps(prompts=5)
    state = evaluated_state()
    return deps, evaluations, start_evaluation(state, deps)


def test_the_evaluation_intent_is_written_before_either_job_is_created() -> None:
    from secure_finetune.runs import ResourceKind

    deps, evaluations = evaluation_deps(prompts=5)
    seen: list[object] = []
    create = evaluations.create_job

    def create_after_the_intent(request: dict[str, object]) -> str:
        record = deps.runs.get_run(RUN)
        seen.append(None if record is None else record.intent(ResourceKind.EVALUATION))
        return create(request)

    evaluations.create_job = create_after_the_intent  # type: ignore[method-assign]
    start_evaluation(evaluated_state(), deps)
    assert len(seen) == 2 and all(intent is not None and intent.name == RUN for intent in seen)  # type: ignore[attr-defined]


def test_jobs_still_running_count_a_poll_and_wait_again() -> None:
    deps, _, current = started()
    assert check_evaluation(evaluated_state(), current, deps).polls == 1


def test_too_many_polls_stop_both_jobs_and_stop_the_run() -> None:
    deps, evaluations, current = started()
    current = current.model_copy(update={"polls": CONFIG.evaluation_max_polls - 1})
    with pytest.raises(EvaluationFailed, match=f"EVALUATION_TIMED_OUT:{CONFIG.evaluation_max_polls}polls"):
        check_evaluation(evaluated_state(), current, deps)
    assert len(evaluations.stopped) == 2


def test_a_failed_job_stops_the_other_and_names_its_side() -> None:
    deps, evaluations, current = started()
    base_arn = current.jobs[0].arn
    evaluations.jobs[base_arn]["status"] = "Failed"
    with pytest.raises(EvaluationFailed, match="EVALUATION_FAILED:base"):
        check_evaluation(evaluated_state(), current, deps)
    assert evaluations.stopped == [current.jobs[1].arn]


def test_a_job_that_records_another_key_is_stopped_as_drift() -> None:
    deps, evaluations, current = started()
    evaluations.jobs[current.jobs[1].arn]["customerEncryptionKeyId"] = "arn:aws:kms:us-east-1:111122223333:key/other"
    with pytest.raises(EvaluationFailed, match="EVALUATION_FAILED:custom"):
        check_evaluation(evaluated_state(), current, deps)


def test_a_better_custom_model_passes_and_the_report_has_both_scores_and_deltas_by_index() -> None:
    deps, evaluations, current = started()
    evaluations.complete(deps.bucket, {"base": {C: [0.5] * 5, P: [0.5] * 5}, "custom": {C: [1, 1, 0.5, 1, 1], P: [0.5] * 5}})
    assert check_evaluation(evaluated_state(), current, deps).status == "Passed"
    found = report(deps)
    assert found.status == "passed"
    assert [(v.metric, v.base, v.custom, v.passed) for v in found.verdicts] == [(C, 0.5, 0.9, True), (P, 0.5, 0.5, True)]
    assert [d.index for d in found.deltas] == [0, 1, 2, 3, 4] and all(d.prompt is None for d in found.deltas)


def test_a_worse_custom_model_fails_the_gate_with_the_metric_ids() -> None:
    deps, evaluations, current = started()
    evaluations.complete(deps.bucket, {"base": {C: [0.8] * 5, P: [0.6] * 5}, "custom": {C: [0.4] * 5, P: [0.6] * 5}})
    with pytest.raises(EvaluationFailed, match=r"^EVALUATION_GATE_FAILED:Correctness$"):
        check_evaluation(evaluated_state(), current, deps)
    assert report(deps).status == "failed"


def test_prompt_text_reaches_the_report_only_when_the_profile_allows_it() -> None:
    deps, evaluations = evaluation_deps(prompts=3)
    state = evaluated_state(show_prompts_in_report=True)
    current = start_evaluation(state, deps)
    evaluations.complete(deps.bucket, {"base": {C: [0.5] * 3, P: [0.5] * 3}, "custom": {C: [0.6] * 3, P: [0.6] * 3}})
    check_evaluation(state, current, deps)
    assert [d.prompt for d in report(deps).deltas] == ["question 0?", "question 1?", "question 2?"]


def test_a_metric_scored_on_too_few_prompts_fails_and_says_on_how_many() -> None:
    # Given a judge that scored Correctness on only 3 of the 5 prompts for the custom model (below the 90% floor)
    deps, evaluations, current = started()
    thin: list[float | None] = [0.9, None, 0.9, None, 0.9]
    evaluations.complete(deps.bucket, {"base": {C: [0.5] * 5, P: [0.5] * 5}, "custom": {C: thin, P: [0.5] * 5}})  # type: ignore[dict-item]
    with pytest.raises(EvaluationFailed, match=r"^EVALUATION_GATE_FAILED:Correctness$"):
        check_evaluation(evaluated_state(), current, deps)
    # Then the report, the owner's line and the page say how thin, not just "n/a"
    found = report(deps)
    assert [(v.metric, v.scored, v.of) for v in found.verdicts] == [(C, 3, 5), (P, 5, 5)]
    assert "Correctness base n/a custom n/a (both scored on 3 of 5 prompts) FAIL" in found.decision_line()
    from secure_finetune.evaluation.report_section import render_evaluation

    assert "n/a: scored on 3 of 5 prompts (needs 90%)" in render_evaluation(found)


# ---------------------------------------------------------------- the owner is told, what was bought is deleted


def test_a_failed_gate_tears_down_the_throughput_and_tells_the_owner_both_scores() -> None:
    deps, evaluations, current = started()
    evaluations.complete(deps.bucket, {"base": {C: [0.8] * 5, P: [0.6] * 5}, "custom": {C: [0.4] * 5, P: [0.6] * 5}})
    with pytest.raises(EvaluationFailed) as stopped:
        check_evaluation(evaluated_state(), current, deps)
    cause = json.dumps({"errorMessage": str(stopped.value)})
    outcome = notify_failure(evaluated_state().model_copy(update={"failure": Failure(error="EvaluationFailed", cause=cause)}), deps)
    assert outcome["reason"] == "EVALUATION_GATE_FAILED:Correctness" and outcome["step"] == "evaluation"
    [message] = [m for m in deps.notifier.sent if m.milestone == "RUN_FAILED"]
    assert message.evaluation.startswith("Correctness base 0.800 custom 0.400") and "question" not in message.evaluation


def test_a_crash_between_the_two_creates_leaves_no_job_billing_after_the_failure_path() -> None:
    # Given StartEvaluation created the base model's job and died before the custom one (no ARN recorded anywhere)
    deps, evaluations = evaluation_deps(prompts=5)
    create = evaluations.create_job
    calls = 0

    def create_then_die(request: dict[str, object]) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the function died")
        return create(request)

    evaluations.create_job = create_then_die  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        start_evaluation(evaluated_state(), deps)
    [base] = evaluations.jobs
    # When NotifyFailure runs (the Catch after the crash)
    notify_failure(evaluated_state().model_copy(update={"failure": Failure(error="LambdaCrashed", cause="died")}), deps)
    # Then it found the job by its deterministic name and stopped it before deleting the model it calls
    assert evaluations.stopped == [base] and evaluations.jobs[base]["status"] == "Stopped"


def test_an_evaluation_the_time_to_live_would_cut_short_stops_cleanly_before_the_model_is_deleted() -> None:
    deps, evaluations, current = started()
    state = evaluated_state()
    assert state.deployment is not None
    now = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
    soon = state.model_copy(update={"deployment": state.deployment.model_copy(update={"delete_at": "2030-01-01T10:05:00Z"})})
    later = state.model_copy(update={"deployment": state.deployment.model_copy(update={"delete_at": "2030-01-01T20:00:00Z"})})
    assert check_evaluation(later, current, deps, now=now).polls == 1  # hours left: wait
    with pytest.raises(EvaluationFailed, match="EVALUATION_TIMED_OUT:ttl"):
        check_evaluation(soon, current, deps, now=now)  # the next poll would come after the teardown
    assert len(evaluations.stopped) == 2


def test_the_gate_compares_the_same_prompts_and_fails_a_metric_the_judge_scored_too_rarely() -> None:
    deps, evaluations, current = started()
    # the custom model scored on 1 prompt of 5 (the judge failed the rest): its one good answer must not pass the gate
    evaluations.complete(deps.bucket, {"base": {C: [0.8] * 5, P: [0.6] * 5}, "custom": {C: [0.9] * 5, P: [0.6] * 5}})
    custom = next(name for name in evaluations.results if name.endswith("-custom"))
    evaluations.results[custom] = evaluations.results[custom][:1]
    with pytest.raises(EvaluationFailed, match="EVALUATION_GATE_FAILED:Correctness,"):
        check_evaluation(evaluated_state(), current, deps)


# ---------------------------------------------------------------- plan, handlers


@pytest.mark.usefixtures("priced")
def test_the_plan_estimate_is_none_when_off_and_names_the_judges_part_when_on() -> None:
    deps, _ = evaluation_deps(prompts=5)
    assert plan_estimate(evaluated_state(enabled=False), deps, hourly_usd=None, ttl_hours=4) is None
    cost = plan_estimate(evaluated_state(), deps, hourly_usd=None, ttl_hours=4)
    # the judge is priced; Llama 3.1 8B on demand is not (no sourced figure), so the total stays unknown
    assert cost is not None and cost.prompts == 5 and cost.judge_usd is not None and cost.total_usd is None
    priced = plan_estimate(evaluated_state(base_model_id="amazon.nova-pro-v1:0"), deps, hourly_usd=None, ttl_hours=4)
    assert priced is not None and priced.total_usd is not None


def test_the_handlers_pass_the_state_through_their_steps() -> None:
    deps, evaluations = evaluation_deps()
    start = load_handler(FUNCTIONS / "start_evaluation", STACK_ENVIRONMENT)
    check = load_handler(FUNCTIONS / "check_evaluation", STACK_ENVIRONMENT)
    state = evaluated_state().wire()
    started_ = start(state, CONTEXT, deps=deps)
    assert started_["status"] == "Running" and len(evaluations.requests) == 2
    polled = check({**state, "evaluation": started_}, CONTEXT, deps=deps)
    assert polled["polls"] == 1 and polled["waitSeconds"] == started_["waitSeconds"]


def test_any_failure_after_the_jobs_started_stops_them_so_no_tokens_keep_billing() -> None:
    deps, evaluations, current = started()
    crash = Failure(error="Lambda.Unknown", cause="{}")  # CheckEvaluation itself crashed
    outcome = notify_failure(evaluated_state().model_copy(update={"failure": crash}), deps)
    assert outcome["reason"].startswith("INTERNAL_ERROR")
    assert sorted(evaluations.stopped) == sorted(job.arn for job in current.jobs)


def test_a_run_that_never_started_an_evaluation_stops_nothing() -> None:
    deps, evaluations = evaluation_deps()
    notify_failure(evaluated_state().model_copy(update={"failure": Failure(error="Lambda.Unknown", cause="{}")}), deps)
    assert evaluations.stopped == [] and evaluations.jobs == {}
