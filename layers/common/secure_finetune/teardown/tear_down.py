"""Teardown: the time-to-live schedules' target and `finetune teardown`: warn, delete, retry a refused delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from ..config import Identity
from ..deployment.plan import ON_DEMAND, PROVISIONED
from ..notifications import TeardownFailed, TornDown, TtlWarning
from ..runs import ResourceKind, RunChanges, RunRecord, iso_utc
from ..service_errors import error_code
from ..wiring import Dependencies
from .intended import find_bought

# A refused delete is asked again 15, 30, 60, 120 and 240 min later (~8 h), the owner told each time.
TEARDOWN_RETRIES, FIRST_RETRY_MINUTES = 5, 15


class TeardownKind(StrEnum):
    """What a teardown call did: callers branch on this, never on the outcome's text."""

    NOTHING_DEPLOYED = "NOTHING_DEPLOYED"
    WARNED = "WARNED"
    ALREADY_TORN_DOWN = "ALREADY_TORN_DOWN"
    DELETED = "DELETED"
    ALREADY_GONE = "ALREADY_GONE"  # deleted by someone else before us
    DELETE_FAILED = "DELETE_FAILED"  # refused: still billing (`finetune teardown` exits 1 on it)


@dataclass(frozen=True)
class TeardownOutcome:
    kind: TeardownKind
    text: str  # for the log and `finetune teardown`'s output, e.g. "delete failed (ThrottlingException); ..."

    @classmethod
    def of(cls, kind: TeardownKind) -> TeardownOutcome:
        return cls(kind, _TEXT[kind])


_TEXT = {
    TeardownKind.NOTHING_DEPLOYED: "nothing deployed",
    TeardownKind.WARNED: "warned",
    TeardownKind.ALREADY_TORN_DOWN: "already torn down",
    TeardownKind.DELETED: "deleted",
    TeardownKind.ALREADY_GONE: "was already gone",
}


_DELETE_BY_HAND = {
    PROVISIONED: "aws bedrock delete-provisioned-model-throughput --region {region} --provisioned-model-id {arn}",
    ON_DEMAND: "aws bedrock delete-custom-model-deployment --region {region} --custom-model-deployment-identifier {arn}",
}


def tear_down(
    run_id: str,
    action: str,
    deps: Dependencies,
    why: str = "time-to-live reached",
    *,
    retry_later: bool = True,
    now: datetime | None = None,
) -> TeardownOutcome:
    """The TTL schedules' target and `finetune teardown`: warn before, delete at the deadline.

    A refused delete is asked again on a schedule and the owner told it still bills; with
    ``retry_later=False`` (the stack is being deleted, and its scheduler with it) it raises."""
    record = deps.runs.get_run(run_id)
    # By the recorded ARN, else by the write-ahead intent's name (a crash may have come before the ARN).
    bought = find_bought(record, deps)
    if record is None or bought is None:
        return TeardownOutcome.of(TeardownKind.NOTHING_DEPLOYED)
    arn = bought.arn
    common = {"run_id": run_id, "profile": record.profile or "", "dataset": record.dataset_uri}
    if action == "warn":
        if record.torn_down_at:
            return TeardownOutcome.of(TeardownKind.ALREADY_TORN_DOWN)
        deps.notifier.send(TtlWarning(**common, model_arn=arn, delete_at=record.delete_at or ""))
        return TeardownOutcome.of(TeardownKind.WARNED)
    mode = PROVISIONED if bought.kind is ResourceKind.THROUGHPUT else ON_DEMAND
    try:
        deleted = _delete(mode, arn, deps)
    except Exception as err:  # whatever refused the delete, it still bills: ask again, tell the owner
        if not retry_later:
            raise
        return _delete_failed(deps, err, record=record, mode=mode, arn=arn, why=why, common=common, now=now or datetime.now(UTC))
    deps.scheduler.cancel_teardown(run_id)
    if record.torn_down_at:
        return TeardownOutcome.of(TeardownKind.ALREADY_TORN_DOWN)
    deps.runs.set_status(run_id, None, RunChanges(torn_down_at=iso_utc(datetime.now(UTC))))  # the run's outcome stays as it was
    deps.notifier.send(TornDown(**common, model_arn=arn, why=why))
    return TeardownOutcome.of(TeardownKind.DELETED if deleted else TeardownKind.ALREADY_GONE)


def _delete(mode: str, arn: str, deps: Dependencies) -> bool:
    return deps.bedrock.delete_throughput(arn) if mode == PROVISIONED else deps.bedrock.delete_deployment(arn)


def _delete_failed(
    deps: Dependencies, err: Exception, *, record: RunRecord, mode: str, arn: str, why: str, common: dict[str, str], now: datetime
) -> TeardownOutcome:
    run_id, retries = common["run_id"], record.teardown_retries or 0
    retry_at = record.teardown_retry_at or None
    if retry_at is not None and retry_at > iso_utc(now):
        pass  # a retry is already on its way (e.g. `finetune teardown` while one waits): one chain only
    elif retries < TEARDOWN_RETRIES:
        retries += 1
        at = now + timedelta(minutes=FIRST_RETRY_MINUTES * 2 ** (retries - 1))
        deps.scheduler.schedule_retry(run_id, retries, at, why)
        retry_at = iso_utc(at)
        deps.runs.set_status(run_id, None, RunChanges(teardown_retries=retries, teardown_retry_at=retry_at))
    else:
        retry_at = None
    code = error_code(err)
    delete_by_hand = _DELETE_BY_HAND[mode].format(region=deps.settings(Identity).region, arn=arn)
    deps.notifier.send(TeardownFailed(**common, model_arn=arn, why=why, error=code, retry_at=retry_at, delete_by_hand=delete_by_hand))
    then = f"asked again at {retry_at}" if retry_at else "no retry left: delete it by hand"
    return TeardownOutcome(TeardownKind.DELETE_FAILED, f"delete failed ({code}); {then}")
