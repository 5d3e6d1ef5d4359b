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
