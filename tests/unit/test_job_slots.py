"""Job slots: the DynamoDB semaphore + FIFO queue (on moto's DynamoDB) and who frees a slot."""

from __future__ import annotations

import pytest

from secure_finetune.adapters.job_slots import JobSlots
from secure_finetune.runs import RunStatus
from secure_finetune.training.slots import hand_out_free_slots, reclaim_job_slots, release_job_slot, wait_for_job_slot
from tests.unit.fakes import FakeDeps
from tests.unit.test_training import state as training_state


@pytest.fixture
def slots(moto_runs_table: str) -> JobSlots:
    return JobSlots(moto_runs_table, limit=2)


def deps_with(slots: JobSlots) -> FakeDeps:
    return FakeDeps(slots=slots)


def queue(deps: FakeDeps, run: str) -> list[str]:
    state = training_state()
    return wait_for_job_slot(state.model_copy(update={"run": state.run.model_copy(update={"run_id": run})}), f"token-{run}", deps)


def test_never_more_holders_than_the_limit_and_a_retried_acquire_keeps_its_slot(slots: JobSlots) -> None:
    assert slots.try_acquire("a") == 0
    assert slots.try_acquire("b") == 1
    assert slots.try_acquire("c") is None
    assert slots.try_acquire("a") == 0  # idempotent
    assert slots.view().holders == {0: "a", 1: "b"}


def test_release_is_idempotent_and_only_frees_the_runs_own_slot(slots: JobSlots) -> None:
    slots.try_acquire("a")
    assert slots.release("b") is False
    assert slots.release("a") is True
    assert slots.release("a") is False
    assert slots.view().holders == {}


def test_runs_beyond_the_limit_queue_and_are_woken_in_arrival_order(slots: JobSlots) -> None:
    deps = deps_with(slots)
    assert queue(deps, "r1") == ["r1"]  # a free slot: the run answers its own token at once
    assert queue(deps, "r2") == ["r2"]
    assert queue(deps, "r3") == []  # full: r3 waits, its token in the queue
    assert queue(deps, "r4") == []
    assert [w.run_id for w in slots.view().waiters] == ["r3", "r4"]

    assert release_job_slot("r1", deps) == ["r3"]  # the oldest waiter, never a newcomer
    assert [w.run_id for w in slots.view().waiters] == ["r4"]
    assert sorted(slots.view().holders.values()) == ["r2", "r3"]
    assert [answer for answer in deps.machine.answers] == [("success", {"slot": 0}), ("success", {"slot": 1}), ("success", {"slot": 0})]


def test_a_waiter_whose_wait_already_ended_gives_its_slot_to_the_next(slots: JobSlots) -> None:
    deps = deps_with(slots)
    for run in ("r1", "r2", "r3", "r4"):
        queue(deps, run)
    deps.machine.closed.add("token-r3")  # r3's wait timed out or was aborted
    assert release_job_slot("r1", deps) == ["r4"]
    assert sorted(slots.view().holders.values()) == ["r2", "r4"]
    assert slots.view().waiters == []


def test_a_stopped_run_leaves_the_queue_without_taking_a_slot(slots: JobSlots) -> None:
    deps = deps_with(slots)
    for run in ("r1", "r2", "r3"):
        queue(deps, run)
    assert release_job_slot("r3", deps) == []  # r3 failed while queued
    assert slots.view().waiters == []
    assert sorted(slots.view().holders.values()) == ["r1", "r2"]


def test_the_reconciler_reclaims_slots_of_finished_runs_and_serves_the_queue(slots: JobSlots) -> None:
    deps = deps_with(slots)
    for run in ("r1", "r2", "r3"):
        queue(deps, run)
    deps.runs.set_status("r1", RunStatus.FAILED)  # its release was lost (a crash)
    deps.runs.set_status("r2", RunStatus.TRAINING)  # still training: keeps its slot
    assert reclaim_job_slots(deps) == ["r3"]
    assert sorted(slots.view().holders.values()) == ["r2", "r3"]


def test_a_lost_wake_up_is_repaired_by_the_next_hand_out(slots: JobSlots) -> None:
    deps = deps_with(slots)
    queue(deps, "r1")
    queue(deps, "r2")
    queue(deps, "r3")
    slots.release("r1")  # freed without serving the queue (a crash between the two writes)
    assert hand_out_free_slots(deps) == ["r3"]


def test_a_hand_out_racing_another_for_the_same_waiter_leaves_its_slot_alone(slots: JobSlots) -> None:
    # Two releases serve the queue at once (a job ends while a new run queues): both saw r3 waiting
    deps = deps_with(slots)
    for run in ("r1", "r2", "r3"):
        queue(deps, run)
    slots.release("r1")
    seen_before = slots.view()  # the slower hand-out read the queue here...
    assert hand_out_free_slots(deps) == ["r3"]  # ...while the faster one woke r3 with the free slot
    fresh = slots.view
    reads = iter([seen_before])
    slots.view = lambda: next(reads, None) or fresh()  # type: ignore[method-assign]  # its first read is stale
    assert hand_out_free_slots(deps) == []  # the slower one finds r3 already served
    del slots.view
    assert sorted(slots.view().holders.values()) == ["r2", "r3"]  # r3 keeps its slot: the limit holds
