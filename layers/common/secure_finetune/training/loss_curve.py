"""Training metrics from the job's output CSVs (``step_wise_training_metrics.csv`` and, with a
validation set, ``validation_metrics.csv``).

Columns per [UG model-customization-analyze]: ``step_number, epoch_number,
training_loss, perplexity`` (the validation file has ``validation_loss``). The series and their
final/best values go to the run report; ``gate_problems`` applies the profile's thresholds.
"""

from __future__ import annotations

import csv
import io
import math

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

TRAINING_METRICS_FILE = "training_artifacts/step_wise_training_metrics.csv"
# The UG's tree omits the inner validation/ folder that AWS's samples (and jobs) write: try both.
VALIDATION_METRICS_FILES = (
    "validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv",
    "validation_artifacts/post_fine_tuning_validation/validation_metrics.csv",
)


class LossCurve(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, defer_build=True)  # camelCase in metrics.json
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


def metrics_key(output_prefix: str, job_arn: str, file: str = TRAINING_METRICS_FILE) -> str:
    """``<output>/model-customization-job-<job-id>/<file>``; job id = last ARN segment."""
    job_id = job_arn.rsplit("/", 1)[-1]
    return f"{output_prefix}model-customization-job-{job_id}/{file}"


def gate_problems(
    curve: LossCurve,
    max_final_loss: float | None,
    require_decrease: bool,
    validation: LossCurve | None = None,
    max_final_validation_loss: float | None = None,
) -> list[str]:
    """Why the curves fail the gate (empty = passes): short ids for the reason detail."""
    problems = []
    if max_final_loss is not None and curve.final_loss > max_final_loss:
        problems.append("final-loss-too-high")
    if max_final_validation_loss is not None:
        if validation is None:
            problems.append("no-validation-loss")  # the gate asks for one: fail closed
        elif validation.final_loss > max_final_validation_loss:
            problems.append("validation-loss-too-high")
    if require_decrease and len(curve.losses) > 1 and curve.final_loss >= curve.losses[0]:
        problems.append("loss-did-not-decrease")
    return problems
