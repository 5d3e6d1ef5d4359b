"""The base-model registry: the single source of truth for what each model accepts.

This is the walking-skeleton subset: identifiers, customization types, the dataset format
and whether provisioned throughput is offered. Record bounds, token limits and
hyperparameter ranges are added by the dataset-validator issue; every figure cites
its source (``shared/reference/bedrock-customization.md`` sections 2, 3 and 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CustomizationType(StrEnum):
    FINE_TUNING = "FINE_TUNING"
    CONTINUED_PRE_TRAINING = "CONTINUED_PRE_TRAINING"
    DISTILLATION = "DISTILLATION"


class DatasetFormat(StrEnum):
    PROMPT_COMPLETION = "prompt-completion"  # {"prompt": str, "completion": str}
    CONVERSATION = "bedrock-conversation-2024"
    CLAUDE_MESSAGES = "claude-messages"
    CONTINUED_PRETRAINING = "input"  # {"input": str}


@dataclass(frozen=True)
class BaseModel:
    model_id: str  # the foundation-model id as Bedrock lists it, without context suffix
    customization_id: str  # the id (with context suffix) CreateModelCustomizationJob takes
    name: str
    formats: dict[CustomizationType, DatasetFormat]
    provisioned_throughput: bool


# [UG custom-model-fine-tuning], [UG model-customization-prepare], [UG prov-thru-supported]
_MODELS = (
    BaseModel(
        model_id="meta.llama3-1-8b-instruct-v1:0",
        customization_id="meta.llama3-1-8b-instruct-v1:0:128k",
        name="Meta Llama 3.1 8B Instruct",
        formats={CustomizationType.FINE_TUNING: DatasetFormat.PROMPT_COMPLETION},
        provisioned_throughput=True,
    ),
    BaseModel(
        model_id="meta.llama3-1-70b-instruct-v1:0",
        customization_id="meta.llama3-1-70b-instruct-v1:0:128k",
        name="Meta Llama 3.1 70B Instruct",
        formats={CustomizationType.FINE_TUNING: DatasetFormat.PROMPT_COMPLETION},
        provisioned_throughput=True,
    ),
    BaseModel(
        model_id="amazon.titan-text-express-v1",
        customization_id="amazon.titan-text-express-v1:0:8k",
        name="Amazon Titan Text G1 - Express",
        formats={
            CustomizationType.FINE_TUNING: DatasetFormat.PROMPT_COMPLETION,
            CustomizationType.CONTINUED_PRE_TRAINING: DatasetFormat.CONTINUED_PRETRAINING,
        },
        provisioned_throughput=True,
    ),
)


class UnknownModel(LookupError):
    pass


def find_model(identifier: str) -> BaseModel:
    """Accept the ids users pass: with or without the context suffix, or a model ARN."""
    wanted = identifier.rsplit("foundation-model/", 1)[-1]
    for model in _MODELS:
        if wanted in (model.model_id, model.customization_id):
            return model
    raise UnknownModel(identifier)


def known_models() -> tuple[BaseModel, ...]:
    return _MODELS
