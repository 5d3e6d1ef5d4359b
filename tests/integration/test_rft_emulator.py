"""Reinforcement fine-tuning on the emulator: the real template's grader, invoked by the Bedrock stand-in as
Bedrock would, its rewards in the run report; a grader that fails fails the job."""

from typing import Any

import boto3
from local.emulator import REGION, LocalPipeline

from secure_finetune.reports import GuardrailsReport, MetricsReport
from tests.integration.conftest import EVENTS

KEY = "incoming/rft-math/arithmetic.jsonl"


def test_an_rft_run_succeeds_with_the_stacks_grader_scoring_the_answers(pipeline: LocalPipeline) -> None:
    # Given the rft-math profile and 100 prompts with reference answers
    version = pipeline.upload(KEY, (EVENTS / "sample-rft-dataset.jsonl").read_bytes())
    arn = pipeline.execution_arn(KEY, version)
    # When the run goes through
    result = pipeline.wait(arn)
    # Then it succeeds, the job asked for the stack's grader in rftConfig and Bedrock (the stand-in) invoked it
    assert result["status"] == "SUCCEEDED", result.get("error")
    [request] = pipeline.bedrock.jobs_created
    grader = pipeline.stack.outputs["GraderLambdaArn"]
    assert request["customizationType"] == "REINFORCEMENT_FINE_TUNING"
    assert request["customizationConfig"]["rftConfig"]["graderConfig"] == {"lambdaGrader": {"lambdaArn": grader}}
    assert "hyperParameters" not in request
    assert pipeline.bedrock.grader_batches == 2
    assert [i.error for i in pipeline.lambdas.invocations if i.function == "GraderFunction"] == [None, None]
    # and the report holds the grader's rewards (half right, then all right) and the grader's guardrails passed
    run = arn.rsplit(":", 1)[-1]
    rewards = pipeline.report(run, MetricsReport).rewards
    assert rewards is not None and rewards.column == "mean_reward" and rewards.rewards[0] == 0.5 and rewards.final_reward == 1.0
    findings = {f.id: f.status for f in pipeline.report(run, GuardrailsReport).findings}
    assert findings["GR-RFT-01"] == findings["GR-RFT-02"] == findings["GR-RFT-03"] == "PASS"


def test_a_grader_that_cannot_be_invoked_fails_the_job_and_the_run(pipeline: LocalPipeline) -> None:
    # Given a grader that is gone by the time Bedrock calls it (during training, after the guardrails passed)
    grade = pipeline.bedrock._grade

    def grade_after_the_grader_is_deleted(request: dict[str, Any], outcome: str) -> tuple[list[float], str | None]:
        boto3.client("lambda", region_name=REGION).delete_function(FunctionName=pipeline.stack.outputs["GraderLambdaArn"])
        return grade(request, outcome)

    pipeline.bedrock._grade = grade_after_the_grader_is_deleted  # type: ignore[method-assign]
    # When the RFT run goes through
    version = pipeline.upload(KEY, (EVENTS / "sample-rft-dataset.jsonl").read_bytes())
    result = pipeline.wait(pipeline.execution_arn(KEY, version))
    # Then the job fails (Bedrock's failure message names no data) and so does the run, owner told
    assert (result["status"], result["error"]) == ("FAILED", "JOB_FAILED")
    assert pipeline.bedrock.grader_batches == 0
    assert [n["milestone"] for n in pipeline.notifications()] == ["JOB_STARTED", "JOB_FAILED"]
