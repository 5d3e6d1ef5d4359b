"""Failures become reason codes; notifications carry ids and counts, never content."""

import json
import re
import typing

import pytest

from secure_finetune.notifications import NOTIFICATION, DatasetRejected, LineError, Milestone, Notification, render
from secure_finetune.steps.failure import reason_of


@pytest.mark.parametrize(
    ("error", "cause", "reason"),
    [
        (
            "DatasetInvalid",
            json.dumps({"errorMessage": "DATASET_INVALID:LINE_BLANK", "errorType": "DatasetInvalid"}),
            "DATASET_INVALID:LINE_BLANK",
        ),
        ("TrainingFailed", json.dumps({"errorType": "TrainingFailed", "errorMessage": "JOB_FAILED"}), "JOB_FAILED"),
        ("States.Timeout", None, "JOB_TIMED_OUT"),
        ("KeyError", json.dumps({"errorMessage": "'x'", "errorType": "KeyError"}), "INTERNAL_ERROR:KeyError"),
        ("DatasetInvalid", "not json", "INTERNAL_ERROR:DatasetInvalid"),
        ("Lambda.ServiceException", None, "INTERNAL_ERROR:Lambda.ServiceException"),
    ],
)
def test_every_failure_maps_to_a_reason_code(error, cause, reason):
    assert str(reason_of(error, cause)) == reason


def test_rendered_message_fits_sns_and_carries_filter_attributes():
    event = DatasetRejected(
        run_id="r-" + "x" * 60,
        profile="support-bot",
        dataset="s3://b/incoming/support-bot/x.jsonl?versionId=v1",
        reason="DATASET_INVALID:LINE_BLANK",
        error_count=2,
        first_errors=(LineError(line=3, code="LINE_BLANK"), LineError(line=9, code="LINE_INVALID_JSON")),
        report="s3://b/reports/r/validation.json",
    )
    message = render(event)
    assert len(message.subject) < 100
    assert message.attributes == {"milestone": "DATASET_REJECTED", "profile": "support-bot"}
    assert "line=3, code=LINE_BLANK" in message.body


def test_every_milestone_has_a_model():
    # A milestone without a model fails on the tag; one with a model fails on its missing fields.
    for milestone in Milestone:
        with pytest.raises(ValueError) as caught:
            NOTIFICATION.validate_python({"milestone": milestone.value})
        assert "run_id" in str(caught.value)


# GR-OPS-02 (block, as a test): notifications carry ids, counts, reason codes, ARNs, costs and links only.
# Every field of every milestone is one of these kinds, by name; a new free-text field fails here.
_ALLOWED_FIELD = re.compile(
    r"^(milestone|run_id|profile|dataset|reason|step|error_count|first_errors|failed|report|job_arn|base_model|"
    r"customization_type|output_model_arn|provisioned_model_arn|model_units|ttl_hours|delete_at|expires_at|approve_link|"
    r"example_call|smoke_test|why|final_training_loss|failure_message|estimated_[a-z_]+_usd)$"
)


def test_gr_ops_02_no_milestone_has_a_field_that_could_carry_dataset_content():
    models = typing.get_args(typing.get_args(Notification)[0])
    assert {model.model_fields["milestone"].default for model in models} == set(Milestone)
    fields = {name for model in models for name in model.model_fields}
    assert not {name for name in fields if not _ALLOWED_FIELD.match(name)}
