"""deploy/deployer-policy.json (issue 14): what the identity that runs `sam deploy` needs, and no more.

"Needs" is what CloudFormation itself calls: the create/read/update/delete handler permissions of each resource type
in the SAM-translated template, from the CloudFormation registry schemas cfn-lint ships (``handlers.<op>.permissions``),
plus lambda:InvokeFunction for the custom resources (CloudFormation invokes their function as the caller). Not needed:
actions a handler needs only for a property this template never sets (listed here with that property, and the test
holds the template to not setting it), and actions only the delete handler needs for a type whose every resource is
kept on delete and on replacement (DeletionPolicy and UpdateReplacePolicy Retain: CloudFormation never deletes it).
iam:PassRole is asked for each role the template passes, with the service that receives it.

Coverage is asked of the policy engine per resource type ("on some resource"), and, for the IAM roles, the Lambda
functions and the KMS key, on the ARN each resource gets in this stack (allowed) and in another stack (not allowed).
Each request carries the condition keys CloudFormation's request would: the region, kms:ViaService for a service that
uses the key on the caller's behalf, iam:PassedToService, iam:PolicyARN, the new key's spec and the stack tags.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from local.stack import translated_template

from secure_finetune.guardrails.policy_engine import Principal, RequestContext, Tri, allows, grants

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(str(__import__("cfnlint").__file__)).parent / "data" / "schemas"
ACCOUNT, REGION, STACK, OTHER_STACK = "111122223333", "eu-west-1", "finetune-dev", "finetune-prod"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-0000-4000-8000-0123456789ab"  # <STACK_KEY_ARN>: the stack's key
OTHER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/9f8e7d6c-0000-4000-8000-ba9876543210"  # a key of another team
DEPLOYER = Principal.aws(f"arn:aws:iam::{ACCOUNT}:role/deployer")
IN_REGION = RequestContext(DEPLOYER, {"aws:RequestedRegion": REGION})
ROLE_POLICY_QUOTA = 10_240  # IAM: a role's inline policies, non-whitespace characters (a managed policy: 6,144)
PLACEHOLDERS = {"<ACCOUNT_ID>": ACCOUNT, "<REGION>": REGION, "<STACK_NAME>": STACK, "<stack_name_lowercase>": STACK, "<STACK_KEY_ARN>": KEY}

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
    ("AWS::IAM::Role", "PermissionsBoundary"): ("iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"),
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

# The service that acts for the caller when CloudFormation creates each resource type that names the key or a role.
# kms:ViaService is set when an AWS service calls KMS on the caller's behalf (KMS Developer Guide, "kms:ViaService";
# the AWS managed key aws/dynamodb's policy, "auto-dynamodb-1", admits CreateGrant/Decrypt/Encrypt this way; for
# Lambda and Step Functions it is inferred, not documented); iam:PassedToService is the service principal a role is
# passed to (IAM User Guide, "iam:PassedToService").
SERVICE = {
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::Lambda::Function": "lambda",
    "AWS::StepFunctions::StateMachine": "states",
    "AWS::EC2::FlowLog": "vpc-flow-logs",
}
ATTACH = {"iam:AttachRolePolicy", "iam:DetachRolePolicy"}  # conditioned on iam:PolicyARN
# Roles passable to any service, by their name alone: no AWS page shows the iam:PassedToService value CreateFlowLogs
# sends, so the flow-log role is passable only by its name, and only its own service can assume it (trust policy).
PASSED_BY_NAME_ONLY = {"AWS::EC2::FlowLog"}
# Handler actions of AWS::Lambda::Function whose resource is not the function (a layer, a code-signing config).
NOT_ON_THE_FUNCTION = {"lambda:GetLayerVersion", "lambda:GetCodeSigningConfig"}
# Key actions the policy allows on every key of the region: when CloudFormation creates the key no policy can name it
# yet. Reads; turning rotation on; and tagging with the stack tags only, which KMS asks for on every key of the region
# to tag at CreateKey (KMS Developer Guide, "Controlling access to tags").
ON_EVERY_KEY = {"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:EnableKeyRotation"}
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}


@cache
def template() -> dict[str, Any]:
    found: dict[str, Any] = translated_template(ROOT)
    return found


def resources(resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template()["Resources"].items() if r["Type"] == resource_type}


def filled(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


@cache
def policy() -> dict[str, Any]:
    text = filled((ROOT / "deploy" / "deployer-policy.json").read_text(), PLACEHOLDERS)
    assert "<" not in text, "an unknown placeholder"
    document: dict[str, Any] = json.loads(text)
    return document


def resolved(value: Any, stack: str) -> str:
    """A name property as CloudFormation resolves it in ``stack`` (Fn::Sub of pseudo parameters only)."""
    text = value["Fn::Sub"] if isinstance(value, dict) and list(value) == ["Fn::Sub"] else value
    assert isinstance(text, str), f"a name this test cannot resolve: {value}"
    text = text.replace("${AWS::StackName}", stack)
    for name, real in PSEUDO.items():
        text = text.replace("${" + name + "}", real)
    assert "${" not in text, text
    return text


def physical_name(logical_id: str, resource: dict[str, Any], name_property: str, stack: str) -> str:
    # Without a name CloudFormation generates "<stack>-<logical id>-<random>" (CloudFormation User Guide, "Name type").
    name = resource.get("Properties", {}).get(name_property)
    return resolved(name, stack) if name is not None else f"{stack}-{logical_id}-AbCdEf123456"


def role_arn(logical_id: str, stack: str = STACK) -> str:
    role = template()["Resources"][logical_id]
    path = resolved(role["Properties"].get("Path", "/"), stack)
    return f"arn:aws:iam::{ACCOUNT}:role{path}{physical_name(logical_id, role, 'RoleName', stack)}"


def function_arn(logical_id: str, stack: str = STACK) -> str:
    function = template()["Resources"][logical_id]
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical_name(logical_id, function, 'FunctionName', stack)}"


@cache
def handlers(resource_type: str) -> dict[str, frozenset[str]]:
    schema = json.loads(
        (SCHEMAS / "resources" / f"{json.loads((SCHEMAS / 'providers' / 'us-east-1.json').read_text())[resource_type]}.json").read_text()
    )
    return {op: frozenset(schema.get("handlers", {}).get(op, {}).get("permissions", [])) for op in ("create", "read", "update", "delete")}


@cache
def retained_types() -> frozenset[str]:
    types = {r["Type"] for r in template()["Resources"].values()}
    kept = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    return frozenset(t for t in types if all(all(r.get(k) == v for k, v in kept.items()) for r in resources(t).values()))


def delete_only(resource_type: str) -> set[str]:
    ops = handlers(resource_type)
    return set(ops["delete"] - ops["create"] - ops["read"] - ops["update"])


def handler_permissions(resource_type: str) -> set[str]:
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        return {"lambda:InvokeFunction"}  # CloudFormation invokes the ServiceToken function as the caller
    every: set[str] = set().union(*handlers(resource_type).values())
    return every - (delete_only(resource_type) if resource_type in retained_types() else set())


def needed() -> dict[str, set[str]]:
    types = {r["Type"] for r in template()["Resources"].values()}
    excluded = {a for actions in NOT_NEEDED.values() for a in actions} | NOT_AN_IAM_ACTION | {"iam:PassRole"}
    return {t: handler_permissions(t) - excluded for t in sorted(types)}


@cache
def managed_policies() -> tuple[str, ...]:
    arns = {resolved(a, STACK) for r in resources("AWS::IAM::Role").values() for a in r["Properties"].get("ManagedPolicyArns", [])}
    return tuple(sorted(arns))


@cache
def stack_tags() -> tuple[dict[str, str], ...]:
    """The stack tags of each samconfig.toml environment: CloudFormation passes them to CreateKey."""
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    found = tuple(
        dict(pair.split("=", 1) for pair in env["deploy"]["parameters"]["tags"].split())
        for env in config.values()
        if isinstance(env, dict) and "tags" in env.get("deploy", {}).get("parameters", {})
    )
    assert found, "samconfig.toml tags no stack"
    return found


def tag_request(tags: dict[str, str]) -> dict[str, Any]:
    return {"aws:TagKeys": list(tags), **{f"aws:RequestTag/{k}": v for k, v in tags.items()}}


def key_spec() -> dict[str, Any]:
    """kms:KeySpec/KeyUsage/KeyOrigin hold a CreateKey's values, defaults included (KMS Developer Guide, "AWS KMS
    condition keys": such a condition "works even when the parameter doesn't appear in the request")."""
    (key,) = resources("AWS::KMS::Key").values()
    props = key["Properties"]
    return {
        "kms:KeySpec": props.get("KeySpec", "SYMMETRIC_DEFAULT"),
        "kms:KeyUsage": props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        "kms:KeyOrigin": "AWS_KMS",
    }


def context(resource_type: str, action: str, **extra: Any) -> RequestContext:
    """The condition keys CloudFormation's request for ``action`` on a resource of ``resource_type`` carries."""
    keys: dict[str, Any] = {"aws:RequestedRegion": REGION}
    if action.startswith("kms:") and resource_type in SERVICE:
        keys["kms:ViaService"] = f"{SERVICE[resource_type]}.{REGION}.amazonaws.com"
    if action == "kms:CreateKey":
        keys |= key_spec()
    if action == "kms:TagResource":
        keys |= tag_request(stack_tags()[0])
    if action in ATTACH:
        keys["iam:PolicyARN"] = managed_policies()[0]
    return RequestContext(DEPLOYER, keys | extra)


def references(value: Any, logical_ids: set[str]) -> bool:
    if isinstance(value, dict):
        if value.get("Ref") in logical_ids or (isinstance(value.get("Fn::GetAtt"), list) and value["Fn::GetAtt"][0] in logical_ids):
            return True
        return any(references(v, logical_ids) for v in value.values())
    return isinstance(value, list) and any(references(v, logical_ids) for v in value)


def test_every_resource_type_of_the_template_has_its_handler_permissions() -> None:
    for resource_type, actions in needed().items():
        assert actions, resource_type
        for action in sorted(actions):
            assert grants(policy(), [action], context=context(resource_type, action)).tri is Tri.TRUE, f"{resource_type}: {action}"


def test_what_is_not_granted_serves_only_properties_the_template_never_sets() -> None:
    resources_ = template()["Resources"].values()
    for (resource_type, prop), actions in NOT_NEEDED.items():
        assert not [r for r in resources_ if r["Type"] == resource_type and prop in r.get("Properties", {})], (resource_type, prop)
        for action in actions:  # reads may come with a Describe*/Get*/List* of the stack's own resources
            if not action.split(":")[1].startswith(("Describe", "Get", "List")):
                assert grants(policy(), [action], context=IN_REGION).tri is Tri.FALSE, action


def test_what_only_deletes_a_retained_resource_is_not_granted() -> None:
    retained = retained_types()
    assert {"AWS::KMS::Key", "AWS::DynamoDB::Table", "AWS::S3::Bucket"} <= retained  # the data stores outlive the stack
    for resource_type in sorted(retained):
        for action in sorted(delete_only(resource_type)):  # e.g. kms:ScheduleKeyDeletion, s3:DeleteBucket
            assert grants(policy(), [action], context=context(resource_type, action)).tri is Tri.FALSE, f"{resource_type}: {action}"


def on_own_arn_only(resource_type: str, actions: set[str], arn_of: Callable[..., str]) -> list[str]:
    """What goes wrong for each resource of the type and each action: denied on its own ARN, or allowed on the ARN the
    same logical id gets in another stack."""
    logical_ids = resources(resource_type)
    assert logical_ids, resource_type
    wrong = []
    for logical_id in logical_ids:
        for action in sorted(actions):
            ctx = context(resource_type, action)
            if allows(policy(), action, arn_of(logical_id), ctx) is not Tri.TRUE:
                wrong.append(f"denied: {action} on {arn_of(logical_id)}")
            if allows(policy(), action, arn_of(logical_id, OTHER_STACK), ctx) is not Tri.FALSE:
                wrong.append(f"allowed: {action} on {arn_of(logical_id, OTHER_STACK)}")
    return wrong


def test_each_role_is_managed_on_its_own_arn_and_not_on_another_stacks() -> None:
    actions = {a for a in needed()["AWS::IAM::Role"] if a.startswith("iam:")}
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole"} <= actions
    wrong = on_own_arn_only("AWS::IAM::Role", actions, role_arn)
    assert not wrong, wrong


def test_only_the_managed_policies_the_template_attaches_can_be_attached() -> None:
    assert managed_policies() == ("arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",)
    role = role_arn(next(iter(resources("AWS::IAM::Role"))))
    for action in sorted(ATTACH):
        for arn in managed_policies():
            assert allows(policy(), action, role, context("AWS::IAM::Role", action, **{"iam:PolicyARN": arn})) is Tri.TRUE, (action, arn)
        for arn in ("arn:aws:iam::aws:policy/AdministratorAccess", f"arn:aws:iam::{ACCOUNT}:policy/anything"):
            assert allows(policy(), action, role, context("AWS::IAM::Role", action, **{"iam:PolicyARN": arn})) is Tri.FALSE, (action, arn)


def passed_roles(value: Any, roles: set[str]) -> set[str]:
    """The roles a resource passes: those named by a property such as Role, RoleArn or DeliverLogsPermissionArn."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if re.search(r"(Role|RoleArn|PermissionArn)$", key):
                found |= {r for r in roles if references(item, {r})}
            found |= passed_roles(item, roles)
    elif isinstance(value, list):
        for item in value:
            found |= passed_roles(item, roles)
    return found


def test_each_role_the_template_passes_goes_to_its_service_only() -> None:
    roles = set(resources("AWS::IAM::Role"))
    passed = [
        (n, r["Type"], role) for n, r in template()["Resources"].items() for role in sorted(passed_roles(r.get("Properties", {}), roles))
    ]
    assert {t for _, t, _ in passed} == {"AWS::Lambda::Function", "AWS::StepFunctions::StateMachine", "AWS::EC2::FlowLog"}, passed
    for name, resource_type, role in passed:
        service = f"{SERVICE[resource_type]}.amazonaws.com"
        to_service = context(resource_type, "iam:PassRole", **{"iam:PassedToService": service})
        assert allows(policy(), "iam:PassRole", role_arn(role), to_service) is Tri.TRUE, (name, role)
        assert allows(policy(), "iam:PassRole", role_arn(role, OTHER_STACK), to_service) is Tri.FALSE, (name, role)
        elsewhere = context(resource_type, "iam:PassRole", **{"iam:PassedToService": "ec2.amazonaws.com"})
        if resource_type in PASSED_BY_NAME_ONLY:
            trust = template()["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            assert [s["Principal"] for s in trust] == [{"Service": service}], (name, role)
        else:
            assert allows(policy(), "iam:PassRole", role_arn(role), elsewhere) is Tri.FALSE, (name, role)


def test_each_function_is_managed_on_its_own_arn_and_not_on_another_stacks() -> None:
    actions = {a for a in needed()["AWS::Lambda::Function"] if a.startswith("lambda:")} - NOT_ON_THE_FUNCTION
    assert {"lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:DeleteFunction"} <= actions
    wrong = on_own_arn_only("AWS::Lambda::Function", actions, function_arn)
    assert not wrong, wrong


def test_the_key_is_managed_on_its_own_arn_and_another_key_only_read_and_rotated() -> None:
    actions = needed()["AWS::KMS::Key"] - {"kms:CreateKey"}  # CreateKey names no key (below)
    assert {"kms:PutKeyPolicy", "kms:DisableKey", "kms:TagResource", "kms:UntagResource"} <= actions
    for action in sorted(actions):
        ctx = context("AWS::KMS::Key", action)
        assert allows(policy(), action, KEY, ctx) is Tri.TRUE, action
        if action in ON_EVERY_KEY:
            assert allows(policy(), action, OTHER_KEY, ctx) is Tri.TRUE, action
        elif action != "kms:TagResource":
            assert allows(policy(), action, OTHER_KEY, ctx) is Tri.FALSE, action
    # Another key: only the stack tags (KMS needs that for CreateKey with tags), no other tag, no untagging.
    for tags in stack_tags():
        assert allows(policy(), "kms:TagResource", OTHER_KEY, context("AWS::KMS::Key", "kms:TagResource", **tag_request(tags))) is Tri.TRUE
    owner = tag_request({**stack_tags()[0], "owner": "me"})
    assert allows(policy(), "kms:TagResource", OTHER_KEY, context("AWS::KMS::Key", "kms:TagResource", **owner)) is Tri.FALSE
    assert allows(policy(), "kms:TagResource", KEY, context("AWS::KMS::Key", "kms:TagResource", **owner)) is Tri.TRUE
    (alias,) = resources("AWS::KMS::Alias").values()
    name = resolved(alias["Properties"]["AliasName"], STACK)
    for action in sorted(needed()["AWS::KMS::Alias"] - {"kms:ListAliases"}):
        assert allows(policy(), action, f"arn:aws:kms:{REGION}:{ACCOUNT}:{name}", IN_REGION) is Tri.TRUE, action
        assert allows(policy(), action, f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/payments", IN_REGION) is Tri.FALSE, action


def test_only_a_key_like_the_templates_can_be_created_and_only_in_the_region() -> None:
    assert allows(policy(), "kms:CreateKey", "*", context("AWS::KMS::Key", "kms:CreateKey")) is Tri.TRUE
    for key, value in (
        ("kms:KeySpec", "RSA_2048"),
        ("kms:KeyUsage", "SIGN_VERIFY"),
        ("kms:KeyOrigin", "EXTERNAL"),
        ("aws:RequestedRegion", "us-west-2"),
    ):
        assert allows(policy(), "kms:CreateKey", "*", context("AWS::KMS::Key", "kms:CreateKey", **{key: value})) is Tri.FALSE, key


def test_keys_are_used_only_through_the_services_of_the_resources_that_name_them() -> None:
    key_ids = set(resources("AWS::KMS::Key")) | {"ExistingKmsKeyArn"}
    users = {r["Type"] for r in template()["Resources"].values() if references(r.get("Properties", {}), key_ids)}
    with_kms = {t for t in users if any(a.startswith("kms:") for a in needed()[t])} - {"AWS::KMS::Alias"}
    assert with_kms == {"AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::StepFunctions::StateMachine"}, with_kms
    reads = {"kms:DescribeKey", "kms:ListAliases"}
    for resource_type in sorted(with_kms):
        for action in sorted(a for a in needed()[resource_type] if a.startswith("kms:")):
            for key in (KEY, OTHER_KEY):  # OTHER_KEY: a brought key (ExistingKmsKeyArn) is asked for the same way
                assert allows(policy(), action, key, context(resource_type, action)) is Tri.TRUE, (resource_type, action)
            if action in reads:
                continue
            for via in ({"kms:ViaService": f"s3.{REGION}.amazonaws.com"},):
                assert allows(policy(), action, KEY, context(resource_type, action, **via)) is Tri.FALSE, (resource_type, action)
            direct = RequestContext(DEPLOYER, {"aws:RequestedRegion": REGION}, complete=True)  # no kms:ViaService
            assert allows(policy(), action, OTHER_KEY, direct) is Tri.FALSE, (resource_type, action)


def test_no_statement_grants_every_action_or_every_action_of_a_service() -> None:
    for statement in policy()["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        assert not [a for a in actions if a == "*" or a.endswith(":*")], statement["Sid"]


@pytest.mark.parametrize(
    ("action", "resource", "why"),
    [
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/Admin", "pass an administrator role"),
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/{STACK}-bedrock-job", "pass the Bedrock role (the functions pass it)"),
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/other-team", "widen another team's role"),
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/x", "make roles outside the stack's names"),
        ("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{STACK}/{STACK}-NotifyRole-x", "attach a policy the template does not"),
        ("s3:GetObject", f"arn:aws:s3:::{STACK}-databucket-abc/validated/0a1b/train.jsonl", "read the training data"),
        ("s3:PutBucketPolicy", "arn:aws:s3:::other-bucket", "open another bucket"),
        ("lambda:UpdateFunctionCode", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments", "replace another function's code"),
        ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments", "invoke another function"),
        ("dynamodb:DeleteTable", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders", "delete another table"),
        ("cloudformation:DeleteStack", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/network/abc", "delete another stack"),
        ("states:UpdateStateMachine", f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:billing", "change another workflow"),
        ("kms:PutKeyPolicy", OTHER_KEY, "take over another key"),
        ("kms:ScheduleKeyDeletion", KEY, "delete the stack's (retained) key"),
        ("kms:Decrypt", OTHER_KEY, "decrypt with another key"),
        ("kms:CreateGrant", OTHER_KEY, "grant itself another key"),
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
    # Long values: the longest region names, a 32-character stack name, a key ARN in such a region.
    long = {"<ACCOUNT_ID>": ACCOUNT, "<REGION>": "ap-southeast-2", "<STACK_NAME>": "s" * 32, "<stack_name_lowercase>": "s" * 32}
    long["<STACK_KEY_ARN>"] = f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:key/0a1b2c3d-0000-4000-8000-0123456789ab"
    assert len("".join(filled(text, long).split())) <= ROLE_POLICY_QUOTA
    readme = (ROOT / "README.md").read_text()
    assert "deploy/deployer-policy.json" in readme
    assert set(re.findall(r"<[A-Za-z_]+>", text)) == set(PLACEHOLDERS)
    assert [p for p in PLACEHOLDERS if p not in readme] == [], "a placeholder the README does not explain"
