"""A profile's evaluation settings: ``evaluation = false``, or a table of metrics, thresholds and the judge.

Defaults and why:

* ``Builtin.Correctness`` and ``Builtin.Completeness``: the two judge metrics that compare the answer with
  the ``referenceResponse`` our held-out records carry (the completion the model was trained to give), so
  they measure what fine-tuning is for. Helpfulness, style and the responsible-AI metrics can be added.
* Judge ``amazon.nova-pro-v1:0``: an evaluator model Bedrock supports for LLM-as-a-judge jobs, first-party
  (no Marketplace subscription to accept before a run); its tokens are priced from the snapshot when it has them (``cost.py``).
* ``min_improvement`` 0 for every metric: "not worse" unless the profile asks for a margin.
* ``max_prompts`` 100: Bedrock takes up to 1000 prompts per job; 100 keeps the judge's bill small.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

# Judge-based built-in metrics (botocore EvaluationDatasetMetricConfig.metricNames documentation).
JUDGE_METRICS = frozenset(
    {
        "Builtin.Correctness",
        "Builtin.Completeness",
        "Builtin.Faithfulness",
        "Builtin.Helpfulness",
        "Builtin.Coherence",
        "Builtin.Relevance",
        "Builtin.FollowingInstructions",
        "Builtin.ProfessionalStyleAndTone",
        "Builtin.Harmfulness",
        "Builtin.Stereotyping",
        "Builtin.Refusal",
    }
)
# The responsible-AI metrics score how much of the property an answer shows: for them lower is better.
LOWER_IS_BETTER = frozenset({"Builtin.Harmfulness", "Builtin.Stereotyping", "Builtin.Refusal"})
MAX_PROMPTS_PER_JOB = 1000  # UG model-evaluation-prompt-datasets-judge: "up to 1000 prompts ... per evaluation job"
DEFAULT_METRICS = ("Builtin.Correctness", "Builtin.Completeness")
# What CreateEvaluationJob accepts as the judge and as a generator (botocore 1.44.8, bedrock: EvaluatorModelIdentifier,
# EvaluationBedrockModelIdentifier; a test holds them equal): a profile naming anything else fails when it is loaded,
# not hours later when the job is created.
JUDGE_PATTERN = (
    r"(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:((:foundation-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))"
    r"|([0-9]{12}:inference-profile/(([a-z-]{2,8}.)[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63})))))$"
    r"|(^[a-z0-9-]+[.][a-z0-9-]+([.][a-z0-9-]+)*(:[a-z0-9-]+)?$)"
    r"|^[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2}(/[a-z0-9]{12}|)"
)
GENERATOR_PATTERN = (
    r"(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:((:foundation-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))"
    r"|([0-9]{12}:provisioned-model/[a-z0-9]{12})|([0-9]{12}:imported-model/[a-z0-9]{12})"
    r"|([0-9]{12}:application-inference-profile/[a-z0-9]{12})"
    r"|([0-9]{12}:inference-profile/(([a-z-]{2,8}.)[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63})))"
    r"|([0-9]{12}:(default-prompt-router|prompt-router)/[a-zA-Z0-9-:.]+)))"
    r"|(([a-z]{2,4}[.]{1})([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63})))"
    r"|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))"
    r"|arn:aws(-[^:]+)?:sagemaker:[a-z0-9-]{1,20}:[0-9]{12}:endpoint/[a-z0-9-]{1,63}"
)
DEFAULT_JUDGE = "amazon.nova-pro-v1:0"


class EvaluationProfile(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid", defer_build=True)

    enabled: bool = True
    metrics: tuple[str, ...] = DEFAULT_METRICS
    # Per metric: how much the custom model must beat the base (score units, 0..1); missing = 0 = not worse.
    min_improvement: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    judge_model: str = DEFAULT_JUDGE
    # The base model as the evaluation job invokes it (a foundation model id or an inference profile id);
    # None = the registry's foundation-model id of the base model.
    base_model_id: str | None = None
    max_prompts: Annotated[int, Field(ge=1, le=MAX_PROMPTS_PER_JOB)] = 100
    max_response_tokens: Annotated[int, Field(ge=16, le=4096)] = 512
    # A JSONL file in the data bucket (validated/ or evaluation/ prefix) to use instead of the validation file.
    evaluation_file: Annotated[str, Field(pattern=r"^(validated|evaluation)/[A-Za-z0-9!_.*'()/-]{1,900}\.jsonl$")] | None = None
    show_prompts_in_report: bool = False  # False: the report shows prompt indexes only
    expected_hours: Annotated[float, Field(gt=0, le=48)] = 1.0  # for the plan's throughput-hours figure

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [metric for metric in value if metric not in JUDGE_METRICS]
        if unknown:
            raise ValueError(f"not a judge metric: {', '.join(unknown)} (one of {', '.join(sorted(JUDGE_METRICS))})")
        if not value or len(set(value)) != len(value):
            raise ValueError("metrics: one or more, each once")
        return value

    @field_validator("judge_model")
    @classmethod
    def _a_judge_bedrock_takes(cls, value: str) -> str:
        if len(value) > 2048 or not re.fullmatch(JUDGE_PATTERN, value):
            raise ValueError(f"judge_model {value!r} is not a Bedrock model or inference profile id a judge can be (e.g. {DEFAULT_JUDGE})")
        return value

    @field_validator("base_model_id")
    @classmethod
    def _a_generator_bedrock_takes(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 2048 or not re.fullmatch(GENERATOR_PATTERN, value)):
            raise ValueError(
                f"base_model_id {value!r} is not a model id, inference profile or ARN an evaluation job can invoke"
                " (e.g. us.meta.llama3-1-8b-instruct-v1:0; no context-window suffix such as :128k)"
            )
        return value

    @model_validator(mode="after")
    def _thresholds_name_metrics(self) -> EvaluationProfile:
        stray = sorted(set(self.min_improvement) - set(self.metrics))
        if stray:
            raise ValueError(f"min_improvement names metrics not evaluated: {', '.join(stray)}")
        return self

    def threshold(self, metric: str) -> float:
        return self.min_improvement.get(metric, 0.0)


def evaluation_setting(value: Any) -> Any:
    """``evaluation = false`` / ``true`` in a profile is the table with only ``enabled`` set."""
    return {"enabled": value} if isinstance(value, bool) else value
