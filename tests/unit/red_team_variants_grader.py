"""The red team's table for GR-RFT-01..03: the RFT grader's role widened, its resource policy opened to another
account or to Bedrock unbound, its environment and logs left under AWS managed keys or kept forever."""

from __future__ import annotations

from tests.unit.grader_fixtures import GRADER, JOBS
from tests.unit.red_team_variants import FOREIGN, Make, allow, append, put, table

POLICY = "grader.role.inline_policies.0.Statement"
RESOURCE = "grader.resource_policy.Statement"


def bedrock_with(condition: dict[str, object]) -> Make:
    return put(f"{RESOURCE}.0.Condition", condition)


GRADER_TABLE = [
    *table(
        "GR-RFT-01",
        every_action=append(POLICY, allow(Action="*", Resource="*")),
        reads_the_data=append(POLICY, allow(Action="s3:GetObject", Resource="arn:aws:s3:::data-bucket/*")),
        writes_anywhere=append(POLICY, allow(Action="s3:PutObject", Resource="*")),
        not_action=append(POLICY, allow(NotAction="logs:*", Resource="*")),
        action_case=append(POLICY, allow(Action="IAM:PassRole", Resource="*")),
        lambda_wildcard=put(f"{POLICY}.0.Action", "lambda:*"),
        sends_mail=append(POLICY, allow(Action="ses:SendEmail", Resource="*")),
        managed_admin=put(
            "grader.role.attached_policies",
            {"arn:aws:iam::aws:policy/AdministratorAccess": {"Statement": [allow(Action="*", Resource="*")]}},
        ),
        unreadable=put("grader.role.inline_policies", None),
        no_role=put("grader.role", None),
    ),
    *table(
        "GR-RFT-02",
        bedrock_unbound=bedrock_with({}),
        account_only=bedrock_with({"StringEquals": {"AWS:SourceAccount": "111122223333"}}),
        arn_only=bedrock_with({"ArnLike": {"AWS:SourceArn": JOBS}}),
        another_accounts_jobs=bedrock_with(
            {"StringEquals": {"AWS:SourceAccount": FOREIGN}, "ArnLike": {"AWS:SourceArn": JOBS.replace("111122223333", FOREIGN)}}
        ),
        if_exists=bedrock_with({"StringEqualsIfExists": {"AWS:SourceAccount": "111122223333"}, "ArnLikeIfExists": {"AWS:SourceArn": JOBS}}),
        any_bedrock_resource=bedrock_with(
            {"StringEquals": {"AWS:SourceAccount": "111122223333"}, "ArnLike": {"AWS:SourceArn": "arn:aws:bedrock:*"}}
        ),
        everyone=append(RESOURCE, allow(Principal="*", Action="lambda:InvokeFunction", Resource=GRADER)),
        foreign_account=append(
            RESOURCE, allow(Principal={"AWS": f"arn:aws:iam::{FOREIGN}:root"}, Action="lambda:InvokeFunction", Resource=GRADER)
        ),
        another_service=append(RESOURCE, allow(Principal={"Service": "s3.amazonaws.com"}, Action="lambda:*", Resource=GRADER)),
        unreadable=put("grader.resource_policy", None),
    ),
    *table(
        "GR-RFT-03",
        environment_aws_key=put("grader.configuration.KMSKeyArn", None),
        logs_aws_key=put("grader.log_group.kmsKeyId", None),
        logs_forever=put("grader.log_group.retentionInDays", None),
        configuration_unreadable=put("grader.configuration", None),
        log_group_unreadable=put("grader.log_group", None),
    ),
]
