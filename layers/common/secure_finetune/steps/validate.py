"""Validate: stream the exact version, write the report, then copy it to validated/ or quarantine/."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ..config import BucketSettings
from ..dataset import (
    HEAD_BYTES,
    DatasetReport,
    DatasetRules,
    FileRole,
    MediaObject,
    MediaReference,
    checks_dimensions,
    image_dimensions,
    judge_run,
    media_problems,
    split_lines,
    validate_dataset,
    video_seconds,
    with_media_problems,
)
from ..models import RFT, Hyperparameter, MediaRules, find_model, records_bounds
from ..ports import DataBucketPort
from ..pricing import NO_PUBLIC_PRICE, price_of, training_cost
from ..reasons import DatasetInvalid
from ..reports import RunProblem, TrainingCost, ValidationDocument, write_report
from ..runs import quarantine_key, validated_key
from ..state import DatasetResult, PipelineState
from ..wiring import Dependencies

# Media objects checked per run (training + validation), 1-2 S3 requests each on MEDIA_WORKERS
# threads: ~10 s at worst, well inside the function's timeout. References beyond the budget are
# not rejected but reported as a MEDIA_NOT_CHECKED warning: their place (our bucket, media/) was
# checked for every reference in the stream, and Bedrock enforces these object limits itself when
# the job starts, so an unchecked object can fail the job but cannot widen what it reads; failing
# closed here would reject every legitimate image set larger than the budget (Nova takes 20k x 10).
MEDIA_OBJECTS_PER_RUN = 2_000
MEDIA_WORKERS = 8  # botocore's connection pool holds 10


def validate_run_dataset(state: PipelineState, deps: Dependencies) -> DatasetResult:
    run, registered = state.run, state.registered
    assert registered is not None, "register runs before validate"
    settings = registered.settings
    model = find_model(settings.base_model)
    files = {FileRole.TRAINING: (run.key, run.version_id)}
    if registered.validation_file:
        files[FileRole.VALIDATION] = (registered.validation_file.key, registered.validation_file.version_id)
    reports: dict[FileRole, DatasetReport] = {}
    for role, (key, version) in files.items():
        rules = DatasetRules.for_run(
            model,
            settings.customization_type,
            role,
            media_bucket=deps.settings(BucketSettings).bucket,
            teacher=settings.teacher_model,
            secrets_block=settings.sensitive_data.secrets == "block",
            pii_block=settings.sensitive_data.pii == "block",
            invalid_prompts=settings.distillation_invalid_prompts,
        )
        reports[role] = validate_dataset(deps.bucket.stream(key, version), rules)
    if rules.media is not None:
        reports = check_run_media(deps.bucket, reports, rules.media)
    verdict = judge_run(model, settings.customization_type, reports)  # the one decision, also finetune validate's
    cost = _training_cost(model.model_id, reports, settings.hyperparameters, model.hyperparameters)
    if settings.customization_type is RFT:
        # The per-token training price is documented for training on tokens x epochs [UG custom-models]; no AWS page
        # we could read says reinforcement fine-tuning is billed that way (its rollouts and grading are not a token
        # count we know), so its training cost is unknown, never the supervised price applied to it.
        cost = cost.model_copy(update={"estimated_training_usd": None, "price_source": f"{NO_PUBLIC_PRICE} (reinforcement fine-tuning)"})
    document = ValidationDocument(
        training=reports[FileRole.TRAINING],
        validation=reports.get(FileRole.VALIDATION),
        run_problems=tuple(RunProblem(code=code.value, message=message) for code, message in verdict.run_problems),
        cost=cost,
    )
    report_uri = write_report(deps.bucket, run.run_id, document)
    if verdict.reason is not None:
        reason = verdict.reason
        for key, version in files.values():
            tags = {"pipeline-status": "rejected", "reason": reason.code.value, "run-id": run.run_id}
            deps.bucket.copy_version(key, version, quarantine_key(run.run_id, key), tags)
        raise DatasetInvalid(reason)
    training = reports[FileRole.TRAINING]
    uris = None
    if settings.validation_split > 0 and FileRole.VALIDATION not in files and model.validation_allowed:
        max_validation = records_bounds(model, settings.customization_type).max_validation
        uris = _carve_validation(deps, run.key, run.version_id, training, fraction=settings.validation_split, max_validation=max_validation)
    if uris is None:
        uris = {}
        for role, (key, version) in files.items():
            target = validated_key(reports[role].sha256, key)
            deps.bucket.copy_version(key, version, target)
            uris[role] = deps.bucket.uri(target)
    return DatasetResult(
        sha256=training.sha256,
        records=training.records,
        estimated_tokens=training.stats.estimated_tokens,
        estimated_training_cost_usd=cost.estimated_training_usd,
        training_uri=uris[FileRole.TRAINING],
        validation_uri=uris.get(FileRole.VALIDATION),
        report=report_uri,
    )


def check_run_media(bucket: DataBucketPort, reports: dict[FileRole, DatasetReport], rules: MediaRules) -> dict[FileRole, DatasetReport]:
    """The referenced media objects of the run's files, within one budget (MEDIA_OBJECTS_PER_RUN) for
    the run; also ``finetune validate``'s."""
    checked = dict(reports)
    budget = MEDIA_OBJECTS_PER_RUN
    for role, report in reports.items():
        if report.media:
            checked[role] = check_media_objects(bucket, report, rules, budget)
            budget = max(0, budget - len(report.media))
    return checked


def check_media_objects(
    bucket: DataBucketPort, report: DatasetReport, rules: MediaRules, budget: int = MEDIA_OBJECTS_PER_RUN
) -> DatasetReport:
    """Size, and where the model documents them, image dimensions and video duration of the referenced objects;
    also ``finetune validate``'s, so a laptop and the pipeline give one verdict."""
    checked = report.media[:budget]
    with ThreadPoolExecutor(max_workers=MEDIA_WORKERS) as pool:
        objects = list(pool.map(lambda reference: _read_media(bucket, reference, rules), checked))
    unchecked = None
    if report.media_truncated or len(checked) < len(report.media):
        more = "more than " if report.media_truncated else ""
        unchecked = f"{more}{len(report.media) - len(checked)} referenced media objects not checked (at most {MEDIA_OBJECTS_PER_RUN} a run)"
    return with_media_problems(report, media_problems(objects, rules), unchecked)


def _read_media(bucket: DataBucketPort, reference: MediaReference, rules: MediaRules) -> MediaObject:
    prefix = bucket.uri("")
    if not reference.uri.startswith(prefix):  # the validator already rejects these; never read elsewhere
        return MediaObject(reference, size=None)
    key = reference.uri.removeprefix(prefix)
    image = reference.kind == "image" and checks_dimensions(rules)
    video = reference.kind == "video" and rules.max_video_seconds is not None
    found = bucket.peek(key, HEAD_BYTES if image or video else 0)
    if found is None:
        return MediaObject(reference, size=None)
    meta, head = found
    if video and meta.size > 0:  # the container's index may sit at its end: read there too (a few range GETs)

        def read(offset: int, length: int) -> bytes:
            if offset + length <= len(head):
                return head[offset : offset + length]
            if length <= 0 or offset >= meta.size:  # S3 refuses a range that starts past the end
                return b""
            return bucket.read_range(key, meta.etag, offset, length) or b""

        return MediaObject(reference, size=meta.size, seconds=video_seconds(read, meta.size))
    # Dimensions now, so the 64 KiB heads are not all held at once.
    return MediaObject(reference, size=meta.size, dimensions=image_dimensions(head) if image else None)


def _training_cost(
    model_id: str, reports: dict[FileRole, DatasetReport], chosen: dict[str, str], specs: dict[str, Hyperparameter]
) -> TrainingCost:
    """Billed tokens = training tokens x epochs [UG custom-models]; priced from pricing.PRICES."""
    tokens = reports[FileRole.TRAINING].stats.estimated_tokens
    text = chosen.get("epochCount") or (specs["epochCount"].default if "epochCount" in specs else None) or "1"
    epochs = int(float(text)) if text.replace(".", "", 1).isdigit() else 1  # "Auto" (embeddings): Bedrock decides; count one
    price = price_of(model_id)
    return TrainingCost(
        estimated_tokens=tokens,
        epochs=epochs,
        billed_tokens=tokens * epochs,
        estimated_training_usd=training_cost(model_id, tokens, epochs),
        price_source=None if price is None else f"{price.source} ({price.as_of}, {price.region})",
    )


def _carve_validation(
    deps: Dependencies, key: str, version: str, training: DatasetReport, *, fraction: float, max_validation: int | None
) -> dict[FileRole, str] | None:
    """Stream the accepted version again into validated/<sha256>/ as a training and a validation file."""
    targets = {role: validated_key(training.sha256, key.removesuffix(".jsonl") + f".{role.value}.jsonl") for role in FileRole}
    writers = {role: deps.bucket.upload(target) for role, target in targets.items()}
    lines = dict.fromkeys(FileRole, 0)
    try:
        for role, line in split_lines(deps.bucket.stream(key, version), fraction, max_validation):
            writers[role].write(line)
            lines[role] += 1
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    if not all(lines.values()):  # a split too small for the file carves nothing
        for writer in writers.values():
            writer.abort()
        return None
    for writer in writers.values():
        writer.close()
    return {role: deps.bucket.uri(target) for role, target in targets.items()}
