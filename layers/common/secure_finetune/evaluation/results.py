"""Reading an evaluation job's output: per prompt index, the judge's score for each metric.

Each output line is one prompt: ``inputRecord`` (our dataset line back), ``modelResponses`` and
``automatedEvaluationResult.scores[{metricName, result}]``; a metric the judge could not score has no
``result``. Lines are matched to our prompt indexes by the prompt's digest (output order is not promised).
Metric names may come back with or without the ``Builtin.`` prefix: both are read as ``Builtin.<name>``.
https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-report-s3.html
"""

from __future__ import annotations

import json
import math
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
            if metric in per_prompt and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                per_prompt[metric][index] = float(value)
    return JobScores(per_prompt, unmatched)
