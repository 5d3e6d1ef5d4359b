"""The report's Evaluation section as a person sees it in Chromium: the scores side by side and the bars painted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from secure_finetune.evaluation.report_section import BASE_COLOUR, CUSTOM_COLOUR, render_evaluation
from secure_finetune.report_html import render_run_report
from secure_finetune.reports import RunReports
from tests.browser.test_report_in_chromium import decode_png, pixels_of, visible_text
from tests.unit.test_evaluation_report import finished
from tests.unit.test_report_html import RUN, full_run


def page(tmp_path: Path, documents: RunReports | None = None) -> Path:
    """The page with an Evaluation section (of the full run, or of no other step so the section is in view)."""
    html = render_run_report(documents or RunReports(), run_id=RUN, extra=[("Evaluation", render_evaluation(finished()))])
    out = tmp_path / "evaluation.html"
    out.write_text(html, encoding="utf-8")
    return out


def test_a_person_reads_both_models_scores_and_the_gates_decision(
    render: Callable[[Path, str], Path], pdftotext: str, tmp_path: Path
) -> None:
    text = visible_text(render, pdftotext, page(tmp_path, full_run()))
    section = text[text.index("Evaluation", text.index("Smoke test")) :]
    assert "Correctness 0.620 0.410 -0.210" in section and "Completeness 0.580 0.600 +0.020" in section
    assert "failed (Correctness)" in section and "the throughput was deleted, the custom model kept" in section
    assert "prompt text withheld" in section


def test_the_bars_are_painted_and_a_worse_custom_model_has_the_shorter_bar(render: Callable[[Path, str], Path], tmp_path: Path) -> None:
    png = render(page(tmp_path), f"--screenshot={tmp_path / 'evaluation.png'}")
    _, _, channels, rows = decode_png(png.read_bytes())
    base, custom = pixels_of(BASE_COLOUR, channels, rows), pixels_of(CUSTOM_COLOUR, channels, rows)
    assert len(base) > 1000 and len(custom) > 1000, (len(base), len(custom))

    def longest_bar(points: list[tuple[int, int]]) -> dict[int, int]:
        spans: dict[int, list[int]] = {}
        for x, y in points:
            spans.setdefault(y, []).append(x)
        return {y: max(xs) - min(xs) for y, xs in spans.items() if len(xs) > 20}

    base_rows, custom_rows = longest_bar(base), longest_bar(custom)
    first_base, first_custom = min(base_rows), min(custom_rows)  # the first metric's bars: Correctness
    assert base_rows[first_base] > custom_rows[first_custom] * 1.3  # 0.62 vs 0.41 on screen
