"""Approval links in the run table: ``pk=APPROVAL#<sha256 of the secret>``, ``sk=APPROVAL``.

Only the digest is a key; the secret itself is never written. The table's TTL attribute
(``expiresAt``) purges the item 30 days after its deadline (``decideBy``): long enough to
answer "who approved this?", short enough not to keep task tokens around.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from ..approval import ApprovalAlreadyDecided, ApprovalExpired, ApprovalNotFound, ApprovalRecord, ApprovalStatus, Decision, Summary
from ..service_errors import ConditionFailed
from .clients import client

APPROVAL_SK = "APPROVAL"
PURGE_AFTER_SECONDS = 30 * 24 * 3600


def approval_pk(digest: str) -> str:
    return f"APPROVAL#{digest}"


class ApprovalStore:
    def __init__(self, table: str) -> None:
        self.table = table
        self._ddb = client("dynamodb")

    def create(self, digest: str, run_id: str, task_token: str, decide_by: int, summary: Summary) -> None:
        now = int(time.time())
        self._ddb.put_item(
            TableName=self.table,
            Item={
                **self._key(digest),
                "runId": {"S": run_id},
                "taskToken": {"S": task_token},
                "status": {"S": ApprovalStatus.PENDING.value},
                "decideBy": {"N": str(decide_by)},
                "createdAt": {"N": str(now)},
                "expiresAt": {"N": str(decide_by + PURGE_AFTER_SECONDS)},
                "summary": {"M": {key: _attribute(value) for key, value in summary.items()}},
            },
            ConditionExpression="attribute_not_exists(pk)",  # never overwrite an issued link
        )

    def get(self, digest: str) -> ApprovalRecord | None:
        item = self._ddb.get_item(TableName=self.table, Key=self._key(digest), ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def decide(self, digest: str, decision: Decision, now: int, decided_by: dict[str, str]) -> ApprovalRecord:
        """Record the first decision before the deadline; the conditional write makes the link single-use."""
        try:
            item = self._ddb.update_item(
                TableName=self.table,
                Key=self._key(digest),
                UpdateExpression="SET #status = :decided, decidedAt = :now, decidedBy = :by",
                ConditionExpression="attribute_exists(pk) AND #status = :pending AND decideBy > :now",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":decided": {"S": decision.status.value},
                    ":pending": {"S": ApprovalStatus.PENDING.value},
                    ":now": {"N": str(now)},
                    ":by": {"M": {key: {"S": value} for key, value in decided_by.items()}},
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ConditionFailed:
            current = self.get(digest)  # why the condition failed
            if current is None:
                raise ApprovalNotFound from None
            if current.status is not ApprovalStatus.PENDING:
                raise ApprovalAlreadyDecided(current) from None
            raise ApprovalExpired(current) from None
        return _record(item)

    def reopen(self, digest: str, decided_at: int) -> None:
        """Undo our own decision when the pipeline could not be told, so the approver can retry."""
        with contextlib.suppress(ConditionFailed):  # decided again since: the newer decision stands
            self._ddb.update_item(
                TableName=self.table,
                Key=self._key(digest),
                UpdateExpression="SET #status = :pending REMOVE decidedAt, decidedBy",
                ConditionExpression="decidedAt = :at",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":pending": {"S": ApprovalStatus.PENDING.value}, ":at": {"N": str(decided_at)}},
            )

    @staticmethod
    def _key(digest: str) -> dict[str, Any]:
        return {"pk": {"S": approval_pk(digest)}, "sk": {"S": APPROVAL_SK}}


def _attribute(value: str | int | float) -> dict[str, str]:
    return {"S": value} if isinstance(value, str) else {"N": repr(value)}


def _value(attribute: dict[str, str]) -> str | int | float:
    if "S" in attribute:
        return attribute["S"]
    number = attribute["N"]
    return int(number) if number.lstrip("-").isdigit() else float(number)


def _record(item: dict[str, Any]) -> ApprovalRecord:
    decided_at = item.get("decidedAt")
    decided_by = item.get("decidedBy")
    return ApprovalRecord(
        digest=item["pk"]["S"].removeprefix("APPROVAL#"),
        run_id=item["runId"]["S"],
        task_token=item["taskToken"]["S"],
        status=ApprovalStatus(item["status"]["S"]),
        decide_by=int(item["decideBy"]["N"]),
        created_at=int(item["createdAt"]["N"]),
        summary={key: _value(value) for key, value in item.get("summary", {}).get("M", {}).items()},
        decided_at=int(decided_at["N"]) if decided_at else None,
        decided_by={key: value["S"] for key, value in decided_by["M"].items()} if decided_by else None,
    )
