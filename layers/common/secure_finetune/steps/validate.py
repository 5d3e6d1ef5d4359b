"""Validate: stream the exact version, write the report, then copy it to validated/ or quarantine/."""

from __future__ import annotations

from ..dataset import DatasetReport, validate_dataset
from ..models import find_model
from ..reasons import DatasetInvalid
from ..runs import Step, quarantine_key, report_key, validated_key
from ..state import DatasetResult, PipelineState
from ..wiring import Dependencies


def validate_run_dataset(state: PipelineState, deps: Dependencies) -> DatasetResult:
    run, registered = state.run, state.registered
    assert registered is not None, "register runs before validate"
    settings = registered.settings
    fmt = find_model(settings.base_model).formats[settings.customization_type]
    files = {"training": (run.key, run.version_id)}
    if registered.validation_file:
        files["validation"] = (registered.validation_file.key, registered.validation_file.version_id)
    reports: dict[str, DatasetReport] = {
        role: validate_dataset(deps.bucket.stream(key, version), fmt) for role, (key, version) in files.items()
    }
    report_uri = deps.bucket.put_json(
        report_key(run.run_id, Step.VALIDATION),
        {role: report.model_dump(mode="json") for role, report in reports.items()},
    )
    rejected = next((report for report in reports.values() if not report.accepted), None)
    if rejected is not None:
        reason = rejected.reason()
        for key, version in files.values():
            tags = {"pipeline-status": "rejected", "reason": reason.code.value, "run-id": run.run_id}
            deps.bucket.copy_version(key, version, quarantine_key(run.run_id, key), tags)
        raise DatasetInvalid(reason)
    uris = {}
    for role, (key, version) in files.items():
        target = validated_key(reports[role].sha256, key)
        deps.bucket.copy_version(key, version, target)
        uris[role] = deps.bucket.uri(target)
    return DatasetResult(
        sha256=reports["training"].sha256,
        records=reports["training"].records,
        training_uri=uris["training"],
        validation_uri=uris.get("validation"),
        report=report_uri,
    )
