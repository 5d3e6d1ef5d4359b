"""The run commands of ``finetune``: runs, status, watch, submit, cancel, retry, teardown.

Each takes ``--stack`` (the deployed stack, read through its outputs) and ``--endpoint-url`` (an
emulator such as ``make up``), and prints text for a person or, with ``--format json``, one JSON
document for a program. Exit codes are main's: 0 done, 1 a negative outcome (the run failed or was
cancelled, the run had already ended, teardown left something billing), 2 an error.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from finetune_cli import terminal
from finetune_cli.errors import CliError
from secure_finetune.runs import RunStatus

COMMANDS = ("runs", "status", "watch", "submit", "cancel", "retry", "teardown")
_DURATION = re.compile(r"^(?P<n>[0-9]+)(?P<unit>[smhd])$")
_STYLE = {"SUCCEEDED": "green", "FAILED": "red", "CANCELLED": "yellow"}
_OUTCOME_STYLE = {"ok": "green", "caught": "yellow", "failed": "red", "cancelled": "yellow", "running": "cyan"}


def add_commands(commands: Any, common: list[argparse.ArgumentParser]) -> None:
    """The run commands' parsers, on main's subparsers (``common``: main's shared options, e.g. --debug)."""
    formats = argparse.ArgumentParser(add_help=False)
    formats.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for programs")
    stacked = argparse.ArgumentParser(add_help=False)
    stacked.add_argument("--stack", required=True, help="the deployed stack's name (`make up`: finetune-local)")
    stacked.add_argument("--endpoint-url", help="an emulator (e.g. `make up`'s http://127.0.0.1:4566) instead of AWS")
    parents = [*common, formats, stacked]
    runs = commands.add_parser("runs", parents=parents, help="recent runs of a deployed stack, newest first")
    runs.add_argument("--limit", type=positive_int, default=20, help="at most this many runs, 1 or more (default 20)")
    runs.add_argument("--status", action="append", choices=[s.value for s in RunStatus], help="only runs in this status (repeatable)")
    runs.add_argument("--since", type=since, help="only runs started since: an ISO date/time (UTC) or a duration back (30m, 2h, 7d)")
    runs.add_argument("--profile", help="only runs of this profile")
    for name, text in (
        ("status", "a run's status, steps with times, job, throughput and costs so far"),
        ("watch", "follow a run live, step by step; exits 0 if it SUCCEEDED, 1 if it failed or was cancelled"),
        ("cancel", "stop a running run (its training job is stopped and its job slot freed)"),
        ("retry", "a new attempt for the same dataset version (job name gets -a<n>)"),
        ("teardown", "delete the run's throughput or deployment now"),
    ):
        command = commands.add_parser(name, parents=parents, help=text)
        command.add_argument("run", help="the run id (`finetune runs` lists them)")
        if name == "watch":
            _watch_options(command)
    submit = commands.add_parser("submit", parents=parents, help="upload a dataset under incoming/ (starts a run); prints the run id")
    submit.add_argument("file", type=Path, help="the *.jsonl dataset")
    submit.add_argument("--profile", help="the run profile: the upload goes under incoming/<profile>/ (default: default)")
    submit.add_argument("--name", help="the object's file name (default: FILE's)")
    submit.add_argument("--watch", action="store_true", help="then follow the run (exit code: as `finetune watch`)")
    _watch_options(submit)


def _watch_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--interval", type=positive_seconds, default=2.0, help="seconds between looks (default 2)")
    command.add_argument("--timeout", type=positive_seconds, help="give up after this many seconds (exit 2)")


def positive_int(text: str) -> int:
    """``--limit``: a whole number of 1 or more (0 or less would list nothing, or fail later)."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is not 1 or more")
    return number


def positive_seconds(text: str) -> float:
    """``--interval``, ``--timeout``: seconds, more than 0 (a negative sleep is an error, 0 a busy loop)."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds above 0")
    return seconds


def since(text: str) -> datetime:
    """``--since``: ``30m``/``2h``/``7d`` back from now, or an ISO-8601 date/time (UTC unless it says)."""
    found = _DURATION.match(text)
    if found:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[found["unit"]]
        return datetime.now(UTC) - timedelta(**{unit: int(found["n"])})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a duration (30m, 2h, 7d) nor an ISO date/time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def duration(seconds: float | None) -> str:
    """``8s``, ``3m 12s``, ``1h 02m``: how long, for a person."""
    if seconds is None:
        return ""
    whole = round(seconds)
    if seconds < 10:
        return f"{seconds:.1f}s"
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def when(moment: str | None) -> str:
    """An ISO-8601 UTC time as ``2026-12-02 21:23:30 UTC``."""
    return "" if not moment else moment.replace("T", " ").removesuffix("Z") + " UTC"


def run(args: argparse.Namespace, console: Console) -> int:
    """Run one of ``COMMANDS``."""
    from finetune_cli import aws, operate
    from secure_finetune.service_errors import ServiceError

    aws.use_endpoint(args.endpoint_url)
    stack = operate.Stack.named(args.stack)
    handlers: dict[str, Callable[[Any, argparse.Namespace, Console], int]] = {
        "runs": _runs,
        "status": _status,
        "watch": lambda stack, args, console: follow(stack, args.run, args, console),
        "submit": _submit,
        "cancel": _cancel,
        "retry": _retry,
        "teardown": _teardown,
    }
    try:
        return handlers[args.command](stack, args, console)
    except ServiceError as err:
        if err.code == "ExecutionDoesNotExist" and getattr(args, "run", None):
            raise CliError(f"no run {args.run} in stack {stack.name}: `finetune runs --stack {stack.name}` lists the runs") from err
        raise


def _print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, default=str))


def _runs(stack: Any, args: argparse.Namespace, console: Console) -> int:
    from finetune_cli import operate

    found = operate.list_runs(stack, args.limit, frozenset(args.status or ()), args.since, args.profile)
    if args.format == "json":
        _print_json(found)
        return 0
    table = Table("run", "status", "profile", "key", "started", "took", "reason", title=f"Runs of {escape(stack.name)}")
    for item in found:
        style = _STYLE.get(item["status"], "cyan")
        table.add_row(
            escape(item["runId"]),
            f"[{style}]{item['status']}[/]",
            escape(item["profile"] or ""),
            escape(item["key"]),
            when(item["startedAt"]),
            duration(item["durationSeconds"]),
            escape(item["reason"] or ""),
        )
    console.print(table if found else "no runs" + (" match" if args.status or args.since or args.profile else " yet"))
    return 0


def _status(stack: Any, args: argparse.Namespace, console: Console) -> int:
    from finetune_cli import operate

    found = operate.run_status(stack, args.run)
    if args.format == "json":
        _print_json(found)
        return 0
    style = _STYLE.get(found["status"], "cyan")
    console.print(f"[bold]{escape(found['runId'])}[/]  [{style}]{found['status']}[/] (execution {found['execution']})")
    console.print(f"dataset    s3://{escape(stack.bucket)}/{escape(found['key'])}  profile {escape(found['profile'])}")
    ended = f"  ended {when(found['stoppedAt'])}" if found["stoppedAt"] else "  still running"
    console.print(f"started    {when(found['startedAt'])}{ended}  ({duration(found['durationSeconds'])})")
    if found["reason"] or found["error"]:
        console.print(f"reason     {escape(found['reason'] or found['error'])}")
    record = found["record"]
    for label, name in (
        ("job", "jobArn"),
        ("model", "outputModelArn"),
        ("throughput", "provisionedModelArn"),
        ("deployment", "deploymentArn"),
    ):
        if record.get(name):
            console.print(f"{label:<11}{escape(record[name])}")
    if record.get("deleteAt"):
        console.print(f"delete at  {when(record['deleteAt']) if record['deleteAt'] != 'never' else 'never'}")
    labels = {
        "estimatedTrainingCostUsd": "training",
        "estimatedHourlyCostUsd": "per hour",
        "estimatedCostOverTtlUsd": "over its time-to-live",
    }
    costs = [f"{labels.get(name, name)} ~${value:,.2f}" for name, value in found["costs"].items() if value is not None]
    if costs:
        console.print("costs      " + ", ".join(costs) + " (estimates)")
    table = Table("step", "entered", "took", "outcome", title="Steps")
    for step in found["steps"]:
        table.add_row(
            escape(step["name"]),
            when(step["enteredAt"]),
            duration(step["seconds"]),
            f"[{_OUTCOME_STYLE[step['outcome']]}]{step['outcome']}[/]",
        )
    console.print(table)
    return 0


def follow(stack: Any, run_id: str, args: argparse.Namespace, console: Console, appear_within: float = 0) -> int:
    """Print each step as the run takes it, until the run ends: 0 SUCCEEDED, 1 FAILED or CANCELLED."""
    from finetune_cli import aws, operate
    from secure_finetune.service_errors import ServiceError

    deadline = time.monotonic() + args.timeout if args.timeout else None
    shown: dict[int, str] = {}
    waited_from = time.monotonic()
    while True:
        try:
            execution = aws.describe_execution(stack.execution_arn(run_id))
        except ServiceError as err:  # a submitted run: its trigger has not started the execution yet
            if err.code != "ExecutionDoesNotExist" or time.monotonic() - waited_from > appear_within:
                raise
            time.sleep(min(args.interval, 1.0))
            continue
        for index, step in enumerate(operate.timeline(aws.execution_history(stack.execution_arn(run_id)))):
            if shown.get(index) == step["outcome"]:
                continue
            shown[index] = step["outcome"]
            if args.format == "json":
                print(json.dumps({"runId": run_id, **step}), flush=True)
            elif step["outcome"] == "running":
                console.print(f"{when(step['enteredAt'])}  {escape(step['name'])} ...")
            else:
                style = _OUTCOME_STYLE[step["outcome"]]
                console.print(
                    f"{when(step['enteredAt'])}  {escape(step['name'])} [{style}]{step['outcome']}[/] ({duration(step['seconds'])})"
                )
        if execution["status"] != "RUNNING":
            summary = operate.run_status(stack, run_id)
            if args.format == "json":
                print(json.dumps({k: summary[k] for k in ("runId", "status", "execution", "reason", "durationSeconds")}), flush=True)
            else:
                style = _STYLE.get(summary["status"], "cyan")
                reason = f": {escape(summary['reason'])}" if summary["reason"] else ""
                console.print(f"[{style}]{summary['status']}[/] after {duration(summary['durationSeconds'])}{reason}")
            return 0 if summary["status"] == RunStatus.SUCCEEDED else 1
        if deadline is not None and time.monotonic() > deadline:
            raise CliError(
                f"{run_id} still running after {args.timeout:g}s: `finetune watch {run_id} --stack {stack.name}` follows it again"
            )
        time.sleep(args.interval)


def _submit(stack: Any, args: argparse.Namespace, console: Console) -> int:
    from finetune_cli import operate

    submitted = operate.submit(stack, args.file, args.profile, args.name)
    if args.format == "json" and not args.watch:
        _print_json(submitted)
        return 0
    print(submitted["runId"], flush=True)  # alone on stdout: RUN=$(finetune submit ...)
    err = terminal.console(stderr=True)
    err.print(f"uploaded s3://{escape(submitted['bucket'])}/{escape(submitted['key'])} (version {escape(submitted['versionId'])})")
    if not args.watch:
        err.print(f"follow it: finetune watch {escape(submitted['runId'])} --stack {escape(stack.name)}")
        return 0
    return follow(stack, submitted["runId"], args, console, appear_within=60)


def _cancel(stack: Any, args: argparse.Namespace, console: Console) -> int:
    from finetune_cli import operate

    stopped, found = operate.cancel_run(stack, args.run)
    if args.format == "json":
        _print_json({"cancelled": stopped, **found})
    elif stopped:
        console.print(f"{escape(args.run)}: cancelled (its job is stopped and its job slot freed)")
    else:
        reason = f" ({escape(found['reason'])})" if found["reason"] else ""
        console.print(
            f"{escape(args.run)} already ended: {found['status']}{reason} at {when(found['stoppedAt'])}; nothing to cancel"
            + (" (`finetune teardown` deletes what it deployed)" if found["status"] == RunStatus.SUCCEEDED else "")
        )
    return 0 if stopped else 1


def _retry(stack: Any, args: argparse.Namespace, console: Console) -> int:
    from finetune_cli import operate

    started = operate.retry_run(stack, args.run)
    if args.format == "json":
        _print_json({"runId": started, "retryOf": args.run})
    else:
        console.print(f"started {escape(started)}")
    return 0


def _teardown(stack: Any, args: argparse.Namespace, console: Console) -> int:
    from finetune_cli import operate
    from secure_finetune.teardown.tear_down import TeardownKind

    answer = operate.teardown_run(stack, args.run)
    if args.format == "json":
        _print_json(answer)
    else:
        console.print(f"{escape(args.run)}: {escape(str(answer.get('outcome')))}")
    return 1 if answer.get("kind") == TeardownKind.DELETE_FAILED else 0  # still billing: not a success
