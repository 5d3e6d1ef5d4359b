"""Reading an evaluation job's output: per prompt index, the judge's score for each metric.

Each output line is one prompt: ``inputRecord`` (our dataset line back), ``modelResponses`` and
``automatedEvaluationResult.scores[{metricName, result}]``; a metric the judge could not score has no
``result``. Lines are matched to our prompt indexes by the prompt's digest (output order is not promised).
Metric names may come back with or without the ``Builtin.`` prefix: both are read as ``Builtin.<name>``.
https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-report-s3.html
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .dataset import digest
from .gate import mean


@dataclass(frozen=True)
class JobScores:
    """One job's scores: ``per_prompt[metric][index]`` (None = not scored)."""

    per_prompt: dict[str, list[float | None]] = field(default_factory=dict)
    unmatched_lines: int = 0  # lines whose prompt is not in our dataset, or that do not parse

    def means(self) -> dict[str, float | None]:
        return {metric: mean([s for s in scores if s is not None]) for metric, scores in self.per_prompt.items()}


# The gate compares the two models on the same prompts, and only when the judge scored nearly all of them on both
# sides: a model scored on 1 prompt of 100 would otherwise be judged by that one answer.
MIN_PAIRED_COVERAGE = 0.9


def _pairs(base: JobScores, custom: JobScores, metric: str) -> tuple[list[tuple[float, float]], int]:
    """The (base, custom) scores of the prompts the judge scored for both models on ``metric``, and of how many."""
    b_scores, c_scores = base.per_prompt.get(metric, []), custom.per_prompt.get(metric, [])
    return [(b, c) for b, c in zip(b_scores, c_scores, strict=False) if b is not None and c is not None], len(b_scores)


def paired_coverage(base: JobScores, custom: JobScores, metrics: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Per metric: on how many prompts the judge scored both models, of how many (the report's "k of n")."""
    return {metric: (len((found := _pairs(base, custom, metric))[0]), found[1]) for metric in metrics}


def paired_means(base: JobScores, custom: JobScores, metrics: Sequence[str]) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """Per metric, both models' means over the prompts the judge scored for both; None for a metric scored on fewer
    than ``MIN_PAIRED_COVERAGE`` of the prompts (the gate then fails it: it measured too little)."""
    base_means: dict[str, float | None] = {}
    custom_means: dict[str, float | None] = {}
    for metric in metrics:
        pairs, prompts = _pairs(base, custom, metric)
        if not prompts or len(pairs) < MIN_PAIRED_COVERAGE * prompts:
            base_means[metric] = custom_means[metric] = None
            continue
        base_means[metric], custom_means[metric] = mean([b for b, _ in pairs]), mean([c for _, c in pairs])
    return base_means, custom_means


def read_scores(lines: Iterable[bytes], digests: Sequence[str], metrics: Sequence[str]) -> JobScores:
    index_of = {d: i for i, d in enumerate(digests)}
    per_prompt: dict[str, list[float | None]] = {metric: [None] * len(digests) for metric in metrics}
    unmatched = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            prompt = record["inputRecord"]["prompt"]
            scores = record["automatedEvaluationResult"]["scores"]
        except (ValueError, KeyError, TypeError):
            unmatched += 1
            continue
        index = index_of.get(digest(prompt)) if isinstance(prompt, str) else None
        if index is None or not isinstance(scores, list):
            unmatched += 1
            continue
        for score in scores:
            if not isinstance(score, dict) or not isinstance(score.get("metricName"), str):
                continue
            name = score["metricName"]
            metric = name if name.startswith("Builtin.") else f"Builtin.{name}"
            value = score.get("result")
            if metric in per_prompt and isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
                # The gate, its thresholds and the chart read scores on 0..1; anything else counts as not scored.
                per_prompt[metric][index] = float(value)
    return JobScores(per_prompt, unmatched)
