"""Crash injection for the crash matrix (issue 12): every port call of every Task state, crashed before and after.

How a crash is made: the emulator runs our real handlers in-process (``local/lambda_runtime.py``); the
harness wraps each registered handler so that, for the run under test, it is called with a
``Dependencies`` whose ports (``wiring.py``: bucket, runs, bedrock, machine, notifier, slots, scheduler,
...) are proxies. Each proxy counts the state's port calls and, at the planned point, raises
``InjectedCrash``, a ``BaseException``: like a process that dies, no ``except Exception`` in the step
can swallow it. At the handler's edge it becomes ``LambdaCrashed``, an ordinary error as the Lambda
service reports an invocation that died, and Step Functions routes it through the real ASL (Retry,
Catch) as it would any crash. A crash "after" a call means the call took effect and the function died
before it could do anything with the answer.

The states are read from ``statemachine/pipeline.asl.json`` (a Task's function, and for the shared notify
function and the parameter that tells one state of a shared function from another: ``milestone`` for the notifier,
``task`` for the private-inference function), so a new Task state joins the matrix without an edit here.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from local.emulator import LocalPipeline

from secure_finetune.wiring import _PORTS, Dependencies

ASL = Path(__file__).resolve().parents[2] / "statemachine" / "pipeline.asl.json"
BEFORE, AFTER = "before", "after"


class InjectedCrash(BaseException):
    """The function dies here (a BaseException: no step code can catch and carry on)."""


class LambdaCrashed(Exception):
    """What the Lambda service reports for an invocation that died (the runtime's error, not the step's)."""


def task_states(asl: Path = ASL) -> dict[str, tuple[str, str | None]]:
    """Every Task state that runs our code -> (the logical id of its function, its ``milestone`` or ``task`` parameter).

    The Task states whose work Step Functions does itself (``arn:...:states:::sns:publish``) make no port
    call of ours to crash around: ``service_tasks`` lists them."""
    states = json.loads(asl.read_text())["States"]
    found = {}
    for name, state in states.items():
        if state["Type"] != "Task" or name in service_tasks(asl):
            continue
        parameters = state.get("Parameters") or {}
        function = str(parameters.get("FunctionName") or state["Resource"])
        found[name] = (function.removeprefix("${").removesuffix("Arn}"), _which(parameters))
    assert len(set(found.values())) == len(found), "two Task states the injector cannot tell apart"
    return found


def _which(event: object) -> str | None:
    """The parameter a shared function's states pass to say which state called it."""
    if not isinstance(event, dict):
        return None
    found = event.get("milestone") or event.get("task")
    return str(found) if found else None


def service_tasks(asl: Path = ASL) -> list[str]:
    """Task states that call an AWS service directly (no Lambda of ours): Step Functions runs them."""
    states = json.loads(asl.read_text())["States"]
    return [
        name
        for name, state in states.items()
        if state["Type"] == "Task"
        and ":states:::" in state["Resource"]
        and not state["Resource"].split(":states:::", 1)[1].startswith("lambda:")
    ]


@dataclass(frozen=True)
class CrashPoint:
    """Crash ``state`` before or after the port call ``calls[-1]`` of its first invocation for the run whose port calls
    so far are ``calls``: the first invocation, or a later one that makes other calls (a second StartEvaluation that
    creates the jobs, the poll that finds the deployment ready)."""

    state: str
    calls: tuple[str, ...]  # the invocation's port calls up to and including the one to crash at
    when: str  # BEFORE | AFTER
    kind: int = 0  # which of the state's distinct call sequences (0: its first invocation's), for the report

    @property
    def label(self) -> str:
        return self.calls[-1]

    def __str__(self) -> str:
        return f"{self.state}: {self.when} #{len(self.calls) - 1} {self.label}" + (f" (invocation kind {self.kind})" if self.kind else "")


@dataclass
class Invocation:
    """One invocation of one state's handler for the run under test."""

    run: str
    state: str
    plan: tuple[CrashPoint, ...]
    fired: list[CrashPoint]  # shared by the injector: every point that crashed
    statuses: list[str]  # shared by the injector: every status written on the run record, in order
    calls: list[str] = field(default_factory=list)

    def before(self, label: str) -> None:
        self._maybe_crash((*self.calls, label), BEFORE)
        self.calls.append(label)

    def after(self) -> None:
        self._maybe_crash(tuple(self.calls), AFTER)

    def _maybe_crash(self, calls: tuple[str, ...], when: str) -> None:
        for point in self.plan:
            # once per run: the retry after the crash makes the same calls and must get past them
            if (point.state, point.calls, point.when) == (self.state, calls, when) and point not in self.fired:
                self.fired.append(point)
                raise InjectedCrash(str(point))


class _Port:
    """A port whose every public method call is counted (and may crash before or after it runs)."""

    def __init__(self, target: object, name: str, invocation: Invocation) -> None:
        self._target, self._name, self._invocation = target, name, invocation

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._target, attribute)
        if attribute.startswith("_") or not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            self._invocation.before(f"{self._name}.{attribute}")
            result = value(*args, **kwargs)
            if (self._name, attribute) == ("runs", "set_status") and args[1] is not None:
                self._invocation.statuses.append(str(args[1]))  # written: the status walk
            self._invocation.after()
            return result

        return call


class _CrashingDependencies(Dependencies):
    invocation: Invocation


def _proxied(name: str) -> cached_property[Any]:
    original = vars(Dependencies)[name]

    def port(self: _CrashingDependencies) -> Any:
        return _Port(original.func(self), name, self.invocation)

    prop = cached_property(port)
    prop.__set_name__(_CrashingDependencies, name)
    return prop


for _name in _PORTS:
    setattr(_CrashingDependencies, _name, _proxied(_name))


def _run_of(event: object) -> str | None:
    if not isinstance(event, dict):
        return None
    state = event.get("state") if isinstance(event.get("state"), dict) else event
    run = state.get("run") if isinstance(state, dict) else None
    return str(run["runId"]) if isinstance(run, dict) and "runId" in run else None


@dataclass
class Plan:
    """One run under test: where to crash it, and what its states did."""

    points: tuple[CrashPoint, ...]
    invocations: list[Invocation] = field(default_factory=list)
    fired: list[CrashPoint] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # every status written on its run record, in order

    def calls(self, state: str) -> list[list[str]]:
        """The distinct port-call sequences of ``state``'s invocations, in the order they first appeared (a poll
        that asks again makes the same calls: one sequence)."""
        return list(map(list, dict.fromkeys(tuple(i.calls) for i in self.invocations if i.state == state)))

    def visited(self) -> list[str]:
        return [i.state for i in self.invocations]


class Injector:
    """Wraps a pipeline's handlers; ``plan`` names a run under test (by its dataset's file name) and where to crash it.

    Several runs may be under test at once (each its own dataset, run id and resources)."""

    def __init__(self, pipeline: LocalPipeline) -> None:
        self.states = task_states()
        self._state_of = {(function, milestone): state for state, (function, milestone) in self.states.items()}
        self.plans: dict[str, Plan] = {}  # slug -> plan; a run id is <slug>-<hash> (runs.run_id)
        self._lock = threading.Lock()
        for physical, (logical_id, handler) in list(pipeline.lambdas.handlers.items()):
            pipeline.lambdas.handlers[physical] = (logical_id, self._wrap(logical_id, handler))

    def plan(self, slug: str, *points: CrashPoint) -> Plan:
        """Crash the run of the dataset named ``<slug>.jsonl`` at ``points`` (each once).

        Planned by the file name, before the upload, so the trigger's execution cannot start ahead of the plan."""
        with self._lock:
            self.plans[slug] = plan = Plan(points)
        return plan

    def _wrap(self, logical_id: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        module = sys.modules[handler.__module__]

        def wrapped(event: dict[str, Any], context: Any, deps: Any = None, **injected: Any) -> Any:
            state = self._state_of.get((logical_id, _which(event)))
            run = _run_of(event)
            plan = self.plans.get(run.rsplit("-", 1)[0]) if run else None
            if deps is not None or state is None or run is None or plan is None:
                return handler(event, context, deps=deps, **injected)
            with self._lock:
                invocation = Invocation(run, state, plan.points, plan.fired, plan.statuses)
                plan.invocations.append(invocation)
            crashing = _CrashingDependencies(module.ENV)
            crashing.invocation = invocation
            try:
                return handler(event, context, deps=crashing, **injected)
            except InjectedCrash as crash:
                raise LambdaCrashed(str(crash)) from None

        return wrapped
