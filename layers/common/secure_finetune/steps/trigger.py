"""Trigger: one S3 "Object Created" event -> at most one execution per object version."""

from __future__ import annotations

from ..config import BucketSettings, TimingSettings
from ..events import S3EventNotificationEventBridgeModel
from ..observability import logger
from ..runs import dataset_key_problem, is_validation_file, run_id
from ..state import RunObject, Timing
from ..wiring import Dependencies


def ignore_reason(bucket: str, key: str, our_bucket: str) -> str | None:
    """Why an event that reached us is not a run (None = it is one)."""
    if bucket != our_bucket:
        return "another bucket"
    if is_validation_file(key):
        return "validation file: read by the run of its training file"
    return dataset_key_problem(key)


def start_run(event: S3EventNotificationEventBridgeModel, deps: Dependencies) -> tuple[str | None, bool]:
    """Return (run id, started): (None, False) = not a run; (id, False) = a duplicate delivery."""
    detail, bucket, timing = event.detail, deps.settings(BucketSettings).bucket, deps.settings(TimingSettings)
    key, version_id = detail.object.key, detail.object.version_id or "null"
    why = ignore_reason(detail.bucket.name, key, bucket)
    if why:
        logger.info("event ignored", why=why)
        return None, False
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
    started = deps.machine.start(run.run_id, {"run": run.wire(), "timing": waits.wire()})
    logger.info("run started" if started else "duplicate event: run already exists", run_id=run.run_id)
    return run.run_id, started
