"""GR-RFT-01..03 (the RFT grader) and GR-IAM-02's grader statement: the template's grader passes; each hostile
variant fails or is unknown (both block); no grader is not applicable unless the run is RFT."""

from __future__ import annotations

from typing import Any

import pytest

from secure_finetune.guardrails import Evidence, Status, evaluate
from tests.unit.grader_fixtures import ACCOUNT, GRADER, JOBS, KEY
from tests.unit.test_guardrails import broken, good

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def status(data: dict[str, Any], check: str) -> Status:
    return {f.id: f for f in evaluate(Evidence.model_validate(data))}[check].status


def test_the_templates_grader_passes_all_three_rows() -> None:
    assert [status(good(), c) for c in ("GR-RFT-01", "GR-RFT-02", "GR-RFT-03")] == [Status.PASS] * 3


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("grader.role.inline_policies.0.Statement.0.Action", "*"),
        ("grader.role.inline_policies.0.Statement.0.Action", "lambda:*"),
        ("grader.role.inline_policies.0.Statement.0.Action", ["logs:PutLogEvents", "s3:GetObject"]),
        ("grader.role.inline_policies.0.Statement.0.Action", "sts:AssumeRole"),
        ("grader.role.inline_policies.0.Statement.0", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        ("grader.role.inline_policies.0.Statement.0", {"Effect": "Allow", "Action": "LOGS:*", "Resource": "*"}),  # case-insensitive
        ("grader.role.attached_policies", {ADMIN: {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}),
    ],
)
def test_a_grader_role_that_can_do_more_than_log_fails(path: str, value: object) -> None:
    assert status(broken(path, value), "GR-RFT-01") is Status.FAIL


def test_a_model_as_judge_grader_may_invoke_models() -> None:
    judge = {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}
    assert status(broken("grader.role.inline_policies.0.Statement.1", judge), "GR-RFT-01") is Status.PASS


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("grader.resource_policy.Statement.0.Condition", {}),  # Bedrock acting for anyone
        ("grader.resource_policy.Statement.0.Condition", {"StringEquals": {"AWS:SourceAccount": ACCOUNT}}),  # any Bedrock resource
        ("grader.resource_policy.Statement.0.Condition", {"ArnLike": {"AWS:SourceArn": JOBS}}),  # no account binding
        ("grader.resource_policy.Statement.0.Condition.ArnLike.AWS:SourceArn", "arn:aws:bedrock:*"),
        ("grader.resource_policy.Statement.0.Condition.StringEquals.AWS:SourceAccount", "999999999999"),
        (
            "grader.resource_policy.Statement.0",
            {"Effect": "Allow", "Principal": {"AWS": "999999999999"}, "Action": "lambda:InvokeFunction"},
        ),
        ("grader.resource_policy.Statement.0", {"Effect": "Allow", "Principal": "*", "Action": "lambda:*", "Resource": GRADER}),
        ("grader.resource_policy.Statement.0", {"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "lambda:*", "Resource": "*"}),
    ],
)
def test_a_grader_others_may_invoke_fails_closed(path: str, value: object) -> None:
    assert status(broken(path, value), "GR-RFT-02") in (Status.FAIL, Status.UNKNOWN)


def test_no_resource_policy_leaves_invocation_to_the_service_roles_identity_policy() -> None:
    assert status(broken("grader.resource_policy", {}), "GR-RFT-02") is Status.PASS


@pytest.mark.parametrize(
    ("path", "value"),
    [("grader.configuration.KMSKeyArn", None), ("grader.log_group.kmsKeyId", None), ("grader.log_group.retentionInDays", None)],
)
def test_a_grader_without_our_encryption_or_expiry_fails(path: str, value: object) -> None:
    assert status(broken(path, value), "GR-RFT-03") is Status.FAIL


def test_a_platform_grader_under_its_own_customer_key_passes_and_says_so() -> None:
    data = broken("grader.configuration.KMSKeyArn", KEY.replace("k1", "platform"))
    data = broken("grader.log_group.kmsKeyId", KEY.replace("k1", "platform"), data)
    finding = {f.id: f for f in evaluate(Evidence.model_validate(data))}["GR-RFT-03"]
    assert finding.status is Status.PASS and "a customer managed key" in finding.explanation


@pytest.mark.parametrize(
    ("path", "check"),
    [
        ("grader", "GR-RFT-01"),
        ("grader.role", "GR-RFT-01"),
        ("grader.role.attached_policies", "GR-RFT-01"),
        ("grader.resource_policy", "GR-RFT-02"),
        ("grader.configuration", "GR-RFT-03"),
        ("grader.log_group", "GR-RFT-03"),
    ],
)
def test_a_grader_that_cannot_be_read_is_unknown_and_blocks(path: str, check: str) -> None:
    assert status(broken(path, None), check) is Status.UNKNOWN


def test_without_a_grader_the_rows_do_not_apply_unless_the_run_is_rft() -> None:
    none = broken("grader", None, broken("grader_lambda_arn", None))
    assert [status(none, c) for c in ("GR-RFT-01", "GR-RFT-02", "GR-RFT-03")] == [Status.PASS] * 3
    rft = broken("customization_type", "REINFORCEMENT_FINE_TUNING", none)
    assert [status(rft, c) for c in ("GR-RFT-01", "GR-RFT-02", "GR-RFT-03")] == [Status.FAIL] * 3


def invoke(resource: object) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": resource}


def test_the_service_role_may_invoke_the_grader_and_no_other_function() -> None:
    with_grader = good()
    with_grader["service_role"]["inline_policies"][0]["Statement"].append(invoke(GRADER))
    assert status(with_grader, "GR-IAM-02") is Status.PASS
    for hostile in ("*", GRADER.rsplit(":", 1)[0] + ":*", [GRADER, GRADER.replace("Grader", "Other")]):
        data = good()
        data["service_role"]["inline_policies"][0]["Statement"].append(invoke(hostile))
        assert status(data, "GR-IAM-02") is Status.FAIL, hostile
    unknown_grader = broken("grader_lambda_arn", None, with_grader)
    assert status(unknown_grader, "GR-IAM-02") is Status.FAIL  # no grader named: no invocation is needed


# GR-RFT-02 binds Bedrock to this account's jobs in the run's partition, not always arn:aws (botocore endpoints.json).
@pytest.mark.parametrize(
    ("region", "arn", "expected"),
    [
        ("us-east-1", "", "aws"),
        ("eu-west-3", "", "aws"),
        ("us-gov-west-1", "", "aws-us-gov"),
        ("cn-north-1", "", "aws-cn"),
        ("us-iso-east-1", "", "aws-iso"),
        ("us-isob-east-1", "", "aws-iso-b"),
        ("eu-isoe-west-1", "", "aws-iso-e"),
        ("us-isof-south-1", "", "aws-iso-f"),
        ("eusc-de-east-1", "", "aws-eusc"),
        ("xx-new-1", "arn:aws-new:lambda:xx-new-1:111122223333:function:g", "aws-new"),  # a region no table knows: the ARN's
        ("us-gov-west-1", "arn:aws:lambda:us-east-1:111122223333:function:g", "aws-us-gov"),  # the region wins
    ],
)
def test_the_partition_comes_from_the_region_or_the_graders_arn(region: str, arn: str, expected: str) -> None:
    from secure_finetune.guardrails.partitions import partition

    assert partition(region, arn) == expected


def _in_region(region: str, partition: str, jobs_partition: str | None = None) -> dict[str, Any]:
    """The template's grader deployed in another region and partition; its permission binds jobs of ``jobs_partition``."""
    grader = f"arn:{partition}:lambda:{region}:{ACCOUNT}:function:s-GraderFunction-x"
    jobs = f"arn:{jobs_partition or partition}:bedrock:{region}:{ACCOUNT}:model-customization-job/*"
    data = broken("region", region)
    data = broken("grader.arn", grader, data)
    data = broken("grader_lambda_arn", grader, data)
    data = broken("grader.resource_policy.Statement.0.Resource", grader, data)
    return broken("grader.resource_policy.Statement.0.Condition.ArnLike.AWS:SourceArn", jobs, data)


@pytest.mark.parametrize(("region", "partition"), [("us-gov-west-1", "aws-us-gov"), ("cn-northwest-1", "aws-cn")])
def test_a_grader_bound_to_its_own_partitions_jobs_passes(region: str, partition: str) -> None:
    assert status(_in_region(region, partition), "GR-RFT-02") is Status.PASS


def test_a_grader_bound_to_jobs_of_another_partition_fails_closed() -> None:
    assert status(_in_region("us-gov-west-1", "aws-us-gov", jobs_partition="aws"), "GR-RFT-02") in (Status.FAIL, Status.UNKNOWN)
