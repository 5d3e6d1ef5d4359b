"""The HTML run report: hostile and malformed documents first, then the sections of real runs.

``full_run`` / ``rejected_run`` build the documents with the steps' own models (validator report,
guardrail findings, loss curve), so a change in what a step writes shows up here; the browser test
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
from secure_finetune.dataset import DatasetFormat, FileRole, validate_dataset
from secure_finetune.guardrails import PRE_LAUNCH_CHECKS, PURCHASE_CHECKS, WARN_CHECKS, Finding, Status, findings_document
from secure_finetune.report_html import TRAINING_COLOUR, VALIDATION_COLOUR, load_run_documents, render_run_report, write_run_report
from secure_finetune.settings import Profile, RunSettings
from secure_finetune.training_metrics import parse_loss_curve

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


def register_document() -> dict[str, Any]:
    profile = Profile(base_model="meta.llama3-1-8b-instruct-v1:0", smoke_test_prompts=(SECRET_PROMPT,), model_units=1, ttl_hours=4)
    settings = RunSettings(profile="support-bot", profiles_version="2026-09-01", overrides=(), **profile.model_dump())
    run = {"runId": RUN, "bucket": BUCKET, "key": "incoming/support-bot/tickets.jsonl", "versionId": "v1", "etag": "e", "size": 17_034}
    return {"run": run, "settings": settings.model_dump(mode="json", by_alias=True), "validationFile": None}


def validation_document(dataset: bytes) -> dict[str, Any]:
    report = validate_dataset([dataset], DatasetFormat.PROMPT_COMPLETION)
    document: dict[str, Any] = {FileRole.TRAINING.value: report.model_dump(mode="json"), "runProblems": []}
    tokens = report.stats.estimated_tokens
    document["cost"] = {
        "estimatedTokens": tokens,
        "epochs": 2,
        "billedTokens": tokens * 2,
        "estimatedTrainingUsd": 12.3456,
        "priceSource": "cloud-custodian README (2026-07-28, us-west-2)",
    }
    return document


def full_run() -> dict[str, dict[str, Any]]:
    """Every step ran: deployed, smoke-tested; one warn check fails so the table has a FAIL row."""
    job = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/{RUN}"
    curve = parse_loss_curve(training_csv(TRAIN_LOSSES))
    validation_curve = parse_loss_curve(training_csv(VALID_LOSSES, "validation_loss"), "validation_loss")
    return {
        "register": register_document(),
        "validation": validation_document((EVENTS / "sample-dataset.jsonl").read_bytes()),
        "guardrails": findings_document(findings(PRE_LAUNCH_CHECKS) + findings(WARN_CHECKS, failed=WARN_CHECKS[0].id)),
        "metrics": {
            "jobArn": job,
            "outputModelArn": f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/{RUN}",
            "training": curve.model_dump(mode="json"),
            "validation": validation_curve.model_dump(mode="json"),
            "gate": {"maxFinalTrainingLoss": None, "requireLossDecrease": True, "problems": []},
        },
        "deployment": {
            **findings_document(findings(PURCHASE_CHECKS)),
            "throughput": {
                "provisionedModelArn": f"arn:aws:bedrock:us-east-1:{ACCOUNT}:provisioned-model/abc123",
                "status": "InService",
                "polls": 3,
                "modelUnits": 1,
                "ttlHours": 4,
                "deleteAt": "2026-09-02T14:00:00Z",
                "estimatedHourlyCostUsd": 20.5,
                "estimatedCostOverTtlUsd": 82.0,
            },
        },
        "smoke": {"prompts": 3, "passed": True, "latencyMs": [812, 640, 701], "answerLengths": [120, 88, 143]},
    }


def rejected_run() -> dict[str, dict[str, Any]]:
    return {"register": register_document(), "validation": validation_document((EVENTS / "sample-dataset-invalid.jsonl").read_bytes())}


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
    documents: dict[str, dict[str, Any]] = {
        "register": {"run": {"key": HOSTILE, "bucket": "b'\"&"}, "settings": {"profile": HOSTILE, "hyperparameters": {HOSTILE: HOSTILE}}},
        "validation": {
            "training": {"accepted": False, "errors": [{"line": 3, "code": HOSTILE, "message": HOSTILE}], "errors_by_code": {HOSTILE: 1}},
            "cost": {"priceSource": HOSTILE},
        },
        "guardrails": {"findings": [{"id": HOSTILE, "title": HOSTILE, "status": "FAIL", "severity": "block", "fix": HOSTILE}]},
        "deployment": {"throughput": {"status": HOSTILE, "provisionedModelArn": '"><img src=x onerror=alert(1)>'}},
        "smoke": {HOSTILE: HOSTILE, "results": [{HOSTILE: 1}]},
    }
    page = render_run_report(documents, run_id=HOSTILE)
    assert "<script" not in page and "<img" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "b&#x27;&quot;&amp;" in page


def test_malformed_documents_render_without_raising() -> None:
    documents: dict[str, Any] = {
        "register": {"run": "not a mapping", "settings": None},
        "validation": {"training": "x", "validation": [], "runProblems": 5, "cost": []},
        "guardrails": {"findings": [1, None, "x", {"id": 5}, {"status": "WEIRD"}]},
        "training": {"status": None},
        "metrics": {"training": {"steps": "abc", "losses": [float("nan"), "1", None, float("inf"), True]}, "gate": "x"},
        "deployment": {"throughput": [], "findings": {}},
        "smoke": "oops",
        "cost": {"totalUsd": "12", "otherUsd": float("nan")},
        "unknown-step": {"a": 1},
    }
    page = render_run_report(documents, run_id="r")
    assert "no loss series" in section(page, "Training")
    assert "not reached" in section(page, "Smoke test")  # a document that is not an object counts as missing
    assert "unknown (no sourced price for this model)" in section(page, "Costs")
    assert "2 UNKNOWN" in section(page, "Guardrails")  # findings without a known status are not passes
    assert "WEIRD" not in page


def test_no_documents_means_every_section_not_reached() -> None:
    page = render_run_report({}, run_id="r1")
    for title in ("Run", "Dataset", "Guardrails", "Training", "Deployment", "Smoke test"):
        assert "not reached" in section(page, title), title
    assert "no cost figures" in section(page, "Costs")


def test_non_finite_and_mismatched_points_are_dropped() -> None:
    page = render_run_report({"metrics": {"training": {"steps": [1, 2, 3, 4], "losses": [2.0, float("nan"), 1.0]}}}, run_id="r")
    assert [len(p) for p in polylines(page)] == [2]


def test_a_single_point_and_a_flat_curve_still_draw() -> None:
    page = render_run_report({"metrics": {"training": {"steps": [5], "losses": [0.7]}}}, run_id="r")
    assert [len(p) for p in polylines(page)] == [1] and "<circle" in page
    flat = render_run_report({"metrics": {"training": {"steps": [1, 2, 3], "losses": [0.0, 0.0, 0.0]}}}, run_id="r")
    assert all(re.fullmatch(r"[\d.]+,[\d.]+", p) for p in polylines(flat)[0])


def test_content_like_fields_are_withheld() -> None:
    documents: dict[str, dict[str, Any]] = {
        "training": {"jobArn": "arn:job", "status": "Failed", "failureMessage": FAILURE_QUOTE},
        "smoke": {"passed": False, "answers": ["Ledgerly answer one"], "prompt": SECRET_PROMPT, "answerLengths": [3, 4]},
    }
    page = render_run_report(documents, run_id="r")
    assert FAILURE_QUOTE not in page and SECRET_PROMPT not in page and "Ledgerly answer one" not in page
    assert "1 (not shown)" in page and "3; 4" in page


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
    assert "Prompts 3" in smoke and "Passed yes" in smoke and "Latency ms 812; 640; 701" in smoke and "120; 88; 143" in smoke


def test_guardrail_table_counts_and_the_fix_of_a_failed_check() -> None:
    page = render_run_report(full_run(), run_id=RUN)
    guardrails = section(page, "Guardrails")
    total = len(PRE_LAUNCH_CHECKS) + len(WARN_CHECKS)
    assert f"{total - 1} PASS" in guardrails and "1 FAIL" in guardrails and "0 UNKNOWN" in guardrails
    failed = WARN_CHECKS[0]
    row = re.search(rf"<tr><th scope=\"row\"><code>{failed.id}</code></th>(.*?)</tr>", guardrails, re.S)
    assert row and "FAIL" in row.group(1) and "Fix:" in row.group(1)
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
def test_the_page_is_self_contained_and_carries_no_dataset_content(documents: dict[str, dict[str, Any]]) -> None:
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


def as_stored(documents: dict[str, Any]) -> dict[str, Any]:
    """What put_json stores (keys sorted) and the loader reads back."""
    stored: dict[str, Any] = json.loads(json.dumps(documents, sort_keys=True))
    return stored


@pytest.fixture
def s3_bucket(moto_bucket: tuple[Any, DataBucket, str]) -> DataBucket:
    return moto_bucket[1]  # the shared moto data bucket (conftest), named BUCKET here too


def test_write_run_report_stores_index_html_beside_the_documents(s3_bucket: DataBucket) -> None:
    for step, document in rejected_run().items():
        s3_bucket.put_json(f"reports/{RUN}/{step}.json", document)
    s3_bucket._s3.put_object(Bucket=BUCKET, Key=f"reports/{RUN}/smoke.json", Body=b"{not json")
    assert set(load_run_documents(s3_bucket, RUN)) == {"register", "validation"}
    uri = write_run_report(s3_bucket, RUN)
    assert uri == f"s3://{BUCKET}/reports/{RUN}/index.html"
    stored = s3_bucket._s3.get_object(Bucket=BUCKET, Key=f"reports/{RUN}/index.html")
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["Body"].read().decode() == render_run_report(as_stored(rejected_run()), run_id=RUN)


def test_finetune_report_writes_the_page_locally(s3_bucket: DataBucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from finetune_cli.main import main

    for step, document in full_run().items():
        s3_bucket.put_json(f"reports/{RUN}/{step}.json", document)
    out = tmp_path / "report.html"
    assert main(["report", RUN, "--bucket", BUCKET, "--output", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.read_text() == render_run_report(as_stored(full_run()), run_id=RUN)


def test_finetune_report_of_an_unknown_run_is_a_usage_error(
    s3_bucket: DataBucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from finetune_cli.main import main

    assert main(["report", "no-such-run", "--bucket", BUCKET, "--output", str(tmp_path / "x.html")]) == 2
    assert "no report documents" in capsys.readouterr().out
    assert not (tmp_path / "x.html").exists()


def test_finetune_report_of_a_bucket_it_cannot_read_says_so(
    s3_bucket: DataBucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from finetune_cli.main import main

    assert main(["report", RUN, "--bucket", "no-such-bucket", "--output", str(tmp_path / "x.html")]) == 2
    assert "cannot read s3://no-such-bucket/reports/" in " ".join(capsys.readouterr().out.split())
