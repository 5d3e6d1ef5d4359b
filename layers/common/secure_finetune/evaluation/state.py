"""``$.evaluation``: what the evaluation states pass each other (ids, statuses and counts; never prompt text)."""

from __future__ import annotations

from typing import Literal

from ..state import _Wire

# Skipped | Passed: done. Running: jobs to poll. Collecting -> Answered: an on-demand deployment's answers are being
# collected (CollectAnswers), then StartEvaluation starts the jobs.
EvaluationStatus = Literal["Skipped", "Collecting", "Answered", "Running", "Passed"]


class EvaluationJobRef(_Wire):
    side: str
    name: str
    arn: str


class EvaluationState(_Wire):
    status: EvaluationStatus
    wait_seconds: int = 1
    polls: int = 0
    jobs: tuple[EvaluationJobRef, ...] = ()
    # Collected answers (on-demand runs): prompts in the dataset, the next one to ask, how many were answered, and why
    # the others got none (the service's error code, or EmptyAnswer -> how many: codes only, never text).
    prompts: int = 0
    collected: int = 0
    answered: int = 0
    unanswered: dict[str, int] = {}
