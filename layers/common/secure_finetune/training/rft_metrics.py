"""Reinforcement fine-tuning's reward curve, for the run report.

Where Bedrock writes an RFT job's metrics is not documented: the RFT pages say only that the console tracks
"job status, reward" during training ([UG rft-nova-models]
https://docs.aws.amazon.com/bedrock/latest/userguide/rft-nova-models.html), and the output layout documented for
customization jobs is ``training_artifacts/step_wise_training_metrics.csv`` ([UG model-customization-analyze]).
So the reward series is read from that file: the first column whose name holds "reward" (case-insensitive), per
``step_number``. No such column: no reward curve (the report says so), never a guess.
"""

from __future__ import annotations

import csv
import io
import math

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class RewardCurve(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, defer_build=True)
    column: str  # the CSV column it was read from
    steps: tuple[int, ...]
    rewards: tuple[float, ...]
    final_reward: float
    best_reward: float


def reward_curve(text: str) -> RewardCurve | None:
    """The reward series of a step-wise metrics CSV, or None when it has none (or an unreadable one)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or "step_number" not in rows[0]:
        return None
    column = next((name for name in rows[0] if name and "reward" in name.lower()), None)
    if column is None:
        return None
    try:
        steps = tuple(int(row["step_number"]) for row in rows)
        rewards = tuple(float(row[column]) for row in rows)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(reward) for reward in rewards):
        return None
    return RewardCurve(column=column, steps=steps, rewards=rewards, final_reward=rewards[-1], best_reward=max(rewards))
