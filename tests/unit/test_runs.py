"""Run id: one per object version, valid wherever Bedrock and Step Functions need a name."""

import re

import pytest

from secure_finetune.runs import (
    is_validation_file,
    profile_of,
    quarantine_key,
    run_id,
    validated_key,
    validation_key_for,
)

JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*$")
MODEL_NAME = re.compile(r"^([0-9a-zA-Z][_-]?){1,63}$")
CLIENT_TOKEN = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?$")
EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
BEDROCK_S3_KEY = re.compile(r"^(?:[-!_*'().a-z0-9A-Z]+/)*[-!_*'().a-z0-9A-Z]+$")


@pytest.mark.parametrize(
    "key",
    [
        "incoming/x.jsonl",
        "incoming/team/My Data (v2)+final.jsonl",
        "incoming/é/ü--__..jsonl",
        "incoming/.jsonl",
        "incoming/" + "a" * 900 + ".jsonl",
    ],
)
def test_run_id_fits_every_name_pattern(key: str) -> None:
    rid = run_id("bucket", key, "v1")
    for pattern in (JOB_NAME, MODEL_NAME, CLIENT_TOKEN, EXECUTION_NAME):
        assert pattern.match(rid), (pattern.pattern, rid)
    assert len(rid) <= 63


def test_run_id_is_stable_for_a_version_and_differs_between_versions() -> None:
    assert run_id("b", "incoming/x.jsonl", "v1") == run_id("b", "incoming/x.jsonl", "v1")
    assert run_id("b", "incoming/x.jsonl", "v1") != run_id("b", "incoming/x.jsonl", "v2")
    assert run_id("b", "incoming/x.jsonl", "v1") != run_id("c", "incoming/x.jsonl", "v1")


def test_derived_keys_match_bedrocks_s3_uri_pattern() -> None:
    for derived in (validated_key("ab" * 32, "incoming/t/My data+=v2.jsonl"), quarantine_key("r-1", "incoming/a b.jsonl")):
        assert BEDROCK_S3_KEY.match(derived), derived


def test_validation_files_belong_to_their_training_file() -> None:
    assert is_validation_file("incoming/p/x.validation.jsonl")
    assert not is_validation_file("incoming/p/x.jsonl")
    assert validation_key_for("incoming/p/x.jsonl") == "incoming/p/x.validation.jsonl"


def test_profile_comes_from_the_first_sub_prefix() -> None:
    assert profile_of("incoming/support-bot/x.jsonl") == "support-bot"
    assert profile_of("incoming/support-bot/deeper/x.jsonl") == "support-bot"
    assert profile_of("incoming/x.jsonl") is None


def test_the_run_table_finds_only_waits_older_than_the_cutoff(moto_runs_table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # What the reconciler and the overdue-training alarm read (createdAt <= now - age, on moto's DynamoDB)
    import time

    from secure_finetune.adapters.runs_table import RunTable
    from secure_finetune.runs import Step

    table, start = RunTable(moto_runs_table), time.time()
    monkeypatch.setattr("secure_finetune.adapters.runs_table.time.time", lambda: start)
    table.put_token("old", Step.TRAINING, "t-old")
    monkeypatch.setattr("secure_finetune.adapters.runs_table.time.time", lambda: start + 600)
    table.put_token("new", Step.TRAINING, "t-new")
    table.put_token("queued", Step.APPROVAL, "t-approval")  # another step's wait is never a training wait
    monkeypatch.setattr("secure_finetune.adapters.runs_table.time.time", lambda: start + 900)
    assert table.waiting_since(Step.TRAINING, 900) == ["old"]
    assert sorted(table.waiting_since(Step.TRAINING, 300)) == ["new", "old"]
    assert table.waiting_since(Step.TRAINING, 901) == []


def test_a_run_that_ended_never_walks_back_in_the_table_but_keeps_what_a_late_step_records(moto_runs_table: str) -> None:
    from secure_finetune.adapters.runs_table import RunTable
    from secure_finetune.runs import RunChanges, RunStatus

    table = RunTable(moto_runs_table)
    table.set_status("r1", RunStatus.CANCELLED, RunChanges(reason="JOB_CANCELLED:owner"))
    # a step still running when the run was cancelled (its execution aborted) records its job and status
    table.set_status("r1", RunStatus.TRAINING, RunChanges(job_arn="arn:aws:bedrock:us-east-1:111122223333:model-customization-job/r1"))
    record = table.get_run("r1")
    assert record is not None and record.status is RunStatus.CANCELLED and record.job_arn is not None
    table.set_status("r2", RunStatus.QUEUED)
    table.set_status("r2", RunStatus.TRAINING)  # a live run walks on
    assert (found := table.get_run("r2")) is not None and found.status is RunStatus.TRAINING
