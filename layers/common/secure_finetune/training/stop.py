"""Stopping a job: after the training wait timed out, or when an operator aborted the run."""

from __future__ import annotations

from ..observability import logger
from ..runs import RunChanges, RunStatus, Step
from ..service_errors import ServiceError, error_code
from ..state import PipelineState
from ..teardown.tear_down import TeardownKind, tear_down
from ..wiring import Dependencies
from .slots import release_job_slot


def stop_job_of_aborted_run(run_id: str, deps: Dependencies) -> str:
    """An operator aborted the execution: its job must not train (and bill) on unobserved,
    and its job slot (or its place in the slot queue) goes to the next run."""
    if deps.runs.get_token(run_id, Step.TRAINING) is None:
        release_job_slot(run_id, deps)
        # Aborted while deploying or smoke-testing: what it bought must not bill on unobserved either.
        torn = tear_down(run_id, "delete", deps, why="run aborted")
        return "ignored: the run was not training" if torn.kind is TeardownKind.NOTHING_DEPLOYED else f"torn down: {torn.text}"
    try:
        deps.bedrock.stop_job(run_id)
    except ServiceError as err:
        return f"could not stop: {err.code}"
    deps.runs.delete_token(run_id, Step.TRAINING)
    deps.runs.set_status(run_id, RunStatus.FAILED, RunChanges(reason="JOB_STOPPED:aborted"))
    release_job_slot(run_id, deps)
    return "stopped"


def stop_training_job(state: PipelineState, deps: Dependencies) -> None:
    """After the wait timed out: stop the job if it still runs (a timeout does not cancel it)."""
    try:
        deps.bedrock.stop_job(state.run.run_id)
    except ServiceError as err:
        logger.warning("could not stop the job", error=error_code(err))
