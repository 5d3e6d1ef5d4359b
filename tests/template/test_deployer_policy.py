"""deploy/deployer-policy.json (issue 14): what the identity that runs `sam deploy` needs, and no more.

"Needs" is what CloudFormation itself calls: the create/read/update/delete handler permissions of each resource type
in the SAM-translated template, from the CloudFormation registry schemas cfn-lint ships (``handlers.<op>.permissions``),
plus lambda:InvokeFunction for the custom resources (CloudFormation invokes their function as the caller). Actions a
handler needs only for a property this template never sets are not granted; each such action is listed here with that
property, and the test holds the template to not setting it. Coverage and scope are asked of the policy engine.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from local.stack import translated_template

from secure_finetune.guardrails.policy_engine import Principal, RequestContext, Tri, allows, grants

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(str(__import__("cfnlint").__file__)).parent / "data" / "schemas"
ACCOUNT, REGION, STACK = "111122223333", "eu-west-1", "finetune-dev"
DEPLOYER = Principal.aws(f"arn:aws:iam::{ACCOUNT}:role/deployer")
IN_REGION = RequestContext(DEPLOYER, {"aws:RequestedRegion": REGION})
ROLE_POLICY_QUOTA = 10_240  # IAM: a role's inline policies, non-whitespace characters (a managed policy: 6,144)

# Handler permissions for properties this template does not set: (resource type, property) -> actions not granted.
NOT_NEEDED: dict[tuple[str, str], tuple[str, ...]] = {
    ("AWS::DynamoDB::Table", "KinesisStreamSpecification"): (
        "dynamodb:DescribeKinesisStreamingDestination", "dynamodb:DisableKinesisStreamingDestination",
        "dynamodb:EnableKinesisStreamingDestination", "dynamodb:UpdateKinesisStreamingDestination",
        "kinesis:DescribeStream", "kinesis:PutRecords",
    ),
    ("AWS::DynamoDB::Table", "ImportSourceSpecification"): ("dynamodb:ImportTable", "dynamodb:DescribeImport", "s3:GetObjectMetadata"),
    ("AWS::DynamoDB::Table", "ResourcePolicy"): ("dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"),
    ("AWS::DynamoDB::Table", "ContributorInsightsSpecification"): ("dynamodb:UpdateContributorInsights",),
    ("AWS::DynamoDB::Table", "Replicas"): ("dynamodb:AssociateTableReplica", "dynamodb:CreateTableReplica"),
    ("AWS::EC2::VPC", "VpcEncryptionControl"): ("ec2:CreateVpcEncryptionControl",),
    ("AWS::EC2::VPCEndpoint", "ServiceNetworkArn"): (
        "vpc-lattice:CreateServiceNetworkVpcEndpointAssociation", "vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation",
    ),
    ("AWS::EC2::VPCEndpoint", "ServiceRegion"): ("vpce:AllowMultiRegion",),
    ("AWS::EC2::FlowLog", "TagFieldSpecifications"): ("autoscaling:DescribeTags",),
    ("AWS::Lambda::Function", "FileSystemConfigs"): ("elasticfilesystem:DescribeMountTargets", "s3files:ListMountTargets"),
    ("AWS::Lambda::Function", "CodeSigningConfigArn"): ("lambda:PutFunctionCodeSigningConfig", "lambda:DeleteFunctionCodeSigningConfig"),
    ("AWS::Lambda::Function", "CapacityProviderConfig"): ("lambda:PassCapacityProvider",),
    ("AWS::Lambda::Function", "FunctionScalingConfig"): ("lambda:PutFunctionScalingConfig",),
    ("AWS::Lambda::Function", "RuntimeManagementConfig"): ("lambda:PutRuntimeManagementConfig",),
    ("AWS::Logs::LogGroup", "DataProtectionPolicy"): ("logs:PutDataProtectionPolicy", "logs:DeleteDataProtectionPolicy"),
    ("AWS::Logs::LogGroup", "FieldIndexPolicies"): ("logs:PutIndexPolicy", "logs:DeleteIndexPolicy"),
    ("AWS::Logs::LogGroup", "ResourcePolicyDocument"): ("logs:PutResourcePolicy", "logs:DeleteResourcePolicy"),
    ("AWS::Logs::LogGroup", "BearerTokenAuthenticationEnabled"): ("logs:PutBearerTokenAuthentication", "firehose:TagDeliveryStream"),
    ("AWS::S3::Bucket", "MetadataTableConfiguration"): (
        "s3:CreateBucketMetadataTableConfiguration", "s3:DeleteBucketMetadataTableConfiguration", "s3tables:CreateNamespace",
        "s3tables:CreateTable", "s3tables:CreateTableBucket", "s3tables:GetTable", "s3tables:GetTableMetadataLocation",
        "s3tables:PutTableBucketPolicy", "s3tables:PutTableEncryption", "s3tables:PutTablePolicy", "s3tables:UpdateTableMetadataLocation",
    ),
    ("AWS::S3::Bucket", "MetadataConfiguration"): (
        "s3:UpdateBucketMetadataAnnotationTableConfiguration", "s3:UpdateBucketMetadataInventoryTableConfiguration",
        "s3:UpdateBucketMetadataJournalTableConfiguration",
    ),
    ("AWS::S3::Bucket", "AccelerateConfiguration"): ("s3:PutAccelerateConfiguration",),
    ("AWS::S3::Bucket", "AnalyticsConfigurations"): ("s3:PutAnalyticsConfiguration", "s3:DeleteBucketAnalyticsConfiguration"),
    ("AWS::S3::Bucket", "CorsConfiguration"): ("s3:PutBucketCORS", "s3:DeleteBucketCors"),
    ("AWS::S3::Bucket", "WebsiteConfiguration"): ("s3:PutBucketWebsite", "s3:DeleteBucketWebsite"),
    ("AWS::S3::Bucket", "ReplicationConfiguration"): (
        "s3:PutBucketReplication", "s3:DeleteBucketReplication", "s3:PutReplicationConfiguration",
    ),
    ("AWS::S3::Bucket", "IntelligentTieringConfigurations"): ("s3:PutIntelligentTieringConfiguration",),
    ("AWS::S3::Bucket", "InventoryConfigurations"): ("s3:PutInventoryConfiguration",),
    ("AWS::S3::Bucket", "MetricsConfigurations"): ("s3:PutMetricsConfiguration", "s3:DeleteBucketMetricsConfiguration"),
    ("AWS::S3::Bucket", "ObjectLockConfiguration"): ("s3:PutBucketObjectLockConfiguration", "s3:PutObjectLockConfiguration"),
    ("AWS::S3::Bucket", "AbacStatus"): ("s3:PutBucketAbac",),
    ("AWS::S3::Bucket", "AccessControl"): ("s3:PutBucketAcl", "s3:PutObjectAcl"),
    ("AWS::SNS::Topic", "DataProtectionPolicy"): ("sns:PutDataProtectionPolicy",),
}  # fmt: skip
NOT_AN_IAM_ACTION = {"s3:REST.PUT.OBJECT"}  # listed by the LogGroup schema; an S3 log-record operation name


@cache
def template() -> dict[str, Any]:
    found: dict[str, Any] = translated_template(ROOT)
    return found


@cache
def policy() -> dict[str, Any]:
    text = (ROOT / "deploy" / "deployer-policy.json").read_text()
    for placeholder, value in (("<ACCOUNT_ID>", ACCOUNT), ("<REGION>", REGION), ("<STACK_NAME>", STACK), ("<stack_name_lowercase>", STACK)):
        text = text.replace(placeholder, value)
    assert "<" not in text, "an unknown placeholder"
    document: dict[str, Any] = json.loads(text)
    return document


def handler_permissions(resource_type: str) -> set[str]:
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        return {"lambda:InvokeFunction"}  # CloudFormation invokes the ServiceToken function as the caller
    schema = json.loads(
        (SCHEMAS / "resources" / f"{json.loads((SCHEMAS / 'providers' / 'us-east-1.json').read_text())[resource_type]}.json").read_text()
    )
    return {a for op in ("create", "read", "update", "delete") for a in schema.get("handlers", {}).get(op, {}).get("permissions", [])}


def needed() -> dict[str, set[str]]:
    types = {r["Type"] for r in template()["Resources"].values()}
    excluded = {a for actions in NOT_NEEDED.values() for a in actions}
    return {t: handler_permissions(t) - excluded - NOT_AN_IAM_ACTION for t in sorted(types)}


def test_every_resource_type_of_the_template_has_its_handler_permissions() -> None:
    for resource_type, actions in needed().items():
        assert actions, resource_type
        for action in sorted(actions):
            assert grants(policy(), [action], context=IN_REGION).tri is Tri.TRUE, f"{resource_type}: {action}"


def test_what_is_not_granted_serves_only_properties_the_template_never_sets() -> None:
    resources = template()["Resources"].values()
    for (resource_type, prop), actions in NOT_NEEDED.items():
        assert not [r for r in resources if r["Type"] == resource_type and prop in r.get("Properties", {})], (resource_type, prop)
        for action in actions:  # reads may come with a Describe*/Get*/List* of the stack's own resources
            if not action.split(":")[1].startswith(("Describe", "Get", "List")):
                assert grants(policy(), [action], context=IN_REGION).tri is Tri.FALSE, action


def test_no_statement_grants_every_action_or_every_action_of_a_service() -> None:
    for statement in policy()["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        assert not [a for a in actions if a == "*" or a.endswith(":*")], statement["Sid"]


@pytest.mark.parametrize(
    ("action", "resource", "why"),
    [
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/Admin", "pass an administrator role"),
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/other-team", "widen another team's role"),
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/x", "make roles outside the stack's names"),
        ("s3:GetObject", f"arn:aws:s3:::{STACK}-databucket-abc/validated/0a1b/train.jsonl", "read the training data"),
        ("s3:PutBucketPolicy", "arn:aws:s3:::other-bucket", "open another bucket"),
        ("lambda:UpdateFunctionCode", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments", "replace another function's code"),
        ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments", "invoke another function"),
        ("dynamodb:DeleteTable", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders", "delete another table"),
        ("cloudformation:DeleteStack", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/network/abc", "delete another stack"),
        ("states:UpdateStateMachine", f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:billing", "change another workflow"),
    ],
)
def test_the_deployer_cannot_reach_beyond_the_stack(action: str, resource: str, why: str) -> None:
    assert allows(policy(), action, resource, IN_REGION) is not Tri.TRUE, why


@pytest.mark.parametrize("action", ["ec2:CreateVpc", "kms:CreateKey", "ec2:AuthorizeSecurityGroupIngress"])
def test_region_wide_actions_stop_at_the_region(action: str) -> None:
    elsewhere = RequestContext(DEPLOYER, {"aws:RequestedRegion": "ap-southeast-2"})
    assert allows(policy(), action, "*", elsewhere) is Tri.FALSE


def test_the_policy_fits_an_inline_role_policy_and_the_readme_documents_it() -> None:
    text = (ROOT / "deploy" / "deployer-policy.json").read_text()
    assert len("".join(text.split())) <= ROLE_POLICY_QUOTA
    readme = (ROOT / "README.md").read_text()
    assert "deploy/deployer-policy.json" in readme and "<STACK_NAME>" in readme
