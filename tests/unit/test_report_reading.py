"""What people read in the run report (issue 14 item 5; prices from the source, issue 13): start/end and duration,
the validation-loss line, a failed throughput as failed, storage per month and where every price comes from."""

from __future__ import annotations

import pytest

from secure_finetune.report_html import render_run_report
from secure_finetune.reports import DeploymentReport, RunReports
from secure_finetune.state import DeploymentPlan
from tests.unit.test_report_html import RUN, full_run, register_document, section, text_of


def test_the_run_section_shows_start_end_and_duration() -> None:
    register = register_document().model_copy(update={"started_at": "2026-12-02T10:00:00Z"})
    page = render_run_report(RunReports(register=register), run_id=RUN, finished_at="2026-12-02T12:05:07Z")
    run = text_of(section(page, "Run"))
    assert (
        "Started (UTC) 2026-12-02T10:00:00Z" in run and "Finished (UTC) 2026-12-02T12:05:07Z" in run and "Duration 2 h 05 min 07 s" in run
    )


def test_a_run_without_an_end_time_shows_no_invented_duration() -> None:
    register = register_document().model_copy(update={"started_at": "2026-12-02T10:00:00Z"})
    run = text_of(section(render_run_report(RunReports(register=register), run_id=RUN), "Run"))
    assert "Duration" not in run and "Finished" not in run


def test_validation_loss_stands_beside_training_loss_when_bedrock_wrote_it() -> None:
    docs = full_run()
    assert docs.metrics is not None and docs.metrics.validation is not None
    training = text_of(section(render_run_report(docs, run_id=RUN), "Training"))
    assert "Final training loss" in training and f"Final validation loss {docs.metrics.validation.final_loss:.4g}" in training
    without = docs.metrics.model_copy(update={"validation": None})
    plain = text_of(section(render_run_report(RunReports(metrics=without), run_id=RUN), "Training"))
    assert "validation loss" not in plain.lower().replace("validation loss from", "")


def test_a_failed_throughput_reads_failed_not_in_progress() -> None:
    plan = DeploymentPlan(
        mode="provisioned-throughput", model_arn="arn:m", model_units=1, ttl_hours=4, approval_required=False, report="s3://b/r"
    )
    failed = DeploymentReport(findings=(), plan=plan, failure_message="capacity")
    summary = section(render_run_report(RunReports(deployment=failed), run_id=RUN), "Summary")
    assert '<td class="bad">failed</td>' in summary and "in progress" not in summary


@pytest.mark.usefixtures("priced")
def test_costs_show_storage_per_month_and_the_source_of_each_figure() -> None:
    costs = text_of(section(render_run_report(full_run(), run_id=RUN), "Costs"))
    assert "Custom-model storage per month $1.95 — test fixture: storage" in costs  # Llama 3.1 8B, with its citation
    assert "Price source (validation)" in costs and "Price source (deployment)" in costs


def test_a_model_without_a_public_price_says_so_in_the_costs() -> None:
    register = register_document()
    haiku = register.model_copy(
        update={"settings": register.settings.model_copy(update={"base_model": "anthropic.claude-3-haiku-20240307-v1:0"})}
    )
    costs = text_of(section(render_run_report(RunReports(register=haiku), run_id=RUN), "Costs"))
    assert "Custom-model storage per month no public price" in costs


def test_warnings_are_amber_in_the_summary() -> None:
    summary = section(render_run_report(full_run(), run_id=RUN), "Summary")
    assert '<td class="warn">passed with 1 warning</td>' in summary
