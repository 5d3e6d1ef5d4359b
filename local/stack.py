"""Emulator stand-in: deploys the real template.yaml into moto's CloudFormation.

SAM -> CloudFormation with aws-sam-translator (offline), after packaging local code the way
``sam deploy`` would (zips in an artifacts bucket) and inlining the ASL file. What moto's
CloudFormation drops is re-applied from the *translated template* through the normal APIs;
nothing about the infrastructure is described here a second time. What moto cannot evaluate is
evaluated here first: ``Fn::Cidr`` (the job subnets' blocks), from the template's own parameters.
"""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode.cfn_yaml import load as load_cfn_yaml  # type: ignore[import-untyped]
from moto.cloudformation.models import cloudformation_backends
from moto.cloudformation.parsing import clean_json
from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

from . import custom_resources, function_config_standin

ARTIFACTS_BUCKET = "local-sam-artifacts"
ACCOUNT = "123456789012"


class _NoManagedPolicies:
    """The translator resolves managed-policy *names* through IAM; our template uses ARNs only."""

    def load(self) -> dict[str, str]:
        return {}


@dataclass
class DeployedStack:
    name: str
    region: str
    outputs: dict[str, str]
    physical_ids: dict[str, str]  # logical id -> physical id
    function_code: dict[str, Path]  # logical id -> functions/<step>
    layer_content: dict[str, Path]  # logical id -> content dir (mounted under /opt)
    translated: dict[str, Any]
    reapplied: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)


def _zip_dir(path: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                archive.write(file, file.relative_to(path))
    return buffer.getvalue()


def localise(template: dict[str, Any], root: Path, upload: bool) -> tuple[dict[str, Path], dict[str, Path]]:
    """Do what ``sam package`` does before translation: code to S3 URIs, the ASL file inlined.

    With ``upload`` the zips are really put into the (emulated) artifacts bucket; without it
    only the URIs are rewritten (enough to translate the template for static checks).
    """
    s3 = boto3.client("s3") if upload else None
    if s3 is not None:
        s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
    functions: dict[str, Path] = {}
    layers: dict[str, Path] = {}
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion"):
            field_name = "CodeUri" if kind == "AWS::Serverless::Function" else "ContentUri"
            source = root / props[field_name]
            (functions if field_name == "CodeUri" else layers)[logical_id] = source
            if s3 is not None:
                s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=f"{logical_id}.zip", Body=_zip_dir(source))
            props[field_name] = f"s3://{ARTIFACTS_BUCKET}/{logical_id}.zip"
        elif kind == "AWS::StepFunctions::StateMachine" and isinstance(props.get("DefinitionS3Location"), str):
            props["DefinitionString"] = (root / props.pop("DefinitionS3Location")).read_text()
    return functions, layers


def load_template(root: Path) -> dict[str, Any]:
    template = load_cfn_yaml(str(root / "template.yaml"))
    return dict(json.loads(json.dumps(template)))  # plain dicts, no YAML node types


def translated_template(root: Path, region: str = "us-east-1") -> dict[str, Any]:
    """template.yaml as CloudFormation sees it after the SAM transform (for static checks)."""
    template = load_template(root)
    localise(template, root, upload=False)
    return translate(template, region)


def translate(template: dict[str, Any], region: str) -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    # Offline there is no feature-toggle config; the translator warns once per toggle it looks up
    # (OpenApiVersion's) and uses the default, which is what a deployment gets.
    logging.getLogger("samtranslator.feature_toggle.feature_toggle").setLevel(logging.ERROR)
    translated: dict[str, Any] = transform(template, {}, _NoManagedPolicies())
    return translated


def deploy(root: Path, name: str, region: str, parameters: dict[str, str]) -> DeployedStack:
    template = load_template(root)
    functions, layers = localise(template, root, upload=True)
    translated = translate(template, region)
    for_moto = json.loads(json.dumps(translated))
    # moto's CloudFormation has no alarms, so a dashboard that names them cannot resolve: leave it out.
    dashboards = [logical_id for logical_id, r in for_moto["Resources"].items() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    for logical_id in dashboards:
        del for_moto["Resources"][logical_id]
    for_moto["Outputs"] = {k: v for k, v in for_moto.get("Outputs", {}).items() if "Dashboard" not in k}
    # moto ignores Fn::Cidr (its Fn::Select then fails): carve the blocks here, as CloudFormation would.
    for_moto["Resources"] = _with_cidr_blocks(for_moto["Resources"], {**_parameter_defaults(for_moto), **parameters})
    for resource in for_moto["Resources"].values():
        # moto's describe_key breaks on a KeyPolicy given as an object.
        if resource["Type"] == "AWS::KMS::Key" and isinstance(resource["Properties"].get("KeyPolicy"), dict):
            resource["Properties"]["KeyPolicy"] = json.dumps(resource["Properties"]["KeyPolicy"])
    cloudformation = boto3.client("cloudformation")
    ran: list[str] = []
    with custom_resources.running(functions, ran):  # Custom::* resources run their real handlers as they are created
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=json.dumps(for_moto),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
    resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    deployed = DeployedStack(
        name=name,
        region=region,
        outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        physical_ids={r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if "PhysicalResourceId" in r},
        function_code=functions,
        layer_content=layers,
        translated=translated,
    )
    deployed.not_applied += [f"{logical_id} (AWS::CloudWatch::Dashboard not emulated)" for logical_id in dashboards]
    deployed.reapplied += [f"{resource} run by its handler (local/custom_resources.py)" for resource in ran]
    _reapply_dropped(deployed, stack["StackId"])
    return deployed


def _parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    return {name: str(p["Default"]) for name, p in template.get("Parameters", {}).items() if "Default" in p}


def _with_cidr_blocks(value: Any, parameters: dict[str, str]) -> Any:
    """``value`` with every ``Fn::Cidr [block, count, hostBits]`` replaced by its list of CIDRs (the
    arguments literals or parameter Refs), as CloudFormation evaluates it."""
    if isinstance(value, list):
        return [_with_cidr_blocks(item, parameters) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::Cidr"}:
        block, count, host_bits = (parameters[a["Ref"]] if isinstance(a, dict) and "Ref" in a else a for a in value["Fn::Cidr"])
        network = ipaddress.ip_network(str(block))
        subnets = network.subnets(new_prefix=network.max_prefixlen - int(host_bits))
        return [str(subnet) for subnet, _ in zip(subnets, range(int(count)), strict=False)]
    return {key: _with_cidr_blocks(item, parameters) for key, item in value.items()}


def _resolved(deployed: DeployedStack, stack_id: str, value: Any) -> Any:
    backend = cloudformation_backends[ACCOUNT][deployed.region]
    return clean_json(value, backend.stacks[stack_id].resource_map)


def _reapply_dropped(deployed: DeployedStack, stack_id: str) -> None:
    """Re-apply, from the translated template, what moto's CloudFormation silently drops."""
    s3 = boto3.client("s3")
    policies = {}
    for logical_id, resource in deployed.translated["Resources"].items():
        if resource["Type"] == "AWS::S3::BucketPolicy":
            props = _resolved(deployed, stack_id, resource["Properties"])
            policies[logical_id] = (props["Bucket"], [statement for statement in props["PolicyDocument"]["Statement"] if statement])
    # moto's PutBucketLogging wants the logging service's Allow in the target's policy but cannot
    # read a statement whose Principal is "*": Allow statements first, the full policies after.
    for bucket, statements in policies.values():
        allows = [statement for statement in statements if statement["Effect"] == "Allow"]
        if allows:
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": allows}))
    conditions = cloudformation_backends[ACCOUNT][deployed.region].stacks[stack_id].resource_map.lazy_condition_map
    for logical_id, resource in deployed.translated["Resources"].items():
        if "Condition" in resource and not conditions[resource["Condition"]]:
            continue  # not part of this deployment
        if resource["Type"] in ("AWS::SNS::Subscription", "AWS::CloudWatch::Alarm", "AWS::SQS::QueuePolicy"):
            deployed.not_applied.append(f"{logical_id} ({resource['Type']} not emulated)")
            continue
        if resource["Type"] != "AWS::S3::Bucket" or logical_id not in deployed.physical_ids:
            continue
        bucket = deployed.physical_ids[logical_id]
        props = _resolved(deployed, stack_id, resource["Properties"])
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]})
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
        if "OwnershipControls" in props:
            s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=props["OwnershipControls"])
        if "BucketEncryption" in props:
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                    "BucketKeyEnabled": rule.get("BucketKeyEnabled", False),
                }
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})
        if props.get("NotificationConfiguration", {}).get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
        if "LifecycleConfiguration" in props:
            rules = [
                {
                    "ID": rule["Id"],
                    "Status": rule["Status"],
                    "Filter": {"Prefix": rule.get("Prefix", "")},
                    **({"Expiration": {"Days": int(rule["ExpirationInDays"])}} if "ExpirationInDays" in rule else {}),
                }
                for rule in props["LifecycleConfiguration"]["Rules"]
            ]
            s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
        if "LoggingConfiguration" in props:
            logging = props["LoggingConfiguration"]
            s3.put_bucket_logging(
                Bucket=bucket,
                BucketLoggingStatus={
                    "LoggingEnabled": {"TargetBucket": logging["DestinationBucketName"], "TargetPrefix": logging.get("LogFilePrefix", "")}
                },
            )
        deployed.reapplied.append(f"{logical_id} (versioning, public access block, ownership, encryption, EventBridge, lifecycle, logging)")
    for logical_id, (bucket, statements) in policies.items():
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
        deployed.reapplied.append(f"{logical_id} (stored and read by the guardrails; not enforced by the emulator)")
    _reapply_network_and_key(deployed, stack_id)
    deployed.reapplied += function_config_standin.reapply(
        deployed.translated, deployed.physical_ids, lambda value: _resolved(deployed, stack_id, value), ACCOUNT, deployed.region
    )


def _reapply_network_and_key(deployed: DeployedStack, stack_id: str) -> None:
    ec2, kms = boto3.client("ec2"), boto3.client("kms")
    for logical_id, resource in deployed.translated["Resources"].items():
        if logical_id not in deployed.physical_ids:
            continue  # a resource whose condition is false
        kind = resource["Type"]
        if kind == "AWS::EC2::SubnetRouteTableAssociation":
            props = _resolved(deployed, stack_id, resource["Properties"])
            ec2.associate_route_table(SubnetId=props["SubnetId"], RouteTableId=props["RouteTableId"])
            deployed.reapplied.append(f"{logical_id} (moto records no association)")
        elif kind == "AWS::EC2::VPC":
            props = _resolved(deployed, stack_id, resource["Properties"])
            vpc_id = deployed.physical_ids[logical_id]
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": bool(props.get("EnableDnsSupport", True))})
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": bool(props.get("EnableDnsHostnames", False))})
            deployed.reapplied.append(f"{logical_id} (DNS support and hostnames)")
        elif kind == "AWS::KMS::Key":
            # The key policy went in as a JSON string (moto's describe_key breaks on an object), so
            # its Sub/GetAtt/If were never resolved: resolve them here and put the real policy.
            props = _resolved(deployed, stack_id, resource["Properties"])
            policy = props["KeyPolicy"]
            policy["Statement"] = [statement for statement in policy["Statement"] if statement]
            kms.put_key_policy(KeyId=deployed.physical_ids[logical_id], PolicyName="default", Policy=json.dumps(policy))
            deployed.reapplied.append(f"{logical_id} (key policy with its references resolved)")
        elif kind == "AWS::EC2::SecurityGroup" and resource["Properties"].get("SecurityGroupEgress"):
            # moto creates a group's SecurityGroupIngress but not its SecurityGroupEgress: it keeps EC2's default
            # allow-all egress, which the template replaces.
            props = _resolved(deployed, stack_id, resource["Properties"])
            group = deployed.physical_ids[logical_id]
            ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            rules = [_egress(rule) for rule in props["SecurityGroupEgress"] if rule]
            ec2.authorize_security_group_egress(GroupId=group, IpPermissions=rules)
            deployed.reapplied.append(f"{logical_id} (egress rules instead of the default allow-all)")


def _egress(rule: dict[str, Any]) -> dict[str, Any]:
    """An ``AWS::EC2::SecurityGroup`` egress rule as ``AuthorizeSecurityGroupEgress`` takes it."""
    permission: dict[str, Any] = {"IpProtocol": str(rule["IpProtocol"])}
    if permission["IpProtocol"] != "-1":
        permission.update(FromPort=int(rule["FromPort"]), ToPort=int(rule["ToPort"]))
    described = {"Description": rule["Description"]} if rule.get("Description") else {}
    if rule.get("CidrIp"):
        permission["IpRanges"] = [{"CidrIp": rule["CidrIp"], **described}]
    if rule.get("CidrIpv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": rule["CidrIpv6"], **described}]
    if rule.get("DestinationSecurityGroupId"):
        permission["UserIdGroupPairs"] = [{"GroupId": rule["DestinationSecurityGroupId"], **described}]
    if rule.get("DestinationPrefixListId"):
        permission["PrefixListIds"] = [{"PrefixListId": rule["DestinationPrefixListId"], **described}]
    return permission
