"""`finetune validate`: the pipeline's validator before upload; exit codes a script can use."""

import json
from pathlib import Path

from secure_finetune.cli import main

EVENTS = Path(__file__).resolve().parents[2] / "events"
GOOD, BAD = str(EVENTS / "sample-dataset.jsonl"), str(EVENTS / "sample-dataset-invalid.jsonl")


def test_a_valid_file_exits_0(capsys):
    assert main(["validate", GOOD]) == 0
    assert "accepted" in capsys.readouterr().out


def test_an_invalid_file_exits_1_and_json_lists_every_problem_by_line(capsys):
    assert main(["validate", BAD, "--model", "meta.llama3-1-8b-instruct-v1:0:128k", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "rejected"
    assert [(e["line"], e["code"]) for e in report["errors"]] == [
        (2, "LINE_BLANK"),
        (3, "SCHEMA_MISMATCH"),
        (4, "LINE_INVALID_JSON"),
        (5, "LINE_NOT_OBJECT"),
    ]
    assert set(report) >= {"records", "warnings", "stats"}


def test_the_model_decides_the_format(capsys):
    # prompt/completion is not the Converse format Nova expects
    assert main(["validate", GOOD, "--model", "amazon.nova-micro-v1:0", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["errors_by_code"] == {"SCHEMA_MISMATCH": 120}


def test_usage_and_io_errors_exit_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.jsonl")]) == 2
    assert main(["validate", GOOD, "--profile", "nope"]) == 2
    assert main(["validate", GOOD, "--model", "acme.unknown"]) == 2
    assert main(["validate", GOOD, "--model", "amazon.nova-micro-v1:0", "--type", "CONTINUED_PRE_TRAINING"]) == 2
    out = capsys.readouterr().out
    assert "unknown profile" in out and "unknown model" in out and "does not support" in out
