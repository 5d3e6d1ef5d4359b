"""Reads the evidence of the private-inference rows (GR-NET-12..14): the in-VPC function, its VPC, the VPC's
bedrock-runtime endpoints, their policies and security groups. Read-only; any error -> None (the row is UNKNOWN).

The function's live configuration says where the smoke test's model calls are made (lambda:GetFunctionConfiguration
-> VpcConfig); the VPC is the one its subnets are in. Every bedrock-runtime endpoint of that VPC is read, not only the
stack's: a second, open one would be a way out of the VPC too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError

from ..guardrails.inference_evidence import InferenceEvidence
from ..observability import logger
from ..service_errors import ServiceError, error_code
from .clients import client
from .evidence import policy_document

T = TypeVar("T")


def _read(what: str, call: Callable[[], T]) -> T | None:
    try:
        return call()
    except (ServiceError, BotoCoreError, KeyError, ValueError, TypeError) as err:
        logger.warning("evidence unavailable", evidence=what, error=error_code(err))
        return None


def _associated(association: dict[str, Any], state: str) -> bool:
    return str(association.get(state, {}).get("State", "associated")) == "associated"


def read_inference_evidence(account: str, region: str, *, enabled: bool, function: str | None) -> InferenceEvidence:
    if not enabled:
        return InferenceEvidence(
            account=account,
            region=region,
            enabled=False,
            function=function,
            client=None,
            subnets=None,
            vpc=None,
            endpoints=None,
            security_groups=None,
        )
    ec2 = client("ec2")

    def vpc_config() -> dict[str, Any]:
        if not function:
            return {}  # no in-VPC function configured: the calls are not made from inside the VPC
        config = client("lambda").get_function_configuration(FunctionName=function).get("VpcConfig") or {}
        return {"SubnetIds": list(config.get("SubnetIds") or []), "SecurityGroupIds": list(config.get("SecurityGroupIds") or [])}

    def describe_subnets(ids: list[str]) -> dict[str, dict[str, Any]]:
        return {str(s["SubnetId"]): dict(s) for s in ec2.describe_subnets(SubnetIds=ids)["Subnets"]} if ids else {}

    found_config = _read("GetFunctionConfiguration", vpc_config)
    subnets = _read("DescribeSubnets", lambda: describe_subnets(list((found_config or {}).get("SubnetIds", []))))
    vpc_ids = sorted({str(s.get("VpcId")) for s in (subnets or {}).values()})
    vpc_id = vpc_ids[0] if len(vpc_ids) == 1 else None

    def endpoints() -> list[dict[str, Any]]:
        filters = [
            {"Name": "vpc-id", "Values": [str(vpc_id)]},
            {"Name": "service-name", "Values": [f"com.amazonaws.{region}.bedrock-runtime"]},
        ]
        found = ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]
        return [{**e, "PolicyDocument": policy_document(e.get("PolicyDocument") or "{}")} for e in found]

    def vpc() -> dict[str, Any]:
        described = ec2.describe_vpcs(VpcIds=[str(vpc_id)])["Vpcs"][0]
        support = ec2.describe_vpc_attribute(VpcId=str(vpc_id), Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"]
        hostnames = ec2.describe_vpc_attribute(VpcId=str(vpc_id), Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
        blocks = [a["CidrBlock"] for a in described.get("CidrBlockAssociationSet", []) if _associated(a, "CidrBlockState")]
        blocks += [a["Ipv6CidrBlock"] for a in described.get("Ipv6CidrBlockAssociationSet", []) if _associated(a, "Ipv6CidrBlockState")]
        cidrs = list(dict.fromkeys([described["CidrBlock"], *blocks]))
        return {"CidrBlock": described["CidrBlock"], "CidrBlocks": cidrs, "EnableDnsSupport": support, "EnableDnsHostnames": hostnames}

    found_endpoints = _read("DescribeVpcEndpoints(bedrock-runtime)", endpoints) if vpc_id else None
    if subnets is not None and found_endpoints:
        more = sorted({s for e in found_endpoints for s in e.get("SubnetIds", [])} - set(subnets))
        extra = _read("DescribeSubnets(endpoints)", lambda: describe_subnets(more))
        subnets = None if extra is None else {**subnets, **extra}

    def groups() -> dict[str, dict[str, Any]]:
        wanted = {str(g["GroupId"]) for e in found_endpoints or [] for g in e.get("Groups", [])}
        wanted |= set((found_config or {}).get("SecurityGroupIds", []))
        described = ec2.describe_security_groups(GroupIds=sorted(wanted))["SecurityGroups"] if wanted else []
        return {str(g["GroupId"]): dict(g) for g in described}

    security_groups = _read("DescribeSecurityGroups(endpoints)", groups) if vpc_id else None
    permissions = [p for g in (security_groups or {}).values() for p in [*g.get("IpPermissions", []), *g.get("IpPermissionsEgress", [])]]

    def prefix_lists() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for list_id in sorted({str(e["PrefixListId"]) for p in permissions for e in p.get("PrefixListIds", [])}):
            pages = ec2.get_paginator("get_managed_prefix_list_entries").paginate(PrefixListId=list_id)
            found[list_id] = [str(entry["Cidr"]) for page in pages for entry in page.get("Entries", [])]
        return found

    def referenced() -> dict[str, dict[str, Any]]:
        pairs = [pair for p in permissions for pair in p.get("UserIdGroupPairs", []) if pair.get("GroupId")]
        wanted = {str(pair["GroupId"]) for pair in pairs if pair.get("UserId", account) == account} - set(security_groups or {})
        described = ec2.describe_security_groups(GroupIds=sorted(wanted))["SecurityGroups"] if wanted else []
        return {str(g["GroupId"]): {"OwnerId": g.get("OwnerId"), "VpcId": g.get("VpcId")} for g in described}

    return InferenceEvidence(
        account=account,
        region=region,
        enabled=True,
        function=function,
        client=found_config,
        subnets=subnets,
        vpc=_read("DescribeVpcs", vpc) if vpc_id else None,
        endpoints=found_endpoints,
        security_groups=security_groups,
        prefix_lists=_read("GetManagedPrefixListEntries", prefix_lists),
        referenced_groups=_read("DescribeSecurityGroups(referenced)", referenced),
    )
