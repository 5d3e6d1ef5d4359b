"""botocore Stubber, real-shaped answers for what the emulator does not do: fail closed."""

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from botocore.stub import Stubber

from secure_finetune.adapters.clients import client
from secure_finetune.adapters.evidence import EvidenceReader, no_public_access, policy_document
from secure_finetune.guardrails import PRE_LAUNCH_CHECKS, BucketEvidence, Check, Evidence, Status, evaluate
from tests.unit.test_guardrails import good

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/s-bedrock-job"


pytestmark = pytest.mark.usefixtures("offline_aws")


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


def bucket_evidence_when_every_read_fails(code: str, status: int) -> BucketEvidence:
    with Stubber(client("s3")) as s3:
        s3.add_client_error(
            "head_bucket", service_error_code=code, http_status_code=status, expected_params={"Bucket": "b", "ExpectedBucketOwner": ACCOUNT}
        )
        for operation in BUCKET_READS:
            s3.add_client_error(operation, service_error_code=code, http_status_code=status)
        evidence = EvidenceReader(ACCOUNT, "us-east-1").bucket("b")
        s3.assert_no_pending_responses()  # every read was made, in order, and failed
    return evidence


def test_a_bucket_owned_by_another_account_is_not_ours() -> None:
    evidence = bucket_evidence_when_every_read_fails("403", 403)
    assert evidence.owned is False
    assert evidence.encryption_rules is None and evidence.policy is None  # unknown: the checks block


def test_a_throttled_head_bucket_is_unknown_not_a_pass() -> None:
    evidence = bucket_evidence_when_every_read_fails("SlowDown", 503)
    assert evidence.owned is None
    assert evidence.versioning is None and evidence.lifecycle_prefixes is None


def test_simulate_principal_policy_answers_are_kept_per_probe() -> None:
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


def test_access_denied_on_simulation_is_unknown() -> None:
    with Stubber(client("iam")) as iam:
        iam.add_client_error("simulate_principal_policy", service_error_code="AccessDenied", http_status_code=403)
        assert EvidenceReader(ACCOUNT, "us-east-1").simulate(ROLE, [("s3:GetObject", "arn:aws:s3:::b/x")]) is None


# ---------------------------------------------------------------- Access Analyzer (not in moto)

PUBLIC_STATEMENT = {"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
NO_PUBLIC_ACCESS_FAIL = {
    "result": "FAIL",
    "message": "The resource policy grants public access for the given resource type.",
    "reasons": [{"description": "One or more statements grants public access", "statementIndex": 0, "statementId": "Anyone"}],
    "ResponseMetadata": {"HTTPStatusCode": 200},
}
NO_PUBLIC_ACCESS_PASS = {
    "result": "PASS",
    "message": "The resource policy does not grant public access for the given resource type.",
    "reasons": [],
}


def test_check_no_public_access_is_asked_with_the_policy_and_its_resource_type() -> None:
    policy = {"Version": "2012-10-17", "Statement": [PUBLIC_STATEMENT]}
    with Stubber(client("accessanalyzer")) as analyzer:
        analyzer.add_response(
            "check_no_public_access",
            NO_PUBLIC_ACCESS_FAIL,
            {"policyDocument": json.dumps(policy), "resourceType": "AWS::S3::Bucket"},
        )
        answer = no_public_access(policy, "AWS::S3::Bucket")
    assert answer == {k: v for k, v in NO_PUBLIC_ACCESS_FAIL.items() if k != "ResponseMetadata"}


def test_a_bucket_without_a_policy_needs_no_analyzer_call_and_an_unreadable_one_is_unknown() -> None:
    with Stubber(client("accessanalyzer")):  # any call would fail: none is expected
        assert no_public_access({}, "AWS::S3::Bucket") == {"result": "PASS", "message": "no policy statements to analyze", "reasons": []}
        assert no_public_access(None, "AWS::S3::Bucket") is None


def test_access_denied_on_check_no_public_access_is_unknown_and_blocks() -> None:
    with Stubber(client("accessanalyzer")) as analyzer:
        analyzer.add_client_error("check_no_public_access", service_error_code="AccessDeniedException", http_status_code=403)
        answer = no_public_access({"Statement": [PUBLIC_STATEMENT]}, "AWS::S3::Bucket")
    assert answer is None
    data = good()
    data["bucket"]["public_access_check"] = answer
    [finding] = evaluate(Evidence.model_validate(data), [check_named("GR-S3-08")])
    assert finding.status is Status.UNKNOWN and finding.blocks


def test_the_key_policy_goes_to_access_analyzer_as_a_kms_key_policy_and_a_fail_fails_gr_kms_03() -> None:
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1"
    # a policy our own parse accepts (the wildcard is bound by kms:CallerAccount); Access Analyzer has the last word
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
            }
        ],
    }
    metadata = {"KeyId": "k1", "Arn": key, "KeyManager": "CUSTOMER", "KeyState": "Enabled"}
    with Stubber(client("kms")) as kms, Stubber(client("accessanalyzer")) as analyzer:
        kms.add_response("describe_key", {"KeyMetadata": metadata}, {"KeyId": key})
        kms.add_response("get_key_rotation_status", {"KeyRotationEnabled": True}, {"KeyId": key})
        kms.add_response("get_key_policy", {"Policy": json.dumps(policy), "PolicyName": "default"}, {"KeyId": key, "PolicyName": "default"})
        analyzer.add_response(
            "check_no_public_access", NO_PUBLIC_ACCESS_FAIL, {"policyDocument": json.dumps(policy), "resourceType": "AWS::KMS::Key"}
        )
        evidence = EvidenceReader(ACCOUNT, "us-east-1").key(key)
        analyzer.assert_no_pending_responses()
    data = good()
    data["key"]["policy"] = policy
    data["key"]["public_access_check"] = evidence.public_access_check
    [finding] = evaluate(Evidence.model_validate(data), [check_named("GR-KMS-03")])
    assert finding.status is Status.FAIL and "Access Analyzer" in finding.explanation


def test_the_trust_policy_goes_to_access_analyzer_as_an_assume_role_policy() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    with Stubber(client("iam")) as iam, Stubber(client("accessanalyzer")) as analyzer:
        iam.add_response("get_role", _role_response(trust), {"RoleName": "s-bedrock-job"})
        iam.add_response("list_role_policies", {"PolicyNames": []}, {"RoleName": "s-bedrock-job"})
        iam.add_response("list_attached_role_policies", {"AttachedPolicies": []}, {"RoleName": "s-bedrock-job"})
        iam.add_response("get_role", _role_response(trust), {"RoleName": "s-bedrock-job"})
        analyzer.add_response(
            "check_no_public_access",
            NO_PUBLIC_ACCESS_PASS,
            {"policyDocument": json.dumps(trust), "resourceType": "AWS::IAM::AssumeRolePolicyDocument"},
        )
        evidence = EvidenceReader(ACCOUNT, "us-east-1").role(ROLE)
        analyzer.assert_no_pending_responses()
    assert evidence.trust_public_access_check == NO_PUBLIC_ACCESS_PASS
    assert evidence.access_not_granted is None and evidence.policy_findings is None  # not asked for


def test_check_access_not_granted_asks_once_per_denied_probe_on_the_union_of_the_inline_policies() -> None:
    policies: list[dict[str, Any]] = [
        {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/validated/*"}],
        },
        {"Version": "2012-10-17", "Statement": {"Sid": "Read", "Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "*"}},
    ]
    union = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/validated/*"},
                {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "*"},
            ],
        }
    )
    denied = [("s3:GetObject", "arn:aws:s3:::other/x"), ("s3:DeleteObject", "arn:aws:s3:::b/validated/x")]
    answers = [
        {
            "result": "PASS",
            "message": "The policy document does not grant access to perform one or more of the listed actions or resources.",
        },
        {
            "result": "FAIL",
            "message": "The policy document grants access to perform one or more of the listed actions or resources.",
            "reasons": [
                {"description": "One or more of the listed actions or resources in the statement with index: 1.", "statementIndex": 1}
            ],
        },
    ]
    with Stubber(client("accessanalyzer")) as analyzer:
        for (action, resource), answer in zip(denied, answers, strict=True):
            analyzer.add_response(
                "check_access_not_granted",
                answer,
                {"policyDocument": union, "access": [{"actions": [action], "resources": [resource]}], "policyType": "IDENTITY_POLICY"},
            )
        result = EvidenceReader(ACCOUNT, "us-east-1").access_not_granted(policies, denied)
    assert result == [(*denied[0], "PASS"), (*denied[1], "FAIL")]


def test_throttled_check_access_not_granted_is_unknown() -> None:
    with Stubber(client("accessanalyzer")) as analyzer:
        analyzer.add_client_error("check_access_not_granted", service_error_code="ThrottlingException", http_status_code=429)
        assert (
            EvidenceReader(ACCOUNT, "us-east-1").access_not_granted([{"Statement": []}], [("s3:DeleteObject", "arn:aws:s3:::b/x")]) is None
        )


def test_validate_policy_findings_are_read_across_pages_for_each_policy() -> None:
    pass_role = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
    finding = {
        "findingDetails": "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows "
        "iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the "
        "iam:PassedToService condition key to your statement.",
        "findingType": "SECURITY_WARNING",
        "issueCode": "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        "learnMoreLink": "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
        "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource",
        "locations": [
            {
                "path": [{"value": "Statement"}, {"index": 0}, {"value": "Resource"}],
                "span": {"start": {"line": 1, "column": 74, "offset": 74}, "end": {"line": 1, "column": 77, "offset": 77}},
            }
        ],
    }
    suggestion = {**finding, "findingType": "SUGGESTION", "issueCode": "EMPTY_OBJECT_PRINCIPAL", "findingDetails": "..."}
    document = json.dumps({"Version": "2012-10-17", "Statement": [pass_role]})
    with Stubber(client("accessanalyzer")) as analyzer:
        expected = {"policyDocument": document, "policyType": "IDENTITY_POLICY"}
        analyzer.add_response("validate_policy", {"findings": [suggestion], "nextToken": "t2"}, expected)
        analyzer.add_response("validate_policy", {"findings": [finding]}, {**expected, "nextToken": "t2"})
        findings = EvidenceReader(ACCOUNT, "us-east-1").policy_findings([{"Version": "2012-10-17", "Statement": [pass_role]}])
    assert findings is not None
    assert [(f["policy"], f["findingType"], f["issueCode"]) for f in findings] == [
        (0, "SUGGESTION", "EMPTY_OBJECT_PRINCIPAL"),
        (0, "SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE"),
    ]
    data = good()
    data["launcher_role"]["policy_findings"] = findings
    [result] = evaluate(Evidence.model_validate(data), [check_named("GR-IAM-05")])
    assert result.status is Status.FAIL and "PASS_ROLE_WITH_STAR_IN_RESOURCE" in result.explanation


def test_access_denied_on_validate_policy_is_unknown() -> None:
    with Stubber(client("accessanalyzer")) as analyzer:
        analyzer.add_client_error("validate_policy", service_error_code="AccessDeniedException", http_status_code=403)
        assert EvidenceReader(ACCOUNT, "us-east-1").policy_findings([{"Statement": []}]) is None


# ---------------------------------------------------------------- GR-CTX-02: what moto cannot show


def test_a_bucket_in_another_region_fails_the_owner_check() -> None:
    with Stubber(client("s3")) as s3:
        s3.add_response(
            "head_bucket",
            {"BucketRegion": "eu-west-1", "ResponseMetadata": {"HTTPHeaders": {"x-amz-bucket-region": "eu-west-1"}}},
            {"Bucket": "b", "ExpectedBucketOwner": ACCOUNT},
        )
        for operation in BUCKET_READS:
            s3.add_client_error(operation, service_error_code="AccessDenied", http_status_code=403)
        evidence = EvidenceReader(ACCOUNT, "us-east-1").bucket("b")
    assert (evidence.owned, evidence.region) == (True, "eu-west-1")
    data = good()
    data["bucket"].update(owned=evidence.owned, region=evidence.region)
    [finding] = evaluate(Evidence.model_validate(data), [check_named("GR-CTX-02")])
    assert finding.status is Status.FAIL


def test_a_bucket_owned_by_another_account_fails_the_owner_check() -> None:
    evidence = bucket_evidence_when_every_read_fails("403", 403)
    data = good()
    data["bucket"].update(owned=evidence.owned, region="us-east-1")
    [finding] = evaluate(Evidence.model_validate(data), [check_named("GR-CTX-02")])
    assert finding.status is Status.FAIL


def _role_response(trust: dict[str, Any]) -> dict[str, Any]:
    return {
        "Role": {
            "Path": "/",
            "RoleName": "s-bedrock-job",
            "RoleId": "AROAEXAMPLEID1234567",
            "Arn": ROLE,
            "CreateDate": datetime(2026, 11, 24, tzinfo=UTC),
            "AssumeRolePolicyDocument": quote(json.dumps(trust)),  # IAM's wire form: URL-encoded JSON
        }
    }


def check_named(check_id: str) -> Check:
    return next(check for check in PRE_LAUNCH_CHECKS if check.id == check_id)


def test_settings_that_are_not_configured_are_answers_not_unknowns() -> None:
    """No public access block, no ownership controls, no default encryption, no policy: S3 says so
    with an error code; each is a definite FAIL (or "not public"), not a read that failed."""
    absent = {
        "get_bucket_encryption": ("ServerSideEncryptionConfigurationNotFoundError", 404),
        "get_bucket_policy": ("NoSuchBucketPolicy", 404),
        "get_public_access_block": ("NoSuchPublicAccessBlockConfiguration", 404),
        "get_bucket_policy_status": ("NoSuchBucketPolicy", 404),
        "get_bucket_versioning": ("AccessDenied", 403),
        "get_bucket_logging": ("AccessDenied", 403),
        "get_bucket_lifecycle_configuration": ("NoSuchLifecycleConfiguration", 404),
        "get_bucket_ownership_controls": ("OwnershipControlsNotFoundError", 404),
    }
    with Stubber(client("s3")) as s3:
        s3.add_response("head_bucket", {"BucketRegion": "us-east-1"}, {"Bucket": "b", "ExpectedBucketOwner": ACCOUNT})
        for operation in BUCKET_READS:
            code, status = absent[operation]
            s3.add_client_error(operation, service_error_code=code, http_status_code=status)
        evidence = EvidenceReader(ACCOUNT, "us-east-1").bucket("b")
        s3.assert_no_pending_responses()
    assert evidence.encryption_rules == [] and evidence.policy == {} and evidence.policy_is_public is False
    assert evidence.public_access_block == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), False
    )
    assert evidence.ownership == "not set (ACLs apply)" and evidence.lifecycle_prefixes == []
    assert evidence.versioning is None  # a refusal stays unknown
    assert evidence.public_access_check == {"result": "PASS", "message": "no policy statements to analyze", "reasons": []}
    data = good()
    data["bucket"] = evidence.model_dump()
    statuses = {
        f.id: f.status for f in evaluate(Evidence.model_validate(data), [check_named(i) for i in ("GR-S3-01", "GR-S3-06", "GR-S3-07")])
    }
    assert statuses == {"GR-S3-01": Status.FAIL, "GR-S3-06": Status.FAIL, "GR-S3-07": Status.FAIL}


def test_a_policy_is_read_as_aws_sends_it_json_or_url_encoded_json_and_nothing_else() -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    assert policy_document(policy) == policy  # IAM's, decoded by botocore
    assert policy_document(json.dumps(policy)) == policy  # S3, KMS, EC2
    assert policy_document(quote(json.dumps(policy))) == policy  # IAM's wire form
    with pytest.raises(ValueError):
        policy_document(repr(policy))  # a Python repr is not a policy AWS sends
