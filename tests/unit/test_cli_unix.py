"""`finetune` as a well-behaved Unix tool: help, version, exit codes, one-line errors, no wrap when piped, completion."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from finetune_cli import aws, operate_cli, terminal
from finetune_cli.main import main
from finetune_cli.operate import run_status_of, timeline
from secure_finetune.runs import RunStatus
from secure_finetune.service_errors import ServiceError


def _dead_endpoint() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"  # closed again: nothing listens there


def test_bare_finetune_prints_help_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: finetune") and "submit" in out and "watch" in out


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for line in ("exit codes:", "  0  done", "  1  a negative answer", "  2  the command could not do its job"):
        assert line in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == "finetune 0.1.0"


@pytest.mark.parametrize(
    "command", ["runs --stack s", "status r --stack s", "watch r --stack s", "cancel r --stack s", "preflight --stack s"]
)
def test_a_dead_endpoint_is_one_line_with_what_to_do_and_exit_2(
    command: str, offline_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = _dead_endpoint()
    assert main([*command.split(), "--endpoint-url", endpoint]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"finetune: nothing answers at {endpoint} (Connection refused): start it (`make up`) or fix --endpoint-url"
    ]


def test_an_unexpected_error_is_one_line_and_debug_adds_the_trace(
    monkeypatch: pytest.MonkeyPatch, offline_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(operate_cli, "run", broken)
    assert main(["runs", "--stack", "s"]) == 2
    assert capsys.readouterr().err.splitlines() == ["finetune: internal error (RuntimeError); run again with --debug and report the trace"]
    assert main(["runs", "--stack", "s", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a bug" in err and err.splitlines()[-1].startswith("finetune: internal error")


def test_an_html_500_from_an_emulator_reads_as_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    page = ClientError(
        {"Error": {"Code": "500", "Message": "<!doctype html><title>500 Internal Server Error</title>"}}, "GetFoundationModel"
    )
    line = aws.explain(page)
    assert (
        line
        == "http://127.0.0.1:4566 failed on GetFoundationModel (HTTP 500): retry; an emulator may not implement it, check --endpoint-url"
    )
    assert "<" not in line  # the page itself is not echoed


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ServiceError("ValidationError", "DescribeStacks"), "no such stack in"),
        (ServiceError("ExecutionDoesNotExist", "DescribeExecution"), "no such run in"),
        (ServiceError("AccessDeniedException", "ListExecutions"), "ListExecutions was refused (AccessDeniedException)"),
        (NoCredentialsError(), "no AWS credentials: set AWS_PROFILE"),
        (EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com/"), "cannot reach"),
        (json.JSONDecodeError("Expecting value", "<html>", 0), "answered something that is not JSON"),
    ],
)
def test_aws_failures_become_a_hint(error: BaseException, expected: str, offline_aws: None) -> None:
    line = aws.explain(error)
    assert line is not None and expected in line and "\n" not in line


def test_a_bug_is_not_mistaken_for_an_aws_failure() -> None:
    assert aws.explain(KeyError("x")) is None


@pytest.mark.parametrize(
    ("execution", "recorded", "expected"),
    [
        ("RUNNING", None, RunStatus.REGISTERED),
        ("RUNNING", "TRAINING", RunStatus.TRAINING),
        ("SUCCEEDED", "DEPLOYING", RunStatus.SUCCEEDED),
        ("FAILED", "VALIDATED", RunStatus.FAILED),
        ("TIMED_OUT", "TRAINING", RunStatus.FAILED),
        ("ABORTED", "TRAINING", RunStatus.CANCELLED),
        ("FAILED", "CANCELLED", RunStatus.CANCELLED),  # its job was stopped outside: the record says why
        ("SUCCEEDED", "not-a-status", RunStatus.SUCCEEDED),
    ],
)
def test_a_runs_status_is_one_of_the_documented_values(execution: str, recorded: str | None, expected: RunStatus) -> None:
    assert run_status_of(execution, recorded) is expected


def test_the_timeline_has_times_durations_and_outcomes() -> None:
    start = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)

    def event(kind: str, name: str, seconds: float) -> dict[str, object]:
        details = "stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"
        return {"type": kind, "timestamp": start + timedelta(seconds=seconds), details: {"name": name}}

    history = [
        event("TaskStateEntered", "ValidateDataset", 0),
        event("TaskStateExited", "ValidateDataset", 1.5),
        event("TaskStateEntered", "StartTrainingJob", 2),
        {"type": "ExecutionAborted", "timestamp": start + timedelta(seconds=9)},
    ]
    steps = timeline(history)
    assert steps[0] == {"name": "ValidateDataset", "enteredAt": "2026-12-02T21:00:00Z", "seconds": 1.5, "outcome": "ok"}
    assert steps[1]["outcome"] == "cancelled" and steps[1]["seconds"] is None


@pytest.mark.parametrize(("seconds", "shown"), [(0.04, "0.0s"), (7.83, "7.8s"), (42, "42s"), (192, "3m 12s"), (3720, "1h 02m"), (None, "")])
def test_durations_read_as_a_person_says_them(seconds: float | None, shown: str) -> None:
    assert operate_cli.duration(seconds) == shown


def test_since_takes_a_duration_back_or_an_iso_time() -> None:
    assert abs((datetime.now(UTC) - operate_cli.since("2h")) - timedelta(hours=2)) < timedelta(seconds=5)
    assert operate_cli.since("2026-12-01") == datetime(2026, 12, 1, tzinfo=UTC)
    assert operate_cli.since("2026-12-01T10:00:00Z") == datetime(2026, 12, 1, 10, tzinfo=UTC)


def test_runs_rejects_an_unknown_status_filter(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["runs", "--stack", "s", "--status", "RUNNING"])  # an execution status, not a run status
    assert done.value.code == 2
    assert "invalid choice: 'RUNNING'" in capsys.readouterr().err


def test_output_is_not_wrapped_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    line = "x" * 150 + " " + "y" * 150
    terminal.console().print(line)
    assert capsys.readouterr().out == line + "\n"


def test_profiles_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "--format", "json"]) == 0
    assert "default" in json.loads(capsys.readouterr().out)["profiles"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this machine")
def test_the_bash_completion_script_is_valid_bash_and_knows_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0
    completed = subprocess.run(
        ["bash", "-c", script + '\nCOMP_WORDS=(finetune su); COMP_CWORD=1; _finetune_complete; echo "${COMPREPLY[@]}"'],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.stdout.split() == ["submit"]
    completed = subprocess.run(
        ["bash", "-c", script + '\nCOMP_WORDS=(finetune runs --status F); COMP_CWORD=3; _finetune_complete; echo "${COMPREPLY[@]}"'],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.stdout.split() == ["FAILED"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    assert "watch" in capsys.readouterr().out
