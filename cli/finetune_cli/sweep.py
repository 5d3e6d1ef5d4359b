"""``finetune sweep``: the janitor, now (a dry run unless ``--delete``).

It invokes the stack's janitor function (output ``JanitorFunctionName``), the same code the daily schedule
runs, with the caller's IAM rights (``lambda:InvokeFunction`` is the permission to sweep). Without
``--delete`` nothing is deleted or stopped and nobody is mailed: the table shows what a sweep would do. With it,
the stack's ``SweepPolicy`` still decides (report-only deletes and stops nothing) and the owners are told.
Exit codes: 0 done, 1 a delete or a job's stop was refused (something still bills), 2 an error.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from finetune_cli.errors import CliError

COMMAND = "sweep"


def add_command(commands: Any) -> None:
    sweep = commands.add_parser(COMMAND, help="find what the stack bought that nothing wants (dry run unless --delete)")
    sweep.add_argument("--stack", required=True, help="the deployed stack's name (`make up`: finetune-local)")
    sweep.add_argument("--delete", action="store_true", help="delete what the stack's SweepPolicy allows, and tell the owners")
    sweep.add_argument("--endpoint-url", help="an emulator (e.g. `make up`'s http://127.0.0.1:4566) instead of AWS")
    sweep.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for programs")


def run(args: argparse.Namespace, console: Console) -> int:
    from finetune_cli import aws

    aws.use_endpoint(args.endpoint_url)
    function = aws.stack_outputs(args.stack).get("JanitorFunctionName")
    if not function:
        raise CliError(f"stack {args.stack} has no janitor (output JanitorFunctionName): update the stack")
    answer, function_error = aws.invoke(function, {"delete": bool(args.delete)})
    if function_error:
        raise CliError(f"the janitor failed ({answer.get('errorType', 'error')}); its log group is /aws/lambda/{args.stack}/janitor")
    if args.format == "json":
        print(json.dumps(answer, indent=2))
    else:
        console.print(table(answer))
        console.print(summary(answer))
    return 1 if answer.get("failed") else 0


_WOULD = {"DELETE": "would delete", "STOP": "would stop"}  # a dry run's actions


def table(answer: dict[str, Any]) -> Table:
    shown = Table("kind", "name", "action", "why", "age (days)", "storage/month", title="Janitor")
    for row in answer.get("resources", []):
        action = row["action"] if answer.get("deletesAllowed") else _WOULD.get(row["action"], row["action"])
        why = row["why"] + (f" (missing: {row['missingProofs']})" if row["action"] == "NOT_OURS" else "")
        cost = "" if row.get("storagePerMonthUsd") is None else f"${row['storagePerMonthUsd']:,.2f}"
        age = "" if row.get("ageDays") is None else str(row["ageDays"])
        shown.add_row(*(escape(str(cell)) for cell in (row["kind"], row["name"], action, why, age, cost)))
    return shown


def summary(answer: dict[str, Any]) -> str:
    deleted, stopped, failed = answer.get("deleted", []), answer.get("stopped", []), answer.get("failed", [])
    if not answer.get("deletesAllowed"):
        return "dry run (or report-only policy): nothing deleted or stopped; `--delete` does what the stack's policy allows"
    line = f"deleted {len(deleted)}, stopped {len(stopped)} job(s)"
    if failed:
        line += f"; refused {len(failed)}: " + ", ".join(escape(f"{f['arn']} {f['error']}") for f in failed)
    return line
