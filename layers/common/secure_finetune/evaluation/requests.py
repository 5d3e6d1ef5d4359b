"""The CreateEvaluationJob requests: one automated judge job per evaluated model (base, custom).

Both jobs get the same prompts, metrics, judge, service role, our key and an output prefix under the run's
report; the names and request tokens are derived from the run id, so a retried or crashed create finds its job
again instead of starting a second one.

A generator is either a model Bedrock invokes (``bedrockModel``: a foundation model, an inference profile, a
provisioned model ARN) or answers we collected ourselves (``precomputedInferenceSource``): a custom model deployed
on demand is not a ``bedrockModel`` identifier (its pattern admits no ``custom-model-deployment`` ARN), so its
answers are collected through the private endpoint (``answers.py``) and the job judges them. That dataset carries,
per prompt, one ``modelResponses`` entry whose ``modelIdentifier`` is the label the request names
(``EvaluationPrecomputedInferenceSource.inferenceSourceIdentifier``, ``[a-zA-Z0-9]([a-zA-Z0-9._-]){0,255}``).
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_EvaluationPrecomputedInferenceSource.html
https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-prompt-datasets-judge.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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


def answers_key(run_id: str) -> str:
    """The custom model's answers to the same prompts, collected through the private endpoint (on-demand runs)."""
    return f"{evaluation_prefix(run_id)}custom-answers.jsonl"


def answers_label(run_id: str) -> str:
    """The ``inferenceSourceIdentifier`` of collected answers (a run id is lower-case letters, digits, dashes)."""
    return f"{run_id}-custom"


def output_prefix(run_id: str) -> str:
    return f"{evaluation_prefix(run_id)}output/"


def job_name(run_id: str, side: Side) -> str:
    """``<run id>-eval-<side>``: a run id is lower-case letters, digits and dashes, at most 51 characters, so
    the name fits EvaluationJobName ``[a-z0-9](-*[a-z0-9]){0,62}``."""
    return f"{run_id}-eval-{side.value}"[:63].rstrip("-")


@dataclass(frozen=True)
class Generator:
    """What answers the prompts: a model Bedrock invokes, or answers we collected (``label`` set, in ``dataset``)."""

    model: str  # the model evaluated: an id or ARN Bedrock invokes, or (collected) the deployment that answered
    dataset: str  # the dataset's key in the data bucket
    label: str | None = None  # collected answers: their modelIdentifier / inferenceSourceIdentifier

    def model_config(self, profile: EvaluationProfile) -> dict[str, Any]:
        if self.label is not None:
            return {"precomputedInferenceSource": {"inferenceSourceIdentifier": self.label}}
        return {
            "bedrockModel": {
                "modelIdentifier": self.model,
                # The same parameters for both models (answers.py collects with these too): the comparison is of
                # the models, not the settings.
                "inferenceParams": json.dumps(
                    {"inferenceConfig": {"maxTokens": profile.max_response_tokens, "temperature": 0}}, separators=(",", ":")
                ),
            }
        }


def evaluation_job_request(
    *,
    run_id: str,
    side: Side,
    generator: Generator,
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
                        "dataset": {"name": DATASET_NAME, "datasetLocation": {"s3Uri": f"s3://{bucket}/{generator.dataset}"}},
                        "metricNames": list(profile.metrics),
                    }
                ],
                "evaluatorModelConfig": {"bedrockEvaluatorModels": [{"modelIdentifier": profile.judge_model}]},
            }
        },
        "inferenceConfig": {"models": [generator.model_config(profile)]},
        "outputDataConfig": {"s3Uri": f"s3://{bucket}/{output_prefix(run_id)}"},
    }
