"""The gate's arithmetic: per metric, the custom model's mean score against the base model's.

A metric passes when the custom model improves on the base by at least the profile's ``min_improvement``
(0 = not worse); for the responsible-AI metrics (lower is better) the improvement is base minus custom.
A metric either model has no score for fails (fail closed: an evaluation that measured nothing proves
nothing). Differences are rounded to 1e-9 so float noise (0.7 - 0.7) never fails a "not worse" gate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .config import LOWER_IS_BETTER, EvaluationProfile

_EPSILON_DIGITS = 9


@dataclass(frozen=True)
class MetricVerdict:
    metric: str
    base: float | None
    custom: float | None
    improvement: float | None  # signed: > 0 = the custom model is better
    required: float
    passed: bool
    coverage: tuple[int, int] | None = None  # prompts the judge scored both models on, of how many (None: not known)


@dataclass(frozen=True)
class GateDecision:
    verdicts: tuple[MetricVerdict, ...]

    @property
    def passed(self) -> bool:
        return all(verdict.passed for verdict in self.verdicts)

    @property
    def failed_metrics(self) -> tuple[str, ...]:
        return tuple(verdict.metric for verdict in self.verdicts if not verdict.passed)


def mean(scores: Sequence[float]) -> float | None:
    return round(sum(scores) / len(scores), 4) if scores else None


def decide(base: Mapping[str, float | None], custom: Mapping[str, float | None], profile: EvaluationProfile) -> GateDecision:
    verdicts = []
    for metric in profile.metrics:
        b, c, required = base.get(metric), custom.get(metric), profile.threshold(metric)
        if b is None or c is None:
            verdicts.append(MetricVerdict(metric, b, c, None, required, False))
            continue
        improvement = round((b - c) if metric in LOWER_IS_BETTER else (c - b), _EPSILON_DIGITS)
        verdicts.append(MetricVerdict(metric, b, c, improvement, required, improvement >= round(required, _EPSILON_DIGITS)))
    return GateDecision(tuple(verdicts))


def metric_id(metric: str) -> str:
    """The id a reason carries: ``Builtin.Correctness`` -> ``Correctness``."""
    return metric.removeprefix("Builtin.")


def scores_line(decision: GateDecision) -> str:
    """Both models' scores in one line for the owner's message: ids and numbers only."""
    parts = []
    for v in decision.verdicts:
        base = "n/a" if v.base is None else f"{v.base:.3f}"
        custom = "n/a" if v.custom is None else f"{v.custom:.3f}"
        change = "" if v.improvement is None else f" ({v.improvement:+.3f}, needs >= +{v.required:.3f})"
        if v.improvement is None and v.coverage is not None:  # not measured: say how thin it was
            change = f" (both scored on {v.coverage[0]} of {v.coverage[1]} prompts)"
        parts.append(f"{metric_id(v.metric)} base {base} custom {custom}{change} {'pass' if v.passed else 'FAIL'}")
    return "; ".join(parts)
