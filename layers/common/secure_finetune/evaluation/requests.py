"""The CreateEvaluationJob requests: one automated judge job per evaluated model (base, custom).

Both jobs get the same dataset, metrics, judge, inference parameters, service role, our key and an output
prefix under the run's report; the names and request tokens are derived from the run id, so a retried or
crashed create finds its job again instead of starting a second one.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from .config import EvaluationProfile
from .dataset import DATASET_NAME

# EvaluationTaskType (botocore enum): held-out prompt + reference answer is question-and-answer.
TASK_TYPE = "QuestionAndAnswer"


class Side(StrEnum):
    BASE = "base"
    CUSTOM = "custom"


def evaluation_prefix(run_id: str) -> str:
    return f"reports/{run_id}/evaluation/"


def dataset_key(run_id: str) -> str:
    return f"{evaluation_prefix(run_id)}prompts.jsonl"


def output_prefix(run_id: str) -> str:
    return f"{evaluation_prefix(run_id)}output/"


def job_name(run_id: str, side: Side) -> str:
    """``<run id>-eval-<side>``: a run id is lower-case letters, digits and dashes, at most 51 characters, so
    the name fits EvaluationJobName ``[a-z0-9](-*[a-z0-9]){0,62}``."""
    return f"{run_id}-eval-{side.value}"[:63].rstrip("-")


def evaluation_job_request(
    *,
    run_id: str,
    side: Side,
    model_identifier: str,
    profile: EvaluationProfile,
    bucket: str,
    role_arn: str,
    key_arn: str,
    tags: dict[str, str],
) -> dict[str, Any]:
    name = job_name(run_id, side)
    return {
        "jobName": name,
        "jobDescription": f"{side.value} model vs held-out prompts, run {run_id}"[:200],
        "clientRequestToken": name,
        "roleArn": role_arn,
        "customerEncryptionKeyId": key_arn,
        "jobTags": [{"key": k, "value": v} for k, v in sorted({**tags, "evaluated": side.value}.items())],
        "applicationType": "ModelEvaluation",
        "evaluationConfig": {
            "automated": {
                "datasetMetricConfigs": [
                    {
                        "taskType": TASK_TYPE,
                        "dataset": {"name": DATASET_NAME, "datasetLocation": {"s3Uri": f"s3://{bucket}/{dataset_key(run_id)}"}},
                        "metricNames": list(profile.metrics),
                    }
                ],
                "evaluatorModelConfig": {"bedrockEvaluatorModels": [{"modelIdentifier": profile.judge_model}]},
            }
        },
        "inferenceConfig": {
            "models": [
                {
                    "bedrockModel": {
                        "modelIdentifier": model_identifier,
                        # The same parameters for both models: the comparison is of the models, not the settings.
                        "inferenceParams": json.dumps(
                            {"inferenceConfig": {"maxTokens": profile.max_response_tokens, "temperature": 0}}, separators=(",", ":")
                        ),
                    }
                }
            ]
        },
        "outputDataConfig": {"s3Uri": f"s3://{bucket}/{output_prefix(run_id)}"},
    }
