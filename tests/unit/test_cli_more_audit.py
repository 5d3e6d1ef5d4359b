"""`finetune` after the audit of issues 13 and 14: preflight's model and types, validate's teacher and
validation set, the models table's record bounds, runs --limit, and what the prices note says."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from pydantic import ValidationError

import finetune_cli.preflight
from finetune_cli import operate_cli
from finetune_cli.main import build_parser, main
from finetune_cli.models import PRICES_SOURCE, records_cell
from secure_finetune.model_search import unknown_model_message
from secure_finetune.models import CustomizationType, FoundationModel, find_model, known_models, known_teachers, records_bounds
from secure_finetune.settings import Profile

LLAMA_8B = "meta.llama3-1-8b-instruct-v1:0"
DISTILL = CustomizationType.DISTILLATION
RFT = CustomizationType.REINFORCEMENT_FINE_TUNING
PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "common" / "secure_finetune"


def _one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err and "internal error" not in err, err
    return lines[0]


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    """100 distinct single-turn distillation prompts: accepted for every student, whatever its teacher."""
    path = tmp_path / "prompts.jsonl"
    lines = []
    for index in range(100):
        record = {
            "schemaVersion": "bedrock-conversation-2024",
            "messages": [{"role": "user", "content": [{"text": f"what is {index}+1?"}]}],
        }
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n")
    return path


# 1. preflight --model: an unknown id is the usage error validate gives, not an internal error


def test_preflight_with_an_unknown_model_says_what_validate_says(capsys: pytest.CaptureFixture[str], prompts: Path) -> None:
    assert main(["validate", str(prompts), "--model", "gpt-4o"]) == 2
    from_validate = _one_line(capsys.readouterr().err)
    assert main(["preflight", "--stack", "s", "--model", "gpt-4o"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert _one_line(captured.err) == from_validate == f"finetune: {unknown_model_message('gpt-4o')}"
    assert "closest known: openai.gpt-oss-20b" in from_validate


# 2. preflight --customization-type: the registry's types, reinforcement fine-tuning included


@pytest.mark.parametrize("customization", list(CustomizationType), ids=str)
def test_preflight_takes_every_customization_type_of_the_registry(customization: CustomizationType) -> None:
    botocore_enum = botocore.session.get_session().get_service_model("bedrock").shape_for("CustomizationType").enum
    assert customization.value in botocore_enum  # the registry's values are botocore's
    args = build_parser().parse_args(["preflight", "--stack", "s", "--customization-type", customization.value])
    assert args.customization_type == customization.value


def test_preflight_audits_a_reinforcement_fine_tuning_target(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[str, str, str]] = []

    def target_from_stack(stack: str, model: str, customization: str) -> finetune_cli.preflight.Target:
        seen.append((stack, model, customization))
        return finetune_cli.preflight.Target("b", "k", ("s",), ("g",), "r", None, model, customization)

    monkeypatch.setattr(finetune_cli.preflight, "target_from_stack", target_from_stack)
    monkeypatch.setattr(finetune_cli.preflight, "audit", lambda target: [])
    command = ["preflight", "--stack", "s", "--model", "openai.gpt-oss-20b", "--customization-type", "REINFORCEMENT_FINE_TUNING"]
    assert main([*command, "--format", "json"]) == 0
    assert seen == [("s", "openai.gpt-oss-20b", "REINFORCEMENT_FINE_TUNING")]
    assert json.loads(capsys.readouterr().out)["blocking"] == 0


@pytest.mark.parametrize(
    ("model", "deployment", "judged"),
    [
        ("meta.llama3-1-8b-instruct-v1:0", "auto", "provisioned-throughput"),  # the default profile's choice
        ("meta.llama3-1-8b-instruct-v1:0", "none", "none"),
        ("amazon.nova-micro-v1:0", "on-demand", "on-demand"),
        ("meta.llama3-1-8b-instruct-v1:0", "on-demand", None),  # not offered: a run would fail, GR-CTX-03 cannot clear it
    ],
)
def test_preflight_judges_the_deployment_a_profile_would_ask_for(
    model: str, deployment: str, judged: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    audited: list[str | None] = []
    monkeypatch.setattr(
        finetune_cli.preflight,
        "target_from_stack",
        lambda stack, model, customization: finetune_cli.preflight.Target("b", "k", ("s",), ("g",), "r", None, model, customization),
    )

    def audit(target: finetune_cli.preflight.Target) -> list[object]:
        audited.append(target.deployment_mode)
        return []

    monkeypatch.setattr(finetune_cli.preflight, "audit", audit)
    assert main(["preflight", "--stack", "s", "--model", model, "--deployment", deployment, "--format", "json"]) == 0
    assert audited == [judged]


# 3. validate --type DISTILLATION: the teacher, by the rule every profile passes (settings.Profile)


def _students() -> list[FoundationModel]:
    return [model for model in known_models() if DISTILL in model.formats]


def _profile_allows(student: FoundationModel, teacher: str | None) -> bool:
    try:
        Profile(base_model=student.model_id, customization_type=DISTILL, teacher_model=teacher)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("student", _students(), ids=lambda model: model.model_id)
def test_the_teacher_is_checked_as_the_pipeline_checks_a_profile(
    student: FoundationModel, prompts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for teacher in known_teachers():
        code = main(["validate", str(prompts), "--model", student.model_id, "--type", "DISTILLATION", "--teacher", teacher.model_id])
        captured = capsys.readouterr()
        if _profile_allows(student, teacher.model_id):
            assert code == 0, (teacher.model_id, captured.err)
        else:
            assert code == 2 and captured.out == ""
            line = _one_line(captured.err)
            assert f"{teacher.model_id} cannot teach {student.name}" in line
            assert all(allowed in line for allowed in student.distillation_teachers)


def test_distillation_needs_a_teacher(prompts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert not _profile_allows(find_model(LLAMA_8B), None)  # the pipeline's rule, which the CLI now applies
    assert main(["validate", str(prompts), "--model", LLAMA_8B, "--type", "DISTILLATION", "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = _one_line(captured.err)
    assert "--type DISTILLATION needs --teacher" in line and "meta.llama3-1-405b-instruct-v1:0" in line


@pytest.mark.parametrize("teacher", ["gpt-4o", "llama-405b", "meta.llama3-1-405b"])
def test_an_unknown_teacher_is_a_usage_error_with_the_closest_ids(teacher: str, prompts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = ["validate", str(prompts), "--model", LLAMA_8B, "--type", "DISTILLATION", "--teacher", teacher, "--format", "json"]
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no verdict
    line = _one_line(captured.err)
    assert line.startswith(f"finetune: unknown teacher {teacher!r}; closest known: meta.llama3-")
    assert "meta.llama3-1-405b-instruct-v1:0" in line


def test_a_teacher_belongs_to_distillation_and_to_model(prompts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(prompts), "--model", LLAMA_8B, "--teacher", "meta.llama3-1-405b-instruct-v1:0"]) == 2
    assert "--teacher is for --type DISTILLATION only" in _one_line(capsys.readouterr().err)
    assert main(["validate", str(prompts), "--teacher", "meta.llama3-1-405b-instruct-v1:0"]) == 2  # --profile default
    assert "--teacher goes with --model" in _one_line(capsys.readouterr().err)


def test_a_profiles_file_the_pipeline_would_refuse_is_one_line(tmp_path: Path, prompts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "profiles.toml"
    bad.write_text('version = "1"\n[profiles.default]\nbase_model = "gpt-4o"\n')
    for command in (["validate", str(prompts), "--profiles", str(bad)], ["profiles", "--profiles", str(bad)]):
        assert main(command) == 2
        line = _one_line(capsys.readouterr().err)
        assert "profiles.default.base_model" in line and "closest known: openai.gpt-oss-20b" in line
    bad.write_text("version = \n")
    assert main(["profiles", "--profiles", str(bad)]) == 2
    assert "is not valid TOML" in _one_line(capsys.readouterr().err)


# 6. validate --validation-set: only for a model that takes a validation file


def _validation_less() -> list[FoundationModel]:
    return [model for model in known_models() if not model.validation_allowed]


@pytest.mark.parametrize("model", _validation_less(), ids=lambda model: model.model_id)
def test_a_validation_set_for_a_model_that_takes_none_is_a_usage_error(
    model: FoundationModel, prompts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customization = next(iter(model.formats))
    command = ["validate", str(prompts), "--model", model.model_id, "--type", customization.value, "--validation-set"]
    assert main(command) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"{model.name} takes no validation file" in line and "drop --validation-set" in line


def test_a_validation_set_is_still_judged_where_the_model_takes_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "v.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) + "\n" for i in range(10)))
    assert main(["validate", str(data), "--model", LLAMA_8B, "--validation-set"]) == 0  # per-file bounds only
    assert "accepted" in capsys.readouterr().out


def test_a_validation_file_for_a_model_that_takes_none_stays_the_pipelines_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [model, *_] = [m for m in _validation_less() if RFT in m.formats]
    data = tmp_path / "rft.jsonl"
    record = {"messages": [{"role": "user", "content": "2+2?"}], "reference_answer": "4"}
    data.write_text("".join(json.dumps({**record, "id": i}) + "\n" for i in range(100)))
    command = ["validate", str(data), "--model", model.model_id, "--type", "REINFORCEMENT_FINE_TUNING", "--format", "json"]
    assert main([*command, "--validation-file", str(data)]) == 1  # judged, as the pipeline judges the pair
    report = json.loads(capsys.readouterr().out)
    assert {"code": "SCHEMA_MISMATCH", "line": None, "message": f"{model.name} takes no validation file"} in report["run_problems"]


# 4. finetune models: the records column shows the bounds of the type shown


def _table_rows(out: str) -> dict[str, list[str]]:
    rows = {}
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells:
            rows[cells[0]] = cells
    return rows


def _span(model: FoundationModel, customization: CustomizationType) -> str:
    bounds = records_bounds(model, customization)
    return f"{bounds.min_total}-{bounds.max_total or bounds.max_training}"


@pytest.mark.parametrize("customization", list(CustomizationType), ids=str)
def test_the_records_column_shows_the_filtered_types_bounds(customization: CustomizationType, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--type", customization.value]) == 0
    rows = _table_rows(capsys.readouterr().out)
    offering = [model for model in known_models() if customization in model.formats]
    assert set(rows) == {model.model_id for model in offering}
    for model in offering:
        expected = _span(model, customization) if records_bounds(model, customization).min_total is not None else "-"
        assert rows[model.model_id][2] == expected, model.model_id


def test_without_a_filter_each_types_bounds_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    rows = _table_rows(capsys.readouterr().out)
    nova2 = find_model("amazon.nova-2-lite-v1:0")
    assert rows[nova2.model_id][2] == f"FT {_span(nova2, CustomizationType.FINE_TUNING)} RFT {_span(nova2, RFT)}"
    llama = find_model(LLAMA_8B)
    assert rows[LLAMA_8B][2] == f"FT {_span(llama, CustomizationType.FINE_TUNING)} DISTILL {_span(llama, DISTILL)}"
    assert rows["qwen.qwen3-32b"][2] == _span(find_model("qwen.qwen3-32b"), RFT)  # one type: no label


def test_records_cell_shows_one_span_when_the_types_agree() -> None:
    same: dict[str, int | None] = {"minTotal": 5, "maxTraining": 10, "maxValidation": None, "maxTotal": None}
    assert records_cell({"FINE_TUNING": same, "CONTINUED_PRE_TRAINING": same}) == "5-10"
    empty: dict[str, int | None] = {"minTotal": None, "maxTraining": None, "maxValidation": None, "maxTotal": None}
    assert records_cell({"FINE_TUNING": empty}) == "-" and records_cell({"FINE_TUNING": same, "DISTILLATION": empty}) == "FT 5-10 DISTILL -"


# 5. runs --limit: 1 or more


@pytest.mark.parametrize("limit", ["0", "-1", "x"])
def test_runs_rejects_a_limit_below_one(limit: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["runs", "--stack", "s", "--limit", limit])
    assert done.value.code == 2
    assert "argument --limit" in capsys.readouterr().err


@pytest.mark.parametrize("interval", ["0", "-1", "nan"])
def test_watch_rejects_an_interval_that_is_not_above_zero(interval: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["watch", "r", "--stack", "s", "--interval", interval])
    assert done.value.code == 2
    assert "argument --interval" in capsys.readouterr().err


def test_a_positive_limit_is_taken() -> None:
    assert operate_cli.positive_int("1") == 1 and operate_cli.positive_seconds("0.5") == 0.5


# 7. What the prices note says the pipeline reads from the Price List


def _price_book_callers() -> set[str]:
    return {str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if re.search(r"\bprices\.price\(", path.read_text("utf-8"))}


def test_the_prices_note_says_only_the_hourly_throughput_price_comes_from_the_price_list(capsys: pytest.CaptureFixture[str]) -> None:
    # the one reader of the Price List (deps.prices) is the deployment plan, and it reads the throughput figure
    assert _price_book_callers() == {"deployment/plan.py"}
    plan = (PACKAGE / "deployment" / "plan.py").read_text("utf-8")
    assert "price.throughput" in plan and "price.training" not in plan and "price.storage" not in plan
    assert main(["models", "--format", "json"]) == 0
    entries: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    assert {entry["prices"]["source"] for entry in entries} == {PRICES_SOURCE}
    assert "only the hourly provisioned-throughput (no-commitment) price from the AWS Price List" in PRICES_SOURCE
    assert "training and storage figures are always this snapshot's" in PRICES_SOURCE
