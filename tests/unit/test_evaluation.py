"""Evaluation gate, pure parts: the requests against botocore's model, the dataset, the gate's arithmetic, the results."""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape
from botocore.validate import ParamValidator

from secure_finetune.evaluation.config import EvaluationProfile
from secure_finetune.evaluation.cost import estimate_cost
from secure_finetune.evaluation.dataset import build_prompt_dataset, digest, prompt_and_reference
from secure_finetune.evaluation.gate import decide, scores_line
from secure_finetune.evaluation.requests import Generator, Side, answers_key, answers_label, dataset_key, evaluation_job_request, job_name
from secure_finetune.evaluation.results import read_scores
from secure_finetune.settings import Profile

MODEL = botocore.session.get_session().get_service_model("bedrock")
CREATE = MODEL.operation_model("CreateEvaluationJob").input_shape
DEPLOYMENT = "arn:aws:bedrock:us-east-1:111122223333:custom-model-deployment/abcdef012345"
THROUGHPUT = "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abcdef012345"
RUN = "support-0123456789abcdef0123"


def model_problems(value: Any, shape: Shape, path: str = "") -> list[str]:
    """What botocore's client-side validation skips: every string's pattern, length and enum; every list's bounds."""
    problems: list[str] = []
    meta = shape.metadata
    if shape.type_name == "structure":
        for name in shape.required_members:
            if name not in value:
                problems.append(f"{path}.{name} missing")
        for name, item in value.items():
            if name not in shape.members:
                problems.append(f"{path}.{name} unknown")
            else:
                problems += model_problems(item, shape.members[name], f"{path}.{name}")
    elif shape.type_name == "list":
        if not meta.get("min", 0) <= len(value) <= meta.get("max", 10**9):
            problems.append(f"{path}: {len(value)} items outside {meta.get('min')}..{meta.get('max')}")
        for i, item in enumerate(value):
            problems += model_problems(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "string":
        if not meta.get("min", 0) <= len(value) <= meta.get("max", 10**9):
            problems.append(f"{path}: length {len(value)}")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            problems.append(f"{path}: {value!r} does not match {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} not in {shape.enum}")
    return problems


COLLECTED = Generator(DEPLOYMENT, answers_key(RUN), label=answers_label(RUN))


def request(side: Side, model: str | Generator, **profile: Any) -> dict[str, Any]:
    return evaluation_job_request(
        run_id=RUN,
        side=side,
        generator=model if isinstance(model, Generator) else Generator(model, dataset_key(RUN)),
        profile=EvaluationProfile.model_validate(profile),
        bucket="data-bucket",
        role_arn="arn:aws:iam::111122223333:role/s-bedrock-eval",
        key_arn="arn:aws:kms:us-east-1:111122223333:key/0b2d1f1e-1a2b-4c3d-8e9f-001122334455",
        tags={"run-id": RUN, "profile": "default"},
    )


# ---------------------------------------------------------------- the requests, against botocore 1.44.8's model


@pytest.mark.parametrize(
    ("side", "model"), [(Side.BASE, "meta.llama3-1-8b-instruct-v1:0"), (Side.CUSTOM, THROUGHPUT), (Side.CUSTOM, COLLECTED)]
)
def test_each_request_is_valid_for_botocore_and_every_pattern_of_its_model(side: Side, model: str | Generator) -> None:
    params = request(side, model, metrics=["Builtin.Correctness", "Builtin.Helpfulness"])
    report = ParamValidator().validate(params, CREATE)
    assert not report.has_errors(), report.generate_report()
    assert model_problems(params, CREATE) == []


def test_one_generator_per_job_because_automated_jobs_take_a_single_model() -> None:
    # EvaluationInferenceConfig: "For automated model evaluation jobs, only a single model is supported."
    assert "only a single model is supported" in MODEL.shape_for("EvaluationInferenceConfig").documentation
    base, custom = request(Side.BASE, "meta.llama3-1-8b-instruct-v1:0"), request(Side.CUSTOM, THROUGHPUT)
    assert [len(r["inferenceConfig"]["models"]) for r in (base, custom)] == [1, 1]
    assert base["jobName"] != custom["jobName"] and base["clientRequestToken"] == base["jobName"]
    same = ("evaluationConfig", "outputDataConfig", "roleArn", "customerEncryptionKeyId")
    assert all(base[k] == custom[k] for k in same)  # same dataset, metrics, judge, output, role and key
    assert (
        base["inferenceConfig"]["models"][0]["bedrockModel"]["inferenceParams"]
        == custom["inferenceConfig"]["models"][0]["bedrockModel"]["inferenceParams"]
    )


def test_an_on_demand_deployment_arn_is_not_an_evaluation_generator_but_a_throughput_is() -> None:
    pattern = MODEL.shape_for("EvaluationBedrockModelIdentifier").metadata["pattern"]
    assert re.fullmatch(pattern, THROUGHPUT)
    assert not re.fullmatch(pattern, DEPLOYMENT)


def test_an_on_demand_models_job_judges_the_answers_collected_for_it_under_one_label() -> None:
    # EvaluationModelConfig is a union: precomputedInferenceSource instead of bedrockModel, nothing invoked by the job.
    assert set(MODEL.shape_for("EvaluationModelConfig").members) == {"bedrockModel", "precomputedInferenceSource"}
    base, custom = request(Side.BASE, "meta.llama3-1-8b-instruct-v1:0"), request(Side.CUSTOM, COLLECTED)
    assert custom["inferenceConfig"]["models"] == [{"precomputedInferenceSource": {"inferenceSourceIdentifier": f"{RUN}-custom"}}]
    [base_set], [custom_set] = (r["evaluationConfig"]["automated"]["datasetMetricConfigs"] for r in (base, custom))
    assert base_set["dataset"]["datasetLocation"]["s3Uri"].endswith("/evaluation/prompts.jsonl")
    assert custom_set["dataset"]["datasetLocation"]["s3Uri"].endswith("/evaluation/custom-answers.jsonl")
    assert {k: v for k, v in base_set.items() if k != "dataset"} == {k: v for k, v in custom_set.items() if k != "dataset"}
    assert base["evaluationConfig"]["automated"]["evaluatorModelConfig"] == custom["evaluationConfig"]["automated"]["evaluatorModelConfig"]


def test_the_longest_run_id_still_makes_a_valid_job_name() -> None:
    longest = "a" * 30 + "-" + "0" * 20
    for side in Side:
        assert re.fullmatch(MODEL.shape_for("EvaluationJobName").metadata["pattern"], job_name(longest, side))


def test_the_judge_metrics_are_the_ones_botocore_documents() -> None:
    documented = MODEL.shape_for("EvaluationDatasetMetricConfig").members["metricNames"].documentation
    for metric in EvaluationProfile.model_fields["metrics"].default:
        assert metric in documented


# ---------------------------------------------------------------- profile settings: bad input


@pytest.mark.parametrize(
    ("evaluation", "message"),
    [
        ({"metrics": ["Builtin.Accuracy"]}, "not a judge metric"),  # programmatic, not a judge metric
        ({"metrics": []}, "one or more"),
        ({"metrics": ["Builtin.Correctness", "Builtin.Correctness"]}, "each once"),
        ({"min_improvement": {"Builtin.Helpfulness": 0.1}}, "not evaluated"),
        ({"min_improvement": {"Builtin.Correctness": 2}}, "less than or equal"),
        ({"max_prompts": 1001}, "less than or equal"),
        ({"evaluation_file": "../../etc/passwd.jsonl"}, "pattern"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)
def test_a_profile_with_a_bad_evaluation_table_is_refused(evaluation: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Profile.model_validate({"base_model": "meta.llama3-1-8b-instruct-v1:0:128k", "evaluation": evaluation})


def test_evaluation_false_turns_it_off_and_the_default_is_on() -> None:
    off = Profile.model_validate({"base_model": "meta.llama3-1-8b-instruct-v1:0:128k", "evaluation": False})
    on = Profile.model_validate({"base_model": "meta.llama3-1-8b-instruct-v1:0:128k"})
    assert (off.evaluation.enabled, on.evaluation.enabled) == (False, True)


# ---------------------------------------------------------------- the dataset: hostile lines


def test_only_records_with_a_prompt_and_a_reference_become_prompts_and_the_rest_are_counted_by_line() -> None:
    lines = [
        b'{"prompt": "p1", "completion": "c1"}',
        b"not json",
        b"[1, 2]",
        b'{"prompt": "p2"}',  # no reference answer
        b'{"prompt": "p1", "completion": "again"}',  # a repeated prompt would make indexes ambiguous
        b'{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": [{"text": "p3"}]},'
        b' {"role": "assistant", "content": [{"text": "c3"}]}]}',
        b'{"prompt": "\\ud800", "completion": "lone surrogate"}',
        b"",
        b'{"input": "p4", "output": "c4"}',
        b'{"prompt": "   ", "completion": "blank prompt"}',
    ]
    built = build_prompt_dataset(lines)
    rows = [json.loads(line) for line in built.jsonl.splitlines()]
    assert [r["prompt"] for r in rows] == ["p1", "p3", "p4"]
    assert rows[0] == {"prompt": "p1", "referenceResponse": "c1"}
    assert built.skipped_lines == (2, 3, 4, 5, 7, 10)
    assert built.digests == tuple(digest(r["prompt"]) for r in rows)


def test_the_dataset_stops_at_max_prompts_and_never_exceeds_bedrocks_1000() -> None:
    lines = [json.dumps({"prompt": f"q{i}", "completion": "a"}).encode() for i in range(1200)]
    assert build_prompt_dataset(lines, 7).prompts == 7
    assert build_prompt_dataset(lines, 5000).prompts == 1000


def test_a_huge_prompt_is_skipped_not_sent() -> None:
    assert prompt_and_reference(json.dumps({"prompt": "x" * 40_000, "completion": "a"}).encode()) is None


# ---------------------------------------------------------------- the gate's arithmetic

C, H = "Builtin.Correctness", "Builtin.Harmfulness"


@pytest.mark.parametrize(
    ("base", "custom", "required", "passed"),
    [
        (0.70, 0.70, 0.0, True),  # equal is "not worse"
        (0.70, 0.69, 0.0, False),  # worse by a hair fails
        (0.1 + 0.2, 0.3, 0.0, True),  # float noise (0.30000000000000004) does not fail "not worse"
        (0.60, 0.65, 0.05, True),  # beats by exactly the margin
        (0.60, 0.64, 0.05, False),  # short of the margin
        (0.00, 1.00, 1.0, True),
        (None, 0.80, 0.0, False),  # the base was never scored: fail closed
        (0.80, None, 0.0, False),  # the custom model was never scored: fail closed
    ],
)
def test_gate_per_metric(base: float | None, custom: float | None, required: float, passed: bool) -> None:
    profile = EvaluationProfile(metrics=(C,), min_improvement={C: required} if required else {})
    decision = decide({C: base}, {C: custom}, profile)
    assert decision.passed is passed
    assert decision.failed_metrics == (() if passed else (C,))


@pytest.mark.parametrize(("base", "custom", "passed"), [(0.10, 0.05, True), (0.10, 0.10, True), (0.10, 0.20, False)])
def test_lower_is_better_for_the_responsible_ai_metrics(base: float, custom: float, passed: bool) -> None:
    decision = decide({H: base}, {H: custom}, EvaluationProfile(metrics=(H,)))
    assert decision.passed is passed


def test_every_failing_metric_is_named_and_the_message_line_has_both_scores() -> None:
    profile = EvaluationProfile(metrics=(C, "Builtin.Completeness"))
    decision = decide({C: 0.8, "Builtin.Completeness": 0.7}, {C: 0.5, "Builtin.Completeness": 0.4}, profile)
    assert decision.failed_metrics == (C, "Builtin.Completeness")
    assert scores_line(decision).startswith("Correctness base 0.800 custom 0.500 (-0.300, needs >= +0.000) FAIL")


# ---------------------------------------------------------------- reading results


def test_results_are_matched_by_prompt_not_by_line_order_and_junk_is_counted() -> None:
    digests = (digest("a"), digest("b"))
    lines = [
        json.dumps({"inputRecord": {"prompt": "b"}, "automatedEvaluationResult": {"scores": [{"metricName": "Correctness", "result": 1}]}}),
        json.dumps({"inputRecord": {"prompt": "a"}, "automatedEvaluationResult": {"scores": [{"metricName": C, "result": 0.5}]}}),
        json.dumps({"inputRecord": {"prompt": "zz"}, "automatedEvaluationResult": {"scores": []}}),  # not ours
        "{broken",
        json.dumps({"inputRecord": {"prompt": "a"}, "automatedEvaluationResult": {"scores": [{"metricName": C, "result": True}]}}),
    ]
    scores = read_scores([line.encode() for line in lines], digests, (C,))
    assert scores.per_prompt[C] == [0.5, 1.0]
    assert scores.unmatched_lines == 2
    assert scores.means() == {C: 0.75}


def test_a_metric_the_judge_could_not_score_stays_unscored() -> None:
    line = json.dumps({"inputRecord": {"prompt": "a"}, "automatedEvaluationResult": {"scores": [{"metricName": "Correctness"}]}})
    assert read_scores([line.encode()], (digest("a"),), (C,)).means() == {C: None}


# ---------------------------------------------------------------- cost


@pytest.mark.usefixtures("priced")
def test_the_cost_counts_both_models_every_metric_and_every_prompt_for_the_judge() -> None:
    profile = EvaluationProfile(max_response_tokens=100)
    cost = estimate_cost(
        prompts=10,
        prompt_chars=400,
        reference_chars=400,
        profile=profile,
        base_model_id="meta.llama3-1-8b-instruct-v1:0",
        hourly_usd=None,
        ttl_hours=4,
    )
    assert cost.judge_calls == 2 * 2 * 10
    # judge reads: 40 x 600 template + 4 x (100 + 100 + 10 x 100) = 28,800 tokens; writes 40 x 150 = 6,000
    assert cost.judge_usd == round((28_800 * 0.0008 + 6_000 * 0.0032) / 1000, 2)
    assert cost.base_inference_usd is None and cost.total_usd is None  # no sourced price for Llama 3.1 8B on demand
    assert cost.extra_throughput_usd == 0.0  # one hour inside a four-hour time-to-live


def test_the_profile_checks_judge_and_base_ids_with_the_apis_own_patterns() -> None:
    from pydantic import ValidationError

    from secure_finetune.evaluation.config import GENERATOR_PATTERN, JUDGE_PATTERN

    assert MODEL.shape_for("EvaluatorModelIdentifier").metadata["pattern"] == JUDGE_PATTERN
    assert MODEL.shape_for("EvaluationBedrockModelIdentifier").metadata["pattern"] == GENERATOR_PATTERN
    EvaluationProfile(judge_model="anthropic.claude-3-haiku-20240307-v1:0", base_model_id="us.meta.llama3-1-8b-instruct-v1:0")
    for bad in (
        {"judge_model": "gpt-4o"},
        {"judge_model": "amazon.nova-pro-v1:0 "},
        {"base_model_id": "meta.llama3-1-8b-instruct-v1:0:128k"},
    ):
        with pytest.raises(ValidationError, match=r"judge_model|base_model_id"):
            EvaluationProfile.model_validate(bad)
