"""``finetune``: the command line for data scientists and platform teams.

    finetune validate FILE [--profile NAME] [--profiles PATH] [--format text|json]
    finetune profiles [--profiles PATH]

``validate`` runs the same validator as the pipeline on a local file before it is uploaded
(exit 0 = the pipeline would accept it, 1 = it would reject it). ``preflight`` (a read-only
audit of a deployed stack) arrives with the guardrails issue.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .dataset import validate_dataset
from .models import find_model
from .settings import DEFAULT_PROFILE, load_catalog

DEFAULT_PROFILES = Path(__file__).resolve().parents[3] / "config" / "profiles.toml"


def _chunks(path: Path, size: int = 1024 * 1024) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(size):
            yield chunk


def _validate(args: argparse.Namespace, console: Console) -> int:
    catalog = load_catalog(args.profiles)
    profile = catalog.profiles.get(args.profile)
    if profile is None:
        console.print(f"unknown profile {escape(args.profile)!r}; known: {', '.join(sorted(catalog.profiles))}")
        return 2
    fmt = find_model(profile.base_model).formats[profile.customization_type]
    report = validate_dataset(_chunks(args.file), fmt)
    if args.format == "json":
        print(report.model_dump_json(indent=2))
        return 0 if report.accepted else 1
    verdict = "[green]accepted[/]" if report.accepted else f"[red]rejected[/] ({report.reason()})"
    console.print(f"{escape(str(args.file))}: {verdict} - {report.records} records, {report.bytes} bytes, format {fmt.value}")
    if report.errors:
        table = Table("line", "byte offset", "code", "problem")
        for error in report.errors:
            table.add_row(str(error.line), str(error.byte_offset), error.code.value, error.message)
        console.print(table)
        hidden = report.error_count - len(report.errors)
        if hidden:
            console.print(f"... and {hidden} more ({json.dumps(report.errors_by_code)})")
    return 0 if report.accepted else 1


def _profiles(args: argparse.Namespace, console: Console) -> int:
    catalog = load_catalog(args.profiles)
    table = Table("profile", "base model", "type", "model units", "ttl hours", "approval", title=f"profiles version {catalog.version}")
    for name, profile in sorted(catalog.profiles.items()):
        table.add_row(
            name,
            profile.base_model,
            profile.customization_type.value,
            str(profile.model_units),
            str(profile.ttl_hours),
            "yes" if profile.approval_required else "no",
        )
    console.print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="finetune", description="Secure Bedrock fine-tuning pipeline")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check a JSONL file with the pipeline's own validator")
    validate.add_argument("file", type=Path)
    validate.add_argument("--profile", default=DEFAULT_PROFILE, help="the incoming/<profile>/ the file is meant for")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    for command in (validate, commands.add_parser("profiles", help="list the run profiles")):
        command.add_argument("--profiles", type=Path, default=DEFAULT_PROFILES, help="profiles.toml (default: the repository's)")
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    for path in (args.profiles, getattr(args, "file", args.profiles)):
        if not path.is_file():
            console.print(f"no such file: {escape(str(path))}")
            return 2
    return _validate(args, console) if args.command == "validate" else _profiles(args, console)


if __name__ == "__main__":
    sys.exit(main())
