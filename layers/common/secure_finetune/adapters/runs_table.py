"""The run table (key design in ``runs.py``): run records and task tokens."""

from __future__ import annotations

import time
from typing import Any

from ..runs import ENDED, INTENT_ATTRIBUTES, RUN_SK, START_SK, ResourceKind, RunChanges, RunRecord, RunStatus, Step, run_pk, token_sk
from ..service_errors import ConditionFailed
from .clients import client

_DEPLOYED_FIELDS = ("pk", "sk", "provisionedModelArn", "deploymentArn", "tornDownAt", "intentThroughput", "intentDeployment")
TOKEN_TTL_SECONDS = 30 * 24 * 3600  # a token outlives the longest wait; then DynamoDB drops it
START_TTL_SECONDS = 90 * 24 * 3600  # https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html


def _not_ended() -> tuple[str, dict[str, dict[str, str]]]:
    """``NOT (#status IN (...))`` over runs.ENDED, and its expression values."""
    values = {f":ended{i}": {"S": status.value} for i, status in enumerate(sorted(ENDED))}
    return f"NOT (#status IN ({', '.join(values)}))", values


def flatten(item: dict[str, dict[str, Any]]) -> dict[str, str]:
    """A run-table item as plain strings (every attribute it holds is one S or N value)."""
    return {name: str(next(iter(value.values()))) for name, value in item.items()}


class RunTable:
    def __init__(self, table: str) -> None:
        self.table = table
        self._ddb = client("dynamodb")

    def create_run(self, run_id: str, changes: RunChanges) -> bool:
        """Insert the run once; False when it already exists (a retried step)."""
        item = {"pk": {"S": run_pk(run_id)}, "sk": {"S": RUN_SK}, "status": {"S": RunStatus.REGISTERED.value}}
        item.update({name: {"S": value} for name, value in changes.attributes().items()})
        item["createdAt"] = {"N": str(int(time.time()))}
        try:
            self._ddb.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ConditionFailed:
            return False
        return True

    def record_start(self, run_id: str) -> bool:
        """Write the run's START item once; False when another delivery of its event already did."""
        now = int(time.time())
        item = {
            "pk": {"S": run_pk(run_id)},
            "sk": {"S": START_SK},
            "createdAt": {"N": str(now)},
            # Step Functions refuses an execution name for 90 days; the marker lives as long.
            "expiresAt": {"N": str(now + START_TTL_SECONDS)},
        }
        try:
            self._ddb.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ConditionFailed:
            return False
        return True

    def set_status(self, run_id: str, status: RunStatus | None, changes: RunChanges | None = None) -> None:
        """Set the status (None: keep it, e.g. a teardown of a finished run) and ``changes``.

        A run that ended never walks back: a step still running when the run was cancelled or failed (its
        execution aborted, say) records its changes, but its non-final status is dropped."""
        if status is not None and status not in ENDED:
            try:
                self._update(run_id, status, changes, only_while_running=True)
            except ConditionFailed:
                self._update(run_id, None, changes)
            return
        self._update(run_id, status, changes)

    def _update(self, run_id: str, status: RunStatus | None, changes: RunChanges | None, *, only_while_running: bool = False) -> None:
        fields = changes.attributes() if changes else {}
        names = {"#updatedAt": "updatedAt"}
        values: dict[str, Any] = {":now": {"N": str(int(time.time()))}}
        sets = ["#updatedAt = :now"]
        if status is not None:
            names["#status"], values[":status"] = "status", {"S": status.value}
            sets.append("#status = :status")
        for index, (name, value) in enumerate(sorted(fields.items())):
            names[f"#f{index}"] = name
            values[f":f{index}"] = {"S": value}
            sets.append(f"#f{index} = :f{index}")
        condition = {}
        if only_while_running:
            not_ended, ended = _not_ended()
            values.update(ended)
            condition["ConditionExpression"] = f"attribute_not_exists(#status) OR {not_ended}"
        self._ddb.update_item(
            TableName=self.table,
            Key={"pk": {"S": run_pk(run_id)}, "sk": {"S": RUN_SK}},
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            **condition,
        )

    def get_run(self, run_id: str) -> RunRecord | None:
        item = self._ddb.get_item(TableName=self.table, Key={"pk": {"S": run_pk(run_id)}, "sk": {"S": RUN_SK}}, ConsistentRead=True).get(
            "Item"
        )
        return None if item is None else RunRecord.from_attributes(flatten(item))

    def put_token(self, run_id: str, step: Step, token: str) -> None:
        self._ddb.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": run_pk(run_id)},
                "sk": {"S": token_sk(step)},
                "taskToken": {"S": token},
                "createdAt": {"N": str(int(time.time()))},
                "expiresAt": {"N": str(int(time.time()) + TOKEN_TTL_SECONDS)},
            },
        )

    def get_token(self, run_id: str, step: Step) -> str | None:
        item = self._ddb.get_item(
            TableName=self.table, Key={"pk": {"S": run_pk(run_id)}, "sk": {"S": token_sk(step)}}, ConsistentRead=True
        ).get("Item")
        return item["taskToken"]["S"] if item else None

    def delete_token(self, run_id: str, step: Step) -> None:
        self._ddb.delete_item(TableName=self.table, Key={"pk": {"S": run_pk(run_id)}, "sk": {"S": token_sk(step)}})

    def waiting_since(self, step: Step, older_than_seconds: int) -> list[str]:
        """Run ids whose wait for ``step`` began more than ``older_than_seconds`` ago.

        A scan: the table holds one item per run plus a few tokens; a GSI is the next step if
        it ever grows large.
        """
        cutoff = int(time.time()) - older_than_seconds
        runs: list[str] = []
        paginator = self._ddb.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self.table,
            FilterExpression="sk = :sk AND createdAt <= :cutoff",
            ExpressionAttributeValues={":sk": {"S": token_sk(step)}, ":cutoff": {"N": str(cutoff)}},
            ProjectionExpression="pk",
        ):
            runs += [item["pk"]["S"].removeprefix("RUN#") for item in page.get("Items", [])]
        return runs

    def unfinished_job_runs(self) -> list[RunRecord]:
        """Every run record with a write-ahead job intent whose run has not ended (its job may still train)."""
        not_ended, ended = _not_ended()
        paginator = self._ddb.get_paginator("scan")
        records: list[RunRecord] = []
        for page in paginator.paginate(
            TableName=self.table,
            ConsistentRead=True,
            FilterExpression=f"#sk = :run AND attribute_exists(#intentJob) AND {not_ended}",
            ExpressionAttributeNames={"#sk": "sk", "#intentJob": INTENT_ATTRIBUTES[ResourceKind.JOB], "#status": "status"},
            ExpressionAttributeValues={":run": {"S": RUN_SK}, **ended},
        ):
            records += [RunRecord.from_attributes(flatten(item)) for item in page.get("Items", [])]
        return records

    def deployed_runs(self) -> list[RunRecord]:
        """Every run record with a throughput or deployment ARN, or a write-ahead intent to buy one.

        A strongly consistent scan: the table holds one item per run plus a few tokens and leases,
        and an ARN written a moment ago must not be missed. ``tornDownAt`` is returned, not filtered
        here, so the domain decides what still bills.
        """
        names = {f"#{field}": field for field in _DEPLOYED_FIELDS}
        paginator = self._ddb.get_paginator("scan")
        records: list[RunRecord] = []
        for page in paginator.paginate(
            TableName=self.table,
            ConsistentRead=True,
            FilterExpression=(
                "#sk = :run AND (attribute_exists(#provisionedModelArn) OR attribute_exists(#deploymentArn)"
                " OR attribute_exists(#intentThroughput) OR attribute_exists(#intentDeployment))"
            ),
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":run": {"S": RUN_SK}},
        ):
            records += [RunRecord.from_attributes(flatten(item)) for item in page.get("Items", [])]
        return records
