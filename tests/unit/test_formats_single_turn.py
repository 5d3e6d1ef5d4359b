"""The record shapes' messages: the single-turn rule of distillation names the model that imposes it (the student or the
teacher, [UG distillation-data-prep-option-1]); reinforcement fine-tuning's reference_answer is required, as the RFT data
pages say (UG rft-prepare-data, rft-prepare-data-open-weight; Nova 2 user guide nova-data-prep-rft-2: "Required")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from secure_finetune.dataset.formats import Record, record_shape
from secure_finetune.dataset.report import Problem
from secure_finetune.models import DatasetFormat
from secure_finetune.reasons import ReasonCode

SCHEMA = "bedrock-conversation-2024"


def turns(count: int) -> dict[str, Any]:
    roles = ["user", "assistant"] * count
    return {"schemaVersion": SCHEMA, "messages": [{"role": r, "content": [{"text": f"t{i}"}]} for i, r in enumerate(roles[:count])]}


def problem(record: dict[str, Any], **kwargs: Any) -> Problem:
    with pytest.raises(Problem) as raised:
        record_shape(DatasetFormat.DISTILLATION_PROMPTS, **kwargs)(record, Record())
    return raised.value


@pytest.mark.parametrize("model", ["Meta Llama 3.2 1B Instruct", "Meta Llama 3.1 405B Instruct"])
def test_a_multi_turn_prompt_names_the_single_turn_model_whoever_it_is(model: str) -> None:
    found = problem(turns(4), single_turn=True, single_turn_model=model)
    assert found.code is ReasonCode.SCHEMA_MISMATCH and found.message.startswith(f"{model} takes single-turn prompts only")
    assert "teacher" not in found.message


def test_without_the_models_name_the_message_blames_neither_side_alone() -> None:
    found = problem(turns(3), single_turn=True)
    assert "the student or the teacher" in found.message and "this teacher" not in found.message


@pytest.mark.parametrize("count", [1, 2])
def test_one_user_turn_with_or_without_its_answer_passes_the_single_turn_rule(count: int) -> None:
    shape = record_shape(DatasetFormat.DISTILLATION_PROMPTS, single_turn=True, single_turn_model="Meta Llama 3.2 1B Instruct")
    shape(turns(count), Record())


def test_multi_turn_prompts_pass_when_no_model_imposes_the_rule() -> None:
    record_shape(DatasetFormat.DISTILLATION_PROMPTS)(turns(4), Record())


def rft(**fields: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "What is 1 + 1?"}]} | fields


def test_an_rft_record_without_reference_answer_is_a_schema_mismatch() -> None:
    with pytest.raises(Problem) as raised:
        record_shape(DatasetFormat.RFT_CHAT)(rft(), Record())
    assert raised.value.code is ReasonCode.SCHEMA_MISMATCH and "reference_answer" in raised.value.message


@pytest.mark.parametrize("reference", ["2", {"answer": 2}, [2], 2])
def test_an_rft_record_with_any_reference_answer_and_extra_grader_fields_passes(reference: object) -> None:
    record_shape(DatasetFormat.RFT_CHAT)(rft(reference_answer=reference, rubric="exact", id="q-1"), Record())


def test_the_validator_names_the_student_that_imposes_the_rule() -> None:
    # Through the validator, as the pipeline and `finetune validate` run it (not the shape function alone)
    from secure_finetune.dataset import DatasetRules, FileRole, validate_dataset
    from secure_finetune.models import CustomizationType, find_model

    student = "meta.llama3-1-8b-instruct-v1:0"
    rules = DatasetRules.for_run(
        find_model(student),
        CustomizationType.DISTILLATION,
        FileRole.TRAINING,
        None,
        teacher="meta.llama3-1-405b-instruct-v1:0",
        invalid_prompts="reject",
    )
    report = validate_dataset([(json.dumps(turns(3)) + "\n").encode()], rules)
    [error] = report.errors
    assert (error.code, error.message) == ("SCHEMA_MISMATCH", f"{student} takes single-turn prompts only (one user turn, optional answer)")
