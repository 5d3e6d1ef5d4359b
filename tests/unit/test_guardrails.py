"""Guardrail rules over evidence: PASS, FAIL with a fix, UNKNOWN blocks (fail closed)."""

import pytest

from secure_finetune.guardrails import Evidence, Status, blocking_reason, evaluate

KEY = "arn:aws:kms:us-east-1:111122223333:key/abc"
TRUST = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "bedrock.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "111122223333"},
                "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:us-east-1:111122223333:model-customization-job/*"},
            },
        }
    ]
}
GOOD = Evidence(
    account="111122223333",
    region="us-east-1",
    expected_key_arn=KEY,
    bucket_encryption_rules=[{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}}],
    object_sse="aws:kms",
    object_kms_key=KEY,
    object_readable=True,
    service_role_trust=TRUST,
)


def statuses(evidence):
    return {f.id: f.status for f in evaluate(evidence)}


def test_the_secure_setup_passes_every_check():
    assert set(statuses(GOOD).values()) == {Status.PASS}
    assert blocking_reason(evaluate(GOOD)) is None


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({"bucket_encryption_rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}, "GR-S3-01"),
        ({"bucket_encryption_rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}, "GR-S3-01"),
        (
            {"bucket_encryption_rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/x"}}]},
            "GR-S3-01",
        ),
        ({"object_sse": "AES256", "object_kms_key": None}, "GR-OBJ-01"),
        ({"object_kms_key": "arn:aws:kms:us-east-1:111122223333:key/other"}, "GR-OBJ-01"),
        ({"service_role_trust": {"Statement": [{**TRUST["Statement"][0], "Condition": {}}]}}, "GR-IAM-01"),
        ({"service_role_trust": {"Statement": [{**TRUST["Statement"][0], "Principal": {"AWS": "*"}}]}}, "GR-IAM-01"),
        (
            {
                "service_role_trust": {
                    "Statement": [{**TRUST["Statement"][0], "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}]
                }
            },
            "GR-IAM-01",
        ),
    ],
)
def test_breaking_one_control_fails_exactly_that_check_with_a_fix(change, failed):
    findings = evaluate(GOOD.model_copy(update=change))
    assert {f.id for f in findings if f.status is Status.FAIL} == {failed}
    assert all(f.fix for f in findings if f.status is Status.FAIL)
    assert str(blocking_reason(findings)) == f"GUARDRAIL_FAILED:{failed}"


@pytest.mark.parametrize(
    ("change", "unknown"),
    [
        ({"bucket_encryption_rules": None}, "GR-S3-01"),
        ({"object_readable": False}, "GR-OBJ-01"),
        ({"service_role_trust": None}, "GR-IAM-01"),
    ],
)
def test_evidence_that_cannot_be_read_is_unknown_and_blocks(change, unknown):
    findings = evaluate(GOOD.model_copy(update=change))
    assert statuses(GOOD.model_copy(update=change))[unknown] is Status.UNKNOWN
    assert str(blocking_reason(findings)) == f"GUARDRAIL_FAILED:{unknown}"
