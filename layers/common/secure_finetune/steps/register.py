"""Register: read back the exact version, resolve the run's settings, write the run record."""

from __future__ import annotations

import time

from ..config import ProfileSettings
from ..reasons import Reason, ReasonCode, RunRejected
from ..reports import RegisterReport, write_report
from ..runs import RunChanges, iso_utc, profile_of, validation_key_for
from ..settings import load_catalog, resolve_settings
from ..state import PipelineState, Registered, ValidationFile
from ..wiring import Dependencies


def register_run(state: PipelineState, deps: Dependencies) -> Registered:
    run, profiles = state.run, deps.settings(ProfileSettings)
    head = deps.bucket.head(run.key, run.version_id)
    if head is None:
        raise RunRejected(Reason(ReasonCode.OBJECT_NOT_FOUND))
    if head.version_id != run.version_id or (run.etag and head.etag != run.etag):
        raise RunRejected(Reason(ReasonCode.OBJECT_CHANGED))
    settings = resolve_settings(
        load_catalog(profiles.profiles_path),
        profile_of(run.key),
        deps.bucket.tags(run.key, run.version_id),
        profiles.limits,
    )
    validation = deps.bucket.head(validation_key_for(run.key))
    registered = Registered(
        settings=settings,
        validation_file=ValidationFile(key=validation.key, version_id=validation.version_id) if validation else None,
    )
    deps.runs.create_run(
        run.run_id,
        RunChanges(
            bucket=run.bucket,
            object_key=run.key,
            version_id=run.version_id,
            profile=settings.profile,
            profiles_version=settings.profiles_version,
        ),
    )
    started = iso_utc(time.time())  # the report's start time
    document = RegisterReport(run=run, settings=settings, validation_file=registered.validation_file, started_at=started)
    write_report(deps.bucket, run.run_id, document)
    return registered
