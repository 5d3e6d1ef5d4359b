"""Where the CLI's rich output goes: wrapped to a terminal's width, never wrapped when piped."""

from __future__ import annotations

import sys

from rich.console import Console


def console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that wraps for a terminal only: piped or redirected, lines stay whole."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(highlight=False, stderr=stderr)
    return Console(highlight=False, stderr=stderr, width=100_000, soft_wrap=True)
