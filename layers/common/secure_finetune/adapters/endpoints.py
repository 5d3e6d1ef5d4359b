"""Reads the evidence of the private-inference rows (GR-NET-12..14): the smoke-test function, its VPC, the VPC's
bedrock-runtime endpoints, their policies and security groups. Read-only; any error -> None (the row is UNKNOWN).

The function's live configuration says where the smoke test's model calls are made (lambda:GetFunctionConfiguration
-> VpcConfig); the VPC is the one its subnets are in. Every bedrock-runtime endpoint of that VPC is read, not only the
stack's: a second, open one would be a way out of the VPC too.
"""

from __future__ import annotations

from typing import Any

from ..guardrails.inference_evidence import InferenceEvidence
from .clients import client
from .evidence import prefix_lists, read_evidence, referenced_groups, vpc_endpoints, vpc_facts


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

    found_config = read_evidence("GetFunctionConfiguration", vpc_config)
    subnets = read_evidence("DescribeSubnets", lambda: describe_subnets(list((found_config or {}).get("SubnetIds", []))))
    vpc_ids = sorted({str(s.get("VpcId")) for s in (subnets or {}).values()})
    vpc_id = vpc_ids[0] if len(vpc_ids) == 1 else None

    found_endpoints = (
        read_evidence("DescribeVpcEndpoints(bedrock-runtime)", lambda: vpc_endpoints(ec2, region, str(vpc_id), "bedrock-runtime"))
        if vpc_id
        else None
    )
    if subnets is not None and found_endpoints:
        more = sorted({s for e in found_endpoints for s in e.get("SubnetIds", [])} - set(subnets))
        extra = read_evidence("DescribeSubnets(endpoints)", lambda: describe_subnets(more))
        subnets = None if extra is None else {**subnets, **extra}

    def groups() -> dict[str, dict[str, Any]]:
        wanted = {str(g["GroupId"]) for e in found_endpoints or [] for g in e.get("Groups", [])}
        wanted |= set((found_config or {}).get("SecurityGroupIds", []))
        described = ec2.describe_security_groups(GroupIds=sorted(wanted))["SecurityGroups"] if wanted else []
        return {str(g["GroupId"]): dict(g) for g in described}

    security_groups = read_evidence("DescribeSecurityGroups(endpoints)", groups) if vpc_id else None
    permissions = [p for g in (security_groups or {}).values() for p in [*g.get("IpPermissions", []), *g.get("IpPermissionsEgress", [])]]

    return InferenceEvidence(
        account=account,
        region=region,
        enabled=True,
        function=function,
        client=found_config,
        subnets=subnets,
        vpc=read_evidence("DescribeVpcs", lambda: vpc_facts(ec2, str(vpc_id))) if vpc_id else None,
        endpoints=found_endpoints,
        security_groups=security_groups,
        prefix_lists=read_evidence("GetManagedPrefixListEntries", lambda: prefix_lists(ec2, [], permissions)),
        referenced_groups=read_evidence(
            "DescribeSecurityGroups(referenced)", lambda: referenced_groups(ec2, account, permissions, security_groups)
        ),
    )
