"""Emulator stand-in: what Bedrock does with a reinforcement fine-tuning job's grader.

Bedrock generates answers to the training prompts and invokes the job's reward function (``rftConfig.graderConfig
.lambdaGrader.lambdaArn``) with batches of ``{"id", "messages" + the answer, "metadata": {reference_answer, the
record's other fields}}``; the function answers ``[{"id", "aggregate_reward_score", "metrics_list"}]``
([UG reward-functions] https://docs.aws.amazon.com/bedrock/latest/userguide/reward-functions.html). Here the
"model" answers a growing share of the sample prompts with their reference answer, one batch per epoch, so the
reward curve in the report is the grader's own scoring. A grader error, or an answer that does not match the
contract, fails the job as Bedrock would. Where Bedrock writes RFT metrics is not documented: the stand-in adds
a ``mean_reward`` column to the step-wise metrics file (training/rft_metrics.py reads any ``*reward*`` column).
"""

from __future__ import annotations

import json
import math
from typing import Any

import boto3
from botocore.exceptions import ClientError

SAMPLE_PROMPTS = 4  # records read from the training file for each batch


class GraderFailed(Exception):
    """The reward function failed or broke its contract (the message is content-free)."""


def grade_epochs(request: dict[str, Any], region: str, epochs: int) -> list[float]:
    """Invoke the grader once per epoch on sample prompts; the batch's mean reward per epoch."""
    grader = request["customizationConfig"]["rftConfig"]["graderConfig"]["lambdaGrader"]["lambdaArn"]
    records = _sample_records(request["trainingDataConfig"]["s3Uri"], region)
    client = boto3.client("lambda", region_name=region)
    rewards = []
    for epoch in range(epochs):
        correct = math.ceil(len(records) * (epoch + 1) / epochs)
        batch = [_sample(request["jobName"], epoch, i, record, right=i < correct) for i, record in enumerate(records)]
        try:
            response = client.invoke(FunctionName=grader, Payload=json.dumps(batch).encode())
        except ClientError:
            raise GraderFailed("the reward function could not be invoked") from None
        if response.get("FunctionError"):
            raise GraderFailed("the reward function returned an error")
        rewards.append(_mean_reward(json.loads(response["Payload"].read() or b"null"), [s["id"] for s in batch]))
    return rewards


def _sample_records(uri: str, region: str) -> list[dict[str, Any]]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body = boto3.client("s3", region_name=region).get_object(Bucket=bucket, Key=key)["Body"].read()
    return [json.loads(line) for line in body.splitlines()[:SAMPLE_PROMPTS] if line.strip()]


def _sample(job: str, epoch: int, index: int, record: dict[str, Any], right: bool) -> dict[str, Any]:
    reference = record.get("reference_answer")
    answer = reference if right and isinstance(reference, str) else "I do not know."
    return {
        "id": f"{job}-e{epoch}-{index}",
        "messages": [*record["messages"], {"role": "assistant", "content": answer}],
        "metadata": {k: v for k, v in record.items() if k != "messages"},
    }


def _mean_reward(answer: Any, ids: list[str]) -> float:
    if not isinstance(answer, list) or sorted(str(a.get("id")) for a in answer if isinstance(a, dict)) != sorted(ids):
        raise GraderFailed("the reward function did not score every sample by id")
    scores = [a.get("aggregate_reward_score") for a in answer]
    if not all(isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s) for s in scores):
        raise GraderFailed("the reward function returned a score that is not a finite number")
    return round(float(sum(scores)) / len(scores), 4)
