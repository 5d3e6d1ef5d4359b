"""``finetune``: the command line for data scientists and platform teams.

    finetune validate PATH|s3://bucket/key (--model MODEL_ID [--type TYPE] [--teacher ID] | --profile NAME)
                      [--validation-file PATH|s3://... | --validation-set] [--source-uri s3://bucket/key]
                      [--[no-]check-media] [--format text|json]
    finetune preflight (--stack NAME | --bucket B --key-arn K --subnets S --security-groups G --role R)
                       [--model ID] [--customization-type TYPE] [--endpoint-url URL] [--format text|json]
    finetune profiles [--profiles PATH]
    finetune report RUN --bucket BUCKET [--endpoint-url URL] [--output PATH]
    finetune runs --stack NAME [--limit N] [--status S]... [--since 2h|ISO] [--profile P] [--format text|json]
    finetune status|watch|cancel|retry|teardown RUN --stack NAME [--endpoint-url URL] [--format text|json]
    finetune submit FILE --stack NAME [--profile P] [--watch] [--endpoint-url URL] [--format text|json]
    finetune completion bash|zsh|fish
    finetune --version | --help; any command: --debug (the trace of an error)

``validate`` runs the pipeline's own validator and decision (``dataset.judge_run``, run-level record
bounds included) on a file before it is uploaded (or on an object already in S3): the file alone is
judged as the whole run, ``--validation-file`` adds the run's validation file, ``--validation-set``
judges a lone validation file by its per-file bounds (a usage error for a model that takes no validation
file). ``--type DISTILLATION`` needs ``--teacher``, held to the rule every profile passes (``settings.Profile``):
an unknown teacher or one the model cannot learn from is a usage error. Exit 0 = accepted, 1 = rejected, 2 = usage or
I/O error. ``--format json`` prints ``verdict``, ``reason``, ``codes``, ``run_problems``, ``records``,
``errors``, ``warnings``, ``stats`` and ``files`` (by role) for CI; a file-level problem has
``"line": null``. ``preflight`` audits a
deployed stack read-only against the account-level guardrails: exit 0 when no blocking check fails.
``report`` renders a run's report documents (``reports/RUN/*.json``) into one self-contained HTML page.
``runs``, ``status``, ``watch``, ``submit``, ``cancel``, ``retry`` and ``teardown`` operate runs of a
deployed stack with the caller's IAM rights (``operate.py``, ``operate_cli.py``); each takes
``--endpoint-url`` for an emulator. Every AWS call of this package goes through ``aws.py``.

No traceback reaches a user: every error ends as one line on stderr that says what to do, exit 2
(``EXIT_CODES``); ``--debug`` prints the trace as well. Output is not wrapped when stdout is not
a terminal.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from finetune_cli import models as models_cli
from finetune_cli import operate_cli, prices, sweep, terminal
from finetune_cli.errors import CliError
from secure_finetune.dataset import DatasetReport, DatasetRules, FileRole, RunVerdict, judge_run, validate_dataset
from secure_finetune.model_search import unknown_model_message
from secure_finetune.models import CustomizationType, FoundationModel, InvalidPrompts, MediaRules, UnknownModel, find_model, find_teacher
from secure_finetune.service_errors import ServiceError
from secure_finetune.settings import Profile, ProfileCatalog, load_catalog

T = TypeVar("T")
DEFAULT_PROFILES = Path(__file__).resolve().parents[2] / "config" / "profiles.toml"
CHUNK = 1024 * 1024


EXIT_CODES = """exit codes:
  0  done: the dataset is accepted, no blocking finding, the run SUCCEEDED (watch, submit --watch)
  1  a negative answer: the dataset is rejected, a blocking finding, the run FAILED or was CANCELLED,
     the run had already ended (cancel), something still bills (teardown)
  2  the command could not do its job: usage, a missing file, stack or run, an AWS or emulator error
     (one line on stderr says what to do; --debug adds the trace)
  130 interrupted (Ctrl-C)"""


class UsageError(CliError):
    pass


def _source(location: str) -> tuple[Iterator[bytes], int, str | None]:
    """(chunks, size, bucket) of a local file or an s3:// object."""
    if location.startswith("s3://"):
        from finetune_cli import aws  # boto3 only when reading from S3

        bucket, _, key = location.removeprefix("s3://").partition("/")
        stream, size = aws.read_object(bucket, key, CHUNK)
        return stream, size, bucket
    path = Path(location)
    if not path.is_file():
        raise UsageError(f"no such file: {location}")

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk

    return chunks(), path.stat().st_size, None


@dataclass(frozen=True)
class _Run:
    """What the run would be judged against: the model and the profile's dataset settings."""

    model: FoundationModel
    customization: CustomizationType
    teacher: str | None
    secrets_block: bool
    pii_block: bool
    invalid_prompts: InvalidPrompts

    def rules(self, role: FileRole, bucket: str | None) -> DatasetRules:
        try:
            return DatasetRules.for_run(
                self.model,
                self.customization,
                role,
                bucket,
                self.teacher,
                self.secrets_block,
                self.pii_block,
                invalid_prompts=self.invalid_prompts,
            )
        except UnknownModel:
            raise UsageError(f"unknown teacher {self.teacher!r}") from None


def _catalog(path: Path) -> ProfileCatalog:
    """The profiles file as the pipeline loads it; a file the pipeline would refuse is a usage error, one line."""
    try:
        return load_catalog(path)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path} is not valid TOML: {err}") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise UsageError(f"{path}: {where}: {first['msg']}{more}") from None


def _model(model_id: str) -> FoundationModel:
    """The registry's model, or a usage error with the closest known ids (as ``validate`` and ``preflight`` say it)."""
    try:
        return find_model(model_id)
    except UnknownModel:
        raise UsageError(unknown_model_message(model_id)) from None


def _check_teacher(model: FoundationModel, customization: CustomizationType, teacher: str | None) -> None:
    """``--type``/``--teacher`` against the pipeline's own rule, the one every profile passes (settings.Profile:
    DISTILLATION takes a known teacher the student may learn from, and only DISTILLATION takes one): a settings
    problem, so a usage error (exit 2), never a dataset verdict. Only the wording is the CLI's."""
    try:
        Profile(base_model=model.model_id, customization_type=customization, teacher_model=teacher)
        return
    except ValidationError as err:
        error = err.errors()[0].get("ctx", {}).get("error")
        rule = str(error) if error is not None else err.errors()[0]["msg"]
    if customization is not CustomizationType.DISTILLATION:
        raise UsageError("--teacher is for --type DISTILLATION only" if teacher is not None else rule)
    teachers = ", ".join(model.distillation_teachers) or "none"
    if teacher is None:
        raise UsageError(f"--type DISTILLATION needs --teacher: {model.name} learns from {teachers}")
    try:
        find_teacher(teacher)
    except UnknownModel:  # the closest of the teachers this student may learn from (any other would be refused next)
        closest = ", ".join(difflib.get_close_matches(teacher, model.distillation_teachers, n=3, cutoff=0)) or "none"
        raise UsageError(f"unknown teacher {teacher[:100]!r}; closest known: {closest} (the teachers {model.name} learns from)") from None
    raise UsageError(f"{rule}; it learns from {teachers}")


def _run(args: argparse.Namespace) -> _Run:
    invalid_prompts: InvalidPrompts
    if args.model:
        model_id, customization, teacher = args.model, CustomizationType(args.type), args.teacher
        secrets_block, pii_block, invalid_prompts = True, False, "drop"  # the profile defaults
    else:
        if args.teacher:
            raise UsageError("--teacher goes with --model; a profile names its own teacher (teacher_model)")
        catalog = _catalog(args.profiles)
        if args.profile not in catalog.profiles:
            raise UsageError(f"unknown profile {args.profile!r}; known: {', '.join(sorted(catalog.profiles))}")
        profile = catalog.profiles[args.profile]
        model_id, customization, teacher = profile.base_model, profile.customization_type, profile.teacher_model
        secrets_block, pii_block = profile.sensitive_data.secrets == "block", profile.sensitive_data.pii == "block"
        invalid_prompts = profile.distillation_invalid_prompts
    model = _model(model_id)
    if customization not in model.formats:
        raise UsageError(f"{model.name} does not support {customization.value}")
    if args.model:  # a profile passed this rule when its file was loaded
        _check_teacher(model, customization, teacher)
    return _Run(model, customization, teacher, secrets_block, pii_block, invalid_prompts)


def _problem_rows(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Problems as JSON: ``line`` is null for a file-level problem (it has no line)."""
    return [{"code": p.code, "line": p.line, "column": p.column, "byte_offset": p.byte_offset, "message": p.message} for p in items]


def _file_json(location: str, report: DatasetReport) -> dict[str, Any]:
    return {
        "file": location,
        "verdict": "accepted" if report.accepted else "rejected",
        "format": report.format.value,
        "records": report.records,
        "bytes": report.bytes,
        "sha256": report.sha256,
        "errors": _problem_rows(report.errors),
        "errors_by_code": report.errors_by_code,
        "warnings": _problem_rows(report.warnings),
        "warnings_by_code": report.warnings_by_code,
        "stats": report.stats.model_dump(),
        "token_estimate": report.token_estimate,
    }


def _as_json(files: dict[FileRole, tuple[str, DatasetReport]], verdict: RunVerdict, primary: FileRole) -> dict[str, Any]:
    """The run's verdict and codes, the run problems (file-level: no line), the FILE's own report at the
    top (as before), and every file's report under ``files`` by role."""
    return {
        **_file_json(*files[primary]),
        "verdict": "accepted" if verdict.accepted else "rejected",
        "reason": None if verdict.reason is None else str(verdict.reason),
        "codes": verdict.codes,
        "run_problems": [{"code": code.value, "line": None, "message": message} for code, message in verdict.run_problems],
        "files": {role.value: _file_json(location, report) for role, (location, report) in files.items()},
    }


def _read(location: str, rules: DatasetRules, console: Console, args: argparse.Namespace) -> DatasetReport:
    chunks, size, _ = _source(location)
    if console.is_terminal and args.format == "text" and size > 50 * CHUNK:
        with Progress("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=console) as bar:
            task = bar.add_task("validating", total=size)

            def counted() -> Iterator[bytes]:
                for chunk in chunks:
                    bar.advance(task, len(chunk))
                    yield chunk

            return validate_dataset(counted(), rules)
    return validate_dataset(chunks, rules)


def _validate(args: argparse.Namespace, console: Console) -> int:
    """The pipeline's decision (dataset.judge_run): FILE alone is the whole run; with --validation-file
    the pair is; with --validation-set FILE is a lone validation file (its per-file bounds only)."""
    if args.validation_set and args.validation_file:
        raise UsageError("--validation-set and --validation-file exclude each other")
    run = _run(args)
    if args.validation_set and not run.model.validation_allowed:
        raise UsageError(
            f"{run.model.name} takes no validation file, so there is no validation set to judge: drop --validation-set "
            "(the file is then judged as the run's training file)"
        )
    primary = FileRole.VALIDATION if args.validation_set else FileRole.TRAINING
    locations = {primary: args.file}
    if args.validation_file:
        locations[FileRole.VALIDATION] = args.validation_file
    for location in locations.values():
        if not location.startswith("s3://") and not Path(location).is_file():
            raise UsageError(f"no such file: {location}")
    source = args.source_uri or (args.file if args.file.startswith("s3://") else None)
    bucket = source.removeprefix("s3://").partition("/")[0] if source else None
    reports = {role: _read(location, run.rules(role, bucket), console, args) for role, location in locations.items()}
    media = run.rules(primary, bucket).media
    if media is not None and any(report.media for report in reports.values()) and _checks_media(args):
        reports = _with_media_checked(reports, media, bucket)
    verdict = judge_run(run.model, run.customization, reports)  # the pipeline's own decision
    files = {role: (locations[role], reports[role]) for role in locations}
    models_cli.print_lifecycle(console, run.model.model_id)  # LEGACY / past EOL (stderr with --format json)
    if args.format == "json":
        print(json.dumps(_as_json(files, verdict, primary), indent=2))
        return 0 if verdict.accepted else 1
    for role, (location, report) in files.items():
        console.print(
            f"{escape(location)} ({role.value}): {report.records} records, {report.bytes} bytes, format {report.format.value}, "
            f"~{report.stats.estimated_tokens} tokens"
        )
        for title, items, total in (("errors", report.errors, report.error_count), ("warnings", report.warnings, report.warning_count)):
            if not items:
                continue
            table = Table("line", "byte offset", "code", "problem", title=f"{role.value} {title}")
            for item in items:
                table.add_row("file" if item.line is None else str(item.line), str(item.byte_offset), item.code, item.message)
            console.print(table)
            if total > len(items):
                console.print(f"... {total - len(items)} more {title} not shown")
    if verdict.run_problems:
        table = Table("line", "code", "problem", title="whole run")
        for code, message in verdict.run_problems:
            table.add_row("file", code.value, message)
        console.print(table)
    console.print("verdict: " + ("[green]accepted[/]" if verdict.accepted else f"[red]rejected[/] ({verdict.reason})"))
    return 0 if verdict.accepted else 1


def _checks_media(args: argparse.Namespace) -> bool:
    """The referenced objects are read when asked, or by default when the dataset is in S3 already
    (credentials at hand); a local file may name its future place with --source-uri only."""
    if args.check_media is None:
        return str(args.file).startswith("s3://")
    if args.check_media and not (args.file.startswith("s3://") or args.source_uri):
        raise UsageError("--check-media needs an s3:// file or --source-uri (the media bucket)")
    return bool(args.check_media)


def _use_endpoint(url: str | None) -> None:
    """``--endpoint-url`` (e.g. a moto server): every client made from here on goes there."""
    from finetune_cli import aws

    aws.use_endpoint(url)


def _read_own_bucket(bucket: str, what: str, read: Callable[[Any], T]) -> T:
    """``read(DataBucket)`` on a bucket of the caller's account (read-only: no key needed), as the
    pipeline reads it (GR-CTX-02); AWS errors become usage errors naming ``what`` was read."""
    from finetune_cli import aws

    try:
        return aws.read_own_bucket(bucket, read)
    except ServiceError as err:  # e.g. AccessDenied: a missing object reads as 403 without s3:ListBucket
        raise UsageError(f"cannot read {what} as its owner: {err.code}; check the bucket name and your rights") from None
    except aws.AwsUnreachable as err:
        raise UsageError(aws.explain(err) or str(err)) from None


def _with_media_checked(reports: dict[FileRole, DatasetReport], media: MediaRules, bucket: str | None) -> dict[FileRole, DatasetReport]:
    """The pipeline's own media check (existence, size, image dimensions, video duration) on the media bucket."""
    from secure_finetune.steps.validate import check_run_media

    assert bucket is not None  # _checks_media asks for an s3:// file or --source-uri
    what = f"media in s3://{bucket}/ (--no-check-media skips this)"
    return _read_own_bucket(bucket, what, lambda data: check_run_media(data, reports, media))


def _report(args: argparse.Namespace) -> int:
    """Render ``reports/<RUN>/*.json`` into one self-contained HTML page on this machine."""
    from secure_finetune.report_html import load_run_documents, render_run_report

    _use_endpoint(args.endpoint_url)  # e.g. the demo's moto server
    where = f"s3://{args.bucket}/reports/{args.run}/"
    documents = _read_own_bucket(args.bucket, where, lambda bucket: load_run_documents(bucket, args.run))
    if not documents.written():
        raise UsageError(f"no report documents under s3://{args.bucket}/reports/{args.run}/")
    output = args.output or Path(f"{args.run}.html")
    output.write_text(render_run_report(documents, run_id=args.run), encoding="utf-8")
    print(output)
    return 0


def _profiles(args: argparse.Namespace, console: Console) -> int:
    catalog = _catalog(args.profiles)
    if args.format == "json":
        print(
            json.dumps(
                {"version": catalog.version, "profiles": {name: p.model_dump(mode="json") for name, p in catalog.profiles.items()}},
                indent=2,
            )
        )
        return 0
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


def _preflight(args: argparse.Namespace, console: Console) -> int:
    from finetune_cli.preflight import Target, audit, target_from_stack
    from secure_finetune.reports import GuardrailsReport

    model = _model(args.model).model_id  # an unknown id is a usage error, before any AWS call
    _use_endpoint(args.endpoint_url)
    if args.stack:
        target = target_from_stack(args.stack, model, args.customization_type)
    else:
        needed = ("bucket", "key_arn", "subnets", "security_groups", "role")
        missing = [f"--{name.replace('_', '-')}" for name in needed if not getattr(args, name)]
        if missing:
            raise UsageError(f"give --stack, or all of {', '.join(missing)}")
        target = Target(
            args.bucket,
            args.key_arn,
            tuple(args.subnets.split(",")),
            tuple(args.security_groups.split(",")),
            args.role,
            args.launcher_role,
            model,
            args.customization_type,
            private_inference=True if args.smoke_test_function else None,
            smoke_test_function=args.smoke_test_function,
        )
    findings = audit(replace(target, deployment=args.deployment))
    blocking = [f for f in findings if f.blocks]
    if args.format == "json":
        print(json.dumps({"blocking": len(blocking), **GuardrailsReport(findings=tuple(findings)).wire()}, indent=2))
    else:
        print_findings(console, findings)
    models_cli.print_lifecycle(console, model)  # stderr with --format json
    return 1 if blocking else 0


FINDING_COLUMNS = ("id", "severity", "status", "check", "why / fix")


def print_findings(console: Console, findings: list[Any]) -> None:
    """The guardrail table a person reads."""
    console.print(findings_table(finding_row(finding) for finding in findings))


def finding_row(finding: Any) -> list[str]:
    """One finding's cells (rich markup), in ``FINDING_COLUMNS`` order."""
    colour = {"PASS": "green", "FAIL": "red", "UNKNOWN": "yellow"}[finding.status.value]
    why = finding.explanation if finding.fix is None else f"{finding.explanation}. Fix: {finding.fix}"
    return [finding.id, finding.severity.value, f"[{colour}]{finding.status.value}[/]", escape(finding.title), escape(why)]


def findings_table(rows: Iterable[list[str]]) -> Table:
    table = Table(*FINDING_COLUMNS, title="Guardrails")
    for row in rows:
        table.add_row(*row)
    return table


def build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import version

    parser = argparse.ArgumentParser(
        prog="finetune",
        description="Secure Bedrock fine-tuning pipeline",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('secure-finetune')}")
    parser.add_argument("--debug", action="store_true", help="on an error, print its trace too")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="on an error, print its trace too")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    validate = commands.add_parser("validate", help="check a JSONL file with the pipeline's own validator")
    validate.add_argument("file", help="a local path or s3://bucket/key")
    choose = validate.add_mutually_exclusive_group()
    choose.add_argument("--model", help="base model id (with or without :<context>, or an ARN)")
    choose.add_argument("--profile", default="default", help="take model and type from this profile (default: default)")
    validate.add_argument("--type", choices=[t.value for t in CustomizationType], default="FINE_TUNING")
    validate.add_argument("--teacher", help="the distillation teacher's model id (required with --type DISTILLATION, only with it)")
    validate.add_argument(
        "--validation-set", action="store_true", help="the file is a validation set, judged alone (its per-file bounds only)"
    )
    validate.add_argument(
        "--validation-file", help="the run's validation file (path or s3://): the pair is judged as the pipeline judges it"
    )
    validate.add_argument("--source-uri", help="where the file lives in S3 (for the same-bucket media rules)")
    validate.add_argument(
        "--check-media",
        action=argparse.BooleanOptionalAction,
        help="read the referenced media objects as the pipeline does (default: only for an s3:// file)",
    )
    validate.add_argument("--format", choices=("text", "json"), default="text")
    preflight = commands.add_parser("preflight", help="read-only audit of a deployed stack against the guardrails")
    preflight.add_argument("--stack", help="the stack name (reads its outputs)")
    preflight.add_argument("--bucket")
    preflight.add_argument("--key-arn")
    preflight.add_argument("--subnets", help="comma-separated subnet ids")
    preflight.add_argument("--security-groups", help="comma-separated security group ids")
    preflight.add_argument("--role", help="the Bedrock service role ARN")
    preflight.add_argument("--launcher-role", help="the role that calls CreateModelCustomizationJob")
    preflight.add_argument(
        "--smoke-test-function", help="the in-VPC smoke-test function that calls the model (GR-NET-12..14; --stack reads it)"
    )
    preflight.add_argument("--model", default="meta.llama3-1-8b-instruct-v1:0", help="base model to check (GR-CTX-03)")
    preflight.add_argument(
        "--customization-type",
        choices=[t.value for t in CustomizationType],  # the registry's: botocore's CustomizationType values
        default="FINE_TUNING",
        help="what the base model must offer (GR-CTX-03)",
    )
    preflight.add_argument(
        "--deployment",
        choices=("auto", "provisioned-throughput", "on-demand", "none"),
        default="auto",
        help="what a run would deploy, as a profile's `deployment` (GR-CTX-03: a LEGACY model on provisioned throughput)",
    )
    preflight.add_argument("--endpoint-url", help="audit an emulator (e.g. a moto server) instead of AWS")
    preflight.add_argument("--format", choices=("text", "json"), default="text")
    listing = commands.add_parser("profiles", help="list the run profiles")
    models_cli.register(commands)
    report = commands.add_parser("report", help="render a run's report (reports/RUN/*.json) as one HTML page")
    report.add_argument("run", help="the run id")
    report.add_argument("--bucket", required=True, help="the data bucket")
    report.add_argument("--endpoint-url", help="read from an emulator (e.g. a moto server) instead of AWS")
    report.add_argument("--output", type=Path, help="where to write the page (default: ./RUN.html)")
    operate_cli.add_commands(commands, [common])
    sweep.add_command(commands)
    prices.add_command(commands)
    completion = commands.add_parser("completion", help="print a shell completion script (bash, zsh, fish)")
    completion.add_argument("shell", choices=("bash", "zsh", "fish"))
    listing.add_argument("--format", choices=("text", "json"), default="text")
    for command in (validate, listing):
        command.add_argument("--profiles", type=Path, default=DEFAULT_PROFILES, help="profiles.toml (default: the repository's)")
    for command in commands.choices.values():  # --debug after the command too, on every command
        if not any("--debug" in action.option_strings for action in command._actions):
            command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="on an error, print its trace too")
    return parser


def _fail(line: str, debug: bool) -> int:
    """The one line (and with --debug the trace) on stderr; exit 2."""
    if debug:
        import traceback

        traceback.print_exc(file=sys.stderr)
    print(f"finetune: {line}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `finetune`
        parser.print_help()
        return 0
    debug = bool(getattr(args, "debug", False))
    try:
        return _dispatch(parser, args)
    except KeyboardInterrupt:
        print("finetune: interrupted", file=sys.stderr)
        return 130
    except CliError as err:
        return _fail(str(err), debug)
    except OSError as err:  # a file that cannot be read or written
        return _fail(f"{err.strerror or err}: {err.filename or ''}".rstrip(": "), debug)
    except Exception as err:
        from finetune_cli import aws

        line = aws.explain(err)
        if line is None:  # a bug of ours: still one line, the trace on request
            line = f"internal error ({type(err).__name__}); run again with --debug and report the trace"
        return _fail(line, debug)


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    console = terminal.console(stderr=getattr(args, "format", "text") == "json")
    if args.command == "completion":
        from finetune_cli.completion import script

        print(script(args.shell, parser), end="")
        return 0
    if args.command in operate_cli.COMMANDS:
        return operate_cli.run(args, console)
    if args.command == sweep.COMMAND:
        return sweep.run(args, console)
    if args.command == prices.COMMAND:
        return prices.run(args, console)
    if args.command == "validate":
        if not args.model and not args.profiles.is_file():
            raise UsageError(f"no such file: {args.profiles}")
        return _validate(args, console)
    if args.command == "models":
        return models_cli.run(args, console)
    if args.command == "preflight":
        return _preflight(args, console)
    if args.command == "report":
        return _report(args)
    if not args.profiles.is_file():
        raise UsageError(f"no such file: {args.profiles}")
    return _profiles(args, console)


if __name__ == "__main__":
    sys.exit(main())
