"""`make up`: a local AWS in its own process; real clients (boto3, the AWS CLI, `finetune`) over HTTP only.

One server for the module (it deploys the stack once). Every call here crosses the loopback socket:
this process has no moto mock, so nothing could be answered in-process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from finetune_cli.main import build_parser, main
from secure_finetune.adapters.clients import reset_clients
from secure_finetune.runs import RunStatus, run_id
from tests.integration.local_up import CREDENTIALS, ROOT, LocalAws, free_port, local_aws

SAMPLE = ROOT / "events" / "sample-dataset.jsonl"
AWS_CLI = ROOT / ".venv-awscli" / "bin" / "aws"
STACK = "finetune-local"


@pytest.fixture(scope="module")
def up() -> Iterator[LocalAws]:
    with local_aws() as running:
        yield running
    assert running.process.returncode == 0, "SIGTERM ends `make up` cleanly"


@pytest.fixture
def http_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process as a user's shell: credentials, a region, no endpoint set (each command takes --endpoint-url)."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "")  # recorded, so that what --endpoint-url sets is undone afterwards
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    reset_clients()
    yield
    reset_clients()


def _client(up: LocalAws, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=up.endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def _wait_for_run(up: LocalAws, run: str, timeout: float = 90) -> dict[str, Any]:
    sfn = _client(up, "stepfunctions")
    machine = _client(up, "cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
    arn = (
        next(o["OutputValue"] for o in machine if o["OutputKey"] == "StateMachineArn").replace(":stateMachine:", ":execution:") + f":{run}"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        except sfn.exceptions.ExecutionDoesNotExist:
            described = {"status": "PENDING"}
        if described["status"] not in ("PENDING", "RUNNING"):
            return described
        time.sleep(0.5)
    raise AssertionError(f"{run} did not end in {timeout}s")


def test_the_banner_gives_the_endpoint_the_bucket_and_a_copy_paste_upload(up: LocalAws) -> None:
    text = "".join(up.banner)
    assert up.endpoint in text
    assert f"aws --endpoint-url {up.endpoint} s3 cp events/sample-dataset.jsonl s3://{up.bucket}/incoming/x.jsonl" in text


def test_a_boto3_upload_over_http_starts_a_run_that_succeeds(up: LocalAws, http_env: None) -> None:
    # Given the stack deployed by `make up`; When a data scientist's boto3 uploads over HTTP
    key = "incoming/boto3.jsonl"
    version = _client(up, "s3").put_object(Bucket=up.bucket, Key=key, Body=SAMPLE.read_bytes())["VersionId"]
    run = run_id(up.bucket, key, version)
    # Then the S3 event reached the trigger and the run ended SUCCEEDED
    assert _wait_for_run(up, run)["status"] == "SUCCEEDED"
    # And `finetune runs --format json` lists it as the README documents
    assert main(["runs", "--stack", STACK, "--endpoint-url", up.endpoint, "--format", "json"]) == 0


def test_the_real_aws_cli_upload_leads_to_a_succeeded_run_in_finetune_runs(
    up: LocalAws, http_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert AWS_CLI.is_file(), "the AWS CLI's pinned venv is missing: make .venv-awscli/.stamp"
    key = "incoming/x.jsonl"
    environment = {**CREDENTIALS, "PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    done = subprocess.run(  # noqa: PLW1510 - the exit code is what is checked
        [str(AWS_CLI), "--endpoint-url", up.endpoint, "s3", "cp", str(SAMPLE), f"s3://{up.bucket}/{key}"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    version = _client(up, "s3").head_object(Bucket=up.bucket, Key=key)["VersionId"]
    run = run_id(up.bucket, key, version)
    assert _wait_for_run(up, run)["status"] == "SUCCEEDED"
    capsys.readouterr()
    assert main(["runs", "--stack", STACK, "--endpoint-url", up.endpoint, "--format", "json"]) == 0
    listed = {item["runId"]: item for item in json.loads(capsys.readouterr().out)}
    assert listed[run]["status"] == RunStatus.SUCCEEDED
    assert listed[run]["key"] == key and listed[run]["profile"] == "default"
    assert listed[run]["startedAt"].endswith("Z") and "T" in listed[run]["startedAt"]


def test_preflight_of_the_local_stack_exits_0(up: LocalAws, http_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["preflight", "--stack", STACK, "--endpoint-url", up.endpoint, "--format", "json"])
    blocking = [f["id"] for f in json.loads(capsys.readouterr().out)["findings"] if f["severity"] == "block" and f["status"] != "PASS"]
    assert (code, blocking) == (0, [])


def test_stood_in_operations_answer_over_http(up: LocalAws) -> None:
    # moto's server has no GetFoundationModel; the gateway answers it from the Bedrock stand-in
    details = _client(up, "bedrock").get_foundation_model(modelIdentifier="meta.llama3-1-8b-instruct-v1:0")["modelDetails"]
    assert details["modelId"] == "meta.llama3-1-8b-instruct-v1:0"
    with pytest.raises(_client(up, "bedrock").exceptions.ResourceNotFoundException):
        _client(up, "bedrock").get_foundation_model(modelIdentifier="no.such-model-v1:0")
    # a throughput it never issued: the stand-in's AWS-shaped error (a stand-in that breaks: test_local_up_parts)
    with pytest.raises(ClientError) as missing:
        _client(up, "bedrock").get_provisioned_model_throughput(provisionedModelId="never-issued")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_submit_watch_follows_the_run_to_success_and_cancel_tells_it_already_ended(
    up: LocalAws, http_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--stack", STACK, "--endpoint-url", up.endpoint]
    # train-only buys no throughput: the runs before this one hold the emulated account's capacity until their TTL
    submit = [
        "submit",
        str(SAMPLE),
        "--profile",
        "train-only",
        "--name",
        "watched.jsonl",
        "--watch",
        "--interval",
        "0.5",
        "--timeout",
        "90",
    ]
    assert main([*submit, *args]) == 0
    out = capsys.readouterr().out
    run = out.splitlines()[0]
    assert run == run_id(
        up.bucket,
        "incoming/train-only/watched.jsonl",
        _client(up, "s3").head_object(Bucket=up.bucket, Key="incoming/train-only/watched.jsonl")["VersionId"],
    )
    assert "ValidateDataset" in out and "SUCCEEDED" in out
    # cancel on a finished run: the truth, and not 0
    assert main(["cancel", run, *args]) == 1
    assert "already ended: SUCCEEDED" in capsys.readouterr().out
    assert main(["status", run, *args, "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["status"] == "SUCCEEDED" and status["steps"][0]["name"] and status["durationSeconds"] > 0


def _commands_taking(*markers: str) -> dict[str, Any]:
    """The subcommands whose parser takes one of ``markers`` (an option string, or "run" for the run id)."""
    found = {}
    for action in build_parser()._actions:
        if not isinstance(action, argparse._SubParsersAction):  # argparse keeps its subparsers here
            continue
        for name, command in action.choices.items():
            takes = {option for a in command._actions for option in a.option_strings} | {
                a.dest for a in command._actions if not a.option_strings
            }
            if takes & set(markers):
                found[name] = command
    return found


def _argv(name: str, command: Any, endpoint: str, stack: str, run: str, bucket: str) -> list[str]:
    argv = [name]
    for action in command._actions:
        if not action.option_strings:
            argv.append({"run": run, "file": str(SAMPLE)}.get(action.dest) or (str(next(iter(action.choices))) if action.choices else "x"))
        elif action.required:
            option = action.option_strings[-1]
            argv += [
                option,
                {"--stack": stack, "--bucket": bucket}.get(option) or (str(next(iter(action.choices))) if action.choices else "x"),
            ]
    if any("--endpoint-url" in action.option_strings for action in command._actions):
        argv += ["--endpoint-url", endpoint]
    return argv


CASES = ("dead endpoint", "missing stack", "unknown run")


@pytest.mark.parametrize("case", CASES)
def test_every_stack_run_or_endpoint_command_fails_in_one_line_with_exit_2(
    case: str, up: LocalAws, http_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = {"dead endpoint": "--endpoint-url", "missing stack": "--stack", "unknown run": "run"}[case]
    commands = _commands_taking(marker) if case != "missing stack" else _commands_taking("--stack", "--bucket")
    assert {"runs", "status", "watch", "submit", "cancel", "retry", "teardown"} & set(commands) or case == "dead endpoint"
    endpoint = f"http://127.0.0.1:{free_port()}" if case == "dead endpoint" else up.endpoint
    stack = "no-such-stack" if case == "missing stack" else STACK
    results = {}
    for name, command in commands.items():
        bucket = "no-such-bucket" if case == "missing stack" else up.bucket  # `report` reads a bucket, not a stack
        argv = _argv(name, command, endpoint, stack, "nosuchrun-00000000000000000000", bucket)
        if case == "dead endpoint" and "--endpoint-url" not in argv:
            continue
        code = main(argv)
        captured = capsys.readouterr()
        results[name] = (code, captured.err.strip().splitlines())
        reset_clients()
    assert results, "no command to try"
    for name, (code, lines) in results.items():
        assert code == 2, f"{name}: exit {code}"
        assert len(lines) == 1 and lines[0].startswith("finetune: "), f"{name}: {lines}"
        assert "Traceback" not in lines[0]
    if case != "dead endpoint":
        return
    assert all("nothing answers at" in lines[0] for _, lines in results.values())


def test_debug_adds_the_trace(up: LocalAws, http_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "nosuchrun-00000000000000000000", "--stack", STACK, "--endpoint-url", up.endpoint, "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("finetune: no run")


def test_the_finetune_script_shows_no_traceback_and_exits_2(up: LocalAws) -> None:
    # the installed console script, as a user's shell runs it (not main() in-process)
    finetune = Path(ROOT / ".venv" / "bin" / "finetune")
    done = subprocess.run(  # noqa: PLW1510 - the exit code is what is checked
        [str(finetune), "teardown", "nosuchrun-00000000000000000000", "--stack", STACK, "--endpoint-url", up.endpoint],
        env={**CREDENTIALS, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"finetune: no run nosuchrun-00000000000000000000 in stack {STACK}: `finetune runs --stack {STACK}` lists the runs"
    ]
