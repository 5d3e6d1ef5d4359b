"""The evaluation's report document (``reports/<run>/evaluation.json``) and the line the owner's message carries.

Content-free unless the profile allows prompt text in the report (``show_prompts_in_report``): ids, counts,
scores, verdicts and prompt indexes. The dataset itself is ``reports/<run>/evaluation/prompts.jsonl``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from ..ports import DataBucketPort
from ..reports import Report, _Part, read_report, write_report
from ..runs import Step
from .gate import GateDecision, MetricVerdict, metric_id, scores_line

EvaluationStatus = Literal["skipped", "running", "passed", "failed", "error"]


class JobRecord(_Part):
    side: str  # base | custom
    name: str
    arn: str | None = None
    model: str  # the model evaluated (the base model id, the provisioned model ARN, or the deployment that answered)
    status: str | None = None


class Verdict(_Part):
    metric: str
    base: float | None
    custom: float | None
    improvement: float | None
    required: float
    passed: bool
    scored: int | None = None  # prompts the judge scored both models on for this metric (None: an older report)
    of: int | None = None  # ... of how many


class PromptDelta(_Part):
    """One held-out prompt's scores, by its index in the evaluation dataset (0-based)."""

    index: int
    base: dict[str, float | None]
    custom: dict[str, float | None]
    prompt: str | None = None  # only when the profile allows prompt text in the report


class EvaluationReport(Report):
    step = Step.EVALUATION

    status: EvaluationStatus
    why: str | None = None  # skipped / error: in words, no content
    dataset: str | None = None  # s3:// URI of the prompt dataset
    source: str | None = None  # s3:// URI of the held-out records it was built from
    prompts: int = 0
    skipped_lines: tuple[int, ...] = ()
    digests: tuple[str, ...] = ()
    judge_model: str | None = None
    metrics: tuple[str, ...] = ()
    jobs: tuple[JobRecord, ...] = ()
    # On-demand runs: how many held-out prompts the deployment answered through the private endpoint (None: the
    # job invoked the custom model itself).
    custom_answers: int | None = None
    custom_unanswered: dict[str, int] = {}  # why the others got none: error code (or EmptyAnswer) -> how many
    verdicts: tuple[Verdict, ...] = ()
    deltas: tuple[PromptDelta, ...] = ()
    unmatched_lines: int = 0
    estimated_cost_usd: float | None = None  # all of it; None when a part has no sourced price
    estimated_judge_cost_usd: float | None = None

    def decision_line(self) -> str:
        if self.status == "skipped":
            return f"skipped: {self.why}"
        if not self.verdicts:
            return self.status
        decision = GateDecision(
            tuple(
                MetricVerdict(v.metric, v.base, v.custom, v.improvement, v.required, v.passed, _coverage(v.scored, v.of))
                for v in self.verdicts
            )
        )
        return scores_line(decision)


def verdicts_of(decision: GateDecision, coverage: dict[str, tuple[int, int]] | None = None) -> tuple[Verdict, ...]:
    """The report's rows; ``coverage`` (results.paired_coverage) adds each metric's "scored on k of n prompts"."""
    rows = []
    for v in decision.verdicts:
        fields = {k: value for k, value in asdict(v).items() if k != "coverage"}
        scored, of = (coverage or {}).get(v.metric, (None, None))
        rows.append(Verdict(**fields, scored=scored, of=of))
    return tuple(rows)


def _coverage(scored: int | None, of: int | None) -> tuple[int, int] | None:
    return None if scored is None or of is None else (scored, of)


def missed(misses: dict[str, int]) -> str:
    """``ThrottlingException 5, EmptyAnswer 2``: why prompts got no answer, most frequent first (codes only)."""
    return ", ".join(f"{code} {count}" for code, count in sorted(misses.items(), key=lambda item: (-item[1], item[0]))) or "none"


def write_error(bucket: DataBucketPort, run_id: str, why: str, report: EvaluationReport | None = None, **counts: object) -> None:
    """The evaluation ended in error: its report (``report``, else the stored one, else a new one) says why, with
    ``counts`` (e.g. ``custom_answers``) kept beside it."""
    report = report or read_report(bucket, run_id, EvaluationReport) or EvaluationReport(status="error")
    write_report(bucket, run_id, report.model_copy(update={"status": "error", "why": why, **counts}))


def evaluation_message(bucket: DataBucketPort, run_id: str) -> str:
    """The scores line for the owner's message ("" when no evaluation report exists)."""
    report = read_report(bucket, run_id, EvaluationReport)
    return "" if report is None else report.decision_line()


def failed_ids(report: EvaluationReport) -> str:
    return ",".join(metric_id(v.metric) for v in report.verdicts if not v.passed)
