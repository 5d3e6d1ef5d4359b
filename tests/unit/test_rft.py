"""Reinforcement fine-tuning: the registry rows, the data format and its bounds (one verdict), the job
request's rftConfig (checked against botocore's service model) and the example grader."""

from __future__ import annotations

import json
from typing import Any, cast

import botocore.session
import pytest
from botocore.validate import ParamValidator

from secure_finetune.dataset import DatasetRules, FileRole, judge_run, validate_dataset
from secure_finetune.grader import GraderInputError, grade_batch
from secure_finetune.models import CustomizationType, DatasetFormat, find_model, known_models
from secure_finetune.reasons import TrainingFailed
from secure_finetune.settings import ProfileCatalog, StackLimits, resolve_settings
from secure_finetune.state import Registered
from secure_finetune.training.launch import job_request
from tests.unit.fakes import CONFIG
from tests.unit.test_training import state

RFT = CustomizationType.REINFORCEMENT_FINE_TUNING
NOVA_2_LITE = "amazon.nova-2-lite-v1:0:256k"
GRADER = "arn:aws:lambda:us-east-1:111122223333:function:stack-rft-grader"


def prompt(i: int, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "messages": [{"role": "system", "content": "Give only the final number."}, {"role": "user", "content": f"What is {i} + 1?"}],
        "reference_answer": str(i + 1),
    }
    return record | extra


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return ("\n".join(json.dumps(r) for r in records) + "\n").encode()


def verdict(body: bytes, model_id: str = NOVA_2_LITE) -> tuple[bool, dict[str, int], Any]:
    model = find_model(model_id)
    report = validate_dataset([body], DatasetRules.for_run(model, RFT, FileRole.TRAINING, None))
    run = judge_run(model, RFT, {FileRole.TRAINING: report})
    return run.accepted, run.codes, report


def test_every_model_aws_lists_for_rft_is_in_the_registry_with_the_rft_format() -> None:
    offering = {m.customization_id for m in known_models() if RFT in m.formats}
    assert offering == {"amazon.nova-2-lite-v1:0:256k", "openai.gpt-oss-20b", "qwen.qwen3-32b"}
    assert all(find_model(i).formats[RFT] is DatasetFormat.RFT_CHAT for i in offering)


@pytest.mark.parametrize("model_id", ["amazon.nova-2-lite-v1:0:256k", "openai.gpt-oss-20b", "qwen.qwen3-32b"])
def test_a_hundred_prompts_pass_and_ninety_nine_do_not(model_id: str) -> None:
    accepted, codes, _ = verdict(jsonl([prompt(i) for i in range(100)]), model_id)
    assert accepted and codes == {}
    accepted, codes, _ = verdict(jsonl([prompt(i) for i in range(99)]), model_id)
    assert not accepted and codes == {"TOO_FEW_RECORDS": 1}


def test_more_than_twenty_thousand_prompts_are_too_many() -> None:
    accepted, codes, _ = verdict(jsonl([prompt(i) for i in range(20_001)]))
    assert not accepted and "TOO_MANY_RECORDS" in codes


def test_grader_fields_content_parts_and_a_structured_reference_are_accepted() -> None:
    records = [prompt(i, task_id=f"t{i}", difficulty="easy") for i in range(98)]
    records.append({"messages": [{"role": "user", "content": [{"type": "text", "text": "Solve 2x = 8"}]}], "reference_answer": {"x": 4}})
    records.append(
        {
            "id": "q-1",
            "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "2+2?"}],
            "reference_answer": 4,
        }
    )
    accepted, codes, _ = verdict(jsonl(records))
    assert accepted, codes


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"messages": [{"role": "user", "content": "q"}]}, "missing field(s) reference_answer"),
        ({"messages": [{"role": "user", "content": "q"}], "reference_answer": " "}, "reference_answer is empty"),
        ({"messages": [], "reference_answer": "a"}, "messages must be a non-empty list"),
        (
            {"messages": [{"role": "user", "content": "q"}, {"role": "system", "content": "s"}], "reference_answer": "a"},
            "a system turn comes first",
        ),
        ({"messages": [{"role": "system", "content": "s"}], "reference_answer": "a"}, "messages hold no user turn"),
        ({"messages": [{"role": "tool", "content": "q"}], "reference_answer": "a"}, "role must be one of"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": "x"}]}], "reference_answer": "a"}, "text only"),
        ({"messages": [{"role": "user", "content": ""}], "reference_answer": "a"}, "is empty"),
    ],
)
def test_a_prompt_bedrock_cannot_use_is_named_by_line_without_its_content(bad: dict[str, Any], message: str) -> None:
    _, codes, report = verdict(jsonl([prompt(i) for i in range(100)] + [bad]))
    assert codes == {"SCHEMA_MISMATCH": 1}
    [problem] = report.errors
    assert problem.line == 101 and message in problem.message
    assert "q" not in problem.message.split() and "What is" not in problem.message


def rft_state(hyperparameters: dict[str, str]) -> Any:
    catalog = ProfileCatalog.model_validate(
        {
            "version": "v",
            "profiles": {
                "default": {
                    "base_model": NOVA_2_LITE,
                    "customization_type": "REINFORCEMENT_FINE_TUNING",
                    "hyperparameters": hyperparameters,
                }
            },
        }
    )
    return state().model_copy(update={"registered": Registered(settings=resolve_settings(catalog, None, {}, StackLimits()))})


def test_the_rft_request_is_valid_for_botocores_service_model_with_typed_hyperparameters() -> None:
    hyperparameters = {
        "epochCount": "2",
        "batchSize": "64",
        "learningRate": "0.00001",
        "reasoningEffort": "low",
        "trainingSamplePerPrompt": "4",
    }
    request = job_request(rft_state(hyperparameters), CONFIG.model_copy(update={"grader_lambda_arn": GRADER}))
    assert request["customizationType"] == "REINFORCEMENT_FINE_TUNING"
    assert "hyperParameters" not in request  # the string map is for the other customizations
    assert request["customizationConfig"] == {
        "rftConfig": {
            "graderConfig": {"lambdaGrader": {"lambdaArn": GRADER}},
            "hyperParameters": {
                "epochCount": 2,
                "batchSize": 64,
                "learningRate": 1e-05,
                "reasoningEffort": "low",
                "trainingSamplePerPrompt": 4,
            },
        }
    }
    shape = botocore.session.get_session().get_service_model("bedrock").operation_model("CreateModelCustomizationJob").input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()


def test_botocore_itself_refuses_what_the_registry_refuses() -> None:
    # Given a batch size below RFTBatchSize's minimum, the registry refuses it ...
    with pytest.raises(ValueError, match="batchSize"):
        rft_state({"batchSize": "8"})
    # ... as botocore's model does (the registry's table is not looser than the API).
    request = job_request(rft_state({}), CONFIG.model_copy(update={"grader_lambda_arn": GRADER}))
    request["customizationConfig"]["rftConfig"]["hyperParameters"] = {"batchSize": 8}
    shape = botocore.session.get_session().get_service_model("bedrock").operation_model("CreateModelCustomizationJob").input_shape
    assert ParamValidator().validate(request, shape).has_errors()


def test_an_rft_run_without_a_grader_fails_before_any_job_exists() -> None:
    with pytest.raises(TrainingFailed) as failed:
        job_request(rft_state({}), CONFIG.model_copy(update={"grader_lambda_arn": None}))
    assert str(failed.value.reason) == "JOB_REJECTED:no-grader"


def test_the_example_grader_scores_exact_matches_from_either_place_of_the_reference() -> None:
    batch = [
        {
            "id": "1",
            "messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": " 4. "}],
            "metadata": {"reference_answer": "4"},
        },
        {"id": "2", "messages": [{"role": "user", "content": "2+3?"}, {"role": "assistant", "content": "6"}], "reference_answer": "5"},
        {
            "id": "3",
            "messages": [{"role": "user", "content": "x?"}, {"role": "assistant", "content": [{"type": "text", "text": "4"}]}],
            "metadata": {"reference_answer": {"answer": "4"}},
        },
        {"id": "4", "messages": [{"role": "user", "content": "no answer"}], "metadata": {"reference_answer": "4"}},
    ]
    graded, unreadable = grade_batch(batch)
    assert [(g.id, g.aggregate_reward_score) for g in graded] == [("1", 1.0), ("2", 0.0), ("3", 1.0), ("4", 0.0)]
    assert unreadable == 1
    assert graded[0].as_output() == {
        "id": "1",
        "aggregate_reward_score": 1.0,
        "metrics_list": [{"name": "exact_match", "value": 1.0, "type": "Reward"}, {"name": "readable", "value": 1.0, "type": "Metric"}],
    }


@pytest.mark.parametrize("payload", [{"id": "1"}, "text", [{"messages": []}], [{"id": ""}], [["not", "a", "sample"]]])
def test_a_payload_that_is_not_a_batch_is_refused_without_echoing_it(payload: Any) -> None:
    with pytest.raises(GraderInputError) as refused:
        grade_batch(payload)
    assert "text" not in str(refused.value) and "not, a" not in str(refused.value)


def test_the_grader_handler_logs_counts_never_content(caplog: pytest.LogCaptureFixture) -> None:
    import logging
    from pathlib import Path

    from local.lambda_runtime import load_handler

    from tests.unit.fakes import STACK_ENVIRONMENT

    handler = load_handler(Path(__file__).parents[2] / "functions" / "rft_grader", STACK_ENVIRONMENT)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="secure-finetune")  # whatever POWERTOOLS_LOG_LEVEL says
    secret = "the-secret-answer-7f3a"
    turns = [{"role": "user", "content": secret}, {"role": "assistant", "content": secret}]
    batch = [{"id": "a", "messages": turns, "metadata": {"reference_answer": secret}}]

    class Context:
        function_name, memory_limit_in_mb, invoked_function_arn, aws_request_id = "grader", 128, GRADER, "r"

    class Catcher(logging.Handler):
        records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    catcher = Catcher()
    logging.getLogger("secure-finetune").addHandler(catcher)  # Powertools' records do not reach caplog's root handler
    try:
        assert handler(cast(Any, batch), Context()) == [grade_batch(batch)[0][0].as_output()]
    finally:
        logging.getLogger("secure-finetune").removeHandler(catcher)
    logged = [f"{record.getMessage()} {vars(record)}" for record in [*caplog.records, *catcher.records]]
    assert [text for text in logged if secret in text] == []
    assert any("samples" in text and "unreadable" in text for text in logged), logged


@pytest.mark.parametrize(
    "answer",
    [
        None,
        {"id": "a", "aggregate_reward_score": 1},  # not a batch
        [{"id": "a", "aggregate_reward_score": 1.0}],  # one sample left unscored
        [{"id": "a", "aggregate_reward_score": 1.0}, {"id": "x", "aggregate_reward_score": 1.0}],  # an id Bedrock never sent
        [{"id": "a", "aggregate_reward_score": float("nan")}, {"id": "b", "aggregate_reward_score": 0.0}],
        [{"id": "a", "aggregate_reward_score": True}, {"id": "b", "aggregate_reward_score": 0.0}],
        [{"id": "a", "aggregate_reward_score": "1"}, {"id": "b", "aggregate_reward_score": 0.0}],
    ],
)
def test_the_emulated_bedrock_fails_the_job_on_an_answer_that_breaks_the_grader_contract(answer: Any) -> None:
    from local.rft_standin import GraderFailed, _mean_reward

    with pytest.raises(GraderFailed):
        _mean_reward(answer, ["a", "b"])
    assert _mean_reward([{"id": "b", "aggregate_reward_score": 0}, {"id": "a", "aggregate_reward_score": 1.0}], ["a", "b"]) == 0.5
