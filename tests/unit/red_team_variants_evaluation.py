"""The red team's table for GR-EVAL-01/02: the evaluation jobs' role, its trust bent toward a confused deputy or
another principal, its permissions widened beyond the runs' evaluation prefixes, the key and model invocation."""

from __future__ import annotations

from typing import Any

from tests.unit.red_team_variants import FOREIGN, Make, allow, append, put, table
from tests.unit.test_guardrails import ACCOUNT, REGION, B

TRUST = "evaluation_role.trust.Statement"
POLICY = "evaluation_role.inline_policies.0.Statement"
EVALUATION_JOBS = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:evaluation-job/*"


def trust_condition(condition: dict[str, Any]) -> Make:
    return put(f"{TRUST}.0.Condition", condition)


def role_allows(statement: dict[str, Any]) -> Make:
    return append(POLICY, statement)


EVALUATION_TABLE = [
    *table(
        "GR-EVAL-01",
        account_only=trust_condition({"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
        arn_only=trust_condition({"ArnLike": {"aws:SourceArn": EVALUATION_JOBS}}),
        customization_jobs_not_evaluation=trust_condition(
            {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": EVALUATION_JOBS.replace("evaluation-job", "*")}}
        ),
        another_accounts_jobs=trust_condition(
            {"StringEquals": {"aws:SourceAccount": FOREIGN}, "ArnLike": {"aws:SourceArn": EVALUATION_JOBS.replace(ACCOUNT, FOREIGN)}}
        ),
        if_exists=trust_condition(
            {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}, "ArnLikeIfExists": {"aws:SourceArn": EVALUATION_JOBS}}
        ),
        no_condition=trust_condition({}),
        everyone=put(f"{TRUST}.0.Principal", {"AWS": "*"}),
        another_service=append(TRUST, allow(Principal={"Service": "lambda.amazonaws.com"}, Action="sts:AssumeRole")),
        foreign_root_action_case=append(TRUST, allow(Principal={"AWS": f"arn:aws:iam::{FOREIGN}:root"}, Action="STS:assumerole")),
        unreadable=put("evaluation_role.trust", None),
    ),
    *table(
        "GR-EVAL-02",
        every_prefix=put(f"{POLICY}.1.Resource", f"{B}/*"),
        writes_beside_reports=put(f"{POLICY}.2.Resource", f"{B}/reports/*"),
        every_bedrock_action=put(f"{POLICY}.4.Action", "bedrock:*"),
        buys_throughput=role_allows(allow(Action="bedrock:CreateProvisionedModelThroughput", Resource="*")),
        other_bucket=role_allows(allow(Action="s3:GetObject", Resource="arn:aws:s3:::other-bucket/*")),
        not_action=role_allows(allow(NotAction="iam:*", Resource="*")),
        pass_role_lower=role_allows(allow(Action="iam:passrole", Resource="*")),
        any_key=role_allows(allow(Action="kms:Decrypt", Resource="*")),
        deletes_reports=role_allows(allow(Action="s3:DeleteObject", Resource=f"{B}/reports/*/evaluation/*")),
        managed_policy=put("evaluation_role.attached_policy_arns", ["arn:aws:iam::aws:policy/AmazonBedrockFullAccess"]),
        unreadable=put("evaluation_role.inline_policies", None),
    ),
]
