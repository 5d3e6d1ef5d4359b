"""The run report people look at: one self-contained HTML page per run (``reports/<run>/index.html``).

``render_run_report`` is pure: it reads the JSON documents the steps wrote
(``reports/<run>/<step>.json``) and renders every section that exists; a section whose step never
ran says "not reached". The page has no external assets and no script (a CSP forbids both): inline
CSS and an inline SVG loss curve. Everything from a document is escaped. The documents are
content-free by contract; this module adds no content either, and withholds fields that could
carry some (prompts, answers, failure messages): it shows their presence or count only.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from .notifications import label, number_text, shown
from .ports import DataBucketPort
from .pricing import usd
from .runs import REPORTS_PREFIX

STEPS = ("register", "validation", "guardrails", "training", "metrics", "deployment", "smoke", "cost")
NOT_REACHED = '<p class="missing">not reached</p>'
TRAINING_COLOUR, VALIDATION_COLOUR = "#1f6fd1", "#e8590c"
_CONTENT_KEY = re.compile(r"prompt|answer|completion|content|message|response|text|owner|email", re.IGNORECASE)
_STATUS_ORDER = {"FAIL": 0, "UNKNOWN": 1, "PASS": 2}
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
"""


def render_run_report(documents: Mapping[str, Mapping[str, object]], *, run_id: str) -> str:
    """The whole page for one run, from ``{step: document}`` (missing steps: "not reached")."""
    docs = {step: _map(documents.get(step)) for step in STEPS if isinstance(documents.get(step), Mapping)}
    sections = (
        ("Summary", _summary(docs)),
        ("Run", _run(docs.get("register"))),
        ("Dataset", _dataset(docs.get("validation"))),
        ("Guardrails", _guardrails(docs.get("guardrails"))),
        ("Training", _training(docs.get("training"), docs.get("metrics"))),
        ("Costs", _costs(docs)),
        ("Deployment", _deployment(docs.get("deployment"))),
        ("Smoke test", _smoke(docs.get("smoke"))),
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


def load_run_documents(bucket: DataBucketPort, run_id: str) -> dict[str, Mapping[str, object]]:
    """``reports/<run>/<step>.json`` for every step that wrote one (unreadable JSON counts as missing)."""
    documents: dict[str, Mapping[str, object]] = {}
    for step in STEPS:
        text = bucket.get_text(f"{REPORTS_PREFIX}{run_id}/{step}.json")
        try:
            document = json.loads(text) if text is not None else None
        except ValueError:
            continue
        if isinstance(document, Mapping):
            documents[step] = document
    return documents


def report_html_key(run_id: str) -> str:
    return f"{REPORTS_PREFIX}{run_id}/index.html"


def write_run_report(bucket: DataBucketPort, run_id: str) -> str:
    """Render the run's report and store it beside its documents (SSE-KMS, our key); returns its s3:// URI."""
    page = render_run_report(load_run_documents(bucket, run_id), run_id=run_id)
    return bucket.put_text(report_html_key(run_id), page, "text/html; charset=utf-8")


# ---------------------------------------------------------------- sections


def _summary(docs: Mapping[str, Mapping[str, Any]]) -> str:
    rows = [
        ("Registered", "passed" if "register" in docs else None),
        ("Dataset validation", _verdict(_dataset_accepted(docs["validation"]), "accepted", "rejected") if "validation" in docs else None),
        ("Guardrails", _guardrails_outcome(docs["guardrails"]) if "guardrails" in docs else None),
        ("Training", _training_outcome(docs.get("training"), docs.get("metrics"))),
        ("Deployment", _deployment_outcome(docs["deployment"]) if "deployment" in docs else None),
        ("Smoke test", _verdict(docs["smoke"].get("passed") is True) if "smoke" in docs else None),
    ]
    cells = "".join(f'<tr><th scope="row">{step}</th>{_outcome_cell(outcome)}</tr>' for step, outcome in rows)
    return f'<table><thead><tr><th scope="col">Step</th><th scope="col">Outcome</th></tr></thead><tbody>{cells}</tbody></table>'


def _run(register: Mapping[str, Any] | None) -> str:
    if register is None:
        return NOT_REACHED
    run, settings = _map(register.get("run")), _map(register.get("settings"))
    hyper = _map(settings.get("hyperparameters"))
    rows = [
        ("Dataset", f"s3://{_text(run.get('bucket'))}/{_text(run.get('key'))}" if run.get("key") else None),
        ("Version", run.get("versionId")),
        ("Size (bytes)", run.get("size")),
        ("Profile", settings.get("profile")),
        ("Profiles version", settings.get("profilesVersion")),
        ("Base model", settings.get("baseModel")),
        ("Customization", settings.get("customizationType")),
        ("Hyperparameters", ", ".join(f"{k}={_text(v)}" for k, v in hyper.items()) or None),
        ("Validation file", _map(register.get("validationFile")).get("key")),
        ("Model units", settings.get("modelUnits")),
        ("TTL (hours)", settings.get("ttlHours")),
        ("Approval required", settings.get("approvalRequired")),
    ]
    return _rows_table([(label, value) for label, value in rows if value is not None])


def _dataset(validation: Mapping[str, Any] | None) -> str:
    if validation is None:
        return NOT_REACHED
    files = [(role, _map(validation.get(role))) for role in ("training", "validation") if isinstance(validation.get(role), Mapping)]
    head = "".join(
        f'<th scope="col">{h}</th>' for h in ("File", "Verdict", "Records", "Bytes", "Est. tokens", "Errors", "Warnings", "SHA-256")
    )
    rows = "".join(
        f'<tr><th scope="row">{_e(role)}</th>{_outcome_cell(_verdict(report.get("accepted") is True, "accepted", "rejected"))}'
        f"<td>{_value(report.get('records'))}</td><td>{_value(report.get('bytes'))}</td>"
        f"<td>{_value(_map(report.get('stats')).get('estimatedTokens', _map(report.get('stats')).get('estimated_tokens')))}</td>"
        f"<td>{_value(report.get('error_count'))}</td><td>{_value(report.get('warning_count'))}</td>"
        f"<td><code>{_value(report.get('sha256'))}</code></td></tr>"
        for role, report in files
    )
    html = f"<table><caption>Files</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>" if files else ""
    for role, report in files:
        html += _problems(f"{role}: errors", report.get("errors"), report.get("errors_by_code"), report.get("error_count"))
        html += _problems(f"{role}: warnings", report.get("warnings"), report.get("warnings_by_code"), report.get("warning_count"))
    html += _problems("Whole run", validation.get("runProblems"), None, None)
    return html or '<p class="missing">no file reports</p>'


def _guardrails(guardrails: Mapping[str, Any] | None) -> str:
    return NOT_REACHED if guardrails is None else _findings_table("Guardrail findings", guardrails.get("findings"))


def _training(training: Mapping[str, Any] | None, metrics: Mapping[str, Any] | None) -> str:
    if training is None and metrics is None:
        return NOT_REACHED
    html = ""
    if training is not None:  # written when the job failed or stopped; failureMessage may quote a record
        rows = [("Job", training.get("jobArn")), ("Status", training.get("status"))]
        if training.get("failureMessage"):
            rows.append(("Failure message", "withheld here (it may quote data): see training.json"))
        html += _rows_table(rows)
    if metrics is not None:
        curve, gate = _map(metrics.get("training")), _map(metrics.get("gate"))
        problems = [_text(p) for p in _list(gate.get("problems"))]
        rows = [
            ("Job", metrics.get("jobArn")),
            ("Custom model", metrics.get("outputModelArn")),
            ("Final training loss", curve.get("final_loss", curve.get("finalLoss"))),
            ("Best training loss", curve.get("best_loss", curve.get("bestLoss"))),
            ("Metrics gate", "passed" if not problems else "failed: " + ", ".join(problems)),
        ]
        html += _rows_table(rows) + _loss_chart(
            [
                ("training loss", TRAINING_COLOUR, _points(curve)),
                ("validation loss", VALIDATION_COLOUR, _points(_map(metrics.get("validation")))),
            ]
        )
    return html


def _costs(docs: Mapping[str, Mapping[str, Any]]) -> str:
    rows: list[tuple[str, object]] = []
    for step, document in docs.items():
        for path, key, value in _walk(document):
            if key.endswith("Usd"):
                name = label(key.removesuffix("Usd")) or "Cost"
                rows.append((f"{name} ({step})", _money(value)))
            elif key in ("billedTokens", "epochs", "priceSource", "modelUnits", "ttlHours") and "cost" in (*path, step):
                rows.append((f"{label(key)} ({step})", value))
    return _rows_table(rows) if rows else '<p class="missing">no cost figures</p>'


def _deployment(deployment: Mapping[str, Any] | None) -> str:
    if deployment is None:
        return NOT_REACHED
    # The pipeline writes {"findings", "plan", "deployment", "deleteAt"}; older runs wrote "throughput".
    nested = ("findings", "throughput", "deployment", "plan")
    bought = {**_map(deployment.get("plan")), **_map(deployment.get("throughput")), **_map(deployment.get("deployment"))}
    facts = _facts({**{k: v for k, v in deployment.items() if k not in nested}, **bought})
    html = facts or '<p class="missing">no throughput bought</p>'
    if "findings" in deployment:
        html += _findings_table("Purchase checks", deployment.get("findings"))
    return html


def _smoke(smoke: Mapping[str, Any] | None) -> str:
    if smoke is None:
        return NOT_REACHED
    html = _facts(smoke)
    for key, value in smoke.items():
        rows = [_map(item) for item in _list(value) if isinstance(item, Mapping)]
        columns = list(dict.fromkeys(k for row in rows for k, v in row.items() if _number(v) is not None or isinstance(v, bool)))
        if rows and columns:
            head = "".join(f'<th scope="col">{_e(label(c))}</th>' for c in columns)
            body = "".join("<tr>" + "".join(f"<td>{_value(row.get(c), c)}</td>" for c in columns) + "</tr>" for row in rows)
            html += f"<table><caption>{_e(label(key))}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return html or '<p class="missing">no smoke test figures</p>'


# ---------------------------------------------------------------- pieces


def _findings_table(caption: str, findings: object) -> str:
    """Counts, then the checks that need attention (with their fix); passing checks folded away."""
    rows = sorted((_map(f) for f in _list(findings) if isinstance(f, Mapping)), key=lambda f: _STATUS_ORDER[_status(f)])
    if not rows:
        return '<p class="missing">no findings</p>'
    counts = {status: sum(1 for f in rows if _status(f) == status) for status in ("PASS", "FAIL", "UNKNOWN")}
    html = "<p>" + " · ".join(f'<span class="{s}">{n} {s}</span>' for s, n in counts.items()) + "</p>"
    attention, passing = [f for f in rows if _status(f) != "PASS"], [f for f in rows if _status(f) == "PASS"]
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Check", "Status", "Severity", "Title", "Why / fix"))
    if attention:
        html += f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{_finding_rows(attention)}</tbody></table>"
    if passing:
        html += (
            f"<details><summary>{len(passing)} passing checks</summary><table><caption>{_e(caption)}: passing</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{_finding_rows(passing)}</tbody></table></details>"
        )
    return html


def _finding_rows(findings: list[Mapping[str, Any]]) -> str:
    body = ""
    for f in findings:
        status = _status(f)
        why = ""
        if status != "PASS":
            why = _e(f.get("explanation") or "") + (f"<br><strong>Fix:</strong> {_e(f['fix'])}" if f.get("fix") else "")
        body += (
            f'<tr><th scope="row"><code>{_e(f.get("id") or "?")}</code></th><td class="{status}">{status}</td>'
            f"<td>{_e(f.get('severity') or '')}</td><td>{_e(f.get('title') or '')}</td><td>{why}</td></tr>"
        )
    return body


def _problems(title: str, items: object, by_code: object, total: object) -> str:
    problems = [_map(p) for p in _list(items) if isinstance(p, Mapping)]
    codes = _map(by_code)
    if not problems and not codes:
        return ""
    html = f"<h3>{_e(title)}</h3>"
    if codes:
        html += "<p>By code: " + ", ".join(f"<code>{_e(code)}</code>: {_value(n)}" for code, n in codes.items()) + "</p>"
    if problems:
        problems.sort(key=lambda p: _number(p.get("line")) or 0)
        rows = "".join(
            f"<tr><td>{_value(p.get('line'))}</td><td><code>{_e(p.get('code') or '')}</code></td><td>{_e(p.get('message') or '')}</td></tr>"
            for p in problems[:_SHOWN_PROBLEMS]
        )
        html += (
            f'<table><caption>First problems by line</caption><thead><tr><th scope="col">Line</th><th scope="col">Code</th>'
            f'<th scope="col">Problem</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    shown, counted = min(len(problems), _SHOWN_PROBLEMS), _number(total)
    if counted is not None and counted > shown:
        html += f"<p>{int(counted) - shown} more not shown (see validation.json).</p>"
    return html


def _points(series: Mapping[str, Any]) -> list[tuple[float, float]]:
    losses = _list(series.get("losses"))
    steps = _list(series.get("steps")) or list(range(1, len(losses) + 1))
    pairs = ((_number(x), _number(y)) for x, y in zip(steps, losses, strict=False))
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
    css = "ok" if outcome.startswith(("passed", "accepted", "ready", "not requested")) else "warn" if outcome == "in progress" else "bad"
    return f'<td class="{css}">{_e(outcome)}</td>'


def _status(finding: Mapping[str, Any]) -> str:
    """PASS, FAIL or UNKNOWN; anything else (missing, misspelt) is UNKNOWN, never a pass."""
    status = finding.get("status")
    return status if isinstance(status, str) and status in _STATUS_ORDER else "UNKNOWN"


def _verdict(ok: bool, yes: str = "passed", no: str = "failed") -> str:
    return yes if ok else no


def _dataset_accepted(validation: Mapping[str, Any]) -> bool:
    files = [_map(validation.get(role)) for role in ("training", "validation") if role in validation]
    return bool(files) and all(f.get("accepted") is True for f in files) and not _list(validation.get("runProblems"))


def _guardrails_outcome(document: Mapping[str, Any]) -> str:
    if _blocking(document):
        return "failed"
    warnings = sum(1 for f in _list(document.get("findings")) if isinstance(f, Mapping) and _status(f) != "PASS")
    return f"passed with {warnings} warning{'s' if warnings > 1 else ''}" if warnings else "passed"


def _blocking(document: Mapping[str, Any]) -> bool:
    findings = [_map(f) for f in _list(document.get("findings"))]
    return any(f.get("severity") != "warn" and _status(f) != "PASS" for f in findings)


def _training_outcome(training: Mapping[str, Any] | None, metrics: Mapping[str, Any] | None) -> str | None:
    if metrics is not None:
        return _verdict(not _list(_map(metrics.get("gate")).get("problems")))
    if training is not None:
        return "failed" if training.get("status") in ("Failed", "Stopped") else _text(training.get("status")) or "in progress"
    return None


def _deployment_outcome(deployment: Mapping[str, Any]) -> str:
    if _map(deployment.get("plan")).get("mode") == "none":
        return "not requested (train only)"
    status = _map(deployment.get("deployment") or deployment.get("throughput")).get("status") or deployment.get("status")
    if status in ("Ready", "InService", "Active"):  # the pipeline writes Ready once InService/Active
        return "ready"
    if status == "Failed" or _blocking(deployment):
        return "failed"
    return "in progress"


def _walk(document: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], str, object]]:
    for key, value in document.items():
        if isinstance(value, Mapping):
            yield from _walk(value, (*path, str(key)))
        else:
            yield path, str(key), value


def _value(value: object, key: str = "") -> str:
    """One escaped cell, as every channel shows a value (notifications.shown); None is a dash."""
    text = shown(key, value)
    return "—" if text is None else _e(text)


def _money(value: object) -> str:
    return usd(_number(value))


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _e(value: object) -> str:
    return escape(str(value), quote=True)
