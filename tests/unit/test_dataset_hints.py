"""Fix hints (#14 item 3): JSON errors with line and column, fields named with a did-you-mean (names only, never a
value), "this file looks like <format>" once instead of per line, and closest ids for an unknown model; the CLI and
the pipeline's validate step say the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from finetune_cli import main as cli
from secure_finetune.dataset import DatasetRules, FileRole, validate_dataset
from secure_finetune.model_search import closest_models
from secure_finetune.models import CustomizationType, find_model
from secure_finetune.reports import ValidationDocument, read_report
from secure_finetune.settings import ProfileCatalog
from tests.unit.test_dataset_agreement import pipeline_outcome
from tests.unit.test_dataset_corpus import Spec

LLAMA = find_model("meta.llama3-1-8b-instruct-v1:0")
RULES = DatasetRules.for_run(LLAMA, CustomizationType.FINE_TUNING, FileRole.TRAINING, None)
SECRET = "s3cr3t-value-9d1e"
CONVERSATION = {
    "schemaVersion": "bedrock-conversation-2024",
    "messages": [{"role": "user", "content": [{"text": SECRET}]}, {"role": "assistant", "content": [{"text": SECRET}]}],
}


def errors(lines: list[str]) -> list[Any]:
    return list(validate_dataset([("\n".join(lines) + "\n").encode()], RULES).errors)


def test_invalid_json_names_line_column_and_a_fix_without_the_text() -> None:
    good = json.dumps({"prompt": "a", "completion": "b"})
    bad = '{"prompt": "été" "completion": "' + SECRET + '"}'
    [problem] = errors([good, bad])
    assert (problem.line, problem.column) == (2, 18)  # characters: the accents count once
    assert problem.byte_offset == len(good) + 1 + len('{"prompt": "été" '.encode())  # bytes: they count twice
    assert problem.message == "not valid JSON at column 18: expecting ',' delimiter"
    assert SECRET not in problem.message


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("{'prompt': 'a', 'completion': 'b'}", "keys need double quotes"),
        ('{"prompt": "a", "completion": "b",}', "no comma may follow the last member"),
        ('{"prompt": "a", "completion": "b"} {"prompt": "c"}', "one JSON object per line"),
        ('{"prompt": "a", "completion": True}', "true/false/null in lower case"),
    ],
)
def test_common_json_slips_get_a_hint(line: str, hint: str) -> None:
    [problem] = errors([line])
    assert problem.code == "LINE_INVALID_JSON" and problem.column is not None and hint in problem.message


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            {"input": SECRET, "output": SECRET},
            "missing field(s) prompt, completion; "
            "unexpected field(s) 'input' (did you mean 'prompt'?), 'output' (did you mean 'completion'?)",
        ),
        (
            {"Prompt": SECRET, "Completion": SECRET},
            "missing field(s) prompt, completion; "
            "unexpected field(s) 'Prompt' (did you mean 'prompt'?), 'Completion' (did you mean 'completion'?)",
        ),
        (
            {"prompt": SECRET, "completon": SECRET},
            "missing field(s) completion; unexpected field(s) 'completon' (did you mean 'completion'?)",
        ),
        ({"prompt": SECRET, "completion": SECRET, "id": 7}, "unexpected field(s) 'id'; allowed: prompt, completion"),
    ],
)
def test_fields_are_named_with_a_did_you_mean_and_values_never_shown(record: dict[str, Any], message: str) -> None:
    [problem] = errors([json.dumps(record)])
    assert problem.message == message
    assert SECRET not in problem.message


@pytest.mark.parametrize(
    "name",
    ["\x1b[31mred", "k" * 41, "a sentence from the data", "AKIAIOSFODNN7EXAMPLE", "alice@example.com", "4111111111111111", "id_2024061"],
)
def test_a_name_that_is_not_a_plain_field_name_is_counted_not_shown(name: str) -> None:
    [problem] = errors([json.dumps({"prompt": "a", "completion": "b", name: 1})])
    assert problem.message == "unexpected field(s) 1 whose name is not shown (not a plain field name); allowed: prompt, completion"


def test_at_most_five_names_are_listed() -> None:
    [problem] = errors([json.dumps({"prompt": "a", "completion": "b", **{f"x{i}": i for i in range(8)}})])
    assert problem.message == "unexpected field(s) 'x0', 'x1', 'x2', 'x3', 'x4', 3 more; allowed: prompt, completion"


def test_a_file_of_another_format_is_said_once_with_the_first_line_as_example() -> None:
    report = validate_dataset([("\n".join([json.dumps(CONVERSATION)] * 120) + "\n").encode()], RULES)
    assert report.errors_by_code == {"SCHEMA_MISMATCH": 120}  # every line still counts: the verdict is unchanged
    summary, example = report.errors
    assert summary.line is None
    assert summary.message.startswith(
        "this file looks like bedrock-conversation-2024 (120 of 120 records); Meta Llama 3.1 8B Instruct expects prompt-completion"
    )
    assert example.line == 1 and "(this record looks like bedrock-conversation-2024)" in example.message
    assert SECRET not in summary.message + example.message


def test_one_stray_record_of_another_format_is_said_on_its_line_only() -> None:
    good = [json.dumps({"prompt": "a", "completion": str(i)}) for i in range(5)]
    [problem] = errors([*good, json.dumps(CONVERSATION)])
    assert problem.line == 6 and problem.message.endswith("(this record looks like bedrock-conversation-2024)")


def test_an_rft_file_missing_its_reference_answer_says_which_field_may_be_it() -> None:
    rules = DatasetRules.for_run(find_model("openai.gpt-oss-20b"), CustomizationType.REINFORCEMENT_FINE_TUNING, FileRole.TRAINING, None)
    record = {"messages": [{"role": "user", "content": SECRET}], "answer": SECRET}
    [problem] = validate_dataset([json.dumps(record).encode() + b"\n"], rules).errors
    assert problem.message.startswith("missing field(s) reference_answer; found 'answer' (did you mean 'reference_answer'?)")


def test_the_cli_and_the_pipeline_give_the_same_hints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ("\n".join([json.dumps(CONVERSATION)] * 3 + ['{"prompt": "a" "completion": "b"}', json.dumps({"input": "x"})]) + "\n").encode()
    spec = Spec("meta.llama3-1-8b-instruct-v1:0:128k", CustomizationType.FINE_TUNING, None)
    _, deps, state = pipeline_outcome(spec, data)
    document = read_report(deps.bucket, state.run.run_id, ValidationDocument)
    assert document is not None
    pipeline = [(e.line, e.column, e.code, e.message) for e in document.training.errors]
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    assert cli.main(["validate", str(path), "--model", spec.model, "--format", "json"]) == 1
    laptop = [(e["line"], e["column"], e["code"], e["message"]) for e in json.loads(capsys.readouterr().out)["errors"]]
    assert laptop == pipeline
    assert pipeline[0][0] is None and pipeline[0][3].startswith("this file looks like bedrock-conversation-2024 (3 of 4 records)")
    assert pipeline[2][:3] == (4, 16, "LINE_INVALID_JSON")


def test_an_unknown_model_gets_the_closest_known_ids(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert closest_models("gpt-4o")[0] == "openai.gpt-oss-20b"
    assert closest_models("llama3.1-8b")[0] == "meta.llama3-1-8b-instruct-v1:0:128k"
    assert closest_models("zzzz") == ()
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"prompt": "a", "completion": "b"}) + "\n")
    assert cli.main(["validate", str(path), "--model", "gpt-4o"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'gpt-4o'; closest known: openai.gpt-oss-20b" in err and "Traceback" not in err
    with pytest.raises(ValueError, match=r"closest known: meta\.llama3-1-8b-instruct-v1:0:128k"):
        ProfileCatalog.model_validate({"version": "v", "profiles": {"p": {"base_model": "meta.llama3-1-8b-instruct"}}})


def test_dropped_distillation_prompts_of_another_format_are_said_once_and_other_warnings_stay() -> None:
    rules = DatasetRules.for_run(find_model("amazon.nova-lite-v1:0"), CustomizationType.DISTILLATION, FileRole.TRAINING, None)
    lines = [json.dumps({"prompt": "a", "completion": str(i)}) for i in range(4)]
    lines[2] = json.dumps({"prompt": "key AKIAIOSFODNN7EXAMPLE", "completion": "x"})
    report = validate_dataset([("\n".join(lines) + "\n").encode()], rules.__class__(**{**rules.__dict__, "secrets_block": False}))
    assert report.warnings_by_code == {"PROMPT_DROPPED": 4, "SECRET_FOUND": 1}
    kept = [(w.line, w.code) for w in report.warnings]
    assert kept == [(None, "PROMPT_DROPPED"), (1, "PROMPT_DROPPED"), (3, "SECRET_FOUND")]
    assert report.warnings[0].message.startswith("this file looks like prompt-completion (4 of 4 records)")
