"""botocore Stubber, real-shaped answers for what the emulator does not do: fail closed."""

import pytest
from botocore.stub import Stubber

from secure_finetune.adapters.clients import client, reset_clients
from secure_finetune.adapters.evidence import EvidenceReader

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/s-bedrock-job"


@pytest.fixture(autouse=True)
def fresh_clients(monkeypatch):
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(name, value)
    reset_clients()
    yield
    reset_clients()


BUCKET_READS = (
    "get_bucket_encryption",
    "get_bucket_policy",
    "get_public_access_block",
    "get_bucket_policy_status",
    "get_bucket_versioning",
    "get_bucket_logging",
    "get_bucket_lifecycle_configuration",
    "get_bucket_ownership_controls",
)


def bucket_evidence_when_every_read_fails(code: str, status: int):
    with Stubber(client("s3")) as s3:
        s3.add_client_error(
            "head_bucket", service_error_code=code, http_status_code=status, expected_params={"Bucket": "b", "ExpectedBucketOwner": ACCOUNT}
        )
        for operation in BUCKET_READS:
            s3.add_client_error(operation, service_error_code=code, http_status_code=status)
        evidence = EvidenceReader(ACCOUNT, "us-east-1").bucket("b")
        s3.assert_no_pending_responses()  # every read was made, in order, and failed
    return evidence


def test_a_bucket_owned_by_another_account_is_not_ours():
    evidence = bucket_evidence_when_every_read_fails("403", 403)
    assert evidence.owned is False
    assert evidence.encryption_rules is None and evidence.policy is None  # unknown: the checks block


def test_a_throttled_head_bucket_is_unknown_not_a_pass():
    evidence = bucket_evidence_when_every_read_fails("SlowDown", 503)
    assert evidence.owned is None
    assert evidence.versioning is None and evidence.lifecycle_prefixes is None


def test_simulate_principal_policy_answers_are_kept_per_probe():
    probes = [("s3:GetObject", "arn:aws:s3:::b/validated/x"), ("s3:DeleteObject", "arn:aws:s3:::b/validated/x")]
    with Stubber(client("iam")) as iam:
        for (action, resource), decision in zip(probes, ("allowed", "implicitDeny"), strict=True):
            iam.add_response(
                "simulate_principal_policy",
                {"EvaluationResults": [{"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision}]},
                {"PolicySourceArn": ROLE, "ActionNames": [action], "ResourceArns": [resource]},
            )
        result = EvidenceReader(ACCOUNT, "us-east-1").simulate(ROLE, probes)
    assert result == [(*probes[0], "allowed"), (*probes[1], "implicitDeny")]


def test_access_denied_on_simulation_is_unknown():
    with Stubber(client("iam")) as iam:
        iam.add_client_error("simulate_principal_policy", service_error_code="AccessDenied", http_status_code=403)
        assert EvidenceReader(ACCOUNT, "us-east-1").simulate(ROLE, [("s3:GetObject", "arn:aws:s3:::b/x")]) is None
