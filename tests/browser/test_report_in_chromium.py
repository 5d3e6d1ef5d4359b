"""The run report as a person sees it in Chromium: its text (PDF -> pdftotext) and its chart (screenshot pixels)."""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

from secure_finetune.guardrails import PRE_LAUNCH_CHECKS, WARN_CHECKS
from secure_finetune.report_html import TRAINING_COLOUR, VALIDATION_COLOUR, render_run_report
from secure_finetune.reports import RunReports
from tests.unit.test_report_html import RUN, full_run, rejected_run


def write(tmp_path: Path, documents: RunReports, name: str) -> Path:
    page = tmp_path / f"{name}.html"
    page.write_text(render_run_report(documents, run_id=RUN), encoding="utf-8")
    return page


def visible_text(render: Callable[[Path, str], Path], pdftotext: str, page: Path) -> str:
    pdf = render(page, f"--print-to-pdf={page.with_suffix('.pdf')}")
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=30).stdout
    return re.sub(r"\s+", " ", text)


def test_a_person_reads_the_outcome_the_failed_check_and_its_fix_and_the_costs(
    render: Callable[[Path, str], Path], pdftotext: str, tmp_path: Path
) -> None:
    text = visible_text(render, pdftotext, write(tmp_path, full_run(), "full"))
    for heading in ("Run report", "Summary", "Run", "Dataset", "Guardrails", "Training", "Costs", "Deployment", "Smoke test"):
        assert heading in text, heading
    assert RUN in text
    assert "Guardrails passed with 1 warning" in text and "Deployment ready" in text and "Smoke test passed" in text
    failed = WARN_CHECKS[0]
    assert re.search(rf"{failed.id} WARN warn", text), "the warning row: id, status (amber WARN, not FAIL), severity"
    assert f"Fix: {failed.fix}" in text
    passed = len(PRE_LAUNCH_CHECKS) + len(WARN_CHECKS) - 1  # the full run's findings: every check, one warning failed
    assert f"{passed} PASS · 0 FAIL · 0 UNKNOWN · 1 WARN" in text
    costs = text[text.index("Costs") : text.index("Deployment", text.index("Costs"))]
    assert re.search(r"Estimated training \(validation\) \$12\.35", costs)
    assert re.search(r"Estimated hourly cost \(deployment\) \$20\.50", costs)
    assert re.search(r"Estimated cost over TTL( \(deployment\))? \$82\.00", costs)  # a narrow page may wrap the label
    assert "InService" in text and "abc123" in text
    assert "training loss" in text and "validation loss" in text and "step" in text  # the chart's legend and axis
    assert "not reached" not in text


def test_a_rejected_run_shows_where_it_stopped(render: Callable[[Path, str], Path], pdftotext: str, tmp_path: Path) -> None:
    text = visible_text(render, pdftotext, write(tmp_path, rejected_run(), "rejected"))
    assert "Dataset validation rejected" in text and "Guardrails not reached" in text
    assert "LINE_INVALID_JSON" in text and "First problems by line" in text
    assert text.count("not reached") >= 4 + 4  # four summary rows, four sections


def test_the_loss_curves_are_painted_and_go_down(render: Callable[[Path, str], Path], tmp_path: Path) -> None:
    png = render(write(tmp_path, full_run(), "chart"), f"--screenshot={tmp_path / 'chart.png'}")
    width, height, channels, rows = decode_png(png.read_bytes())
    assert (width, height) == (1200, 2000)
    for name, colour in (("training", TRAINING_COLOUR), ("validation", VALIDATION_COLOUR)):
        points = pixels_of(colour, channels, rows)
        assert len(points) > 500, f"the {name} curve is not painted ({len(points)} pixels of {colour})"
        xs = [x for x, _ in points]
        span = max(xs) - min(xs)
        assert span > 400, f"the {name} curve spans only {span}px"
        left = [y for x, y in points if x < min(xs) + 20]
        right = [y for x, y in points if x > max(xs) - 20]
        assert min(left) < min(right) - 50, f"the {name} curve does not go down on screen"


def pixels_of(colour: str, channels: int, rows: list[bytes]) -> list[tuple[int, int]]:
    """(x, y) of every pixel of exactly ``colour`` (a 3px stroke has an exact core; edges are antialiased)."""
    target, found = bytes.fromhex(colour.removeprefix("#")), []
    for y, row in enumerate(rows):
        at = row.find(target)
        while at != -1:
            if at % channels == 0:
                found.append((at // channels, y))
            at = row.find(target, at + 1)
    return found


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) -> width, height, channels, unfiltered rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, f"unsupported PNG {depth=} {colour_type=} {interlace=}"
    n = 4 if colour_type == 6 else 3
    raw, stride = zlib.decompress(idat), width * n
    rows, previous = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1 : start + 1 + stride]
        if kind == 0:
            row = bytearray(line)
        elif kind == 2:  # Up: the common case, done without a per-byte branch
            row = bytearray((r + p) & 0xFF for r, p in zip(line, previous, strict=True))
        else:
            row = bytearray(line)
            for i in range(stride):
                a = row[i - n] if i >= n else 0
                if kind == 1:
                    row[i] = (row[i] + a) & 0xFF
                elif kind == 3:
                    row[i] = (row[i] + (a + previous[i]) // 2) & 0xFF
                else:  # Paeth
                    b, c = previous[i], previous[i - n] if i >= n else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(row))
        previous = rows[-1]
    return width, height, n, rows
