"""Failures become reason codes; notifications carry ids and counts, never content."""

import json

import pytest

from secure_finetune.notifications import DatasetRejected, LineError, Milestone, notification_adapter, render
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
def test_every_failure_maps_to_a_reason_code(error: str, cause: str | None, reason: str) -> None:
    assert str(reason_of(error, cause)) == reason


def test_rendered_message_fits_sns_and_carries_filter_attributes() -> None:
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
    assert message.subject.endswith(f"({event.run_id})")  # the title gives way, never the run id
    assert message.subject.startswith("[finetune] support-bot: dataset r… (")
    # an unknown profile is any incoming/<dir>/ name: a long one gives way too, not the run id
    long_profile = render(event.model_copy(update={"profile": "p" * 80})).subject
    assert len(long_profile) < 100 and long_profile.endswith(f"… ({event.run_id})")
    assert message.attributes == {"milestone": "DATASET_REJECTED", "profile": "support-bot"}
    assert "line=3, code=LINE_BLANK" in message.body


def test_every_milestone_has_a_model() -> None:
    # A milestone without a model fails on the tag; one with a model fails on its missing fields.
    for milestone in Milestone:
        with pytest.raises(ValueError) as caught:
            notification_adapter().validate_python({"milestone": milestone.value})
        assert "run_id" in str(caught.value)


def test_gr_ops_02_every_milestone_field_is_content_free_and_a_free_text_field_fails() -> None:
    from secure_finetune.guardrails import OPS_CHECKS, Finding, StackEvidence, evaluate
    from secure_finetune.notifications import milestone_fields

    fields = milestone_fields()
    assert set(fields) == {m.value for m in Milestone}

    def judged(notification_fields: dict[str, tuple[str, ...]] | None) -> Finding:
        evidence = StackEvidence(account="1", function_policies={}, rules={}, notification_fields=notification_fields)
        return next(f for f in evaluate(evidence, OPS_CHECKS) if f.id == "GR-OPS-02")

    assert judged(fields).status.value == "PASS"
    assert judged({**fields, "JOB_FAILED": (*fields["JOB_FAILED"], "first_record")}).status.value == "FAIL"
    assert judged(None).status.value == "UNKNOWN"


def test_costs_read_as_dollars_and_an_unknown_cost_says_so() -> None:
    from secure_finetune.notifications import JobStarted, ModelReady

    common = {"run_id": "r", "profile": "p", "dataset": "s3://b/k?versionId=v"}
    ready = render(ModelReady(**common, model_arn="arn:pt", model_units=1, ttl_hours=2, estimated_hourly_cost_usd=60.5))
    assert "Estimated hourly cost (USD): $60.50" in ready.body
    job = {**common, "job_arn": "arn:j", "base_model": "m", "customization_type": "FINE_TUNING"}
    assert "Estimated training cost (USD): $0.0125" in render(JobStarted(**job, estimated_training_cost_usd=0.0125)).body
    unknown = render(JobStarted(**job))
    assert "Estimated training cost (USD): no public price" in unknown.body


def test_email_bodies_use_the_labels_slack_uses_never_field_names() -> None:
    from secure_finetune.notifications import JobStarted, label

    event = JobStarted(run_id="r", profile="p", dataset="s3://b/k", job_arn="arn:j", base_model="m", customization_type="FINE_TUNING")
    body = render(event).body
    for name in event.facts():
        assert f"{label(name)}:" in body
        assert f"{name}:" not in body or name == label(name)
    assert "_" not in "".join(line.split(":", 1)[0] for line in body.splitlines() if not line.startswith("  "))


def test_ttl_and_teardown_subjects_name_an_on_demand_deployment_as_such() -> None:
    from secure_finetune.notifications import TornDown, TtlWarning

    common = {"run_id": "r", "profile": "p", "dataset": "s3://b/k"}
    deployment = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc"
    throughput = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc"
    assert "on-demand deployment will be deleted soon" in render(TtlWarning(**common, model_arn=deployment, delete_at="t")).subject
    assert "on-demand deployment deleted" in render(TornDown(**common, model_arn=deployment)).subject
    assert "throughput deleted" in render(TornDown(**common, model_arn=throughput)).subject
    assert "throughput" not in render(TornDown(**common, model_arn=deployment)).subject
