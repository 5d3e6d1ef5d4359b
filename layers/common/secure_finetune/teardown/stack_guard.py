"""Stack deletion guard: deleting the stack never leaves a billing throughput behind silently.

The ``RunResourcesGuard`` custom resource is deleted before the run table, topic, key and role
the teardown needs. On that deletion every run whose record holds a throughput or deployment
ARN (or a write-ahead intent to buy one) and no ``tornDownAt`` is either torn down (``OnStackDelete=delete``, the default) or named
in the refusal with the exact command that deletes it (``refuse``). A run that has not ended and meant to create
a job has that job (and any evaluation job) stopped by its write-ahead name, or is named with ``finetune cancel``
under ``refuse``: with the stack gone nothing would answer its wait. Whatever cannot be settled
fails the deletion: a FAILED answer stops CloudFormation, a silent SUCCESS would leave a bill.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..observability import logger
from ..ports import JobStatus
from ..runs import ResourceKind, RunRecord, RunStatus, StopActor
from ..service_errors import error_code
from ..wiring import Dependencies
from .intended import JobStop, intended_job, stop_intended_job
from .tear_down import tear_down

DELETE, REFUSE = "delete", "refuse"
MODES = (DELETE, REFUSE)
SUCCESS, FAILED = "SUCCESS", "FAILED"
# CloudFormation caps the whole response body at 4096 bytes; the handler passes what is left.
REASON_BYTES = 3000


@dataclass(frozen=True)
class BillingRun:
    run_id: str
    arn: str


def billing_runs(records: Iterable[RunRecord]) -> list[BillingRun]:
    """Runs that hold (or meant to buy) a throughput or deployment not yet torn down, in run id order.

    ``arn`` is the recorded ARN, else the write-ahead intent's name (a crash may have come before the
    ARN was recorded; the teardown looks it up by that name)."""
    found = []
    for record in records:
        bought = record.bought
        if bought is None or record.torn_down_at:
            continue
        found.append(BillingRun(record.run_id, bought[1]))
    return sorted(found, key=lambda run: run.run_id)


def teardown_command(run_id: str, stack_name: str) -> str:
    return f"finetune teardown {run_id} --stack {stack_name}"


def cancel_command(run_id: str, stack_name: str) -> str:
    return f"finetune cancel {run_id} --stack {stack_name}"


def listing(
    heading: str, runs: Sequence[BillingRun], stack_name: str, budget: int, command: Callable[[str, str], str] = teardown_command
) -> str:
    """``heading`` and one entry per run while they fit in ``budget`` bytes, then "and N more"."""
    text = heading
    for index, run in enumerate(runs):
        entry = f" {command(run.run_id, stack_name)} ({run.arn});"
        more = len(runs) - index - 1
        # Keep room for the "and N more" tail unless this is the last entry.
        if _size(text + entry + (_more(more) if more else "")) > budget:
            return _cut(text + _more(len(runs) - index), budget)
        text += entry
    return _cut(text, budget)


def _more(count: int) -> str:
    return f" ...and {count} more (all listed in the guard function's log)."


def _size(text: str) -> int:
    # As CloudFormation receives it: JSON-encoded, where quotes and non-ASCII grow.
    return len(json.dumps(text)) - 2


def _cut(text: str, budget: int) -> str:
    """Never more than ``budget`` bytes, even when a heading alone is too long."""
    if _size(text) <= budget:
        return text
    text = text[: max(budget - 3, 0)]
    while text and _size(text + "...") > budget:
        text = text[:-1]
    return text + "..." if budget >= 3 else ""


def guard_stack_delete(
    mode: str,
    deps: Dependencies,
    *,
    stack_name: str,
    out_of_time: Callable[[], bool] = lambda: False,
    reason_bytes: int = REASON_BYTES,
) -> tuple[str, str]:
    """(``SUCCESS`` | ``FAILED``, reason) for the stack deletion, after tearing down or refusing."""
    if mode not in MODES:
        return FAILED, _cut(f"OnStackDelete must be delete or refuse, not {mode[:40]!r}; nothing was deleted.", reason_bytes)
    training = [record for record in deps.runs.unfinished_job_runs() if record.intent(ResourceKind.JOB) is not None]
    if mode == REFUSE:  # refused only for a job that trains now (or cannot be read): a trained run waiting bills nothing
        training = [record for record in training if _may_train(record, deps)]
    runs = billing_runs(deps.runs.deployed_runs())
    if not runs and not training:
        return SUCCESS, "No run holds a throughput or deployment, or has a job that may still train."
    if training and mode == REFUSE:
        # Nothing would watch these jobs once the stack is gone: they would train (and bill) to the end.
        heading = f"OnStackDelete=refuse: {len(training)} run(s) may still train. Cancel each, then delete the stack again:"
        return FAILED, listing(heading, [BillingRun(r.run_id, "training job") for r in training], stack_name, reason_bytes, cancel_command)
    stuck = _stop_jobs(training, deps, out_of_time)
    if stuck:
        heading = f"Could not stop the job of {len(stuck)} run(s). Delete the stack again, or cancel each first:"
        return FAILED, listing(heading, stuck, stack_name, reason_bytes, cancel_command)
    if not runs:
        return SUCCESS, f"Stopped the jobs of {len(training)} unfinished run(s)."
    # The full list goes to the log: the reason may have to stop at "and N more".
    logger.info("runs still billing", mode=mode, runs=[{"run": run.run_id, "arn": run.arn} for run in runs])
    if mode == REFUSE:
        heading = f"OnStackDelete=refuse: {len(runs)} run(s) still bill. Delete each, then delete the stack again:"
        return FAILED, listing(heading, runs, stack_name, reason_bytes)
    failed: list[BillingRun] = []
    untried: list[BillingRun] = []
    for run in runs:
        if out_of_time():
            untried.append(run)
            continue
        try:
            outcome = tear_down(run.run_id, DELETE, deps, why="stack deleted", retry_later=False)
        except Exception as err:  # one failure must not stop the others; it fails the deletion below
            logger.warning("teardown failed", run=run.run_id, error=error_code(err))
            failed.append(run)
            continue
        logger.info("torn down", run=run.run_id, outcome=outcome.text)
    if failed or untried:
        done = len(runs) - len(failed) - len(untried)
        heading = (
            f"Tore down {done} of {len(runs)} run(s); {len(failed)} failed, {len(untried)} not tried before the timeout."
            " Delete the stack again, or delete each first:"
        )
        return FAILED, listing(heading, failed + untried, stack_name, reason_bytes)
    return SUCCESS, f"Tore down {len(runs)} run(s)."


def _may_train(record: RunRecord, deps: Dependencies) -> bool:
    """Whether the run's job (found by its write-ahead name) is in progress, or Bedrock cannot say (fail closed)."""
    try:
        job = intended_job(record, deps)
    except Exception as err:  # unreadable: refuse rather than let a job train unwatched
        logger.warning("job not read", run=record.run_id, error=error_code(err))
        return True
    if job is None:  # not yet: still QUEUED, its create may be in flight (StartTrainingJob records TRAINING after it)
        return record.status is RunStatus.QUEUED
    return job.status is JobStatus.IN_PROGRESS


def _stop_jobs(records: Sequence[RunRecord], deps: Dependencies, out_of_time: Callable[[], bool]) -> list[BillingRun]:
    """Stop the job (and any evaluation job) of each unfinished run, found by its write-ahead name: once the stack is
    gone nothing would answer its wait, and it would train to the end. The runs that could not be settled."""
    from ..evaluation.steps import stop_running_evaluation  # only on a stack deletion: kept off the cold start

    stuck = []
    for record in records:
        if out_of_time():
            stuck.append(BillingRun(record.run_id, "training job, not tried before the timeout"))
            continue
        try:
            stopped = stop_intended_job(record, deps, StopActor.PIPELINE)
            if record.status is RunStatus.DEPLOYING:  # only a run that deployed evaluates (as cancel_run decides)
                stop_running_evaluation(record.run_id, deps)
            if stopped is JobStop.NO_JOB and record.status is RunStatus.QUEUED:
                # Its create may be in flight (StartTrainingJob records TRAINING after it): a job made after the stack
                # is gone would train unwatched, and the janitor goes with the stack. Settle it first, then again.
                logger.warning("job create may be in flight", run=record.run_id)
                stuck.append(BillingRun(record.run_id, "training job being created"))
                continue
        except Exception as err:  # one failure must not stop the others; it fails the deletion
            logger.warning("job not stopped", run=record.run_id, error=error_code(err))
            stuck.append(BillingRun(record.run_id, "training job"))
            continue
        logger.info("job stopped for the stack deletion", run=record.run_id, outcome=stopped.value)
    return stuck
