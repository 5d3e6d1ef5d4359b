"""Reconciler: answer the waits whose completion event was lost, reclaim job slots, report the pipeline's health."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import ReconcileSettings
from ..runs import Step
from ..service_errors import ServiceError
from ..wiring import Dependencies
from .completion import CompletionKind, CompletionOutcome, answer_training_wait
from .slots import reclaim_job_slots


@dataclass(frozen=True)
class PipelineHealth:
    queued_runs: int  # waiting for a job slot
    overdue_training_waits: int  # training for more than 80% of TrainingTimeoutSeconds


def pipeline_health(deps: Dependencies) -> PipelineHealth:
    """What the reconciler reports every 15 minutes (alarmed in the template)."""
    overdue_after = int(deps.settings(ReconcileSettings).training_timeout_seconds * 0.8)
    return PipelineHealth(
        queued_runs=len(deps.slots.view().waiters),
        overdue_training_waits=len(deps.runs.waiting_since(Step.TRAINING, overdue_after)),
    )


@dataclass(frozen=True)
class Reconciled:
    """What one reconciler pass did."""

    answers: dict[str, CompletionOutcome]  # per overdue training wait, by run id
    given_slots: tuple[str, ...]  # the runs a reclaimed or free job slot went to

    def outcomes(self) -> dict[str, str]:
        """Per run, what was done (for the log and the function's answer)."""
        texts = {run_id: answer.text for run_id, answer in self.answers.items()}
        texts.update({run_id: "given a job slot" for run_id in self.given_slots})
        return texts


def events_recovered(reconciled: Reconciled) -> int:
    """How many waits the reconciler answered because their completion event was lost."""
    return sum(answer.kind is CompletionKind.ANSWERED for answer in reconciled.answers.values())


def reconcile_training_waits(deps: Dependencies, older_than_seconds: int) -> Reconciled:
    """Bedrock's events are best effort: answer the waits whose completion event never came,
    then reclaim job slots a crashed release left behind and serve the slot queue."""
    answers = {}
    for run_id in deps.runs.waiting_since(Step.TRAINING, older_than_seconds):
        try:
            answers[run_id] = answer_training_wait(run_id, deps)
        except ServiceError as err:  # one run's trouble (throttled, denied) must not starve every other wait
            answers[run_id] = CompletionOutcome(CompletionKind.IGNORED, f"not answered this pass: {err.code}")
    return Reconciled(answers=answers, given_slots=tuple(reclaim_job_slots(deps)))
