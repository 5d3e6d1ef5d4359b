"""Guardrail rules over evidence: the secure setup passes; breaking one control fails exactly that check.

The GOOD evidence mirrors what the template creates (see tests/integration for the same on the
emulated stack); each case changes one fact and expects one failing id.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from secure_finetune.guardrails import (
    PRE_LAUNCH_CHECKS,
    Evidence,
    Severity,
    Status,
    access_probes,
    blocking_reason,
    evaluate,
)
from tests.unit.grader_fixtures import GRADER, grader_evidence

ACCOUNT, REGION, BUCKET = "111122223333", "us-east-1", "data-bucket"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k1"
# the template's KMS endpoint policy: the data key only, this account's principals only
KMS_ENDPOINT_POLICY = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"],
            "Resource": KEY,
            "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
        }
    ]
}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/s-bedrock-job"
LAUNCHER = f"arn:aws:iam::{ACCOUNT}:role/s/s-PipelineFunctionRole-x"
SHA = "ab" * 32
B = f"arn:aws:s3:::{BUCKET}"
VPC_PATH_ONLY: dict[str, Any] = {
    "Sid": "BedrockRoleReadsTrainingDataOnlyInTheJobVpc",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": [f"{B}/validated/*", f"{B}/media/*"],
    "Condition": {"ArnEquals": {"aws:PrincipalArn": ROLE}, "StringNotEquals": {"aws:SourceVpc": "vpc-1"}},
}
SUBNETS, GROUPS = ("subnet-1", "subnet-2"), ("sg-job",)


# IAM Access Analyzer answers, shaped as the API returns them (CheckNoPublicAccess, CheckAccessNotGranted).
ANALYZER_PASS = {
    "result": "PASS",
    "message": "The resource policy does not grant public access for the given resource type.",
    "reasons": [],
}
ANALYZER_FAIL = {
    "result": "FAIL",
    "message": "The resource policy grants public access for the given resource type.",
    "reasons": [{"description": "One or more statements grants public access", "statementIndex": 1}],
}
PASS_ROLE_FINDING = {
    "policy": 0,
    "findingType": "SECURITY_WARNING",
    "issueCode": "PASS_ROLE_WITH_STAR_IN_RESOURCE",
    "findingDetails": "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive ...",
}


def not_granted(fail: tuple[str, str] | None = None) -> list[tuple[str, str, str]]:
    """CheckAccessNotGranted per must-be-denied probe: PASS, or FAIL for ``fail``."""
    _, denied = access_probes(BUCKET, KEY)
    return [(a, r, "FAIL" if (a, r) == fail else "PASS") for a, r in denied]


def simulated(flip: tuple[str, str] | None = None) -> list[tuple[str, str, str]]:
    allowed, denied = access_probes(BUCKET, KEY)
    rows = [(a, r, "allowed") for a, r in allowed] + [(a, r, "implicitDeny") for a, r in denied]
    return [(a, r, ("allowed" if d != "allowed" else "implicitDeny") if (a, r) == flip else d) for a, r, d in rows]


def evaluation_role_evidence() -> dict[str, Any]:
    """The evaluation jobs' role as template.yaml creates it (GR-EVAL-01/02)."""
    jobs = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:evaluation-job/*"
    return {
        "arn": f"arn:aws:iam::{ACCOUNT}:role/s-bedrock-eval",
        "trust": {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "bedrock.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": jobs}},
                }
            ]
        },
        "inline_policies": [
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": B},
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{B}/reports/*/evaluation/*"},
                    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{B}/reports/*/evaluation/output/*"},
                    {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], "Resource": KEY},
                    {
                        "Effect": "Allow",
                        "Action": ["bedrock:InvokeModel", "bedrock:CreateModelInvocationJob"],
                        "Resource": [
                            f"arn:aws:bedrock:{REGION}::foundation-model/*",
                            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/*",
                        ],
                    },
                ]
            }
        ],
        "attached_policy_arns": [],
    }


def good() -> dict[str, Any]:
    return {
        "account": ACCOUNT,
        "region": REGION,
        "caller_account": ACCOUNT,
        "bucket_name": BUCKET,
        "event_bucket": BUCKET,
        "expected_key_arn": KEY,
        "subnet_ids": SUBNETS,
        "security_group_ids": GROUPS,
        "object": {
            "key": "incoming/p/x.jsonl",
            "version_id": "v1",
            "event_etag": "e1",
            "event_size": 10,
            "readable": True,
            "etag": "e1",
            "size": 10,
            "sse": "aws:kms",
            "kms_key": KEY,
            "tags": {},
        },
        "bucket": {
            "name": BUCKET,
            "owned": True,
            "region": REGION,
            "encryption_rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}}],
            "policy": {
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [B, f"{B}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/uploader"},
                        "Action": "s3:PutObject",
                        "Resource": f"{B}/incoming/*",
                    },
                    VPC_PATH_ONLY,  # GR-S3-13, as the template writes it
                ]
            },
            "public_access_block": {
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
            "policy_is_public": False,
            "ownership": "BucketOwnerEnforced",
            "public_access_check": ANALYZER_PASS,
        },
        "key": {
            "metadata": {
                "KeyManager": "CUSTOMER",
                "KeyState": "Enabled",
                "KeySpec": "SYMMETRIC_DEFAULT",
                "KeyUsage": "ENCRYPT_DECRYPT",
                "AWSAccountId": ACCOUNT,
                "Arn": KEY,
            },
            "rotation_enabled": True,
            "public_access_check": ANALYZER_PASS,
            "policy": {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"],
                        "Resource": "*",
                        "Condition": {
                            "ArnEquals": {"aws:PrincipalArn": ROLE},
                            "StringEquals": {"kms:ViaService": [f"s3.{REGION}.amazonaws.com", f"bedrock.{REGION}.amazonaws.com"]},
                        },
                    },
                ]
            },
        },
        "network": {
            "subnets": [
                {"SubnetId": "subnet-1", "VpcId": "vpc-1", "MapPublicIpOnLaunch": False},
                {"SubnetId": "subnet-2", "VpcId": "vpc-1", "MapPublicIpOnLaunch": False},
            ],
            "route_tables": {
                s: {"RouteTableId": "rtb-1", "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}]} for s in SUBNETS
            },
            "vpc": {"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": True, "EnableDnsHostnames": True},
            "s3_endpoints": [
                {
                    "State": "available",
                    "RouteTableIds": ["rtb-1"],
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": ["s3:GetObject", "s3:ListBucket"],
                                "Resource": [B, f"{B}/validated/*"],
                            },
                            {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{B}/output/*"},
                        ]
                    },
                }
            ],
            "kms_endpoints": [
                {"State": "available", "PrivateDnsEnabled": True, "Groups": [{"GroupId": "sg-kms"}], "PolicyDocument": KMS_ENDPOINT_POLICY}
            ],
            "security_groups": {
                "sg-job": {
                    "GroupId": "sg-job",
                    "VpcId": "vpc-1",
                    "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"UserId": ACCOUNT, "GroupId": "sg-job"}]}],
                },
                "sg-kms": {
                    "GroupId": "sg-kms",
                    "VpcId": "vpc-1",
                    "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}],
                },
            },
        },
        "service_role": {
            "arn": ROLE,
            "trust": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "bedrock.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": ACCOUNT},
                            "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/*"},
                        },
                    }
                ]
            },
            "inline_policies": [
                {
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [f"{B}/validated/*", f"{B}/output/*"]},
                        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{B}/output/*"},
                        {
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"],
                            "Resource": KEY,
                        },
                    ]
                }
            ],
            "attached_policy_arns": [],
            "simulation": simulated(),
            "trust_public_access_check": ANALYZER_PASS,
            "access_not_granted": not_granted(),
        },
        "evaluation_role": evaluation_role_evidence(),
        "launcher_role": {
            "arn": LAUNCHER,
            "trust": {},
            "inline_policies": [
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "iam:PassRole",
                            "Resource": ROLE,
                            "Condition": {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
                        }
                    ]
                }
            ],
            "attached_policy_arns": [],
            "policy_findings": [],
        },
        "foundation_model": {"customizationsSupported": ["FINE_TUNING"], "modelLifecycle": {"status": "ACTIVE"}},
        "customization_type": "FINE_TUNING",
        "validation": {"training_sha256": SHA, "error_codes": {}},  # what validation.json says (adapters/evidence.py)
        "dataset_sha256": SHA,
        "job_request": {
            "jobName": "r-1",
            "clientRequestToken": "r-1",
            "roleArn": ROLE,
            "customModelKmsKeyId": KEY,
            "trainingDataConfig": {"s3Uri": f"s3://{BUCKET}/validated/{SHA}/x.jsonl"},
            "outputDataConfig": {"s3Uri": f"s3://{BUCKET}/output/r-1/"},
            "vpcConfig": {"subnetIds": list(SUBNETS), "securityGroupIds": list(GROUPS)},
            "jobTags": [{"key": k, "value": "v"} for k in ("run-id", "dataset-sha256", "source-version")],
        },
        "grader_lambda_arn": GRADER,  # the stack's RFT grader (tests/unit/test_guardrails_grader.py breaks it further)
        "grader": grader_evidence(),
    }


def evidence(data: dict[str, Any]) -> Evidence:
    return Evidence.model_validate(data)


def failing(data: dict[str, Any]) -> set[str]:
    return {f.id for f in evaluate(evidence(data)) if f.status is not Status.PASS}


def test_the_secure_setup_passes_every_blocking_check() -> None:
    findings = evaluate(evidence(good()))
    assert [f.id for f in findings if f.status is not Status.PASS] == []
    assert blocking_reason(findings) is None


def test_a_check_marked_per_run_needs_the_run_and_the_others_never_read_it() -> None:
    # what `finetune preflight` has: the stack, but no event, object, validator report or job request
    no_run = {
        **good(),
        "event_bucket": "",
        "malware_scan_enabled": True,  # so GR-OBJ-07 applies and must look at an object
        "object": {"key": "", "version_id": "", "event_etag": "", "event_size": 0, "readable": False},
        "validation": None,
        "dataset_sha256": None,
        "job_request": None,
    }
    with_run, without = (evaluate(evidence(data)) for data in (good(), no_run))
    per_run = {check.id for check in PRE_LAUNCH_CHECKS if check.per_run}
    assert [f for f in without if f.id not in per_run] == [f for f in with_run if f.id not in per_run]
    assert {f.id for f in without if f.status is Status.PASS} & per_run == set()


def test_the_catalogue_has_every_required_blocking_entry_with_metadata() -> None:
    required = (
        [f"GR-CTX-0{i}" for i in (1, 2, 3)]
        + [f"GR-OBJ-0{i}" for i in range(1, 9)]
        + [f"GR-S3-0{i}" for i in (1, 4, 6, 7, 8)]
        + [f"GR-KMS-0{i}" for i in range(1, 6)]
        + [f"GR-NET-0{i}" for i in (1, 4, 5, 6, 7)]
        + [f"GR-IAM-0{i}" for i in range(1, 6)]
        + [f"GR-JOB-0{i}" for i in range(1, 6)]
    )
    ids = [c.id for c in PRE_LAUNCH_CHECKS]
    assert set(required) <= set(ids)
    assert len(ids) == len(set(ids))
    for check in PRE_LAUNCH_CHECKS:
        assert check.severity is Severity.BLOCK and check.title and check.evidence and check.anchors and check.fix


def broken(path: str, value: Any, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A deep copy of ``data`` (default: the good evidence) with one dotted path changed."""
    data = copy.deepcopy(good() if data is None else data)
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return data


S3_ALL = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
BREAKS = [
    ("GR-RFT-01", "grader.role.inline_policies.0.Statement.0.Action", "s3:*"),
    ("GR-RFT-02", "grader.resource_policy.Statement.0.Condition", {}),
    ("GR-RFT-03", "grader.log_group.kmsKeyId", None),
    ("GR-CTX-01", "caller_account", "999999999999"),
    ("GR-CTX-01", "event_bucket", "other-bucket"),
    ("GR-CTX-02", "bucket.owned", False),
    ("GR-CTX-02", "bucket.region", "eu-west-1"),
    ("GR-CTX-03", "foundation_model.modelLifecycle", {"status": "LEGACY", "endOfLifeTime": "2026-09-10T00:00:00Z"}),
    ("GR-OBJ-01", "object.kms_key", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/other"),
    ("GR-OBJ-01", "object.sse", "AES256"),
    ("GR-OBJ-02", "object.etag", "e2"),
    ("GR-OBJ-02", "dataset_sha256", "cd" * 32),
    ("GR-OBJ-03", "object.key", "incoming/x\x07.jsonl"),
    ("GR-OBJ-02", "validation.training_sha256", "cd" * 32),
    ("GR-OBJ-04", "validation.error_codes", {"DATASET_TOO_LARGE": 1}),
    ("GR-OBJ-05", "validation.error_codes", {"DATASET_COMPRESSED_OR_BINARY": 1}),
    ("GR-OBJ-06", "validation.error_codes", {"TOO_FEW_RECORDS": 1}),
    ("GR-OBJ-08", "validation.error_codes", {"SENSITIVE_DATA": 2}),
    ("GR-S3-01", "bucket.encryption_rules", [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]),
    ("GR-S3-04", "bucket.policy.Statement.0.Condition", {}),
    ("GR-S3-06", "bucket.public_access_block.BlockPublicPolicy", False),
    ("GR-S3-06", "bucket.policy_is_public", True),
    ("GR-S3-07", "bucket.ownership", "ObjectWriter"),
    ("GR-S3-08", "bucket.policy.Statement.1.Principal", {"AWS": "arn:aws:iam::999999999999:root"}),
    (
        "GR-S3-08",
        "bucket.policy.Statement.1",
        {"Effect": "Allow", "NotPrincipal": {"AWS": B}, "Action": "s3:GetObject", "Resource": f"{B}/*"},
    ),
    ("GR-S3-08", "bucket.public_access_check", ANALYZER_FAIL),
    ("GR-S3-13", "bucket.policy.Statement.2.Resource", f"{B}/validated/a*"),
    ("GR-KMS-01", "key.metadata.KeyManager", "AWS"),
    ("GR-KMS-02", "key.rotation_enabled", False),
    ("GR-KMS-03", "key.policy.Statement.0.Principal", "*"),
    ("GR-KMS-03", "key.public_access_check", ANALYZER_FAIL),
    ("GR-KMS-04", "key.policy.Statement.1.Action", "kms:*"),
    ("GR-KMS-04", "key.policy.Statement.1.Condition.StringEquals", {}),
    ("GR-KMS-05", "job_request.customModelKmsKeyId", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/model-key"),
    ("GR-NET-01", "network.route_tables.subnet-1.Routes.0", {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}),
    ("GR-NET-01", "network.route_tables.subnet-2.Routes.0", {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}),
    ("GR-NET-01", "network.subnets.0.MapPublicIpOnLaunch", True),
    ("GR-NET-04", "network.s3_endpoints.0.RouteTableIds", []),
    ("GR-NET-05", "network.s3_endpoints.0.PolicyDocument", {"Statement": [S3_ALL]}),
    ("GR-NET-06", "network.kms_endpoints.0.PrivateDnsEnabled", False),
    ("GR-NET-06", "network.vpc.EnableDnsHostnames", False),
    ("GR-NET-06", "network.kms_endpoints.0.PolicyDocument", {}),  # no policy: AWS's default, every key
    ("GR-NET-06", "network.kms_endpoints.0.PolicyDocument.Statement.0.Resource", "*"),
    ("GR-NET-06", "network.kms_endpoints.0.PolicyDocument.Statement.0.Condition", {}),  # any account's principals
    (
        "GR-NET-07",
        "network.security_groups.sg-job.IpPermissions",
        [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    ),
    ("GR-IAM-01", "service_role.trust.Statement.0.Condition", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
    ("GR-IAM-01", "service_role.trust.Statement.0.Principal", {"AWS": "*"}),
    ("GR-IAM-01", "service_role.trust_public_access_check", ANALYZER_FAIL),
    ("GR-IAM-02", "service_role.inline_policies.0.Statement.0.Action", "s3:*"),
    ("GR-IAM-02", "service_role.inline_policies.0.Statement.0.Resource", "arn:aws:s3:::other-bucket/*"),
    ("GR-IAM-02", "service_role.inline_policies.0.Statement.0", {"Effect": "Allow", "NotAction": "iam:*", "Resource": f"{B}/*"}),
    ("GR-IAM-03", "service_role.simulation", simulated(flip=("s3:DeleteObject", f"{B}/validated/x.jsonl"))),
    ("GR-IAM-03", "service_role.simulation", simulated(flip=("s3:GetObject", f"{B}/validated/x.jsonl"))),
    ("GR-IAM-03", "service_role.access_not_granted", not_granted(fail=("s3:DeleteObject", f"{B}/validated/x.jsonl"))),
    ("GR-IAM-04", "service_role.attached_policy_arns", ["arn:aws:iam::aws:policy/AmazonS3FullAccess"]),
    ("GR-EVAL-01", "evaluation_role.trust.Statement.0.Condition", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}),  # any job ARN
    ("GR-EVAL-01", "evaluation_role.trust.Statement.0.Principal", {"Service": ["bedrock.amazonaws.com", "lambda.amazonaws.com"]}),
    ("GR-EVAL-01", "evaluation_role.trust", None),  # unreadable: UNKNOWN blocks
    ("GR-EVAL-02", "evaluation_role.inline_policies.0.Statement.1.Resource", f"{B}/*"),  # reads every prefix
    ("GR-EVAL-02", "evaluation_role.inline_policies.0.Statement.2.Resource", f"{B}/reports/*"),  # writes beside the reports
    ("GR-EVAL-02", "evaluation_role.inline_policies.0.Statement.4.Action", "bedrock:*"),  # may buy throughput, start jobs
    ("GR-EVAL-02", "evaluation_role.attached_policy_arns", ["arn:aws:iam::aws:policy/AmazonBedrockFullAccess"]),
    ("GR-IAM-05", "launcher_role.inline_policies.0.Statement.0.Resource", "*"),
    ("GR-IAM-05", "launcher_role.inline_policies.0.Statement.0.Condition", {}),
    (
        "GR-IAM-05",
        "launcher_role.inline_policies.0.Statement",
        [*good()["launcher_role"]["inline_policies"][0]["Statement"], {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}],
    ),
    ("GR-IAM-05", "launcher_role.policy_findings", [PASS_ROLE_FINDING]),
    ("GR-JOB-01", "job_request.customModelKmsKeyId", "alias/aws/bedrock"),
    ("GR-JOB-02", "job_request.vpcConfig", None),
    ("GR-JOB-03", "job_request.trainingDataConfig.s3Uri", f"s3://{BUCKET}/incoming/x.jsonl"),
    ("GR-JOB-04", "job_request.roleArn", f"arn:aws:iam::{ACCOUNT}:role/other"),
    ("GR-JOB-05", "job_request.clientRequestToken", None),
]


# A break that also, rightly, fails another check reading the same statement: why.
COUPLED = {
    ("GR-KMS-03", "key.policy.Statement.0.Principal"): {"GR-KMS-04": "kms:* for everyone gives the service role every KMS action too"},
}


@pytest.mark.parametrize(("check_id", "path", "value"), BREAKS, ids=[f"{c}:{p}" for c, p, _ in BREAKS])
def test_breaking_one_control_fails_that_check_and_blocks(check_id: str, path: str, value: object) -> None:
    failed = failing(broken(path, value))
    assert check_id in failed
    # a change may also touch a check that reads the same fact (the job's key feeds KMS-05, the
    # dataset hash names the training URI of JOB-03); nothing else moves
    assert failed <= {check_id, "GR-KMS-05", "GR-JOB-01", "GR-JOB-03", *COUPLED.get((check_id, path), {})}


def test_every_blocking_check_has_a_breaking_case() -> None:
    assert {c.id for c in PRE_LAUNCH_CHECKS} - {"GR-OBJ-07"} <= {case[0] for case in BREAKS}


@pytest.mark.parametrize(
    ("path", "unknown"),
    [
        ("caller_account", "GR-CTX-01"),
        ("bucket.encryption_rules", "GR-S3-01"),
        ("bucket.policy", "GR-S3-04"),
        ("key.metadata", "GR-KMS-01"),
        ("network.subnets", "GR-NET-01"),
        ("service_role.trust", "GR-IAM-01"),
        ("foundation_model", "GR-CTX-03"),
        ("service_role.simulation", "GR-IAM-03"),
        ("bucket.public_access_check", "GR-S3-08"),
        ("key.public_access_check", "GR-KMS-03"),
        ("service_role.trust_public_access_check", "GR-IAM-01"),
        ("service_role.access_not_granted", "GR-IAM-03"),
        ("launcher_role.policy_findings", "GR-IAM-05"),
        ("validation", "GR-OBJ-06"),
        ("job_request", "GR-JOB-01"),
    ],
)
def test_evidence_that_cannot_be_read_is_unknown_and_blocks(path: str, unknown: str) -> None:
    findings = {f.id: f for f in evaluate(evidence(broken(path, None)))}
    assert findings[unknown].status is Status.UNKNOWN
    assert findings[unknown].blocks


def test_every_failure_says_how_to_fix_it() -> None:
    for finding in evaluate(evidence(broken("bucket.ownership", "ObjectWriter"))):
        assert (finding.fix is None) is (finding.status is Status.PASS)


def test_a_bucket_policy_allowing_another_account_is_flagged_even_with_the_tls_deny() -> None:
    data = good()
    data["bucket"]["policy"]["Statement"].append({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{B}/*"})
    assert "GR-S3-08" in failing(data)


def warn_good() -> dict[str, Any]:
    data = good()
    data["bucket"].update(versioning="Enabled", logging_target="access-logs", lifecycle_prefixes=["quarantine/", "reports/"])
    data["bucket"]["encryption_rules"][0]["BucketKeyEnabled"] = True
    data["bucket"]["policy"]["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{B}/*",
            "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY}},
        }
    )
    for index, subnet in enumerate(data["network"]["subnets"]):
        subnet.update(AvailabilityZone=f"us-east-1{'ab'[index]}", AvailableIpAddressCount=4000)
    data["network"]["default_security_group"] = {"GroupId": "sg-default", "IpPermissions": [], "IpPermissionsEgress": []}
    data["network"]["flow_logs"] = [{"ResourceId": "vpc-1", "FlowLogStatus": "ACTIVE", "TrafficType": "ALL"}]
    data["service_role"]["tags"] = {"pipeline": "finetune"}
    return data


def warned(data: dict[str, Any]) -> set[str]:
    from secure_finetune.guardrails import WARN_CHECKS

    findings = evaluate(evidence(data), WARN_CHECKS)
    assert all(not f.blocks for f in findings)  # warnings never block
    return {f.id for f in findings if f.status is not Status.PASS}


def test_the_secure_setup_raises_no_warning() -> None:
    assert warned(warn_good()) == set()


@pytest.mark.parametrize(
    ("check_id", "path", "value"),
    [
        ("GR-S3-02", "bucket.encryption_rules.0.BucketKeyEnabled", False),
        ("GR-S3-05", "bucket.policy.Statement.3.Condition", {}),
        ("GR-S3-09", "bucket.versioning", "Suspended"),
        ("GR-S3-10", "bucket.logging_target", ""),
        ("GR-S3-12", "bucket.lifecycle_prefixes", ["reports/"]),
        ("GR-KMS-06", "key.metadata.MultiRegion", True),
        ("GR-NET-02", "network.subnets.1.AvailabilityZone", "us-east-1a"),
        ("GR-NET-03", "network.subnets.0.AvailableIpAddressCount", 3),
        ("GR-NET-08", "network.default_security_group.IpPermissionsEgress", [{"IpProtocol": "-1"}]),
        ("GR-NET-10", "network.flow_logs", []),
        ("GR-NET-10", "network.flow_logs.0.FlowLogStatus", "INACTIVE"),
        ("GR-IAM-06", "service_role.tags", {}),
    ],
)
def test_each_warning_names_its_weakness(check_id: str, path: str, value: object) -> None:
    data = broken(path, value, warn_good())
    assert warned(data) == {check_id}


@pytest.mark.parametrize("path", ["bucket.public_access_check", "key.public_access_check", "service_role.trust_public_access_check"])
def test_an_access_analyzer_answer_other_than_pass_or_fail_is_unknown(path: str) -> None:
    findings = evaluate(evidence(broken(path, {"result": "IN_PROGRESS", "message": "", "reasons": []})))
    assert {f.id for f in findings if f.status is Status.UNKNOWN} == {
        {
            "bucket.public_access_check": "GR-S3-08",
            "key.public_access_check": "GR-KMS-03",
            "service_role.trust_public_access_check": "GR-IAM-01",
        }[path]
    }


def test_access_analyzer_must_have_checked_every_denied_probe() -> None:
    partial = not_granted()[:-1]  # one probe never checked
    findings = {f.id: f for f in evaluate(evidence(broken("service_role.access_not_granted", partial)))}
    assert findings["GR-IAM-03"].status is Status.UNKNOWN


def test_access_analyzer_findings_other_than_pass_role_leave_the_launcher_check_alone() -> None:
    suggestion = {"policy": 0, "findingType": "SUGGESTION", "issueCode": "EMPTY_ARRAY_CONDITION", "findingDetails": "..."}
    assert "GR-IAM-05" not in failing(broken("launcher_role.policy_findings", [suggestion]))


def test_a_parse_failure_is_reported_even_when_access_analyzer_could_not_run() -> None:
    data = broken("bucket.public_access_check", None)
    data["bucket"]["policy"]["Statement"][1]["Principal"] = "*"
    assert {f.id: f.status for f in evaluate(evidence(data))}["GR-S3-08"] is Status.FAIL


def with_launcher_statement(statement: dict[str, Any]) -> dict[str, Any]:
    data = good()
    data["launcher_role"]["inline_policies"][0]["Statement"].append(statement)
    return data


def pass_role(resource: str, service: str | None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": resource}
    if service:
        statement["Condition"] = {"StringEquals": {"iam:PassedToService": service}}
    return statement


SCHEDULER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/s-ttl-scheduler"


def test_the_launcher_may_pass_another_named_role_to_its_own_service() -> None:
    assert "GR-IAM-05" not in failing(with_launcher_statement(pass_role(SCHEDULER_ROLE, "scheduler.amazonaws.com")))


@pytest.mark.parametrize(
    "statement",
    [
        pass_role(SCHEDULER_ROLE, None),  # to any service
        pass_role(SCHEDULER_ROLE, "bedrock.amazonaws.com"),  # another role for Bedrock jobs
        pass_role(f"arn:aws:iam::{ACCOUNT}:role/s-*", "scheduler.amazonaws.com"),  # a wildcard of roles
        pass_role(ROLE, "scheduler.amazonaws.com"),  # the service role to another service
        pass_role(SCHEDULER_ROLE, "*.amazonaws.com"),
    ],
)
def test_the_launcher_passes_nothing_loosely(statement: dict[str, Any]) -> None:
    assert "GR-IAM-05" in failing(with_launcher_statement(statement))


def test_a_launcher_that_cannot_pass_the_service_role_fails() -> None:
    data = good()
    data["launcher_role"]["inline_policies"][0]["Statement"] = [pass_role(SCHEDULER_ROLE, "scheduler.amazonaws.com")]
    assert "GR-IAM-05" in failing(data)
