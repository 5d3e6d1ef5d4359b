"""What the CLI tells a person when a command cannot do its job (one line, exit 2)."""

from __future__ import annotations


class CliError(Exception):
    """A usage, input or lookup problem; the message is the whole line the user reads (what to do included)."""
