"""EventBridge Scheduler: the one-time schedules that warn before and delete at the time-to-live."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime

from ..service_errors import AlreadyExists, NotFound
from .clients import client

MAX_RETRIES = 9  # retry schedules r1..r9: one digit keeps every name within 64 characters


def schedule_name(run_id: str, kind: str) -> str:
    """``kind``: w (warn), d (delete at the TTL), r<n> (the n-th retry of a failed delete).

    <= 64 chars: run ids are <= 51, a retry of the run adds "-a<n>" (<= 55), this adds <= 7."""
    return f"{run_id}-ttl-{kind}"


class TeardownScheduler:
    def __init__(self, target_arn: str, role_arn: str, group: str = "default") -> None:
        self.target_arn = target_arn
        self.role_arn = role_arn
        self.group = group
        self._scheduler = client("scheduler")

    def schedule_teardown(self, run_id: str, *, warn_at: datetime, delete_at: datetime) -> None:
        self._once(run_id, "w", warn_at)
        self._once(run_id, "d", delete_at)

    def schedule_retry(self, run_id: str, attempt: int, at: datetime, why: str) -> None:
        """Delete again at ``at`` for the same reason. Each retry has its own name, so the schedule
        that fired (and is deleted after its invocation) is never the one just created."""
        assert 1 <= attempt <= MAX_RETRIES
        self._once(run_id, f"r{attempt}", at, why)

    def cancel_teardown(self, run_id: str) -> None:
        for kind in ("w", "d", *(f"r{n}" for n in range(1, MAX_RETRIES + 1))):
            with contextlib.suppress(NotFound):
                self._scheduler.delete_schedule(Name=schedule_name(run_id, kind), GroupName=self.group)

    def _once(self, run_id: str, kind: str, moment: datetime, why: str | None = None) -> None:
        name = schedule_name(run_id, kind)
        with contextlib.suppress(AlreadyExists):  # a retried step: already scheduled
            self._scheduler.create_schedule(
                Name=name,
                GroupName=self.group,
                ScheduleExpression=f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",  # the input names a run id and an action: no data
                Target={
                    "Arn": self.target_arn,
                    "RoleArn": self.role_arn,
                    # Scheduler fills in its context attribute: the time this schedule was set for.
                    "Input": json.dumps(
                        {
                            "runId": run_id,
                            "action": "warn" if kind == "w" else "delete",
                            "scheduledAt": "<aws.scheduler.scheduled-time>",
                            **({"why": why} if why else {}),
                        }
                    ),
                    "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 86400},
                },
                ClientToken=name,
            )
