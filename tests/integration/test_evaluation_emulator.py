"""Issue 15 on the real ASL and template: base vs custom after the smoke test, the gate, what a failed gate deletes."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import boto3
import pytest
from local.emulator import LocalPipeline
from local.evaluation_standin import EvaluationScenario

from secure_finetune.evaluation.report import EvaluationReport
from secure_finetune.reports import DeploymentReport, GuardrailsReport
from tests.unit.test_evaluation import CREATE, model_problems

from .conftest import EVENTS
from .test_pipeline import KEY, milestones, run

HELD_OUT = (EVENTS / "sample-dataset.validation.jsonl").read_bytes()


def evaluated_run(scenario: EvaluationScenario, body: bytes) -> Generator[tuple[LocalPipeline, str, dict[str, object]]]:
    with LocalPipeline(evaluation=scenario) as pipeline:
        pipeline.upload(KEY.removesuffix(".jsonl") + ".validation.jsonl", HELD_OUT)
        _, arn, result = run(pipeline, KEY, body)
        yield pipeline, arn.rsplit(":", 1)[-1], result


@pytest.fixture
def better(good_dataset: bytes) -> Iterator[tuple[LocalPipeline, str, dict[str, object]]]:
    yield from evaluated_run(EvaluationScenario(), good_dataset)


@pytest.fixture
def worse(good_dataset: bytes) -> Iterator[tuple[LocalPipeline, str, dict[str, object]]]:
    yield from evaluated_run(EvaluationScenario(custom={"Correctness": 0.41, "Completeness": 0.60}), good_dataset)


def test_a_better_model_is_evaluated_against_its_base_and_kept(better: tuple[LocalPipeline, str, dict[str, object]]) -> None:
    pipeline, run_id, result = better
    assert result["status"] == "SUCCEEDED", result.get("error")
    names = [state.name for state in pipeline.timeline(f"{pipeline.state_machine_arn.replace(':stateMachine:', ':execution:')}:{run_id}")]
    assert names.index("SmokeTest") < names.index("StartEvaluation") < names.index("CheckEvaluation") < names.index("NotifyModelReady")
    # one job per evaluated model (automated jobs take a single generator), each valid for botocore's model
    requests = pipeline.evaluation.requests
    assert len(requests) == 2 and all(model_problems(r, CREATE) == [] for r in requests)
    generators = [r["inferenceConfig"]["models"][0]["bedrockModel"]["modelIdentifier"] for r in requests]
    assert generators[0] == "meta.llama3-1-8b-instruct-v1:0" and ":provisioned-model/" in generators[1]
    key_arn = pipeline.stack.outputs["DatasetKeyArn"]
    assert {r["customerEncryptionKeyId"] for r in requests} == {key_arn}
    assert {r["roleArn"].rsplit("/", 1)[-1] for r in requests} == {f"{pipeline.stack.name}-bedrock-eval"}
    # the dataset is under the run's report, under our key
    head = boto3.client("s3").head_object(Bucket=pipeline.bucket, Key=f"reports/{run_id}/evaluation/prompts.jsonl")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key_arn)
    report = pipeline.report(run_id, EvaluationReport)
    assert report.status == "passed" and report.prompts == 10
    assert [(v.metric, v.base, v.custom) for v in report.verdicts] == [
        ("Builtin.Correctness", 0.62, 0.81),
        ("Builtin.Completeness", 0.58, 0.77),
    ]
    [ready] = [m for m in pipeline.notifications() if m["milestone"] == "THROUGHPUT_READY"]
    assert "Correctness base 0.620 custom 0.810" in ready["body"] and pipeline.bedrock.throughputs  # kept until its TTL
    page = boto3.client("s3").get_object(Bucket=pipeline.bucket, Key=f"reports/{run_id}/index.html")["Body"].read().decode()
    assert ">Evaluation<" in page and "<svg" in page
    # the evaluation role was judged on live evidence before the job started (GR-EVAL-01/02)
    findings = {f.id: f for f in pipeline.report(run_id, GuardrailsReport).findings}
    for check in ("GR-EVAL-01", "GR-EVAL-02"):
        assert findings[check].status == "PASS" and "no evaluation role" not in findings[check].explanation, findings[check]
    # the plan counted the evaluation before anything was bought (its tokens have no public price offline: it says so)
    plan = pipeline.report(run_id, DeploymentReport).plan
    assert plan.evaluation_prompts == 10 and plan.estimated_judge_cost_usd is None


def test_a_worse_model_fails_the_gate_its_throughput_is_deleted_and_the_owner_gets_both_scores(
    worse: tuple[LocalPipeline, str, dict[str, object]],
) -> None:
    pipeline, run_id, result = worse
    assert result["status"] == "FAILED" and result["error"] == "EVALUATION_GATE_FAILED:Correctness"
    assert pipeline.bedrock.throughputs == {} and len(pipeline.bedrock.deleted) == 1  # what was bought is gone
    assert boto3.client("bedrock").get_custom_model(modelIdentifier=run_id)["modelName"] == run_id  # the model is kept
    assert {"RUN_FAILED", "TORN_DOWN"} <= set(milestones(pipeline))
    [failed] = [m for m in pipeline.notifications() if m["milestone"] == "RUN_FAILED"]
    assert "Correctness base 0.620 custom 0.410" in failed["body"] and "Completeness base 0.580 custom 0.600" in failed["body"]
    assert "Ledgerly" not in failed["body"]  # scores and ids, never a prompt
    assert pipeline.report(run_id, EvaluationReport).status == "failed"


def test_a_failed_evaluation_job_ends_the_run_and_deletes_what_was_bought(good_dataset: bytes) -> None:
    running = evaluated_run(EvaluationScenario(outcome="Failed"), good_dataset)
    pipeline, run_id, result = next(running)
    try:
        assert result["status"] == "FAILED" and str(result["error"]).startswith("EVALUATION_FAILED:")
        assert pipeline.bedrock.throughputs == {}
        assert pipeline.report(run_id, EvaluationReport).status == "error"
    finally:
        running.close()


def test_a_run_without_held_out_prompts_skips_the_evaluation_and_says_so(pipeline: LocalPipeline, good_dataset: bytes) -> None:
    _, arn, result = run(pipeline, KEY, good_dataset)
    assert result["status"] == "SUCCEEDED", result.get("error")
    report = pipeline.report(arn.rsplit(":", 1)[-1], EvaluationReport)
    assert report.status == "skipped" and "no held-out prompts" in (report.why or "")
    assert pipeline.evaluation.requests == []


def test_a_model_deployed_on_demand_answers_from_inside_the_vpc_and_is_judged_on_those_answers() -> None:
    # An evaluation job cannot invoke a custom-model-deployment ARN: the private-inference function collects the
    # deployment's answers (CollectAnswers), and the custom job judges them (precomputedInferenceSource).
    with LocalPipeline(evaluation=EvaluationScenario()) as pipeline:
        key = "incoming/on-demand/support.jsonl"
        pipeline.upload(key.removesuffix(".jsonl") + ".validation.jsonl", (EVENTS / "sample-conversation.validation.jsonl").read_bytes())
        _, arn, result = run(pipeline, key, (EVENTS / "sample-conversation.jsonl").read_bytes())
        assert result["status"] == "SUCCEEDED", result.get("error")
        run_id = arn.rsplit(":", 1)[-1]
        names = [state.name for state in pipeline.timeline(arn)]
        collect = names.index("CollectAnswers")
        assert names.index("SmokeTest") < names.index("StartEvaluation") < collect < names.index("CheckEvaluation")
        assert "StartEvaluation" in names[collect:]  # back, Answered, for the jobs
        [deployment] = pipeline.bedrock.deployments
        assert pipeline.bedrock.throughputs == {} and pipeline.bedrock.conversations == [deployment] * (3 + 10)  # smoke + answers
        base, custom = pipeline.evaluation.requests
        assert model_problems(base, CREATE) == [] and model_problems(custom, CREATE) == []
        assert custom["inferenceConfig"]["models"] == [{"precomputedInferenceSource": {"inferenceSourceIdentifier": f"{run_id}-custom"}}]
        answers = f"reports/{run_id}/evaluation/custom-answers.jsonl"
        head = boto3.client("s3").head_object(Bucket=pipeline.bucket, Key=answers)
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", pipeline.stack.outputs["DatasetKeyArn"])
        report = pipeline.report(run_id, EvaluationReport)
        assert (report.status, report.prompts, report.custom_answers) == ("passed", 10, 10)
        assert [job.model for job in report.jobs] == ["meta.llama3-3-70b-instruct-v1:0", deployment]
        [ready] = [m for m in pipeline.notifications() if m["milestone"] == "THROUGHPUT_READY"]
        assert "Correctness base 0.620 custom 0.810" in ready["body"] and "Ledgerly" not in ready["body"]
        plan = pipeline.report(run_id, DeploymentReport).plan  # counted before the deployment was made
        assert plan.evaluation_prompts == 10 and plan.estimated_evaluation_cost_usd is None  # its tokens: no sourced price
