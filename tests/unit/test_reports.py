"""The report documents (``reports/<run>/<step>.json``): one model each, camelCase on the wire, read
back through the model that wrote them; the guardrails read the validator's through it too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from secure_finetune.adapters.evidence import EvidenceReader
from secure_finetune.adapters.s3 import DataBucket
from secure_finetune.reports import (
    GuardrailsReport,
    RunProblem,
    RunReports,
    TrainingFailureReport,
    ValidationDocument,
    read_report,
    write_report,
)
from secure_finetune.runs import Step, report_key
from tests.unit.fakes import FakeBucket
from tests.unit.test_report_html import RUN, full_run, rejected_run

WIRE_DATA_MAPS = {"errorsByCode", "warningsByCode", "hyperparameters"}  # their keys are codes and names, not fields


def wire_names(document: object) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            yield key
            if key not in WIRE_DATA_MAPS:
                yield from wire_names(value)
    elif isinstance(document, list):
        for item in document:
            yield from wire_names(item)


def rejected_with_a_run_problem() -> ValidationDocument:
    rejected = rejected_run().validation
    assert rejected is not None
    return rejected.model_copy(update={"run_problems": (RunProblem(code="TOO_FEW_RECORDS", message="fewer than 8 records"),)})


def test_every_document_is_camel_case_on_the_wire() -> None:
    failed = TrainingFailureReport(job_arn="arn:job", status="Failed", failure_message="x")
    for document in (*full_run().documents(), failed, rejected_with_a_run_problem()):
        names = set(wire_names(document.wire()))
        assert all(re.fullmatch(r"[a-z][a-zA-Z0-9]*", name) for name in names), (document.step, sorted(names))
    validation = full_run().validation
    assert validation is not None
    assert {"errorCount", "errorsByCode", "warningCount", "tokenEstimate"} <= set(validation.training.model_dump(by_alias=True))


def test_a_run_problem_has_no_line() -> None:
    assert rejected_with_a_run_problem().wire()["runProblems"] == [{"code": "TOO_FEW_RECORDS", "message": "fewer than 8 records"}]


def test_each_document_goes_to_its_steps_key_and_reads_back_as_the_model_that_wrote_it() -> None:
    bucket = FakeBucket()
    for document in full_run().documents():
        assert write_report(bucket, RUN, document) == f"s3://data-bucket/{report_key(RUN, document.step)}"
    assert sorted(key for key in bucket.documents) == sorted(report_key(RUN, step) for step in full_run().written())
    assert RunReports.read(bucket, RUN) == full_run()
    assert read_report(bucket, RUN, TrainingFailureReport) is None  # never written


def test_a_document_that_is_not_its_model_reads_as_none() -> None:
    bucket = FakeBucket()
    bucket.put_json(report_key(RUN, Step.GUARDRAILS), {"findings": [{"id": "GR-X", "status": "WEIRD"}]})
    bucket.put_text(report_key(RUN, Step.VALIDATION), "{not json", "application/json")
    assert read_report(bucket, RUN, GuardrailsReport) is None
    assert read_report(bucket, RUN, ValidationDocument) is None


def test_the_validators_counts_sum_every_file_and_the_run() -> None:
    document = rejected_with_a_run_problem()
    assert document.accepted is False
    assert document.error_count == document.training.error_count + 1
    assert document.error_codes() == {**document.training.errors_by_code, "TOO_FEW_RECORDS": 1}


def test_the_guardrails_read_the_validators_report_through_its_model(moto_bucket: tuple[Any, DataBucket, str]) -> None:
    _, bucket, _ = moto_bucket
    reader = EvidenceReader("123456789012", "us-east-1")
    key = report_key(RUN, Step.VALIDATION)
    assert reader.validator_report(bucket.bucket, key) is None  # not written: the checks answer UNKNOWN
    document = rejected_with_a_run_problem()
    write_report(bucket, RUN, document)
    evidence = reader.validator_report(bucket.bucket, key)
    assert evidence is not None
    assert (evidence.training_sha256, evidence.error_codes) == (document.training.sha256, document.error_codes())
    bucket.put_json(key, {"training": {"sha256": "x"}})  # not a validator's report
    assert reader.validator_report(bucket.bucket, key) is None
