"""The crash matrix (issue 12): every Task state of the real ASL, crashed before and after each of its port calls.

Given a run on the emulator (the real template, ASL and handlers) and one crash point, when the run goes
to its end, then the invariants hold:

* no execution is left running;
* the owner is told exactly once how the run ended (one failure or cancel message; none for a success);
* the run's job slot is freed and it waits in no queue;
* no job of the run is still training;
* no throughput or deployment of the run is alive unless the run succeeded (and then its time-to-live
  teardown is scheduled), and no evaluation job of a run that did not succeed is still running;
* the run record says what happened (FAILED with the execution's reason, CANCELLED, or SUCCEEDED), and
  that the owner was told.

The crash points are measured, not listed: a first run of each base scenario records the port calls each
state makes in each invocation (``crash_harness.Injector``), and every one of them is crashed before and after -- in
the first invocation, and in a later one where it makes other calls. A crash in a
state its base never reaches is impossible, so each Task state is assigned a base that reaches it; the
last test checks that the bases reach every Task state of the ASL and prints the matrix size.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from local.bedrock_standin import Scenario
from local.emulator import LocalPipeline

from secure_finetune.adapters.job_slots import JobSlots
from secure_finetune.adapters.runs_table import RunTable
from secure_finetune.adapters.scheduler import schedule_name
from secure_finetune.runs import RunRecord, RunStatus, run_id

from .conftest import EVENTS
from .crash_harness import AFTER, BEFORE, CrashPoint, Injector, Plan, service_tasks, task_states

TERMINAL = frozenset({"DATASET_REJECTED", "GUARDRAIL_FAILED", "JOB_FAILED", "RUN_FAILED", "RUN_CANCELLED"})
SUCCEEDED, FAILED, CANCELLED = "SUCCEEDED", "FAILED", "CANCELLED"
# The training-timeout base waits this long; every other run trains for 0.2 s and must never reach it, even on a
# loaded 2-CPU machine running four runs at once (3 s was once too short: a run that should buy ended JOB_TIMED_OUT).
TRAINING_TIMEOUT_SECONDS = 12


@dataclass(frozen=True)
class Base:
    """A scenario run to its end with one crash added; ``first_crash`` puts the run on a failure path first."""

    name: str
    profile: str
    ends: str  # without the matrix's crash
    job_outcome: str = "Completed"  # what the emulated Bedrock does with the job
    training_seconds: float = 0.2
    first_crash: tuple[str, str, str] | None = None  # (state, port call, BEFORE|AFTER): its first such call
    dataset: str = "sample-dataset.jsonl"
    held_out: bool = False  # upload x.validation.jsonl first: the evaluation (StartEvaluation, CheckEvaluation) runs


BASES = {
    base.name: base
    for base in (
        Base("approved purchase", "regulated", SUCCEEDED),
        Base("evaluated purchase", "default", SUCCEEDED, held_out=True),
        Base("on-demand deployment", "on-demand", SUCCEEDED, dataset="sample-conversation.jsonl"),
        # ... evaluated: its answers collected through the private endpoint (CollectAnswers), then judged
        Base("evaluated on demand", "on-demand", SUCCEEDED, dataset="sample-conversation.jsonl", held_out=True),
        # The completion event is lost and the job outlives the wait: StopTrainingJob stops it.
        Base("training timeout", "default", FAILED, job_outcome="Lost", training_seconds=TRAINING_TIMEOUT_SECONDS + 3),
        # NotifyFailure with a job still training (its ARN recorded or not, it must be stopped): it trains long
        # enough that it is always still training there, so NotifyFailure makes the same calls in every run ...
        Base(
            "failure while training",
            "default",
            FAILED,
            training_seconds=60,
            first_crash=("StartTrainingJob", "bedrock.create_job", AFTER),
        ),
        # ... and with a throughput bought (it must be deleted).
        Base("failure after purchase", "default", FAILED, first_crash=("SmokeTest", "", BEFORE)),
        # Someone stopped the job outside the pipeline: CANCELLED, not failed.
        Base("cancelled outside", "default", CANCELLED, job_outcome="Stopped"),
    )
}
# Which bases crash which state (every other state: the approved purchase, which reaches all the rest).
STATE_BASES = {
    "StopTrainingJob": ("training timeout",),
    "NotifyFailure": ("failure while training", "failure after purchase"),
    "NotifyCancelled": ("cancelled outside",),
    "StartEvaluation": ("evaluated purchase", "evaluated on demand"),
    "CollectAnswers": ("evaluated on demand",),
    "CheckEvaluation": ("evaluated purchase", "evaluated on demand"),
    "DeployModel": ("approved purchase", "on-demand deployment"),
    "CheckDeployment": ("approved purchase", "on-demand deployment"),
}
DEFAULT_BASES = ("approved purchase",)
AT_ONCE = 4  # runs in flight together (each its own dataset, run id and resources): the waits overlap


@dataclass
class Case:
    base: Base
    points: tuple[CrashPoint, ...]
    plan: Plan
    run: str
    execution: str


@dataclass
class Outcome:
    run: str
    status: str  # the execution's
    error: str | None
    milestones: list[str]
    record: RunRecord | None
    plan: Plan
    violations: list[str] = field(default_factory=list)


class Matrix:
    """One emulator shared by every case (each case is its own dataset, run id and resources)."""

    def __init__(self, pipeline: LocalPipeline) -> None:
        self.pipeline = pipeline
        self.injector = Injector(pipeline)
        self.cases = itertools.count()
        self.recorded: dict[str, dict[str, list[list[str]]]] = {}  # base -> state -> its invocations' distinct port calls
        self.walks: dict[str, list[str]] = {}  # base -> the statuses its run record was given, in order
        outputs = pipeline.stack.outputs
        self.runs = RunTable(outputs["RunsTableName"])
        self.slots = JobSlots(outputs["RunsTableName"], AT_ONCE)

    def calls(self, base: Base) -> dict[str, list[list[str]]]:
        """The port calls of every state the base reaches, recorded once (its first crash included)."""
        if base.name not in self.recorded:
            [outcome] = self.run_all(base, [()])
            assert not outcome.violations, (base.name, outcome.violations)
            assert (outcome.record.status if outcome.record else None) == base.ends, (base.name, outcome.status, outcome.error)
            self.walks[base.name] = list(outcome.plan.statuses)
            self.recorded[base.name] = {state: outcome.plan.calls(state) for state in dict.fromkeys(outcome.plan.visited())}
        return self.recorded[base.name]

    def run_all(self, base: Base, crashes: list[tuple[CrashPoint, ...]]) -> list[Outcome]:
        """Each crash set in a run of its own, ``AT_ONCE`` runs in flight; then nothing may be left running."""
        outcomes: list[Outcome] = []
        for start in range(0, len(crashes), AT_ONCE):
            cases = [self._start(base, points) for points in crashes[start : start + AT_ONCE]]
            outcomes += [self._judge(case, self._drive(case)) for case in cases]
            running = [e["name"] for e in self.pipeline.executions() if e["status"] == "RUNNING"]
            if running:
                outcomes[-1].violations.append(f"executions left running: {running}")
        return outcomes

    def _start(self, base: Base, points: tuple[CrashPoint, ...]) -> Case:
        slug = f"crash{next(self.cases)}"
        folder = "incoming/" if base.profile == "default" else f"incoming/{base.profile}/"
        plan = self.injector.plan(slug, *self._first_crash(base), *points)
        scenario = self.pipeline.scenario  # after _first_crash: it may record another base first
        scenario.job_outcome, scenario.training_seconds = base.job_outcome, base.training_seconds
        if base.held_out:
            held_out = base.dataset.removesuffix(".jsonl") + ".validation.jsonl"  # the held-out file in the dataset's format
            self.pipeline.upload(f"{folder}{slug}.validation.jsonl", (EVENTS / held_out).read_bytes())
        key = f"{folder}{slug}.jsonl"
        version = self.pipeline.upload(key, (EVENTS / base.dataset).read_bytes())
        return Case(base, points, plan, run_id(self.pipeline.bucket, key, version), self.pipeline.execution_arn(key, version))

    def _first_crash(self, base: Base) -> tuple[CrashPoint, ...]:
        if base.first_crash is None:
            return ()
        state, label, when = base.first_crash
        first = self.calls(BASES["approved purchase"])[state][0]  # the state's first invocation
        index = first.index(label) if label else 0  # no label: its first call, whatever it is
        return (CrashPoint(state, tuple(first[: index + 1]), when),)

    def _drive(self, case: Case, timeout: float = 180) -> dict[str, Any]:
        """Wait for the execution's end, approving the purchase as an owner would when asked."""
        sfn, deadline, approved = boto3.client("stepfunctions"), time.time() + timeout, False
        while time.time() < deadline:
            try:
                described: dict[str, Any] = sfn.describe_execution(executionArn=case.execution)
            except sfn.exceptions.ExecutionDoesNotExist:
                described = {"status": "PENDING"}
            if described["status"] not in ("RUNNING", "PENDING"):
                return described
            if not approved and (link := self._approval_link(case.run)):
                self.pipeline.open_approval("POST", link, "approve")
                approved = True
            time.sleep(0.05)
        return {"status": "RUNNING", "error": f"still running after {timeout}s"}

    def _approval_link(self, run: str) -> str | None:
        for message in self.pipeline.notifications():
            if message["milestone"] == "APPROVAL_NEEDED" and _about(message, run):
                found = re.search(r"(?i)approve[ _]link: (\S+)", message["body"])
                return found[1] if found else None
        return None

    def _judge(self, case: Case, described: dict[str, Any]) -> Outcome:
        run, status, error = case.run, described["status"], described.get("error")
        milestones = [m["milestone"] for m in self.pipeline.notifications() if _about(m, run)]
        record = self.runs.get_run(run)
        outcome = Outcome(run, status, error, milestones, record, case.plan)
        bad = outcome.violations
        if status == "RUNNING":
            bad.append(f"execution still running: {error}")
        for point in case.points:
            if point not in case.plan.fired:
                bad.append(f"the crash point {point} was never reached (the run ended {status} {error})")
        told = [m for m in milestones if m in TERMINAL]
        cancelled = record is not None and record.status is RunStatus.CANCELLED
        succeeded = status == SUCCEEDED and not cancelled
        if succeeded and (told or milestones.count("THROUGHPUT_READY") != 1):
            bad.append(f"a success told {milestones}")
        if not succeeded and len(told) != 1:
            bad.append(f"owner told {len(told)} times how it ended: {milestones}")
        view = self.slots.view()
        if run in view.holders.values() or run in [w.run_id for w in view.waiters]:
            bad.append("job slot still held or queued")
        job = _job_status(run)
        if job in ("InProgress", "Stopping"):
            bad.append(f"job still {job}")
        evaluating = [j.arn for j in self.pipeline.evaluation.jobs.values() if j.status == "InProgress" and _named_for(j, run)]
        if not succeeded and evaluating:
            bad.append(f"evaluation jobs still billing tokens: {evaluating}")
        alive = [t.arn for t in self.pipeline.bedrock.throughputs.values() if t.name == run]
        alive += [d.arn for d in self.pipeline.bedrock.deployments.values() if d.name == run]
        if not succeeded and alive:
            bad.append(f"still billing: {alive}")
        if succeeded and (len(alive) != 1 or not _ttl_scheduled(run)):
            bad.append(f"a success without exactly one purchase under a time-to-live: {alive}")
        bad += _record_problems(record, status, error, cancelled)
        return outcome


def _record_problems(record: RunRecord | None, status: str, error: str | None, cancelled: bool) -> list[str]:
    if record is None:
        return [] if status == FAILED and error and error.startswith(("OBJECT_", "RUN_")) else ["no run record"]
    if cancelled:
        return [] if status == SUCCEEDED and record.notified_at else [f"CANCELLED but the execution {status}"]
    if status == SUCCEEDED:
        return [] if record.status is RunStatus.SUCCEEDED else [f"record says {record.status} for a success"]
    if record.status is not RunStatus.FAILED or record.reason != error or not record.notified_at:
        return [f"record says {record.status} {record.reason} (told: {record.notified_at}) for {status} {error}"]
    return []


def _named_for(job: Any, run: str) -> bool:
    return str(job.request.get("jobName", "")).startswith(f"{run}-eval-")


def _about(message: dict[str, Any], run: str) -> bool:
    return str(message.get("subject") or "").endswith(f"({run})")


def _job_status(run: str) -> str | None:
    bedrock = boto3.client("bedrock")
    try:
        return str(bedrock.get_model_customization_job(jobIdentifier=run)["status"])
    except bedrock.exceptions.ResourceNotFoundException:
        return None


def _ttl_scheduled(run: str) -> bool:
    scheduler = boto3.client("scheduler")
    try:
        scheduler.get_schedule(Name=schedule_name(run, "d"))
    except scheduler.exceptions.ResourceNotFoundException:
        return False
    return True


@pytest.fixture(scope="module")
def matrix() -> Iterator[Matrix]:
    scenario = Scenario(training_seconds=0.2, throughput_polls_until_ready=1, job_quota=AT_ONCE)
    parameters = {
        "TrainingTimeoutSeconds": str(TRAINING_TIMEOUT_SECONDS),
        "MaxConcurrentJobs": str(AT_ONCE),  # the runs in flight never queue for each other's slots ...
        "NoCommitmentModelUnits": str(4 * AT_ONCE),  # ... nor find the account's model units taken by each other
    }
    with LocalPipeline(scenario=scenario, parameters=parameters) as pipeline:
        yield Matrix(pipeline)


def bases_of(state: str) -> tuple[str, ...]:
    return STATE_BASES.get(state, DEFAULT_BASES)


def crash_points(matrix: Matrix, base: Base, state: str) -> list[CrashPoint]:
    """Before and after every port call of the state's first invocation, and of every later one where it makes other
    calls (from where it parts from those already covered: a poll that finds the deployment ready, the second
    StartEvaluation of an on-demand run that creates the jobs). A call at a shared position is crashed once, in the
    first invocation that makes it: the crash fires where the calls so far match."""
    sequences = matrix.calls(base)
    assert state in sequences, f"{base.name} never reaches {state}: give it a base that does"
    covered: set[tuple[str, ...]] = set()
    points = []
    for kind, calls in enumerate(sequences[state]):
        for index in range(len(calls)):
            prefix = tuple(calls[: index + 1])
            if prefix not in covered:
                covered.add(prefix)
                points += [CrashPoint(state, prefix, when, kind) for when in (BEFORE, AFTER)]
    return points


@pytest.mark.parametrize("state", sorted(task_states()))
def test_a_crash_before_or_after_any_port_call_of_the_state_leaves_nothing_running_or_billing_and_tells_the_owner_once(
    matrix: Matrix, state: str
) -> None:
    failures = []
    for name in bases_of(state):
        base = BASES[name]
        points = crash_points(matrix, base, state)
        assert points, f"{state} makes no port call in {base.name}"
        for point, outcome in zip(points, matrix.run_all(base, [(point,) for point in points]), strict=True):
            found = [f"[{base.name}] {point}: {problem}" for problem in outcome.violations]
            for line in found:
                print(line, flush=True)  # as it happens (pytest -s): the matrix takes minutes
            failures += found
    assert not failures, "\n".join(failures)


def test_the_bases_reach_every_task_state_of_the_asl_and_the_matrix_size_is_printed(
    matrix: Matrix, capsys: pytest.CaptureFixture[str]
) -> None:
    size = sum(len(crash_points(matrix, BASES[name], state)) for state in task_states() for name in bases_of(state))
    with capsys.disabled():
        print(
            f"\ncrash matrix: {len(task_states())} Task states running our code, {size} crash points (before and after each"
            f" port call); run by Step Functions itself, no port call to crash: {', '.join(service_tasks())}"
        )
    assert size >= 2 * len(task_states())


def test_the_run_record_walks_every_status_in_order(matrix: Matrix) -> None:
    # Item 7: a validated run reads VALIDATED, a queued one QUEUED, ... (the statuses the steps write, in order)
    for base in BASES.values():
        matrix.calls(base)  # recorded once per module
    walks = matrix.walks
    assert walks["approved purchase"] == ["VALIDATED", "QUEUED", "TRAINING", "TRAINED", "DEPLOYING", "SUCCEEDED"]
    assert walks["failure while training"][-1] == "FAILED" and walks["cancelled outside"][-1] == "CANCELLED"
    # REGISTERED is the record's first status (create_run), every other one is written by a step
    assert {"REGISTERED", *(status for walk in walks.values() for status in walk)} == {status.value for status in RunStatus}
