"""Training metrics from the job's output CSVs (``step_wise_training_metrics.csv``).

Columns per [UG model-customization-analyze]: ``step_number, epoch_number,
training_loss, perplexity`` (the validation file has ``validation_loss``). Thresholds
and the gate are the training-lifecycle issue; this module keeps the series and the
final/best values for the report.
"""

from __future__ import annotations

import csv
import io
import math

from pydantic import BaseModel, ConfigDict

TRAINING_METRICS_FILE = "training_artifacts/step_wise_training_metrics.csv"


class LossCurve(BaseModel):
    model_config = ConfigDict(frozen=True)
    steps: tuple[int, ...]
    losses: tuple[float, ...]
    final_loss: float
    best_loss: float


class MetricsUnreadable(ValueError):
    pass


def parse_loss_curve(text: str, column: str = "training_loss") -> LossCurve:
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or column not in rows[0] or "step_number" not in rows[0]:
        raise MetricsUnreadable(f"no '{column}' series")
    try:
        steps = tuple(int(row["step_number"]) for row in rows)
        losses = tuple(float(row[column]) for row in rows)
    except (TypeError, ValueError) as err:
        raise MetricsUnreadable("a row is not numeric") from err
    if not all(math.isfinite(loss) for loss in losses):
        raise MetricsUnreadable("a loss is not finite")
    return LossCurve(steps=steps, losses=losses, final_loss=losses[-1], best_loss=min(losses))


def metrics_key(output_prefix: str, job_arn: str) -> str:
    """``<output>/model-customization-job-<job-id>/training_artifacts/...``; job id = last ARN segment."""
    job_id = job_arn.rsplit("/", 1)[-1]
    return f"{output_prefix}model-customization-job-{job_id}/{TRAINING_METRICS_FILE}"


def gate_problems(curve: LossCurve, max_final_loss: float | None, require_decrease: bool) -> list[str]:
    """Why the curve fails the gate (empty = passes): short ids for the reason detail."""
    problems = []
    if max_final_loss is not None and curve.final_loss > max_final_loss:
        problems.append("final-loss-too-high")
    if require_decrease and len(curve.losses) > 1 and curve.final_loss >= curve.losses[0]:
        problems.append("loss-did-not-decrease")
    return problems
