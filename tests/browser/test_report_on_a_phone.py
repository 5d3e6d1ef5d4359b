"""The run report on a 390 px wide phone screen (issue 14): nothing but a table's own scroller is wider than the
screen, in headless Chromium. A harness page (scripts are allowed there, not in the report: its CSP forbids them)
loads the report in a 390 px frame and writes what it measured into its DOM, which ``--dump-dom`` prints."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from secure_finetune.report_html import render_run_report
from tests.browser.conftest import FLAGS
from tests.unit.test_report_html import RUN, full_run

PHONE = 390
HARNESS = """<!doctype html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:%dpx;height:900px;border:0"></iframe><script>
document.getElementById("f").addEventListener("load", function () {
  var d = document.getElementById("f").contentDocument.documentElement;
  // Elements reaching past the frame's right edge, except inside a table (a table scrolls in its own box).
  var wide = Array.from(d.querySelectorAll("body *")).filter(function (e) {
    return e.getBoundingClientRect().right > d.clientWidth + 0.5 && !e.closest("table");
  }).map(function (e) { return e.tagName.toLowerCase(); });
  document.body.setAttribute("data-measured", d.scrollWidth + " " + d.clientWidth + " " + wide.join(","));
});
</script></body></html>
"""


def measure(chromium: str, tmp_path: Path, page: str) -> tuple[int, int, list[str]]:
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    harness = tmp_path / "harness.html"
    harness.write_text(HARNESS % PHONE, encoding="utf-8")
    command = [
        chromium,
        *(flag for flag in FLAGS if flag != "--hide-scrollbars"),
        f"--user-data-dir={tmp_path / 'profile'}",
        "--allow-file-access-from-files",  # the harness reads the framed report's layout
        "--virtual-time-budget=5000",
        "--dump-dom",
        harness.as_uri(),
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False).stdout
    found = re.search(r'data-measured="(\d+) (\d+) ?([^"]*)"', dom)
    assert found, f"the harness measured nothing: {dom[-500:]}"
    return int(found.group(1)), int(found.group(2)), [tag for tag in found.group(3).split(",") if tag]


def test_the_report_fits_a_390px_screen(chromium: str, tmp_path: Path) -> None:
    scroll_width, client_width, wide = measure(chromium, tmp_path, render_run_report(full_run(), run_id=RUN))
    assert client_width <= PHONE and scroll_width <= client_width, (scroll_width, client_width)
    assert wide == []


def test_the_measure_sees_a_page_wider_than_the_screen(chromium: str, tmp_path: Path) -> None:
    # the same report with one unbreakable 900 px line outside any table: the harness must catch it
    page = render_run_report(full_run(), run_id=RUN).replace("</header>", '<p style="white-space:nowrap;width:900px">x</p></header>')
    scroll_width, client_width, wide = measure(chromium, tmp_path, page)
    assert scroll_width > client_width and "p" in wide
