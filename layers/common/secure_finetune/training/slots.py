"""Job slots: runs beyond the concurrent-job quota queue for a slot instead of failing.

The ``WaitForJobSlot`` state leaves its task token in the queue; whoever frees a slot (the
completion of a job, a failed or aborted run, the reconciler) hands free slots to the oldest
waiters and answers their tokens. A queued run costs no state transitions while it waits.
"""

from __future__ import annotations

from ..runs import RunStatus
from ..state import PipelineState
from ..wiring import Dependencies

# A run in one of these states has no job that can still be running.
_DONE = frozenset({RunStatus.TRAINED, RunStatus.DEPLOYING, RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})


def wait_for_job_slot(state: PipelineState, task_token: str, deps: Dependencies) -> list[str]:
    """Queue this run (first, so a release racing us finds it), then serve the queue in order."""
    # QUEUED before the enqueue: once queued, a release may start its job (TRAINING) at any moment.
    deps.runs.set_status(state.run.run_id, RunStatus.QUEUED)
    deps.slots.enqueue(state.run.run_id, task_token)
    return hand_out_free_slots(deps)


def hand_out_free_slots(deps: Dependencies) -> list[str]:
    """Give free slots to the oldest waiters and wake them; returns the runs woken.

    Two hand-outs may run at once (a job ends while a run queues). Each waiter is claimed out of
    the queue first (a conditional delete), so only one of them gives it a slot and answers its
    token; a token that then cannot be answered means the wait itself ended."""
    woken: list[str] = []
    for waiter in deps.slots.view().waiters:
        if not deps.slots.claim(waiter.run_id):
            continue  # another hand-out is serving it
        slot = deps.slots.try_acquire(waiter.run_id)
        if slot is None:
            deps.slots.requeue(waiter)  # back in its place; the next release (or the reconciler) serves it
            break  # FIFO: nobody jumps the queue
        if deps.machine.succeed(waiter.task_token, {"slot": slot}):
            woken.append(waiter.run_id)
        else:
            deps.slots.release(waiter.run_id)  # its wait had already ended (timed out, aborted)
    return woken


def release_job_slot(run_id: str, deps: Dependencies) -> list[str]:
    """The run's job has ended (or never will start): free its slot and wake the next runs."""
    deps.slots.release(run_id)
    deps.slots.dequeue(run_id)
    return hand_out_free_slots(deps)


def reclaim_job_slots(deps: Dependencies) -> list[str]:
    """Reconciler: free slots whose run is finished (a release lost to a crash), then serve the queue."""
    for holder in set(deps.slots.view().holders.values()):
        record = deps.runs.get_run(holder)
        if record is None or record.status in _DONE:
            deps.slots.release(holder)
    return hand_out_free_slots(deps)
