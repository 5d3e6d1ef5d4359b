"""Powertools singletons shared by every handler (one service name: the pipeline).

Metrics (CloudWatch embedded metric format, namespace ``SecureFinetune``) are emitted by the
handlers, never by the domain: RunsStarted, RunsSucceeded, RunsFailed, RunsRejected (stopped
before any spend: settings, dataset or guardrails), JobDurationSeconds, and from the reconciler
QueuedRuns, OverdueTrainingWaits and LostEventsRecovered; from the trigger and the completion handler
EventsIgnored (an envelope that is not theirs; its reason as ``ignoredBecause`` metadata) and from the
trigger DuplicateDeliveries; from the janitor SweptResources, SweepNotOurs and SweepDeletesRefused.
The template alarms and charts them.

The tracer is Powertools' ``Tracer`` set up on first use instead of at import (``LazyTracer``):
building a Tracer imports ``aws_xray_sdk.core`` and, in Lambda, patches every library X-Ray
supports, which was the largest share of a handler's import time. Decorating
(``@tracer.capture_lambda_handler``, ``@tracer.capture_method``) touches none of that; the first
traced call does, on the first invocation, before its subsegment opens. Patching then still
precedes every AWS call: handlers create no client at import, and X-Ray patches botocore's and
http.client's classes, so clients made earlier are traced too.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.tracing.base import BaseProvider

# What Tracer.__init__ sets on the instance, and what its methods read (Powertools 3.x). Reading
# any of them on a LazyTracer runs the real __init__ once; decorating reads none of them.
_TRACER_STATE = frozenset({"provider", "disabled", "service", "auto_patch"})


class LazyTracer(Tracer):
    """A ``Tracer`` whose ``__init__`` (X-Ray import, patching, provider setup) runs on first use.

    Every ``Tracer`` method works unchanged: they find the instance state through
    ``__getattr__``, which is only consulted while that state is missing, i.e. until the real
    initialisation has run. The configuration (environment variables included) is therefore read
    on first use, in the invocation, not at import.
    """

    def __init__(  # Tracer.__init__ runs on first use, in _initialise
        self,
        service: str | None = None,
        disabled: bool | None = None,
        auto_patch: bool | None = None,
        patch_modules: Sequence[str] | None = None,
        provider: BaseProvider | None = None,
    ) -> None:
        self._options: dict[str, Any] = {
            "service": service,
            "disabled": disabled,
            "auto_patch": auto_patch,
            "patch_modules": patch_modules,
            "provider": provider,
        }
        self._lock = threading.RLock()
        self._initialised = False
        self._initialising = False

    def _initialise(self) -> None:
        with self._lock:
            if self._initialised or self._initialising:
                return
            self._initialising = True
            try:
                super().__init__(**self._options)  # a failure propagates, and the next use tries again
                self._initialised = True
            finally:
                self._initialising = False

    def __getattr__(self, name: str) -> Any:
        if name in _TRACER_STATE and not self.__dict__.get("_initialised", True):
            self._initialise()
            return object.__getattribute__(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


logger = Logger(service="secure-finetune")
tracer = LazyTracer(service="secure-finetune")
metrics = Metrics(namespace="SecureFinetune", service="secure-finetune")
