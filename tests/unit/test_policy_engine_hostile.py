"""The hostile variants of issue 11, asked of the policy engine (the questions the guardrail rules ask)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from secure_finetune.guardrails.policy_engine import (
    Matching,
    Principal,
    RequestContext,
    Tri,
    allows,
    denies_everyone,
    grants,
    outside_access,
    service_bound,
)
from tests.unit.test_policy_engine import BEDROCK, BUCKET, KEY, REGION, ROLE, SOURCE, A, B, C, F, T, U, allow, policy

# ---------------------------------------------------------------- the hostile variants of issue 11


def trust(condition: Any, principal: Any = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal or {"Service": BEDROCK}, "Action": "sts:AssumeRole"}
    return policy({**statement, "Condition": condition} if condition else statement)


GOOD_TRUST = {"StringEquals": {"aws:SourceAccount": A}, "ArnLike": {"aws:SourceArn": SOURCE}}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (GOOD_TRUST, T),
        ({"StringEquals": {"aws:SourceAccount": A}, "ArnEquals": {"aws:SourceArn": SOURCE}}, T),
        ({"StringEquals": {"aws:SourceAccount": A}, "StringLike": {"aws:SourceArn": SOURCE}}, T),
        ({"StringEquals": {"aws:SourceAccount": [A]}, "ArnLike": {"aws:SourceArn": SOURCE.replace("/*", "/job-1")}}, T),
        (None, F),
        ({"StringNotEquals": {"aws:SourceAccount": A}, "ArnNotLike": {"aws:SourceArn": SOURCE}}, F),
        ({"StringEqualsIfExists": {"aws:SourceAccount": A}, "ArnLikeIfExists": {"aws:SourceArn": SOURCE}}, F),
        ({"StringEquals": {"aws:SourceAccount": B}, "ArnLike": {"aws:SourceArn": SOURCE.replace(A, B)}}, F),
        # B's jobs cannot carry our aws:SourceArn, so no request gets through, but nothing proves that: UNKNOWN
        ({"StringEquals": {"aws:SourceAccount": [A, B]}, "ArnLike": {"aws:SourceArn": SOURCE}}, U),
        ({"StringEquals": {"aws:SourceAccount": [A, B]}, "ArnLike": {"aws:SourceArn": [SOURCE, SOURCE.replace(A, B)]}}, F),
        ({"StringEquals": {"aws:SourceAccount": A}, "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:*:{A}:*"}}, F),
        ({"StringEquals": {"aws:SourceAccount": A}}, F),
        ({"ForAllValues:StringEquals": {"aws:SourceAccount": A}, "ArnLike": {"aws:SourceArn": SOURCE}}, F),
        ({"StringLike": {"aws:SourceAccount": "1111*"}, "ArnLike": {"aws:SourceArn": SOURCE}}, U),
    ],
)
def test_trust_policy_confused_deputy(condition: Any, expected: Tri) -> None:
    assert service_bound(trust(condition), BEDROCK, A, SOURCE).tri is expected


def test_trust_policy_other_paths() -> None:
    good = trust(GOOD_TRUST)
    # a second, unconditioned path for the same service through NotAction or Principal "*"
    wide = copy.deepcopy(good)
    wide["Statement"].append({"Effect": "Allow", "Principal": "*", "NotAction": "iam:*"})
    assert service_bound(wide, BEDROCK, A, SOURCE).tri is F
    # another principal's path does not concern Bedrock; a path for other services is not ours to judge here
    other = copy.deepcopy(good)
    other["Statement"].append({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert service_bound(other, BEDROCK, A, SOURCE).tri is T
    assert service_bound(other, "lambda.amazonaws.com", A, SOURCE).tri is F


def tls_deny(**extra_condition: Any) -> dict[str, Any]:
    cond = {"Bool": {"aws:SecureTransport": "false"}, **extra_condition}
    return {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [BUCKET, f"{BUCKET}/*"], "Condition": cond}


NON_TLS = RequestContext(keys={"aws:SecureTransport": False})


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (tls_deny(), T),
        ({**tls_deny(), "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}, T),
        ({**tls_deny(), "Principal": {"AWS": "*"}}, T),
        ({**tls_deny(), "Action": "S3:*"}, T),
        ({**tls_deny(), "Action": "*"}, T),
        (tls_deny(StringEquals={"aws:PrincipalAccount": B}), F),  # narrowed to one foreign account
        (tls_deny(StringNotEquals={"aws:PrincipalAccount": A}), F),  # spares our account
        (tls_deny(StringNotEquals={"aws:SourceVpce": "vpce-1"}), U),  # depends on a key we did not supply
        ({**tls_deny(), "Action": "s3:Get*"}, U),  # not every S3 action
        ({**tls_deny(), "Resource": BUCKET}, F),  # the objects are not covered
        ({**tls_deny(), "Principal": {"AWS": B}}, F),
        ({**tls_deny(), "Effect": "Allow"}, F),
    ],
)
def test_tls_deny_covers_everyone(statement: dict[str, Any], expected: Tri) -> None:
    doc = policy(statement)
    results = {denies_everyone(doc, Matching("s3:*"), r, A, NON_TLS).tri for r in (BUCKET, f"{BUCKET}/k")}
    assert min(results, key=lambda t: t.value) is expected


def key_statement(condition: Any, principal: Any = None) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": principal or {"AWS": "*"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": "*",
    }
    return {**statement, "Condition": condition} if condition else statement


ROOT_ADMIN = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:*", "Resource": "*"}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (ROOT_ADMIN, F),
        ({**ROOT_ADMIN, "Principal": {"AWS": ROLE}}, F),
        (key_statement({"StringEquals": {"kms:CallerAccount": A}}), F),
        (key_statement({"StringEquals": {"kms:CallerAccount": [A, B]}}), T),  # lists a foreign account
        (key_statement({"StringNotEquals": {"kms:CallerAccount": B}}), T),
        (key_statement({"StringEqualsIfExists": {"kms:CallerAccount": A}}), T),  # absent for some callers
        (key_statement({"StringLike": {"kms:CallerAccount": "*"}}), T),
        (key_statement(None), T),
        (key_statement(None, {"AWS": f"arn:aws:iam::{B}:role/x"}), T),
        (key_statement(None, {"AWS": B}), T),
        (key_statement({"StringEquals": {"kms:CallerAccount": A, "kms:ViaService": f"s3.{REGION}.amazonaws.com"}}), F),
        ({**ROOT_ADMIN, "Principal": None, "NotPrincipal": {"AWS": ROLE}}, T),  # everyone else
        (key_statement({"StringEquals": {"aws:PrincipalOrgID": "o-123"}}), U),  # org membership is not modelled
    ],
)
def test_key_policy_outside_access(statement: dict[str, Any], expected: Tri) -> None:
    statement = {k: v for k, v in statement.items() if v is not None}
    assert outside_access(policy(statement), "kms:Decrypt", KEY, A).tri is expected


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (allow(Principal={"AWS": ROLE}, Resource=f"{BUCKET}/*"), F),
        (
            allow(
                Principal={"Service": "logs.amazonaws.com"}, Resource=f"{BUCKET}/*", Condition={"StringEquals": {"aws:SourceAccount": A}}
            ),
            F,
        ),
        (
            allow(
                Principal={"Service": "logs.amazonaws.com"}, Resource=f"{BUCKET}/*", Condition={"StringEquals": {"aws:SourceAccount": B}}
            ),
            T,
        ),
        (allow(Principal={"Service": "logs.amazonaws.com"}, Resource=f"{BUCKET}/*"), T),  # no SourceAccount at all
        (
            allow(
                Principal={"Service": "logs.amazonaws.com"}, Resource=f"{BUCKET}/*", Condition={"StringNotEquals": {"aws:SourceAccount": A}}
            ),
            T,
        ),
        (
            allow(
                Principal={"Service": "logs.amazonaws.com"},
                Resource=f"{BUCKET}/*",
                Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:logs:*:{A}:*"}},
            ),
            F,
        ),
        (
            allow(
                Principal={"Service": "logs.amazonaws.com"},
                Resource=f"{BUCKET}/*",
                Condition={"ArnLike": {"aws:SourceArn": "arn:aws:logs:*:*:*"}},
            ),
            T,
        ),
        (
            allow(
                Principal={"Service": "logs.amazonaws.com"},
                Resource=f"{BUCKET}/*",
                Condition={"ArnLike": {"aws:SourceArn": "arn:aws:logs:*:1*:*"}},
            ),
            U,
        ),
        # a service principal's own account (if any) is never ours
        (allow(Principal="*", Resource=f"{BUCKET}/*", Condition={"StringEquals": {"aws:PrincipalAccount": A}}), F),
        (allow(Principal="*", Resource=f"{BUCKET}/*", Condition={"StringEqualsIfExists": {"aws:PrincipalAccount": A}}), T),
        (allow(Principal={"AWS": f"arn:aws:iam::{C}:root"}, Resource=f"{BUCKET}/*"), T),
        (allow(Principal={"Federated": "cognito-identity.amazonaws.com"}, Resource=f"{BUCKET}/*"), T),
        (allow(Principal={"AWS": ROLE}, Resource=f"{BUCKET}/*", Effect="Deny"), F),
    ],
)
def test_bucket_policy_outside_access(statement: dict[str, Any], expected: Tri) -> None:
    assert outside_access(policy(statement), "s3:GetObject", f"{BUCKET}/validated/x", A).tri is expected


FOUR = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"]
AS_ROLE = RequestContext(principal=Principal.aws(ROLE))


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": FOUR, "Resource": "*"}, F),
        # actions are a namespace, not a catalogue: kms:Describe* reaches past DescribeKey (DescribeCustomKeyStores)
        ({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": ["KMS:decrypt", "kms:Describe*"], "Resource": "*"}, T),
        ({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": ["KMS:decrypt", "kms:describekey"], "Resource": "*"}, F),
        ({"Effect": "Allow", "Principal": {"AWS": ROLE}, "NotAction": "kms:ScheduleKeyDeletion", "Resource": "*"}, T),
        ({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:*", "Resource": "*"}, T),
        ({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Put*", "Resource": "*"}, T),
        ({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/other"}, "Action": "kms:*", "Resource": "*"}, F),
    ],
)
def test_key_policy_role_gets_only_the_four_actions(statement: dict[str, Any], expected: Tri) -> None:
    assert grants(policy(statement), ["*"], excluding_actions=FOUR, context=AS_ROLE).tri is expected


def test_put_key_policy_through_not_action() -> None:
    doc = policy({"Effect": "Allow", "Principal": {"AWS": ROLE}, "NotAction": ["kms:ScheduleKeyDeletion"], "Resource": "*"})
    assert allows(doc, "kms:PutKeyPolicy", KEY, AS_ROLE) is T
    assert grants(doc, ["kms:PutKeyPolicy"], context=AS_ROLE).tri is T


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([allow(Resource=f"{BUCKET}/validated/*"), {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}], F),
        ([allow(), {"Effect": "Allow", "Action": "IAM:*", "Resource": "*"}], T),
        ([allow(), {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}], T),
        ([allow(), {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}], T),
        ([allow(), {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}], T),
        ([{"Effect": "Allow", "NotAction": ["s3:*"], "Resource": "*"}], T),
        ([{"Effect": "Allow", "Action": "*", "Resource": "*"}], T),
        ([{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "NotAction": ["s3:*", "kms:*"], "Resource": "*"}], U),
        ([allow(), {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"k:x": "1"}}}], U),
    ],
)
def test_identity_policy_actions_outside_s3_and_kms(statements: list[dict[str, Any]], expected: Tri) -> None:
    assert grants(policy(*statements), ["*"], excluding_actions=["s3:*", "kms:*"]).tri is expected


OURS = [BUCKET, f"{BUCKET}/validated/*", f"{BUCKET}/output/*"]


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([allow(Principal="*", Resource=OURS)], F),
        ([allow(Principal="*", Resource=OURS), {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "NotResource": OURS[1]}], T),
        ([allow(Principal="*", Resource="*")], T),
        ([allow(Principal="*", Resource="arn:aws:s3:::data-bucket*")], T),  # data-bucket-evil too
        ([allow(Principal="*", Resource=f"{BUCKET}/validated/*", Action="S3:*")], F),
    ],
)
def test_endpoint_policy_resources_outside_our_prefixes(statements: list[dict[str, Any]], expected: Tri) -> None:
    assert grants(policy(*statements), ["s3:*"], excluding_resources=OURS).tri is expected
