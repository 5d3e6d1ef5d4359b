"""EventBridge Scheduler: the one-time schedules that warn before and delete at the time-to-live."""

from __future__ import annotations

import json
from datetime import datetime

from botocore.exceptions import ClientError

from .clients import client

ACTIONS = ("warn", "delete")


def schedule_name(run_id: str, action: str) -> str:
    # <= 64 chars: run ids are <= 51, a retry adds "-a<n>" (<= 55), this adds 6.
    return f"{run_id}-ttl-{action[0]}"


class TeardownScheduler:
    def __init__(self, target_arn: str, role_arn: str, group: str = "default") -> None:
        self.target_arn = target_arn
        self.role_arn = role_arn
        self.group = group
        self._scheduler = client("scheduler")

    def schedule_teardown(self, run_id: str, *, warn_at: datetime, delete_at: datetime) -> None:
        for action, moment in (("warn", warn_at), ("delete", delete_at)):
            try:
                self._scheduler.create_schedule(
                    Name=schedule_name(run_id, action),
                    GroupName=self.group,
                    ScheduleExpression=f"at({moment.strftime('%Y-%m-%dT%H:%M:%S')})",
                    ScheduleExpressionTimezone="UTC",
                    FlexibleTimeWindow={"Mode": "OFF"},
                    ActionAfterCompletion="DELETE",  # the input names a run id and an action: no data
                    Target={
                        "Arn": self.target_arn,
                        "RoleArn": self.role_arn,
                        "Input": json.dumps({"runId": run_id, "action": action}),
                        "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 86400},
                    },
                    ClientToken=schedule_name(run_id, action),
                )
            except ClientError as err:
                if err.response["Error"]["Code"] != "ConflictException":  # a retried step: already scheduled
                    raise

    def cancel_teardown(self, run_id: str) -> None:
        for action in ACTIONS:
            try:
                self._scheduler.delete_schedule(Name=schedule_name(run_id, action), GroupName=self.group)
            except ClientError as err:
                if err.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
