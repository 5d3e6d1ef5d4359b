"""`finetune validate`: the pipeline's validator before upload; exit codes a script can use."""

import json
from pathlib import Path

from secure_finetune.cli import main

EVENTS = Path(__file__).resolve().parents[2] / "events"


def test_a_valid_file_exits_0(capsys):
    assert main(["validate", str(EVENTS / "sample-dataset.jsonl")]) == 0
    assert "accepted" in capsys.readouterr().out


def test_an_invalid_file_exits_1_and_lists_every_problem_by_line(capsys):
    assert main(["validate", str(EVENTS / "sample-dataset-invalid.jsonl"), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(e["line"], e["code"]) for e in report["errors"]] == [
        (2, "LINE_BLANK"),
        (3, "SCHEMA_MISMATCH"),
        (4, "LINE_INVALID_JSON"),
        (5, "LINE_NOT_OBJECT"),
    ]


def test_a_missing_file_or_unknown_profile_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.jsonl")]) == 2
    assert main(["validate", str(EVENTS / "sample-dataset.jsonl"), "--profile", "nope"]) == 2
    assert "unknown profile" in capsys.readouterr().out
