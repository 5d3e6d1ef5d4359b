"""Emulator stand-in: moto stores EventBridge Scheduler schedules but never runs them.

``fire_due`` does what the service would at a given moment: every one-time ``at(...)`` schedule
due by then invokes its Lambda target with its input through the emulated Lambda API (so the
real handler runs), and is deleted when its ``ActionAfterCompletion`` says so. Only the clock is
stood in; the schedules themselves are the ones the pipeline created through the real API.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import boto3
from moto.core.models import DEFAULT_ACCOUNT_ID as ACCOUNT
from moto.scheduler.models import scheduler_backends


def pending(region: str) -> list[dict[str, Any]]:
    """The schedules waiting to fire: name, when (UTC) and input."""
    found = []
    for group in scheduler_backends[ACCOUNT][region].schedule_groups.values():
        for schedule in group.schedules.values():
            expression = schedule.schedule_expression
            if expression.startswith("at(") and schedule.state == "ENABLED":
                when = datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)
                found.append({"name": schedule.name, "group": group.name, "at": when, "target": schedule.target})
    return sorted(found, key=lambda item: item["at"])


def fire_due(region: str, now: datetime) -> list[dict[str, Any]]:
    """Run every schedule due at ``now``, oldest first; returns what each target answered."""
    lambdas = boto3.client("lambda", region_name=region)
    scheduler = boto3.client("scheduler", region_name=region)
    answers = []
    for item in pending(region):
        if item["at"] > now:
            break
        try:  # an earlier target may have deleted this one (a teardown cancels the other schedules)
            scheduler.get_schedule(Name=item["name"], GroupName=item["group"])
        except scheduler.exceptions.ResourceNotFoundException:
            continue
        # The service fills in its context attributes; the one our input uses is the scheduled time.
        payload = item["target"]["Input"].replace("<aws.scheduler.scheduled-time>", f"{item['at']:%Y-%m-%dT%H:%M:%SZ}")
        reply = lambdas.invoke(FunctionName=item["target"]["Arn"], Payload=payload.encode())
        answers.append({"name": item["name"], "answer": reply["Payload"].read().decode()})
        # ActionAfterCompletion=DELETE; already gone when the target cancelled it itself.
        with contextlib.suppress(scheduler.exceptions.ResourceNotFoundException):
            scheduler.delete_schedule(Name=item["name"], GroupName=item["group"])
    return answers
