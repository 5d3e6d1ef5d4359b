"""The red team's table for GR-S3-13: the bucket policy's Deny that keeps the Bedrock service role's reads of the
training data on the job VPC's path (``aws:SourceVpc``), missing, narrowed, or bent out of shape."""

from __future__ import annotations

from typing import Any

from tests.unit.red_team_variants import FOREIGN, Make, allow, append, edit, put, table
from tests.unit.test_guardrails import ACCOUNT, ROLE, VPC_PATH_ONLY, B

POLICY = "bucket.policy.Statement"
INDEX = 2  # where good() keeps it


def vpc_path(**change: Any) -> Make:
    """The template's Deny with ``change`` applied (a value of None removes that element)."""
    statement = {**VPC_PATH_ONLY, **change}
    return put(f"{POLICY}.{INDEX}", {k: v for k, v in statement.items() if v is not None})


def condition(**blocks: Any) -> Make:
    return vpc_path(Condition={k: v for k, v in {**VPC_PATH_ONLY["Condition"], **blocks}.items() if v is not None})


VPC_PATH_TABLE = [
    *table(
        "GR-S3-13",
        missing=edit(lambda d: d["bucket"]["policy"]["Statement"].pop(INDEX)),
        an_allow_not_a_deny=vpc_path(Effect="Allow"),
        validated_only=vpc_path(Resource=f"{B}/validated/*"),
        some_objects=vpc_path(Resource=[f"{B}/validated/a*", f"{B}/media/*"]),
        another_action=vpc_path(Action="s3:GetObjectVersion"),
        not_action_gap=vpc_path(Action=None, NotAction="s3:GetObject"),
        another_role=condition(ArnEquals={"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/someone-else"}),
        the_role_of_another_account=condition(ArnEquals={"aws:PrincipalArn": ROLE.replace(ACCOUNT, FOREIGN)}),
        principal_named_elsewhere=vpc_path(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/uploader"}),
        not_principal_the_role=vpc_path(Principal=None, NotPrincipal={"AWS": ROLE}),
        a_second_vpc_allowed=condition(StringNotEquals={"aws:SourceVpc": ["vpc-1", "vpc-elsewhere"]}),
        any_vpc_allowed=condition(StringNotEquals=None, StringNotLike={"aws:SourceVpc": "vpc-*"}),
        only_without_tls=condition(Bool={"aws:SecureTransport": "false"}),
        only_for_a_foreign_caller=condition(StringNotEquals={"aws:SourceVpc": "vpc-1", "aws:PrincipalAccount": ACCOUNT}),
        an_endpoint_of_another_vpc=condition(StringNotEquals={"aws:SourceVpce": ["vpce-elsewhere"]}),
        equals_not_not_equals=condition(StringNotEquals=None, StringEquals={"aws:SourceVpc": "vpc-1"}),
        unknown_operator=condition(StringNotEquals=None, StringNotEqualsSometimes={"aws:SourceVpc": "vpc-1"}),
        policy_variable=condition(StringNotEquals={"aws:SourceVpc": "${aws:SourceVpc}"}),
        allowed_back_is_irrelevant_but_deny_gone=edit(
            lambda d: d["bucket"]["policy"]["Statement"].__setitem__(
                INDEX, allow(Principal={"AWS": ROLE}, Action="s3:GetObject", Resource=f"{B}/validated/*")
            )
        ),
        policy_unreadable=put("bucket.policy", None),
        job_vpc_unreadable=put("network.subnets", None),
        job_in_two_vpcs=put("network.subnets.1.VpcId", "vpc-2"),
        deny_for_the_job_vpc_elsewhere=append(
            POLICY,
            allow(Principal="*", Action="s3:GetObject", Resource=f"{B}/validated/*"),
            base=edit(lambda d: d["bucket"]["policy"]["Statement"].pop(INDEX)),
        ),
    ),
]
