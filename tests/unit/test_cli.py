"""`finetune validate`: the pipeline's validator before upload; exit codes a script can use."""

import json
from pathlib import Path
from typing import Any

import pytest

from finetune_cli.main import main
from secure_finetune.adapters.s3 import DataBucket
from tests.unit.test_media import BUCKET, conversation_line, vision_lines_with_two_bad_media

EVENTS = Path(__file__).resolve().parents[2] / "events"
GOOD, BAD = str(EVENTS / "sample-dataset.jsonl"), str(EVENTS / "sample-dataset-invalid.jsonl")


def test_a_valid_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", GOOD]) == 0
    assert "accepted" in capsys.readouterr().out


def test_an_invalid_file_exits_1_and_json_lists_every_problem_by_line(capsys: pytest.CaptureFixture[str]) -> None:
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


def test_the_model_decides_the_format(capsys: pytest.CaptureFixture[str]) -> None:
    # prompt/completion is not the Converse format Nova expects
    assert main(["validate", GOOD, "--model", "amazon.nova-micro-v1:0", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["errors_by_code"] == {"SCHEMA_MISMATCH": 120}


def test_usage_and_io_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.jsonl")]) == 2
    assert main(["validate", GOOD, "--profile", "nope"]) == 2
    assert main(["validate", GOOD, "--model", "acme.unknown"]) == 2
    assert main(["validate", GOOD, "--model", "amazon.nova-micro-v1:0", "--type", "CONTINUED_PRE_TRAINING"]) == 2
    err = capsys.readouterr().err  # errors go to stderr, one line each
    assert "unknown profile" in err and "unknown model" in err and "does not support" in err


def test_an_s3_dataset_has_its_media_objects_checked_as_the_pipeline_does(
    moto_bucket: tuple[Any, DataBucket, str], capsys: pytest.CaptureFixture[str]
) -> None:
    s3, _, _ = moto_bucket
    s3.put_object(Bucket=BUCKET, Key="incoming/vision.jsonl", Body=b"".join(vision_lines_with_two_bad_media(s3)))
    command = ["validate", f"s3://{BUCKET}/incoming/vision.jsonl", "--model", "meta.llama3-2-11b-instruct-v1:0", "--format", "json"]
    assert main(command) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(3, "MEDIA_DIMENSIONS_OUT_OF_RANGE"), (7, "MEDIA_NOT_FOUND")]
    # the references alone are well formed: without the object check the file passes
    assert main([*command, "--no-check-media"]) == 0


def test_a_local_file_checks_media_only_when_asked_and_told_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    local = tmp_path / "vision.jsonl"
    local.write_bytes(conversation_line(f"s3://{BUCKET}/media/ok.png") * 100)
    command = ["validate", str(local), "--model", "meta.llama3-2-11b-instruct-v1:0", "--check-media"]
    assert main(command) == 2
    assert "--check-media needs an s3:// file or --source-uri" in capsys.readouterr().err
