"""Job slots: a counting semaphore with a FIFO queue in the run table (key design in ``runs.py``).

Bedrock runs only a few customization jobs per account at once. A run takes a slot before it
creates its job and gives it back when the job has ended; a run that finds every slot taken
leaves its task token in the queue and waits (no polling, no state transitions) until a
release hands it a slot. Every write is a conditional single-item write, so two releases or a
release racing an acquire never hand one slot to two runs.
"""

from __future__ import annotations

import time

from ..ports import SlotsView, Waiter
from ..runs import JOB_SLOTS_PK, slot_sk, waiter_sk
from ..service_errors import ConditionFailed
from .clients import client


class JobSlots:
    def __init__(self, table: str, limit: int) -> None:
        self.table = table
        self.limit = limit
        self._ddb = client("dynamodb")

    def view(self) -> SlotsView:
        holders: dict[int, str] = {}
        waiters: list[Waiter] = []
        paginator = self._ddb.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": JOB_SLOTS_PK}},
            ConsistentRead=True,
        ):
            for item in page.get("Items", []):
                sk = item["sk"]["S"]
                if sk.startswith("SLOT#"):
                    holders[int(sk.removeprefix("SLOT#"))] = item["runId"]["S"]
                elif sk.startswith("WAIT#"):
                    waiters.append(Waiter(item["runId"]["S"], item["taskToken"]["S"], int(item["enqueuedAt"]["N"])))
        waiters.sort(key=lambda waiter: (waiter.enqueued_at_ms, waiter.run_id))
        return SlotsView(holders, waiters)

    def try_acquire(self, run_id: str) -> int | None:
        """The slot ``run_id`` holds (taking a free one if needed), or None when all are taken."""
        held = self.view().holders
        for number, holder in held.items():
            if holder == run_id:
                return number  # a retried step: it already holds one
        for number in range(self.limit):
            if number in held:
                continue
            try:
                self._ddb.put_item(
                    TableName=self.table,
                    Item={
                        "pk": {"S": JOB_SLOTS_PK},
                        "sk": {"S": slot_sk(number)},
                        "runId": {"S": run_id},
                        "acquiredAt": {"N": str(int(time.time()))},
                    },
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ConditionFailed:
                continue  # taken since we looked
            return number
        return None

    def release(self, run_id: str) -> bool:
        """Give back the slot ``run_id`` holds; False when it held none (idempotent)."""
        for number, holder in self.view().holders.items():
            if holder != run_id:
                continue
            try:
                self._ddb.delete_item(
                    TableName=self.table,
                    Key={"pk": {"S": JOB_SLOTS_PK}, "sk": {"S": slot_sk(number)}},
                    ConditionExpression="runId = :run",
                    ExpressionAttributeValues={":run": {"S": run_id}},
                )
            except ConditionFailed:
                return False  # released concurrently
            return True
        return False

    def enqueue(self, run_id: str, task_token: str) -> None:
        self.requeue(Waiter(run_id, task_token, time.time_ns() // 1_000_000))

    def requeue(self, waiter: Waiter) -> None:
        """Put ``waiter`` (back) in the queue at its own arrival time, so FIFO order holds."""
        self._ddb.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": JOB_SLOTS_PK},
                "sk": {"S": waiter_sk(waiter.run_id)},
                "runId": {"S": waiter.run_id},
                "taskToken": {"S": waiter.task_token},
                "enqueuedAt": {"N": str(waiter.enqueued_at_ms)},
            },
        )

    def claim(self, run_id: str) -> bool:
        """Take ``run_id`` out of the queue to serve it; False when another hand-out already did."""
        try:
            self._ddb.delete_item(
                TableName=self.table,
                Key={"pk": {"S": JOB_SLOTS_PK}, "sk": {"S": waiter_sk(run_id)}},
                ConditionExpression="attribute_exists(sk)",
            )
        except ConditionFailed:
            return False
        return True

    def dequeue(self, run_id: str) -> None:
        self._ddb.delete_item(TableName=self.table, Key={"pk": {"S": JOB_SLOTS_PK}, "sk": {"S": waiter_sk(run_id)}})
