"""The run report's Evaluation section: both models side by side per metric, the gate's decision, an inline
SVG bar chart (no script) and the per-prompt score changes by prompt index (prompt text only when the profile
allowed it into the report). Everything from the document is escaped."""

from __future__ import annotations

from html import escape

from ..ports import DataBucketPort
from ..reports import read_report
from .gate import metric_id
from .report import EvaluationReport, Verdict, missed
from .results import MIN_PAIRED_COVERAGE

BASE_COLOUR, CUSTOM_COLOUR = "#8c959f", "#0b7a75"  # not the loss chart's colours


def evaluation_section(bucket: DataBucketPort, run_id: str) -> tuple[str, str] | None:
    """("Evaluation", its HTML) for the run's page; None when the run never reached the evaluation step."""
    report = read_report(bucket, run_id, EvaluationReport)
    return None if report is None else ("Evaluation", render_evaluation(report))


def render_evaluation(report: EvaluationReport) -> str:
    if report.status == "skipped":
        return f'<p class="missing">skipped: {_e(report.why or "")}</p>'
    facts = [
        ("Held-out prompts", str(report.prompts)),
        ("Judge", f"<code>{_e(report.judge_model or '')}</code>"),
        ("Jobs", "<br>".join(f"{_e(j.side)}: <code>{_e(j.name)}</code> ({_e(j.status or 'started')})" for j in report.jobs)),
        ("Decision", _decision(report)),
    ]
    if report.custom_answers is not None:  # a model deployed on demand: its job judged answers collected privately
        answered = (
            f"{report.custom_answers} of {report.prompts}, asked by the smoke test's function"
            " (PrivateInference: through the bedrock-runtime endpoint)"
        )
        if report.custom_unanswered:
            answered += f"; no answer: {_e(missed(report.custom_unanswered))}"
        facts.append(("Custom model's answers", answered))
    if report.jobs:
        facts.append(("Estimated cost", _cost(report)))
    if report.skipped_lines:
        facts.append(("Records not usable as prompts (line)", ", ".join(str(n) for n in report.skipped_lines)))
    html = "<table>" + "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in facts) + "</table>"
    if report.verdicts:
        html += _verdict_table(report) + _bar_chart(report)
    if report.deltas:
        html += _deltas_table(report)
    return html


def _cost(report: EvaluationReport) -> str:
    """All of it when every part is priced; else the judge's part and what has no sourced price."""
    if report.estimated_cost_usd is not None:
        return f"${report.estimated_cost_usd:,.2f}"
    judge = "unknown" if report.estimated_judge_cost_usd is None else f"${report.estimated_judge_cost_usd:,.2f}"
    return f"judge {judge}; the base model's tokens: no sourced price, so the total is unknown"


def _decision(report: EvaluationReport) -> str:
    if report.status == "passed":
        return '<span class="ok">passed</span>: the custom model is kept'
    if report.status == "failed":
        failed = ", ".join(metric_id(v.metric) for v in report.verdicts if not v.passed)
        bought = "deployment" if report.custom_answers is not None else "throughput"
        return f'<span class="bad">failed</span> ({_e(failed)}): the {bought} was deleted, the custom model kept'
    if report.status == "error":
        return f'<span class="bad">not finished</span>: {_e(report.why or "")}'
    return '<span class="warn">running</span>'


def _verdict_table(report: EvaluationReport) -> str:
    rows = "".join(
        f'<tr><th scope="row">{_e(metric_id(v.metric))}</th><td>{_score(v.base)}</td><td>{_score(v.custom)}</td>'
        f"<td>{_change_cell(v)}</td><td>&ge; +{v.required:.3f}</td>"
        f'<td class="{"ok" if v.passed else "bad"}">{"pass" if v.passed else "fail"}</td></tr>'
        for v in report.verdicts
    )
    head = "<tr><th>Metric</th><th>Base</th><th>Custom</th><th>Change</th><th>Needs</th><th>Gate</th></tr>"
    return f"<table><caption>Mean judge score per metric (0 to 1)</caption>{head}{rows}</table>"


def _bar_chart(report: EvaluationReport, width: int = 560, bar: int = 14) -> str:
    """Two horizontal bars per metric (base, custom) on a 0..1 axis; inline SVG with a title and text labels."""
    left, right, gap = 170, 60, 14
    span = width - left - right
    height = 28 + len(report.verdicts) * (2 * bar + gap) + 22
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' aria-labelledby="evaluation-chart-title">',
        '<title id="evaluation-chart-title">Mean judge score per metric: base model (grey) and custom model (blue)</title>',
        f'<rect x="{left}" y="4" width="12" height="12" fill="{BASE_COLOUR}"/><text x="{left + 16}" y="14" font-size="12">base</text>',
        f'<rect x="{left + 70}" y="4" width="12" height="12" fill="{CUSTOM_COLOUR}"/>'
        f'<text x="{left + 86}" y="14" font-size="12">custom</text>',
    ]
    y = 28
    for v in report.verdicts:
        parts.append(f'<text x="{left - 8}" y="{y + bar + 4}" font-size="12" text-anchor="end">{_e(metric_id(v.metric))}</text>')
        for value, colour in ((v.base, BASE_COLOUR), (v.custom, CUSTOM_COLOUR)):
            length = 0 if value is None else round(max(0.0, min(1.0, value)) * span, 1)
            parts.append(f'<rect x="{left}" y="{y}" width="{length}" height="{bar - 2}" fill="{colour}"/>')
            parts.append(f'<text x="{left + length + 4}" y="{y + bar - 4}" font-size="11">{_score(value)}</text>')
            y += bar
        y += gap
    for tick in (0, 0.5, 1):
        x = left + tick * span
        parts.append(f'<line x1="{x}" y1="24" x2="{x}" y2="{y - gap + 2}" stroke="#d0d7de"/>')
        parts.append(f'<text x="{x}" y="{y + 8}" font-size="11" text-anchor="middle">{tick:g}</text>')
    return "".join(parts) + "</svg>"


def _deltas_table(report: EvaluationReport) -> str:
    metrics = [v.metric for v in report.verdicts] or list(report.metrics)
    with_text = any(d.prompt for d in report.deltas)
    head = "<tr><th>Prompt #</th>" + "".join(f"<th>{_e(metric_id(m))}: base &rarr; custom</th>" for m in metrics)
    head += "<th>Prompt</th></tr>" if with_text else "</tr>"
    rows = ""
    for d in report.deltas:
        cells = "".join(f"<td>{_change(d.base.get(m), d.custom.get(m))}</td>" for m in metrics)
        text = f"<td>{_e(d.prompt or '')}</td>" if with_text else ""
        rows += f'<tr><th scope="row">{d.index}</th>{cells}{text}</tr>'
    caption = "Largest per-prompt changes, by index in the evaluation dataset"
    if not with_text:
        caption += " (prompt text withheld: the profile does not allow it in the report)"
    return f"<table><caption>{caption}</caption>{head}{rows}</table>"


def _change_cell(v: Verdict) -> str:
    """The change, or why there is none: a metric scored on too few prompts says on how many (the gate's floor)."""
    if v.improvement is not None:
        return f"{v.improvement:+.3f}"
    return "n/a" if v.scored is None else f"n/a: scored on {v.scored} of {v.of} prompts (needs {MIN_PAIRED_COVERAGE:.0%})"


def _change(base: float | None, custom: float | None) -> str:
    if base is None or custom is None:
        return f"{_score(base)} &rarr; {_score(custom)}"
    delta = custom - base
    css = "ok" if delta > 0 else "bad" if delta < 0 else ""
    return f'{_score(base)} &rarr; {_score(custom)} <span class="{css}">({delta:+.2f})</span>'


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _e(value: object) -> str:
    return escape(str(value), quote=True)
