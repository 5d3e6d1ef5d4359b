"""Issue 15 in the template and the ASL: the evaluation role under the training role's rules, its key entries, its states."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from local.stack import translated_template

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    resources: dict[str, Any] = translated_template(ROOT)["Resources"]
    return resources


@pytest.fixture(scope="module")
def states() -> dict[str, Any]:
    states: dict[str, Any] = json.loads((ROOT / "statemachine" / "pipeline.asl.json").read_text())["States"]
    return states


def test_the_evaluation_role_trusts_only_bedrock_for_this_accounts_evaluation_jobs(resources: dict[str, Any]) -> None:
    [statement] = resources["EvaluationServiceRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"} and statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert ":evaluation-job/*" in json.dumps(statement["Condition"]["ArnLike"]["aws:SourceArn"])


def test_the_evaluation_role_reaches_only_the_runs_evaluation_prefixes_and_the_key_through_services(resources: dict[str, Any]) -> None:
    statements = [s for p in resources["EvaluationServiceRole"]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    for s in statements:
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        text = json.dumps(s["Resource"])
        if any(a.startswith("s3:") and a not in ("s3:ListBucket", "s3:GetBucketLocation") for a in actions):
            assert "/reports/*/evaluation/" in text, s["Sid"]
        if "s3:PutObject" in actions:
            assert "/reports/*/evaluation/output/*" in text
        if any(a.startswith("kms:") for a in actions):
            assert "kms:ViaService" in s["Condition"]["StringEquals"], s["Sid"]
        assert not any(a.endswith("*") for a in actions), s["Sid"]
    assert "ManagedPolicyArns" not in resources["EvaluationServiceRole"]["Properties"]


def test_the_key_lets_bedrock_use_it_for_this_accounts_evaluation_jobs_only(resources: dict[str, Any]) -> None:
    key = {s.get("Sid"): s for s in resources["DatasetKey"]["Properties"]["KeyPolicy"]["Statement"] if isinstance(s, dict)}
    service = key["BedrockUsesKeyForEvaluationJobs"]
    assert service["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert service["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert ":evaluation-job/*" in json.dumps(service["Condition"]["ArnLike"]["aws:SourceArn"])
    assert ":evaluation-job/*" in json.dumps(service["Condition"]["StringLike"]["kms:EncryptionContext:evaluationJobArn"])
    role = key["EvaluationServiceRoleUsesKeyThroughS3AndBedrock"]
    assert "-bedrock-eval" in json.dumps(role["Condition"]["ArnEquals"]["aws:PrincipalArn"])
    assert "s3." in json.dumps(role["Condition"]["StringEquals"]["kms:ViaService"])


def test_the_evaluation_runs_after_the_smoke_test_in_a_bounded_poll_loop(states: dict[str, Any]) -> None:
    assert states["SmokeTest"]["Next"] == "StartEvaluation"
    assert states["StartEvaluation"]["Next"] == states["CheckEvaluation"]["Next"] == "IsEvaluationDone"
    choice = states["IsEvaluationDone"]
    assert {c["StringEquals"]: c["Next"] for c in choice["Choices"]} == {
        "Skipped": "NotifyModelReady",
        "Passed": "NotifyModelReady",
        "Collecting": "CollectAnswers",  # an on-demand model answers first, from inside the VPC ...
        "Answered": "StartEvaluation",  # ... then the jobs start
    }
    assert choice["Default"] == "WaitForEvaluation" and states["WaitForEvaluation"]["SecondsPath"] == "$.evaluation.waitSeconds"
    collect = states["CollectAnswers"]
    assert (collect["Resource"], collect["Next"], collect["ResultPath"]) == ("${SmokeTestFunctionArn}", "IsEvaluationDone", "$.evaluation")
    assert collect["Parameters"] == {"task": "collect-answers", "state.$": "$"} and collect["Retry"] == states["SmokeTest"]["Retry"]
    for name in ("StartEvaluation", "CollectAnswers", "CheckEvaluation"):  # every stop (gate, failed job, timeout) reaches NotifyFailure
        assert any("States.ALL" in c["ErrorEquals"] and c["Next"] == "NotifyFailure" for c in states[name]["Catch"]), name


def test_collect_answers_has_time_for_its_longest_answer_after_it_decides_to_ask(resources: dict[str, Any]) -> None:
    # It asks one more prompt only with more than answer_budget_seconds left; the first of a call is asked regardless,
    # so the first and one more must fit the function's Timeout even at the largest max_response_tokens a profile takes.
    from secure_finetune.evaluation.answers import answer_budget_seconds
    from secure_finetune.evaluation.config import EvaluationProfile

    longest = EvaluationProfile.model_fields["max_response_tokens"].metadata[-1].le
    assert 2 * answer_budget_seconds(longest) <= resources["SmokeTestFunction"]["Properties"]["Timeout"]
