"""The HTML run report: hostile and malformed documents first, then the sections of real runs.

``full_run`` / ``rejected_run`` build the documents with the report models the steps write
(``secure_finetune.reports``), so a change in what a step writes shows up here; the browser test
(tests/browser) renders the same full run in Chromium.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from secure_finetune.adapters.s3 import DataBucket
from secure_finetune.dataset import DatasetFormat, validate_dataset
from secure_finetune.dataset.report import LineProblem
from secure_finetune.guardrails import PRE_LAUNCH_CHECKS, PURCHASE_CHECKS, WARN_CHECKS, Finding, Severity, Status
from secure_finetune.report_html import TRAINING_COLOUR, VALIDATION_COLOUR, load_run_documents, render_run_report, write_run_report
from secure_finetune.reports import (
    DeploymentReport,
    GateReport,
    GuardrailsReport,
    MetricsReport,
    RegisterReport,
    RunProblem,
    RunReports,
    SmokeAnswer,
    SmokeReport,
    TrainingCost,
    TrainingFailureReport,
    ValidationDocument,
    write_report,
)
from secure_finetune.runs import Step
from secure_finetune.settings import Profile, RunSettings
from secure_finetune.state import DeploymentPlan, DeploymentResult, RunObject
from secure_finetune.training.loss_curve import LossCurve, parse_loss_curve
from tests.unit.fakes import FakeBucket

EVENTS = Path(__file__).resolve().parents[2] / "events"
RUN = "support-bot-3f9a1c2e4b5d6a7f8e9d"
ACCOUNT, BUCKET = "111122223333", "data-bucket"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1"
FAILED_CHECK = "GR-NET-01"
SECRET_PROMPT = "What is the launch code for Ledgerly?"
FAILURE_QUOTE = "Record 7 is invalid: Ledgerly-internal"


def training_csv(losses: list[float], column: str = "training_loss") -> str:
    return "step_number,epoch_number," + column + "\n" + "".join(f"{i},{i // 10},{loss}\n" for i, loss in enumerate(losses, 1))


TRAIN_LOSSES = [round(2.4 * 0.93**i + 0.3, 4) for i in range(40)]
VALID_LOSSES = [round(2.5 * 0.95**i + 0.45, 4) for i in range(40)]


def findings(checks: tuple[Any, ...], failed: str | None = None) -> list[Finding]:
    return [
        Finding(
            id=c.id,
            title=c.title,
            severity=c.severity,
            status=Status.FAIL if c.id == failed else Status.PASS,
            explanation="BucketKeyEnabled is false on the default encryption rule" if c.id == failed else "ok",
            fix=c.fix if c.id == failed else None,
            evidence=c.evidence,
        )
        for c in checks
    ]


def register_document() -> RegisterReport:
    profile = Profile(base_model="meta.llama3-1-8b-instruct-v1:0", smoke_test_prompts=(SECRET_PROMPT,), model_units=1, ttl_hours=4)
    settings = RunSettings(profile="support-bot", profiles_version="2026-09-01", overrides=(), **profile.model_dump())
    run = RunObject(run_id=RUN, bucket=BUCKET, key="incoming/support-bot/tickets.jsonl", version_id="v1", etag="e", size=17_034)
    return RegisterReport(run=run, settings=settings)


def validation_document(dataset: bytes) -> ValidationDocument:
    report = validate_dataset([dataset], DatasetFormat.PROMPT_COMPLETION)
    tokens = report.stats.estimated_tokens
    cost = TrainingCost(
        estimated_tokens=tokens,
        epochs=2,
        billed_tokens=tokens * 2,
        estimated_training_usd=12.3456,
        price_source="cloud-custodian README (2026-07-28, us-west-2)",
    )
    return ValidationDocument(training=report, cost=cost)


PLAN = DeploymentPlan(
    mode="provisioned-throughput",
    model_arn=f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/{RUN}",
    model_units=1,
    ttl_hours=4,
    approval_required=False,
    estimated_hourly_cost_usd=20.5,
    estimated_cost_over_ttl_usd=82.0,
    report=f"s3://{BUCKET}/reports/{RUN}/deployment.json",
)


def full_run() -> RunReports:
    """Every step ran: deployed, smoke-tested; one warn check fails so the table has a FAIL row."""
    job = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/{RUN}"
    curve = parse_loss_curve(training_csv(TRAIN_LOSSES))
    validation_curve = parse_loss_curve(training_csv(VALID_LOSSES, "validation_loss"), "validation_loss")
    bought = DeploymentResult(
        arn=f"arn:aws:bedrock:us-east-1:{ACCOUNT}:provisioned-model/abc123",
        mode="provisioned-throughput",
        status="InService",
        polls=3,
        delete_at="2026-09-02T14:00:00Z",
    )
    answers = tuple(SmokeAnswer(answered=True, answer_chars=chars, latency_ms=ms) for chars, ms in ((120, 812), (88, 640), (143, 701)))
    return RunReports(
        register=register_document(),
        validation=validation_document((EVENTS / "sample-dataset.jsonl").read_bytes()),
        guardrails=GuardrailsReport(findings=(*findings(PRE_LAUNCH_CHECKS), *findings(WARN_CHECKS, failed=WARN_CHECKS[0].id))),
        metrics=MetricsReport(
            job_arn=job,
            output_model_arn=f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/{RUN}",
            training=curve,
            validation=validation_curve,
            gate=GateReport(),
        ),
        deployment=DeploymentReport(findings=tuple(findings(PURCHASE_CHECKS)), plan=PLAN, deployment=bought, delete_at=bought.delete_at),
        smoke=SmokeReport(passed=True, prompts=3, slowest_ms=812, results=answers, kept=True),
    )


def rejected_run() -> RunReports:
    return RunReports(register=register_document(), validation=validation_document((EVENTS / "sample-dataset-invalid.jsonl").read_bytes()))


def metrics_only(steps: tuple[int, ...], losses: tuple[float, ...]) -> RunReports:
    curve = LossCurve(steps=steps, losses=losses, final_loss=losses[-1], best_loss=losses[-1])
    return RunReports(metrics=MetricsReport(job_arn="arn:job", training=curve, gate=GateReport()))


def section(page: str, title: str) -> str:
    match = re.search(rf"<h2 id=\"s\d+\">{re.escape(title)}</h2>(.*?)</section>", page, re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))


def polylines(page: str) -> list[list[str]]:
    return [points.split() for points in re.findall(r'<polyline[^>]*points="([^"]*)"', page)]


# ---------------------------------------------------------------- bad input first

HOSTILE = '<script>alert("x")</script>'


def test_hostile_strings_are_escaped_everywhere() -> None:
    register, validation = register_document(), validation_document((EVENTS / "sample-dataset.jsonl").read_bytes())
    hostile_finding = Finding(id=HOSTILE, title=HOSTILE, severity=Severity.BLOCK, status=Status.FAIL, explanation=HOSTILE, fix=HOSTILE)
    injected = '"><img src=x onerror=alert(1)>'
    documents = RunReports(
        register=register.model_copy(
            update={
                "run": register.run.model_copy(update={"key": HOSTILE, "bucket": "b'\"&"}),
                "settings": register.settings.model_copy(update={"profile": HOSTILE, "hyperparameters": {HOSTILE: HOSTILE}}),
            }
        ),
        validation=validation.model_copy(
            update={
                "training": validation.training.model_copy(
                    update={
                        "accepted": False,
                        "errors": (LineProblem(line=3, byte_offset=0, code=HOSTILE, message=HOSTILE),),
                        "errors_by_code": {HOSTILE: 1},
                    }
                ),
                "run_problems": (RunProblem(code=HOSTILE, message=HOSTILE),),
                "cost": validation.cost.model_copy(update={"price_source": HOSTILE}),
            }
        ),
        guardrails=GuardrailsReport(findings=(hostile_finding,)),
        deployment=DeploymentReport(
            findings=(hostile_finding,),
            plan=PLAN.model_copy(update={"model_arn": injected, "mode": HOSTILE}),
            deployment=DeploymentResult(arn=injected, mode=HOSTILE, status=HOSTILE, polls=1),
        ),
        smoke=SmokeReport(
            passed=False, prompts=1, slowest_ms=1, results=(SmokeAnswer(answered=False, error=HOSTILE, latency_ms=1),), kept=False
        ),
    )
    page = render_run_report(documents, run_id=HOSTILE)
    assert "<script" not in page and "<img" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "b&#x27;&quot;&amp;" in page


def test_documents_that_do_not_read_as_their_models_count_as_missing() -> None:
    bucket = FakeBucket()
    malformed: dict[str, Any] = {
        "register": {"run": "not a mapping", "settings": None},
        "validation": {"training": "x", "validation": [], "runProblems": 5, "cost": []},
        "guardrails": {"findings": [1, None, "x", {"id": 5}, {"status": "WEIRD"}]},
        "training": {"status": None},
        "metrics": {"training": {"steps": "abc", "losses": [float("nan"), "1", None, float("inf"), True]}, "gate": "x"},
        "deployment": {"throughput": [], "findings": {}},
        "smoke": "oops",
    }
    for step, document in malformed.items():
        bucket.put_json(f"reports/{RUN}/{step}.json", document)
    documents = load_run_documents(bucket, RUN)
    assert documents.written() == []
    page = render_run_report(documents, run_id="r")
    for title in ("Run", "Dataset", "Guardrails", "Training", "Deployment", "Smoke test"):
        assert "not reached" in section(page, title), title
    assert "Guardrails not reached" in text_of(section(page, "Summary"))  # findings without a known status never pass
    assert "WEIRD" not in page


def test_no_documents_means_every_section_not_reached() -> None:
    page = render_run_report(RunReports(), run_id="r1")
    for title in ("Run", "Dataset", "Guardrails", "Training", "Deployment", "Smoke test"):
        assert "not reached" in section(page, title), title
    assert "no cost figures" in section(page, "Costs")


def test_non_finite_and_mismatched_points_are_dropped() -> None:
    page = render_run_report(metrics_only((1, 2, 3, 4), (2.0, float("nan"), 1.0)), run_id="r")
    assert [len(p) for p in polylines(page)] == [2]


def test_a_single_point_and_a_flat_curve_still_draw() -> None:
    page = render_run_report(metrics_only((5,), (0.7,)), run_id="r")
    assert [len(p) for p in polylines(page)] == [1] and "<circle" in page
    flat = render_run_report(metrics_only((1, 2, 3), (0.0, 0.0, 0.0)), run_id="r")
    assert all(re.fullmatch(r"[\d.]+,[\d.]+", p) for p in polylines(flat)[0])


def test_content_like_fields_are_withheld() -> None:
    bucket = FakeBucket()
    write_report(bucket, RUN, TrainingFailureReport(job_arn="arn:job", status="Failed", failure_message=FAILURE_QUOTE))
    write_report(bucket, RUN, DeploymentReport(findings=(), plan=PLAN, failure_message=FAILURE_QUOTE))
    # A smoke document carrying content (SmokeTest never writes any) loses it when read through its model.
    smoke = {"passed": False, "prompts": 1, "slowestMs": 3, "kept": False, "prompt": SECRET_PROMPT}
    smoke["results"] = [{"answered": True, "answerChars": 19, "latencyMs": 3, "answer": "Ledgerly answer one"}]
    bucket.put_json(f"reports/{RUN}/smoke.json", smoke)
    page = render_run_report(load_run_documents(bucket, RUN), run_id="r")
    assert FAILURE_QUOTE not in page and SECRET_PROMPT not in page and "Ledgerly answer one" not in page
    assert "withheld here" in section(page, "Training") and "Failure message (not shown)" in text_of(section(page, "Deployment"))
    assert "Answer chars Answered Latency ms 19 yes 3" in text_of(section(page, "Smoke test"))


# ---------------------------------------------------------------- real runs


def test_a_full_run_renders_every_section() -> None:
    page = render_run_report(full_run(), run_id=RUN)
    assert "not reached" not in page
    summary = text_of(section(page, "Summary"))
    for step, outcome in (
        ("Dataset validation", "accepted"),
        ("Guardrails", "passed with 1 warning"),
        ("Deployment", "ready"),
        ("Smoke test", "passed"),
    ):
        assert f"{step} {outcome}" in summary
    assert "incoming/support-bot/tickets.jsonl" in section(page, "Run")
    dataset = text_of(section(page, "Dataset"))
    assert "training accepted 120" in dataset
    deployment = text_of(section(page, "Deployment"))
    assert "provisioned-model/abc123" in deployment and "InService" in deployment and "2026-09-02T14:00:00Z" in deployment
    smoke = text_of(section(page, "Smoke test"))
    assert "Prompts 3" in smoke and "Passed yes" in smoke and "Slowest ms 812" in smoke
    assert "Answer chars Answered Latency ms 120 yes 812 88 yes 640 143 yes 701" in smoke


def test_guardrail_table_counts_and_the_fix_of_a_failed_check() -> None:
    page = render_run_report(full_run(), run_id=RUN)
    guardrails = section(page, "Guardrails")
    total = len(PRE_LAUNCH_CHECKS) + len(WARN_CHECKS)
    # The one failed check is a warning: amber "WARN", never a red "FAIL" (issue 14).
    assert f"{total - 1} PASS" in guardrails and "0 FAIL" in guardrails and "0 UNKNOWN" in guardrails and "1 WARN" in guardrails
    failed = WARN_CHECKS[0]
    row = re.search(rf"<tr><th scope=\"row\"><code>{failed.id}</code></th>(.*?)</tr>", guardrails, re.S)
    assert row and '<td class="WARN">WARN</td>' in row.group(1) and "FAIL" not in row.group(1) and "Fix:" in row.group(1)
    assert text_of(row.group(1)).count(failed.fix.split(".")[0]) == 1
    assert guardrails.index(failed.id) < guardrails.index(PRE_LAUNCH_CHECKS[0].id)  # failures first
    assert "Fix:" not in guardrails.replace(row.group(0), "")  # passes carry no fix


def test_costs_are_shown_as_dollars() -> None:
    costs = text_of(section(render_run_report(full_run(), run_id=RUN), "Costs"))
    assert "Estimated training (validation) $12.35" in costs
    assert "Estimated hourly cost (deployment) $20.50" in costs
    assert "Estimated cost over TTL (deployment) $82.00" in costs
    assert "Price source" in costs


def test_the_loss_chart_has_one_point_per_step_a_legend_and_a_title() -> None:
    page = render_run_report(full_run(), run_id=RUN)
    training = section(page, "Training")
    assert [len(p) for p in polylines(training)] == [len(TRAIN_LOSSES), len(VALID_LOSSES)]
    assert f'stroke="{TRAINING_COLOUR}"' in training and f'stroke="{VALIDATION_COLOUR}"' in training
    assert ">training loss</text>" in training and ">validation loss</text>" in training
    title = re.search(r"<title id=\"loss-title\">(.*?)</title>", training)
    assert title and f"training loss from {TRAIN_LOSSES[0]:.4g} to {TRAIN_LOSSES[-1]:.4g} over 40 steps" in title.group(1)
    labels = re.findall(r">([\d.,]+)</text>", training)
    assert f"{max(VALID_LOSSES):.4g}" in labels and f"{min(TRAIN_LOSSES):.4g}" in labels and "1" in labels and "40" in labels


def test_a_rejected_run_shows_its_errors_and_stops_there() -> None:
    page = render_run_report(rejected_run(), run_id=RUN)
    summary = text_of(section(page, "Summary"))
    assert "Dataset validation rejected" in summary and "Guardrails not reached" in summary
    dataset = text_of(section(page, "Dataset"))
    assert "training rejected" in dataset and "First problems by line" in dataset
    for title in ("Guardrails", "Training", "Deployment", "Smoke test"):
        assert "not reached" in section(page, title), title
    assert "$12.35" in section(page, "Costs")


@pytest.mark.parametrize("documents", [full_run(), rejected_run()], ids=["full", "rejected"])
def test_the_page_is_self_contained_and_carries_no_dataset_content(documents: RunReports) -> None:
    page = render_run_report(documents, run_id=RUN)
    assert not re.search(r"<script|<link|<img|<iframe|\bsrc=|https?://|url\(", page)
    assert "Content-Security-Policy" in page
    lines = (EVENTS / "sample-dataset.jsonl").read_text().splitlines() + (EVENTS / "sample-dataset-invalid.jsonl").read_text().splitlines()
    for record in (json.loads(line) for line in lines if line.strip().startswith("{") and line.strip().endswith("}")):
        for text in record.values():
            for shown in (str(text), html.escape(str(text))):  # a leak would be escaped on the page
                assert shown not in page or len(shown) <= 3, text
    assert SECRET_PROMPT not in page and "Ledgerly" not in page


# ---------------------------------------------------------------- S3 round trip (moto)


@pytest.fixture
def s3_bucket(moto_bucket: tuple[Any, DataBucket, str]) -> DataBucket:
    return moto_bucket[1]  # the shared moto data bucket (conftest), named BUCKET here too


def test_write_run_report_stores_index_html_beside_the_documents(s3_bucket: DataBucket) -> None:
    for document in rejected_run().documents():
        write_report(s3_bucket, RUN, document)
    s3_bucket._s3.put_object(Bucket=BUCKET, Key=f"reports/{RUN}/smoke.json", Body=b"{not json")
    assert load_run_documents(s3_bucket, RUN).written() == [Step.REGISTER, Step.VALIDATION]
    uri = write_run_report(s3_bucket, RUN)
    assert uri == f"s3://{BUCKET}/reports/{RUN}/index.html"
    stored = s3_bucket._s3.get_object(Bucket=BUCKET, Key=f"reports/{RUN}/index.html")
    assert stored["ServerSideEncryption"] == "aws:kms"
    page = stored["Body"].read().decode()
    finished = re.search(r"Finished \(UTC\)</th><td>([0-9TZ:-]+)</td>", page)  # written at the run's end: now
    assert finished and page == render_run_report(rejected_run(), run_id=RUN, finished_at=finished.group(1))


def test_finetune_report_writes_the_page_locally(s3_bucket: DataBucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from finetune_cli.main import main

    for document in full_run().documents():
        write_report(s3_bucket, RUN, document)
    out = tmp_path / "report.html"
    assert main(["report", RUN, "--bucket", BUCKET, "--output", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.read_text() == render_run_report(full_run(), run_id=RUN)


def test_finetune_report_of_an_unknown_run_is_a_usage_error(
    s3_bucket: DataBucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from finetune_cli.main import main

    assert main(["report", "no-such-run", "--bucket", BUCKET, "--output", str(tmp_path / "x.html")]) == 2
    assert "no report documents" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_finetune_report_of_a_bucket_it_cannot_read_says_so(
    s3_bucket: DataBucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from finetune_cli.main import main

    assert main(["report", RUN, "--bucket", "no-such-bucket", "--output", str(tmp_path / "x.html")]) == 2
    assert "cannot read s3://no-such-bucket/reports/" in " ".join(capsys.readouterr().err.split())
