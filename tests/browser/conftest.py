"""Headless Chromium (Debian's package) and pdftotext: what a person sees of the run report.

Nothing is skipped: without the tools the tests fail and say how to get them (`make browser`
runs tools/install_chromium.sh first).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
INSTALL = "run `make browser` (or tools/install_chromium.sh as root) to install Debian's chromium and poppler-utils"


def _tool(path: str | None, name: str) -> str:
    if not path or not Path(path).is_file():
        pytest.fail(f"{name} not found: {INSTALL}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    return _tool(CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium"), "chromium")


@pytest.fixture(scope="session")
def pdftotext() -> str:
    return _tool(shutil.which("pdftotext"), "pdftotext (poppler-utils)")


@pytest.fixture
def render(chromium: str, tmp_path: Path) -> Callable[[Path, str], Path]:
    """``render(page, "--screenshot=out.png" | "--print-to-pdf=out.pdf")`` -> the file Chromium wrote."""

    def run(page: Path, output_flag: str) -> Path:
        out = Path(output_flag.split("=", 1)[1])
        profile = tmp_path / f"profile-{out.stem}"
        command = [chromium, *FLAGS, f"--user-data-dir={profile}", "--window-size=1200,2000", "--no-pdf-header-footer", output_flag]
        done = subprocess.run([*command, page.as_uri()], capture_output=True, text=True, timeout=60, check=False)
        if not out.is_file() or out.stat().st_size == 0:
            pytest.fail(f"chromium wrote no {out.name} (exit {done.returncode}):\n{done.stderr[-2000:]}", pytrace=False)
        return out

    return run
