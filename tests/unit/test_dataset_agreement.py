"""One verdict: `finetune validate` and the pipeline's validate step judge every corpus case alike.

Each case of the dataset corpus (test_dataset_corpus.CASES) goes through the CLI (``main``, JSON
output) and through ``steps.validate.validate_run_dataset`` on the in-memory fakes, with the same
model, type and teacher; both must give the same verdict, reason and error codes (the run-level
record bounds included: a one-line Llama 3.1 file is TOO_FEW_RECORDS in both). Media objects are
read from the same fake bucket by both.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from finetune_cli import main as cli
from secure_finetune import models
from secure_finetune.reasons import DatasetInvalid, Reason
from secure_finetune.reports import ValidationDocument, read_report
from secure_finetune.settings import ProfileCatalog, StackLimits, resolve_settings
from secure_finetune.state import PipelineState, Registered, RunObject, Timing
from secure_finetune.steps.failure import _milestone
from secure_finetune.steps.validate import validate_run_dataset
from tests.unit.fakes import FakeBucket, FakeDeps
from tests.unit.test_dataset_corpus import BUCKET, CASES, ORIGIN, PC, Case, Spec, line
from tests.unit.test_media import png

KEY = "incoming/case.jsonl"
Outcome = tuple[bool, str | None, dict[str, int]]  # accepted, reason, error codes


def _bucket(data: bytes) -> FakeBucket:
    bucket = FakeBucket()
    bucket.documents[KEY] = data
    for name in ("a.png", "chair.png"):  # the corpus's media references, within every model's limits
        bucket.documents[f"media/{name}"] = png(1024, 1024)
    return bucket


def _use(spec: Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    """A case whose model differs from the registry's (e.g. a smaller byte limit): the registry says so."""
    if spec.model_changes:
        changed = tuple(
            replace(m, **dict(spec.model_changes)) if m.model_id == models.find_model(spec.model).model_id else m for m in models._MODELS
        )
        monkeypatch.setattr(models, "_MODELS", changed)


def _state(spec: Spec) -> PipelineState:
    profile: dict[str, Any] = {"base_model": spec.model, "customization_type": spec.kind.value}
    if spec.teacher:
        profile["teacher_model"] = spec.teacher
    profile["distillation_invalid_prompts"] = spec.invalid_prompts
    catalog = ProfileCatalog.model_validate({"version": "v", "profiles": {"default": profile}})
    return PipelineState(
        run=RunObject(run_id="corpus-0123456789abcdef0123", bucket=BUCKET, key=KEY, version_id="v1", etag="e", size=1),
        timing=Timing(training_timeout_seconds=60, job_slot_timeout_seconds=60, throughput_poll_seconds=1, throughput_max_polls=3),
        registered=Registered(settings=resolve_settings(catalog, None, {}, StackLimits())),
    )


def pipeline_outcome(spec: Spec, data: bytes) -> tuple[Outcome, FakeDeps, PipelineState]:
    deps, state = FakeDeps(bucket=_bucket(data)), _state(spec)
    try:
        validate_run_dataset(state, deps)
        reason = None
    except DatasetInvalid as stopped:
        reason = str(stopped)
    document = read_report(deps.bucket, state.run.run_id, ValidationDocument)
    assert document is not None
    return (reason is None, reason, document.error_codes()), deps, state


def cli_outcome(spec: Spec, data: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Outcome:
    bucket = _bucket(data)
    monkeypatch.setattr(cli, "_read_own_bucket", lambda name, what, read: read(bucket))  # the same media objects
    path = tmp_path / "case.jsonl"
    path.write_bytes(data)
    command = ["validate", str(path), "--model", spec.model, "--type", spec.kind.value, "--format", "json"]
    command += ["--source-uri", f"s3://{BUCKET}/{KEY}", "--check-media"]
    if spec.teacher:
        command += ["--teacher", spec.teacher]
    assert spec.invalid_prompts == "drop", "--model takes the profile default (drop); reject mode is a profile setting"
    exit_code = cli.main(command)
    out = json.loads(capsys.readouterr().out)
    assert exit_code == (0 if out["verdict"] == "accepted" else 1)
    return out["verdict"] == "accepted", out["reason"], out["codes"]


def _cli_with_profile(
    spec: Spec, data: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Outcome:
    """Reject mode is a profile setting: the CLI reads it from a profiles file, as the pipeline does."""
    bucket = _bucket(data)
    monkeypatch.setattr(cli, "_read_own_bucket", lambda name, what, read: read(bucket))
    lines = [f'version = "v"\n[profiles.case]\nbase_model = "{spec.model}"\ncustomization_type = "{spec.kind.value}"\n']
    if spec.teacher:
        lines.append(f'teacher_model = "{spec.teacher}"\n')
    lines.append(f'distillation_invalid_prompts = "{spec.invalid_prompts}"\n')
    profiles = tmp_path / "profiles.toml"
    profiles.write_text("".join(lines))
    path = tmp_path / "case.jsonl"
    path.write_bytes(data)
    command = ["validate", str(path), "--profile", "case", "--profiles", str(profiles), "--format", "json"]
    exit_code = cli.main([*command, "--source-uri", f"s3://{BUCKET}/{KEY}", "--check-media"])
    out = json.loads(capsys.readouterr().out)
    assert exit_code == (0 if out["verdict"] == "accepted" else 1)
    return out["verdict"] == "accepted", out["reason"], out["codes"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_cli_and_the_pipeline_give_one_verdict_on_every_corpus_case(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = ORIGIN[case.rules]
    _use(spec, monkeypatch)
    pipeline, _, _ = pipeline_outcome(spec, case.data)
    laptop = _cli_with_profile(spec, case.data, tmp_path, monkeypatch, capsys)
    assert laptop == pipeline
    # The file's own codes (the corpus's expectation) are among the run's; the run may add its bounds.
    assert set(case.codes) <= set(pipeline[2])


def test_a_99_record_llama_3_1_file_exits_1_on_the_laptop_as_the_pipeline_rejects_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = Spec("meta.llama3-1-8b-instruct-v1:0:128k", models.CustomizationType.FINE_TUNING, None)
    data = b"".join(line({**PC, "completion": f"billing {i}"}) for i in range(99))
    (accepted, reason, codes), deps, state = pipeline_outcome(spec, data)
    assert (accepted, reason, codes) == (False, "DATASET_INVALID:TOO_FEW_RECORDS", {"TOO_FEW_RECORDS": 1})
    assert cli_outcome(spec, data, tmp_path, monkeypatch, capsys) == (accepted, reason, codes)
    # with a one-record validation file the pair reaches the minimum (training + validation), as in the pipeline
    validation = tmp_path / "val.jsonl"
    validation.write_bytes(line({**PC, "completion": "other"}))
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    command = ["validate", str(path), "--model", spec.model, "--validation-file", str(validation), "--format", "json"]
    assert cli.main(command) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files"]["validation"]["records"] == 1 and out["run_problems"] == []
    # --validation-set keeps its meaning: a lone validation file, per-file bounds only
    assert cli.main(["validate", str(validation), "--model", spec.model, "--validation-set"]) == 0
    capsys.readouterr()
    # the owner's message lists the run problem as file-level, not as "line 0"
    event: Any = _milestone(state, deps, Reason.parse(reason or ""), "validation", "default")
    assert [(e.line, e.code) for e in event.first_errors] == [("file", "TOO_FEW_RECORDS")]


def test_file_level_problems_have_no_line_in_the_cli_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert cli.main(["validate", str(empty), "--model", "meta.llama3-1-8b-instruct-v1:0", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [(e["line"], e["code"]) for e in out["errors"]] == [(None, "DATASET_EMPTY")]
    assert [(p["line"], p["code"]) for p in out["run_problems"]] == [(None, "TOO_FEW_RECORDS")]
    assert cli.main(["validate", str(empty), "--model", "meta.llama3-1-8b-instruct-v1:0"]) == 1
    text = capsys.readouterr().out
    assert "│ file │ 0           │ DATASET_EMPTY" in text and "│ 0    │" not in text  # line "file", byte offset 0


def test_validation_set_and_validation_file_exclude_each_other(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(line(PC))
    assert (
        cli.main(["validate", str(path), "--validation-set", "--validation-file", str(path), "--model", "meta.llama3-1-8b-instruct-v1:0"])
        == 2
    )
