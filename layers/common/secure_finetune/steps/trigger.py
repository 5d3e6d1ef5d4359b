"""Trigger: one S3 "Object Created" event -> at most one execution per object version.

The rule's pattern protects the normal path, but the handler trusts no envelope: anyone allowed to
invoke the function (or a rule edited by mistake) can hand it any JSON. It checks, itself, what the
rule checks (source, detail-type, account, bucket) plus the region, and ignores the rest with a
reason code, never an exception (an exception would make Lambda retry a spoofed event).

Duplicates: StartExecution with the name of an *open* execution and the same input answers success
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html), so a
redelivery while the run is live cannot be told from a start by that answer. A start is counted by
a conditional write on the run table (``START`` item): exactly one delivery wins it, every other one
is a duplicate, and a delivery that started the execution but crashed before writing it is
completed by the next redelivery (StartExecution is idempotent, the write is not yet there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from ..config import BucketSettings, TimingSettings
from ..events import OBJECT_CREATED, S3_SOURCE, IgnoredEvent, S3EventNotificationEventBridgeModel, envelope_problem
from ..observability import logger
from ..runs import dataset_key_problem, is_validation_file, run_id
from ..state import RunObject, Timing
from ..wiring import Dependencies


class Start(StrEnum):
    STARTED = "STARTED"
    DUPLICATE = "DUPLICATE"  # this object version's run was started by another delivery
    IGNORED = "IGNORED"


@dataclass(frozen=True)
class TriggerOutcome:
    start: Start
    run_id: str | None = None
    ignored: IgnoredEvent | None = None

    def answer(self) -> dict[str, Any]:
        """The function's answer (no key, no content: ids and codes only)."""
        answer: dict[str, Any] = {"runId": self.run_id, "started": self.start is Start.STARTED}
        if self.start is Start.DUPLICATE:
            answer["duplicate"] = True
        if self.ignored is not None:
            answer["ignored"] = self.ignored.value
        return answer


def s3_envelope_problem(event: object, ours: BucketSettings) -> IgnoredEvent | None:
    """What is wrong with the envelope (None: an S3 object-created event of our bucket, account, region)."""
    why = envelope_problem(event, source=S3_SOURCE, detail_type=OBJECT_CREATED, account=ours.account, region=ours.region)
    if why is not None or not isinstance(event, Mapping):
        return why or IgnoredEvent.MALFORMED
    detail = event.get("detail")
    bucket = detail.get("bucket") if isinstance(detail, Mapping) else None
    if not isinstance(bucket, Mapping) or bucket.get("name") != ours.bucket:
        return IgnoredEvent.OTHER_BUCKET
    return None


def ignore_reason(bucket: str, key: str, our_bucket: str) -> IgnoredEvent | None:
    """Why an object of an S3 event is not a run (None = it is one)."""
    if bucket != our_bucket:
        return IgnoredEvent.OTHER_BUCKET
    if is_validation_file(key):
        return IgnoredEvent.VALIDATION_FILE
    return IgnoredEvent.NOT_A_DATASET if dataset_key_problem(key) else None


def start_run(event: object, deps: Dependencies) -> TriggerOutcome:
    """Start the run of the event's object version, once; anything that is not such an event is ignored."""
    ours = deps.settings(BucketSettings)
    why = s3_envelope_problem(event, ours)
    parsed: S3EventNotificationEventBridgeModel | None = None
    if why is None:
        try:
            parsed = S3EventNotificationEventBridgeModel.model_validate(event)
        except ValidationError:
            why = IgnoredEvent.MALFORMED
    if parsed is not None:
        why = ignore_reason(parsed.detail.bucket.name, parsed.detail.object.key, ours.bucket)
    if why is not None or parsed is None:
        reason = why or IgnoredEvent.MALFORMED
        logger.info("event ignored", reason=reason.value)  # the code only: a key can name a person
        return TriggerOutcome(Start.IGNORED, ignored=reason)
    return _start(parsed, deps)


def _start(event: S3EventNotificationEventBridgeModel, deps: Dependencies) -> TriggerOutcome:
    detail, bucket, timing = event.detail, deps.settings(BucketSettings).bucket, deps.settings(TimingSettings)
    key, version_id = detail.object.key, detail.object.version_id or "null"
    found = deps.bucket.resolve_key(key, version_id, detail.object.etag)
    if found is not None:
        key = found.key
    # If the version cannot be read back, the run still starts: its register step
    # fails with OBJECT_NOT_FOUND and the owner is told, instead of a silent drop.
    run = RunObject(
        run_id=run_id(bucket, key, version_id),
        bucket=bucket,
        key=key,
        version_id=version_id,
        etag=detail.object.etag.strip('"'),
        size=int(detail.object.size or 0),
        requester=detail.requester,
    )
    waits = Timing(
        training_timeout_seconds=timing.training_timeout_seconds,
        job_slot_timeout_seconds=timing.job_slot_timeout_seconds,
        approval_timeout_seconds=timing.approval_timeout_seconds,
        throughput_poll_seconds=timing.throughput_poll_seconds,
        throughput_max_polls=timing.throughput_max_polls,
    )
    # started=False: that execution name already ran (closed, or open with another input).
    started = deps.machine.start(run.run_id, {"run": run.wire(), "timing": waits.wire()}) and deps.runs.record_start(run.run_id)
    logger.info("run started" if started else "duplicate event: run already exists", run_id=run.run_id)
    return TriggerOutcome(Start.STARTED if started else Start.DUPLICATE, run.run_id)
