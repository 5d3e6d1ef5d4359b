"""Evaluation gate, what people read: the report's Evaluation section and the approval page's evaluation cost."""

from __future__ import annotations

from secure_finetune.approval.pages import review_page
from secure_finetune.evaluation.report import EvaluationReport, EvaluationStatus, JobRecord, PromptDelta, Verdict
from secure_finetune.evaluation.report_section import render_evaluation
from secure_finetune.report_html import write_run_report
from secure_finetune.reports import write_report
from tests.unit.fakes import FakeBucket
from tests.unit.test_training import RUN

C, P = "Builtin.Correctness", "Builtin.Completeness"


def finished(status: EvaluationStatus = "failed", prompt: str | None = None) -> EvaluationReport:
    return EvaluationReport(
        status=status,
        prompts=10,
        judge_model="amazon.nova-pro-v1:0",
        metrics=(C, P),
        jobs=(JobRecord(side="base", name=f"{RUN}-eval-base", model="meta.llama3-1-8b-instruct-v1:0", status="Completed"),),
        verdicts=(
            Verdict(metric=C, base=0.62, custom=0.41, improvement=-0.21, required=0.0, passed=False),
            Verdict(metric=P, base=0.58, custom=0.6, improvement=0.02, required=0.0, passed=True),
        ),
        deltas=(PromptDelta(index=3, base={C: 0.5, P: 0.5}, custom={C: 0.25, P: 0.75}, prompt=prompt),),
        estimated_cost_usd=0.12,
    )


def test_the_section_shows_both_models_per_metric_the_decision_and_an_svg_chart_without_script() -> None:
    html = render_evaluation(finished())
    assert "<td>0.620</td><td>0.410</td><td>-0.210</td>" in html
    assert "failed</span> (Correctness)" in html and "the custom model kept" in html
    assert html.count("<svg") == 1 and "<title" in html and "<script" not in html.lower()
    assert '<th scope="row">3</th>' in html  # per-prompt change by index
    assert "prompt text withheld" in html


def test_an_on_demand_models_section_counts_its_privately_collected_answers_and_names_what_was_deleted() -> None:
    html = render_evaluation(finished().model_copy(update={"custom_answers": 9}))
    assert "9 of 10, asked by the smoke test's function" in html
    assert "the deployment was deleted" in html and "throughput" not in html
    assert "smoke test's function" not in render_evaluation(finished())  # a bought throughput's job invoked it itself


def test_prompt_text_is_shown_only_when_present_and_always_escaped() -> None:
    html = render_evaluation(finished(prompt="<img src=x onerror=alert(1)>"))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_skipped_evaluation_says_why() -> None:
    html = render_evaluation(EvaluationReport(status="skipped", why="no held-out prompts"))
    assert "skipped: no held-out prompts" in html and "<svg" not in html


def test_the_run_page_carries_the_evaluation_section_after_the_smoke_test() -> None:
    bucket = FakeBucket()
    write_report(bucket, RUN, finished("passed"))
    write_run_report(bucket, RUN)
    page = bucket.documents[f"reports/{RUN}/index.html"]
    assert page.index(">Smoke test<") < page.index(">Evaluation<") < page.index(">Use the model<")


def test_the_approval_page_counts_the_evaluation_in_the_total() -> None:
    summary = {"estimatedCostOverTtlUsd": 10.0, "evaluationPrompts": 10, "estimatedJudgeCostUsd": 0.12, "estimatedEvaluationCostUsd": 0.5}
    body = review_page(summary, decide_by=2_000_000_000, now=1_999_990_000).html
    assert "held-out prompts" in body and "$10.50" in body
    unknown = review_page({**summary, "estimatedEvaluationCostUsd": None}, decide_by=2_000_000_000, now=1_999_990_000).html
    assert "Estimated total (time-to-live + evaluation)</th><td>no public price" in unknown and "$10.50" not in unknown
    without = review_page({"estimatedCostOverTtlUsd": 10.0}, decide_by=2_000_000_000, now=1_999_990_000).html
    assert "held-out prompts" not in without
