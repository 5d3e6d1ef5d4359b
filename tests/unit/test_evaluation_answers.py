"""Evaluation of a model deployed on demand: its answers collected through the private endpoint, then judged.

An evaluation job cannot invoke a custom-model-deployment ARN; it judges answers we bring (precomputedInferenceSource).
These tests walk StartEvaluation (Collecting) -> CollectAnswers (until Answered) -> StartEvaluation (the jobs), and the
ways that walk can go wrong: a crash between calls, a deployment that answers too little, a clock that runs out.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from local.lambda_runtime import LambdaContext, load_handler

from secure_finetune.evaluation.answers import collect_answers
from secure_finetune.evaluation.report import EvaluationReport, missed
from secure_finetune.evaluation.report_section import render_evaluation
from secure_finetune.evaluation.state import EvaluationState
from secure_finetune.evaluation.steps import check_evaluation, start_evaluation
from secure_finetune.reasons import EvaluationFailed
from secure_finetune.reports import read_report
from tests.unit.evaluation_fakes import DEPLOYMENT, FakeEvaluations, evaluated_state, evaluation_deps
from tests.unit.fakes import STACK_ENVIRONMENT, FakeDeps, FakeRuntime
from tests.unit.test_training import RUN

PROMPTS, ANSWERS = f"reports/{RUN}/evaluation/prompts.jsonl", f"reports/{RUN}/evaluation/custom-answers.jsonl"
ON_DEMAND = evaluated_state(mode="on-demand", max_response_tokens=300)
PLENTY = 10_000.0  # seconds left: the whole set fits in one call


def collecting(prompts: int = 5, runtime: FakeRuntime | None = None) -> tuple[FakeDeps, FakeEvaluations, EvaluationState]:
    deps, evaluations = evaluation_deps(prompts=prompts)
    deps.runtime = runtime or FakeRuntime(answer="the custom model's answer")
    return deps, evaluations, start_evaluation(ON_DEMAND, deps)


def answers_file(deps: FakeDeps) -> list[dict[str, object]]:
    return [json.loads(line) for line in str(deps.bucket.documents[ANSWERS]).splitlines()]


def test_an_on_demand_run_writes_its_dataset_and_collects_answers_before_any_job_starts() -> None:
    deps, evaluations = evaluation_deps(prompts=5)
    current = start_evaluation(ON_DEMAND, deps)
    assert (current.status, current.prompts, current.jobs) == ("Collecting", 5, ())
    assert PROMPTS in deps.bucket.documents and evaluations.requests == []
    report = read_report(deps.bucket, RUN, EvaluationReport)
    assert report is not None and (report.status, report.prompts, report.jobs) == ("running", 5, ())


def test_the_deployment_answers_every_prompt_with_the_base_jobs_parameters_and_the_file_carries_one_labelled_answer_each() -> None:
    deps, _, current = collecting()
    answered = collect_answers(ON_DEMAND, current, deps, lambda: PLENTY)
    assert (answered.status, answered.answered, answered.collected) == ("Answered", 5, 5)
    assert set(deps.runtime.calls) == {DEPLOYMENT}
    assert {(tokens, temperature) for _, tokens, temperature in deps.runtime.asked} == {(300, 0)}  # as the base job's inferenceParams
    prompts = [json.loads(line) for line in str(deps.bucket.documents[PROMPTS]).splitlines()]
    records = answers_file(deps)
    assert [{k: r[k] for k in ("prompt", "referenceResponse")} for r in records] == prompts
    assert {json.dumps(r["modelResponses"]) for r in records} == {
        json.dumps([{"response": "the custom model's answer", "modelIdentifier": f"{RUN}-custom"}])
    }


def test_the_answered_run_starts_one_job_per_side_the_custom_one_judging_the_collected_answers() -> None:
    deps, evaluations, current = collecting()
    running = start_evaluation(ON_DEMAND, deps, collect_answers(ON_DEMAND, current, deps, lambda: PLENTY))
    assert running.status == "Running" and [j.side for j in running.jobs] == ["base", "custom"]
    base, custom = evaluations.requests
    assert base["inferenceConfig"]["models"][0]["bedrockModel"]["modelIdentifier"] == "meta.llama3-1-8b-instruct-v1:0"
    assert custom["inferenceConfig"]["models"] == [{"precomputedInferenceSource": {"inferenceSourceIdentifier": f"{RUN}-custom"}}]
    location = custom["evaluationConfig"]["automated"]["datasetMetricConfigs"][0]["dataset"]["datasetLocation"]["s3Uri"]
    assert location == f"s3://data-bucket/{ANSWERS}"
    report = read_report(deps.bucket, RUN, EvaluationReport)
    assert report is not None and report.custom_answers == 5 and [j.model for j in report.jobs][1] == DEPLOYMENT


def test_the_gate_then_judges_the_on_demand_model_as_it_judges_a_bought_one() -> None:
    deps, evaluations, current = collecting()
    running = start_evaluation(ON_DEMAND, deps, collect_answers(ON_DEMAND, current, deps, lambda: PLENTY))
    base, custom = (
        {"Builtin.Correctness": [0.9] * 5, "Builtin.Completeness": [0.5] * 5},
        {"Builtin.Correctness": [0.2] * 5, "Builtin.Completeness": [0.6] * 5},
    )
    evaluations.complete(deps.bucket, {"base": base, "custom": custom})
    with pytest.raises(EvaluationFailed, match=r"^EVALUATION_GATE_FAILED:Correctness$"):
        check_evaluation(ON_DEMAND, running, deps)


def test_a_call_that_runs_out_of_time_returns_its_place_and_the_next_calls_finish_without_asking_twice() -> None:
    deps, _, current = collecting(prompts=10)
    clock = iter([PLENTY, 0.0])  # time for one answer more after the first, then the time is up
    state = collect_answers(ON_DEMAND, current, deps, lambda: next(clock, 0.0))
    assert (state.status, state.collected, state.answered) == ("Collecting", 2, 2)
    calls = 0
    while state.status == "Collecting":  # the state machine's loop; with no time left, a call still moves forward
        state = collect_answers(ON_DEMAND, state, deps, lambda: 0.0)
        calls += 1
    assert (calls, state.status, state.collected, state.answered) == (8, "Answered", 10, 10)
    assert len(deps.runtime.asked) == 10 and len(answers_file(deps)) == 10


def test_a_crash_after_the_write_repeats_the_call_without_asking_any_prompt_again() -> None:
    deps, _, current = collecting()
    collect_answers(ON_DEMAND, current, deps, lambda: PLENTY)  # wrote every answer, then "crashed": the state never moved
    again = collect_answers(ON_DEMAND, current, deps, lambda: PLENTY)
    assert again.status == "Answered" and len(deps.runtime.asked) == 5 and len(answers_file(deps)) == 5


def test_an_unanswered_prompt_is_left_out_and_scored_by_nobody() -> None:
    deps, _, current = collecting(prompts=10, runtime=FakeRuntime(answer="ok", unanswered=frozenset({"question 3?"})))
    answered = collect_answers(ON_DEMAND, current, deps, lambda: PLENTY)
    assert (answered.status, answered.answered) == ("Answered", 9)  # 9 of 10: the coverage floor (90%) still holds
    assert "question 3?" not in [r["prompt"] for r in answers_file(deps)]
    # why, by code only (the operator's first question: throttled, denied, timed out?), into the report with the jobs
    assert answered.unanswered == {"RuntimeError": 1} and "question" not in json.dumps(answered.wire())
    start_evaluation(ON_DEMAND, deps, answered)
    report = read_report(deps.bucket, RUN, EvaluationReport)
    assert report is not None and (report.custom_answers, report.custom_unanswered) == (9, {"RuntimeError": 1})
    assert "no answer: RuntimeError 1" in render_evaluation(report)


def test_a_deployment_that_answers_too_little_fails_before_any_judge_job_is_paid_for() -> None:
    deps, _, current = collecting(prompts=10, runtime=FakeRuntime(answer="   "))  # blank answers are no answers
    with pytest.raises(EvaluationFailed, match="EVALUATION_FAILED:custom-unanswered"):
        collect_answers(ON_DEMAND, current, deps, lambda: PLENTY)
    assert deps.evaluations.requests == []
    report = read_report(deps.bucket, RUN, EvaluationReport)
    assert report is not None and report.status == "error"
    assert report.why == "the custom model answered 0 of 2 held-out prompts asked (10 in all; no answer: EmptyAnswer 2)"
    assert report.custom_unanswered == {"EmptyAnswer": 2}
    assert len(deps.runtime.asked) == 2  # two misses of ten put the 90% floor out of reach: nothing more is asked


def test_asking_stops_as_soon_as_the_coverage_floor_is_out_of_reach_not_at_the_end() -> None:
    misses = frozenset({"question 1?", "question 7?"})  # the second miss, at prompt 8 of 10, decides it
    deps, _, current = collecting(prompts=10, runtime=FakeRuntime(answer="ok", unanswered=misses))
    with pytest.raises(EvaluationFailed, match="EVALUATION_FAILED:custom-unanswered"):
        collect_answers(ON_DEMAND, current, deps, lambda: PLENTY)
    assert len(deps.runtime.asked) == 8 and ANSWERS not in deps.bucket.documents


def test_the_reasons_add_up_across_calls_most_frequent_first() -> None:
    from secure_finetune.service_errors import ServiceError

    runtime = FakeRuntime(answer="ok", error=ServiceError("ThrottlingException", "Converse"))
    deps, _, current = collecting(prompts=30, runtime=runtime)
    first = collect_answers(ON_DEMAND, current, deps, lambda: 0.0)  # one prompt per call
    deps.runtime = FakeRuntime(answer="  ")
    second = collect_answers(ON_DEMAND, first, deps, lambda: 0.0)
    assert second.unanswered == {"ThrottlingException": 1, "EmptyAnswer": 1}
    assert missed({"EmptyAnswer": 1, "AccessDeniedException": 3, "ThrottlingException": 1}) == (
        "AccessDeniedException 3, EmptyAnswer 1, ThrottlingException 1"
    )


def test_the_private_inference_function_runs_the_collection_when_the_state_machine_asks_for_it() -> None:
    deps, _, current = collecting()
    handler = load_handler(Path(__file__).resolve().parents[2] / "functions" / "smoke_test", STACK_ENVIRONMENT)
    context = LambdaContext(
        SimpleNamespace(function_name="f", function_arn="arn:aws:lambda:us-east-1:111122223333:function:f", memory_size=512)
    )
    state: dict[str, object] = {**ON_DEMAND.wire(), "evaluation": current.wire()}
    result = handler({"task": "collect-answers", "state": state}, context, deps=deps)
    assert (result["status"], result["answered"]) == ("Answered", 5)
    start = load_handler(Path(__file__).resolve().parents[2] / "functions" / "start_evaluation", STACK_ENVIRONMENT)
    assert start({**state, "evaluation": result}, context, deps=deps)["status"] == "Running"


def test_the_plan_counts_an_on_demand_evaluation_whose_custom_tokens_have_no_sourced_price() -> None:
    from secure_finetune.evaluation.steps import plan_estimate

    deps, _ = evaluation_deps(prompts=5)
    cost = plan_estimate(ON_DEMAND, deps, hourly_usd=None, ttl_hours=2, on_demand=True)
    assert cost is not None and cost.prompts == 5
    assert (cost.custom_inference_usd, cost.extra_throughput_usd, cost.total_usd) == (None, 0.0, None)  # nothing held per hour
    assert cost.price_source.endswith("custom model on demand: no public price")


def test_a_deployment_the_time_to_live_deletes_before_the_next_answer_stops_the_collection_clearly() -> None:
    from datetime import UTC, datetime

    deps, _, current = collecting()
    assert ON_DEMAND.deployment is not None
    soon = ON_DEMAND.model_copy(update={"deployment": ON_DEMAND.deployment.model_copy(update={"delete_at": "2030-01-01T10:01:00Z"})})
    with pytest.raises(EvaluationFailed, match="EVALUATION_TIMED_OUT:ttl"):
        collect_answers(soon, current, deps, lambda: PLENTY, now=lambda: datetime(2030, 1, 1, 10, 0, tzinfo=UTC))
    assert deps.runtime.asked == []
    report = read_report(deps.bucket, RUN, EvaluationReport)
    assert report is not None and (report.status, report.why) == ("error", "the time-to-live deletes the model first")
    later = datetime(2029, 12, 31, tzinfo=UTC)  # a day before it: every answer fits
    assert collect_answers(soon, current, deps, lambda: PLENTY, now=lambda: later).status == "Answered"
