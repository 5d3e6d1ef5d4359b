"""The run report people look at: one self-contained HTML page per run (``reports/<run>/index.html``).

``render_run_report`` is pure: it renders the documents the steps wrote (``reports/<run>/<step>.json``,
read through their models in ``reports.py``) and every section that exists; a section whose step
never ran (or whose document does not read as its model) says "not reached". The page has no
external assets and no script (a CSP forbids both): inline CSS and an inline SVG loss curve.
Everything from a document is escaped. The documents are content-free by contract; this module
adds no content either, and withholds fields that could carry some (failure messages): it shows
their presence only.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from .deployment.use import example_call, private_endpoint
from .guardrails.framework import Finding, Status
from .models import UnknownModel, find_model
from .notifications import label, number_text, shown
from .ports import DataBucketPort
from .pricing import NO_PUBLIC_PRICE, cited, usd
from .reports import (
    DeploymentReport,
    MetricsReport,
    RegisterReport,
    RunReports,
    SmokeReport,
    TrainingFailureReport,
    ValidationDocument,
)
from .runs import REPORTS_PREFIX, iso_utc
from .training.loss_curve import LossCurve

NOT_REACHED = '<p class="missing">not reached</p>'
TRAINING_COLOUR, VALIDATION_COLOUR = "#1f6fd1", "#e8590c"
_CONTENT_KEY = re.compile(r"prompt|answer|completion|content|message|response|text|owner|email", re.IGNORECASE)
_STATUS_ORDER = {Status.FAIL: 0, Status.UNKNOWN: 1, Status.PASS: 2}
_SHOWN_PROBLEMS = 10

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1b1f24;margin:2rem auto;
max-width:1100px;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.25rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1.05rem}code{font:13px ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f3f5f7}th[scope=row]{white-space:nowrap}caption{text-align:left;font-weight:600;padding:.2rem 0}
.PASS,.ok{color:#116329;font-weight:600}.FAIL,.bad{color:#b42318;font-weight:600}.UNKNOWN,.warn{color:#9a6700;font-weight:600}
.missing{color:#57606a;font-style:italic}summary{cursor:pointer;color:#57606a}.run{color:#57606a}svg{max-width:100%;height:auto}
.WARN{color:#9a6700;font-weight:600}td{overflow-wrap:break-word}pre{overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
table{display:block;max-width:100%;overflow-x:auto}
@media (max-width:600px){body{margin:1rem auto;padding:0 .6rem;font-size:14px}th[scope=row]{white-space:normal}
th,td{padding:.25rem .35rem}td{overflow-wrap:anywhere}td code,th code{white-space:nowrap;overflow-wrap:normal}
h1{font-size:1.35rem}}
"""


def render_run_report(documents: RunReports, *, run_id: str, finished_at: str | None = None, extra: Sequence[tuple[str, str]] = ()) -> str:
    """The whole page for one run, from its documents (missing ones: "not reached"); ``finished_at`` (ISO-8601
    UTC) when the page is written at the run's end."""
    sections = (
        ("Summary", _summary(documents)),
        ("Run", _run(documents.register, finished_at)),
        ("Dataset", _dataset(documents.validation)),
        ("Guardrails", _guardrails(documents)),
        ("Training", _training(documents.training, documents.metrics)),
        ("Costs", _costs(documents)),
        ("Deployment", _deployment(documents.deployment)),
        ("Smoke test", _smoke(documents.smoke)),
        *extra,  # sections other packages render (the evaluation: evaluation/report_section.py)
        ("Use the model", _use(documents)),
    )
    body = "".join(
        f'<section aria-labelledby="s{i}"><h2 id="s{i}">{title}</h2>{html}</section>' for i, (title, html) in enumerate(sections)
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Run report {_e(run_id)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>Run report</h1><p class="run">Run <code>{_e(run_id)}</code></p></header>{body}</body></html>\n'
    )


def load_run_documents(bucket: DataBucketPort, run_id: str) -> RunReports:
    """``reports/<run>/<step>.json`` of every step, each through its model (missing or unreadable: None)."""
    return RunReports.read(bucket, run_id)


def report_html_key(run_id: str) -> str:
    return f"{REPORTS_PREFIX}{run_id}/index.html"


def write_run_report(bucket: DataBucketPort, run_id: str) -> str:
    """Render the run's report and store it beside its documents (SSE-KMS, our key); returns its s3:// URI."""
    # Written when the run ends (succeeded, trained only, failed): now is its end time.
    from .evaluation.report_section import evaluation_section  # its own package; imported when a page is written

    extra = [section for section in (evaluation_section(bucket, run_id),) if section is not None]
    page = render_run_report(load_run_documents(bucket, run_id), run_id=run_id, finished_at=iso_utc(time.time()), extra=extra)
    return bucket.put_text(report_html_key(run_id), page, "text/html; charset=utf-8")


# ---------------------------------------------------------------- sections


def _summary(docs: RunReports) -> str:
    validation, guardrails, deployment, smoke = docs.validation, docs.guardrails, docs.deployment, docs.smoke
    rows = [
        ("Registered", "passed" if docs.register is not None else None),
        ("Dataset validation", _verdict(validation.accepted, "accepted", "rejected") if validation is not None else None),
        ("Guardrails", _guardrails_outcome(guardrails.findings) if guardrails is not None else None),
        ("Training", _training_outcome(docs.training, docs.metrics)),
        ("Deployment", _deployment_outcome(deployment) if deployment is not None else None),
        ("Smoke test", _verdict(smoke.passed) if smoke is not None else None),
    ]
    cells = "".join(f'<tr><th scope="row">{step}</th>{_outcome_cell(outcome)}</tr>' for step, outcome in rows)
    return f'<table><thead><tr><th scope="col">Step</th><th scope="col">Outcome</th></tr></thead><tbody>{cells}</tbody></table>'


def _run(register: RegisterReport | None, finished_at: str | None = None) -> str:
    if register is None:
        return NOT_REACHED
    run, settings = register.run, register.settings
    rows: list[tuple[str, object]] = [
        ("Started (UTC)", register.started_at),
        ("Finished (UTC)", finished_at),
        ("Duration", _duration(register.started_at, finished_at)),
        ("Dataset", f"s3://{run.bucket}/{run.key}" if run.key else None),
        ("Version", run.version_id),
        ("Size (bytes)", run.size),
        ("Profile", settings.profile),
        ("Profiles version", settings.profiles_version),
        ("Base model", settings.base_model),
        ("Customization", settings.customization_type.value),
        ("Hyperparameters", ", ".join(f"{k}={v}" for k, v in _stored_order(settings.hyperparameters).items()) or None),
        ("Validation file", register.validation_file.key if register.validation_file else None),
        ("Model units", settings.model_units),
        ("TTL (hours)", settings.ttl_hours),
        ("Approval required", settings.approval_required),
    ]
    return _rows_table([(label, value) for label, value in rows if value is not None])


def _dataset(validation: ValidationDocument | None) -> str:
    if validation is None:
        return NOT_REACHED
    files = validation.files()
    head = "".join(
        f'<th scope="col">{h}</th>' for h in ("File", "Verdict", "Records", "Bytes", "Est. tokens", "Errors", "Warnings", "SHA-256")
    )
    rows = "".join(
        f'<tr><th scope="row">{_e(role.value)}</th>{_outcome_cell(_verdict(report.accepted, "accepted", "rejected"))}'
        f"<td>{_value(report.records)}</td><td>{_value(report.bytes)}</td><td>{_value(report.stats.estimated_tokens)}</td>"
        f"<td>{_value(report.error_count)}</td><td>{_value(report.warning_count)}</td>"
        f"<td><code>{_value(report.sha256)}</code></td></tr>"
        for role, report in files.items()
    )
    html = f"<table><caption>Files</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    for role, report in files.items():
        errors = [(p.line, p.code, p.message) for p in report.errors]
        warnings = [(p.line, p.code, p.message) for p in report.warnings]
        html += _problems(f"{role.value}: errors", errors, report.errors_by_code, report.error_count)
        html += _problems(f"{role.value}: warnings", warnings, report.warnings_by_code, report.warning_count)
    # A run problem has no line: it is listed as file-level (the run as a whole), like a file's own.
    return html + _problems("Whole run", [(None, p.code, p.message) for p in validation.run_problems], {}, None)


def _guardrails(docs: RunReports) -> str:
    return NOT_REACHED if docs.guardrails is None else _findings_table("Guardrail findings", docs.guardrails.findings)


def _training(training: TrainingFailureReport | None, metrics: MetricsReport | None) -> str:
    if training is None and metrics is None:
        return NOT_REACHED
    html = ""
    if training is not None:  # written when the job failed or stopped; failureMessage may quote a record
        rows: list[tuple[str, object]] = [("Job", training.job_arn), ("Status", training.status)]
        if training.failure_message:
            rows.append(("Failure message", "withheld here (it may quote data): see training.json"))
        html += _rows_table(rows)
    if metrics is not None:
        curve, problems = metrics.training, metrics.gate.problems
        rows = [
            ("Job", metrics.job_arn),
            ("Custom model", metrics.output_model_arn),
            ("Final training loss", curve.final_loss),
            ("Best training loss", curve.best_loss),
            # Bedrock writes validation_metrics.csv beside the training metrics when a validation set was given.
            *(
                (("Final validation loss", metrics.validation.final_loss), ("Best validation loss", metrics.validation.best_loss))
                if metrics.validation
                else ()
            ),
            ("Metrics gate", "passed" if not problems else "failed: " + ", ".join(problems)),
        ]
        if metrics.rewards is not None:  # reinforcement fine-tuning: the grader's mean reward
            rows[4:4] = [("Final mean reward", metrics.rewards.final_reward), ("Best mean reward", metrics.rewards.best_reward)]
        html += _rows_table(rows) + _loss_chart(
            [
                ("training loss", TRAINING_COLOUR, _points(curve)),
                ("validation loss", VALIDATION_COLOUR, _points(metrics.validation)),
            ]
        )
    return html


def _costs(docs: RunReports) -> str:
    rows: list[tuple[str, object]] = []
    if docs.validation is not None:
        cost = docs.validation.cost
        rows += [
            ("Billed tokens (validation)", cost.billed_tokens),
            ("Epochs (validation)", cost.epochs),
            ("Estimated training (validation)", _money(cost.estimated_training_usd)),
            ("Price source (validation)", cost.price_source or NO_PUBLIC_PRICE),
        ]
    if docs.register is not None:  # billed per custom model per month while it exists, deployed or not
        base = _base_model_id(docs.register.settings.base_model)
        rows += [("Custom-model storage per month", cited(base, "storage_per_month") if base else NO_PUBLIC_PRICE)]
    if docs.deployment is not None:
        plan = docs.deployment.plan
        rows += [
            ("Estimated cost over TTL (deployment)", _money(plan.estimated_cost_over_ttl_usd)),
            ("Estimated hourly cost (deployment)", _money(plan.estimated_hourly_cost_usd)),
        ]
        if plan.mode == "provisioned-throughput":
            unsourced = NO_PUBLIC_PRICE if plan.estimated_hourly_cost_usd is None else "not recorded in this plan"
            rows += [("Price source (deployment)", plan.price_source or unsourced)]
    return _rows_table(rows) if rows else '<p class="missing">no cost figures</p>'


def _deployment(deployment: DeploymentReport | None) -> str:
    if deployment is None:
        return NOT_REACHED
    # One table: what happened (failure, delete time), the plan, then what was bought (its mode and time win).
    outcome: dict[str, object] = {}
    if deployment.deployment is not None:
        outcome["deleteAt"] = deployment.delete_at
    if deployment.failure_message is not None:
        outcome["failureMessage"] = deployment.failure_message  # withheld: _facts shows "(not shown)"
    bought = deployment.deployment.wire() if deployment.deployment is not None else {}
    facts = _stored_order(outcome) | _stored_order(deployment.plan.wire()) | _stored_order(bought)
    return _facts(facts) + _findings_table("Purchase checks", deployment.findings)


def _smoke(smoke: SmokeReport | None) -> str:
    if smoke is None:
        return NOT_REACHED
    html = _facts(_stored_order(smoke.wire()))
    rows = [_stored_order(answer.wire()) for answer in smoke.results]
    columns = list(dict.fromkeys(k for row in rows for k, v in row.items() if _number(v) is not None or isinstance(v, bool)))
    if rows and columns:
        head = "".join(f'<th scope="col">{_e(label(c))}</th>' for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{_value(row.get(c), c)}</td>" for c in columns) + "</tr>" for row in rows)
        html += f"<table><caption>Results</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if smoke.path is not None:  # which way the prompts went: ids, names and addresses
        html += _facts(_stored_order(smoke.path.wire())).replace("<table>", "<table><caption>Route</caption>", 1)
    return html or '<p class="missing">no smoke test figures</p>'


def _use(docs: RunReports) -> str:
    """The seed's last step: how an application calls the model, through the stack's bedrock-runtime endpoint."""
    deployment, smoke = docs.deployment, docs.smoke
    if deployment is None or deployment.deployment is None:
        return NOT_REACHED
    arn = deployment.deployment.arn
    parts = arn.split(":")
    region = parts[3] if len(parts) > 3 else ""  # the ARN's region (a malformed ARN: none)
    endpoint = private_endpoint(smoke)
    if endpoint is None:
        call = _e(example_call(arn, region))
        return f"<p>Through Bedrock's public regional endpoint (no private path was tested):</p><pre><code>{call}</code></pre>"
    python = (
        f'boto3.client("bedrock-runtime", region_name="{region}", endpoint_url="https://{endpoint}")'
        f'.converse(modelId="{arn}", messages=[{{"role": "user", "content": [{{"text": "Hello"}}]}}])'
    )
    return (
        f"<p>From inside the VPC (or any network routed to it), through the bedrock-runtime interface endpoint "
        f"<code>{_e(endpoint)}</code>. Inside the VPC its private DNS also answers the regional hostname, so an SDK "
        f"with no endpoint URL takes the same path.</p><pre><code>{_e(example_call(arn, region, endpoint))}</code></pre>"
        f"<pre><code>{_e(python)}</code></pre>"
    )


# ---------------------------------------------------------------- pieces


def _findings_table(caption: str, findings: Sequence[Finding]) -> str:
    """Counts, then the checks that need attention (with their fix); passing checks folded away."""
    rows = sorted(findings, key=lambda f: _STATUS_ORDER[f.status])
    if not rows:
        return '<p class="missing">no findings</p>'
    # A warning that did not pass is not a failure: counted apart, in amber.
    counts = {
        status: sum(1 for f in rows if f.status is status and (f.blocks or status is Status.PASS))
        for status in (Status.PASS, Status.FAIL, Status.UNKNOWN)
    }
    warned = sum(1 for f in rows if f.status is not Status.PASS and not f.blocks)
    html = "<p>" + " · ".join(f'<span class="{s}">{n} {s}</span>' for s, n in counts.items())
    html += f' · <span class="WARN">{warned} WARN</span></p>' if warned else "</p>"
    attention, passing = [f for f in rows if f.status is not Status.PASS], [f for f in rows if f.status is Status.PASS]
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Check", "Status", "Severity", "Title", "Why / fix"))
    if attention:
        html += f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{_finding_rows(attention)}</tbody></table>"
    if passing:
        html += (
            f"<details><summary>{len(passing)} passing checks</summary><table><caption>{_e(caption)}: passing</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{_finding_rows(passing)}</tbody></table></details>"
        )
    return html


def _finding_rows(findings: list[Finding]) -> str:
    body = ""
    for f in findings:
        status = f.status.value if f.blocks or f.status is Status.PASS else "WARN"  # a warning is amber, never "FAIL"
        why = ""
        if f.status is not Status.PASS:
            why = _e(f.explanation) + (f"<br><strong>Fix:</strong> {_e(f.fix)}" if f.fix else "")
        body += (
            f'<tr><th scope="row"><code>{_e(f.id or "?")}</code></th><td class="{status}">{status}</td>'
            f"<td>{_e(f.severity.value)}</td><td>{_e(f.title)}</td><td>{why}</td></tr>"
        )
    return body


def _problems(title: str, problems: list[tuple[int | None, str, str]], by_code: Mapping[str, int], total: int | None) -> str:
    """``(line, code, message)`` problems: the counts by code, the first by line (file-level ones, without
    a line, first), how many more."""
    if not problems and not by_code:
        return ""
    html = f"<h3>{_e(title)}</h3>"
    if by_code:
        html += "<p>By code: " + ", ".join(f"<code>{_e(code)}</code>: {_value(n)}" for code, n in _stored_order(by_code).items()) + "</p>"
    if problems:
        first = sorted(problems, key=lambda problem: -1 if problem[0] is None else problem[0])[:_SHOWN_PROBLEMS]
        rows = "".join(
            f"<tr><td>{'file' if line is None else _value(line)}</td><td><code>{_e(code)}</code></td><td>{_e(message)}</td></tr>"
            for line, code, message in first
        )
        html += (
            f'<table><caption>First problems by line</caption><thead><tr><th scope="col">Line</th><th scope="col">Code</th>'
            f'<th scope="col">Problem</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    shown = min(len(problems), _SHOWN_PROBLEMS)
    if total is not None and total > shown:
        html += f"<p>{total - shown} more not shown (see validation.json).</p>"
    return html


def _points(curve: LossCurve | None) -> list[tuple[float, float]]:
    if curve is None:
        return []
    steps = curve.steps or tuple(range(1, len(curve.losses) + 1))
    pairs = ((_number(x), _number(y)) for x, y in zip(steps, curve.losses, strict=False))
    return [(x, y) for x, y in pairs if x is not None and y is not None]


def _loss_chart(series: list[tuple[str, str, list[tuple[float, float]]]], width: int = 640, height: int = 300) -> str:
    series = [s for s in series if s[2]]
    if not series:
        return '<p class="missing">no loss series</p>'
    left, right, top, bottom = 64, 16, 16, 72
    xs = [x for _, _, points in series for x, _ in points]
    ys = [y for _, _, points in series for _, y in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if x0 == x1:
        x0, x1 = x0 - 1, x1 + 1
    if y0 == y1:
        pad = abs(y0) * 0.1 or 1.0
        y0, y1 = y0 - pad, y1 + pad
    plot_w, plot_h = width - left - right, height - top - bottom

    def at(x: float, y: float) -> str:
        return f"{left + (x - x0) / (x1 - x0) * plot_w:.1f},{top + (y1 - y) / (y1 - y0) * plot_h:.1f}"

    lines, legend, described = "", "", []
    for i, (name, colour, points) in enumerate(series):
        coords = " ".join(at(x, y) for x, y in points)
        lines += f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="3" stroke-linejoin="round" points="{coords}"/>'
        if len(points) == 1:
            cx, cy = coords.split(",")
            lines += f'<circle cx="{cx}" cy="{cy}" r="4" fill="{colour}"/>'
        lx = left + i * 180
        legend += f'<rect x="{lx}" y="{height - 22}" width="18" height="4" fill="{colour}"/>'
        legend += f'<text x="{lx + 24}" y="{height - 16}">{_e(name)}</text>'
        described.append(f"{name} from {number_text(points[0][1])} to {number_text(points[-1][1])} over {len(points)} steps")
    base_y, axis_x = top + plot_h, left
    return (
        f'<svg role="img" aria-labelledby="loss-title" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="system-ui, DejaVu Sans, sans-serif" font-size="12" fill="#1b1f24">'
        f'<title id="loss-title">Loss curve: {_e("; ".join(described))}</title>'
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafbfc" stroke="none"/>'
        f'<line x1="{axis_x}" y1="{top}" x2="{axis_x}" y2="{base_y}" stroke="#57606a"/>'
        f'<line x1="{axis_x}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" stroke="#57606a"/>'
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">{number_text(y1)}</text>'
        f'<text x="{left - 6}" y="{base_y}" text-anchor="end">{number_text(y0)}</text>'
        f'<text x="{left}" y="{base_y + 16}" text-anchor="start">{number_text(x0)}</text>'
        f'<text x="{left + plot_w}" y="{base_y + 16}" text-anchor="end">{number_text(x1)}</text>'
        f'<text x="{left + plot_w / 2:.0f}" y="{base_y + 30}" text-anchor="middle">step</text>'
        f'<text x="14" y="{top + plot_h / 2:.0f}" text-anchor="middle" transform="rotate(-90 14 {top + plot_h / 2:.0f})">loss</text>'
        f"{lines}{legend}</svg>"
    )


def _facts(document: Mapping[str, Any]) -> str:
    """Scalars and number lists of ``document`` as label/value rows; content-like keys show a count only."""
    rows: list[tuple[str, object]] = []
    for key, raw in document.items():
        if isinstance(raw, Mapping) or (isinstance(raw, list) and any(isinstance(v, Mapping) for v in raw)):
            continue
        numbers = isinstance(raw, list) and all(_number(v) is not None for v in raw)
        value: object = raw
        if _CONTENT_KEY.search(key) and (isinstance(raw, str) or (isinstance(raw, list) and not numbers)):
            value = f"{len(raw)} (not shown)" if isinstance(raw, list) else "(not shown)"
        elif isinstance(raw, list):
            value = "; ".join(_value(v, key) if numbers else _text(v) for v in raw)
        elif key.endswith("Usd"):
            value = _money(raw)
        rows.append((label(key.removesuffix("Usd")) if key.endswith("Usd") else label(key), value))
    return _rows_table(rows) if rows else ""


def _rows_table(rows: Iterable[tuple[str, object]]) -> str:
    body = "".join(f'<tr><th scope="row">{_e(label)}</th><td>{_value(value)}</td></tr>' for label, value in rows)
    return f"<table><tbody>{body}</tbody></table>"


def _outcome_cell(outcome: str | None) -> str:
    if outcome is None:
        return '<td class="missing">not reached</td>'
    amber = outcome == "in progress" or "warning" in outcome
    css = "warn" if amber else "ok" if outcome.startswith(("passed", "accepted", "ready", "not requested")) else "bad"
    return f'<td class="{css}">{_e(outcome)}</td>'


def _verdict(ok: bool, yes: str = "passed", no: str = "failed") -> str:
    return yes if ok else no


def _guardrails_outcome(findings: Sequence[Finding]) -> str:
    if any(f.blocks for f in findings):
        return "failed"
    warnings = sum(1 for f in findings if f.status is not Status.PASS)
    return f"passed with {warnings} warning{'s' if warnings > 1 else ''}" if warnings else "passed"


def _training_outcome(training: TrainingFailureReport | None, metrics: MetricsReport | None) -> str | None:
    if metrics is not None:
        return _verdict(not metrics.gate.problems)
    if training is not None:
        return "failed" if training.status in ("Failed", "Stopped") else training.status or "in progress"
    return None


def _deployment_outcome(deployment: DeploymentReport) -> str:
    if deployment.plan.mode == "none":
        return "not requested (train only)"
    status = deployment.deployment.status if deployment.deployment is not None else None
    if status in ("Ready", "InService", "Active"):  # the pipeline writes Ready once InService/Active
        return "ready"
    # A failed throughput or deployment leaves no result but Bedrock's failure message: failed, not in progress.
    if status == "Failed" or deployment.failure_message is not None or any(f.blocks for f in deployment.findings):
        return "failed"
    return "in progress"


def _stored_order(document: Mapping[str, Any]) -> dict[str, Any]:
    """A document's fields in the order its stored JSON has them (put_json sorts the keys): the page's row order."""
    return dict(sorted(document.items()))


def _value(value: object, key: str = "") -> str:
    """One escaped cell, as every channel shows a value (notifications.shown); None is a dash."""
    text = shown(key, value)
    return "—" if text is None else _e(text)


def _duration(start: str | None, end: str | None) -> str | None:
    """ "2 h 05 min 07 s" between two ISO-8601 UTC times (None when either is missing or unreadable)."""
    try:
        seconds = int(
            (
                datetime.fromisoformat(str(end).replace("Z", "+00:00")) - datetime.fromisoformat(str(start).replace("Z", "+00:00"))
            ).total_seconds()
        )
    except ValueError:
        return None
    if start is None or end is None or seconds < 0:
        return None
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min {secs:02d} s" if hours else f"{minutes} min {secs:02d} s"


def _base_model_id(identifier: str) -> str | None:
    try:
        return find_model(identifier).model_id
    except UnknownModel:
        return None


def _money(value: object) -> str:
    return usd(_number(value))


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _e(value: object) -> str:
    return escape(str(value), quote=True)
