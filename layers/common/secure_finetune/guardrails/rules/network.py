"""Job network rules (GR-NET): private subnets, the S3 and KMS endpoints, the job's security groups."""

from __future__ import annotations

from typing import Any

from ...runs import OUTPUT_PREFIX, VALIDATED_PREFIX
from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from .policy import as_list, statements


def private_subnets(ev: Evidence) -> Verdict:
    net = ev.network
    if net.subnets is None or net.route_tables is None:
        return UNKNOWN, "subnets or route tables could not be read"
    found = {s["SubnetId"]: s for s in net.subnets}
    if set(ev.subnet_ids) - set(found):
        return FAIL, "a job subnet does not exist"
    if len({s["VpcId"] for s in net.subnets}) != 1:
        return FAIL, "the job subnets are in more than one VPC"
    for subnet_id in ev.subnet_ids:
        if found[subnet_id].get("MapPublicIpOnLaunch") or found[subnet_id].get("AssignIpv6AddressOnCreation"):
            return FAIL, "a job subnet assigns public addresses"
        table = net.route_tables.get(subnet_id)
        if table is None:
            return UNKNOWN, "a job subnet's route table could not be read"
        for route in table.get("Routes", []):
            default = route.get("DestinationCidrBlock") == "0.0.0.0/0" or route.get("DestinationIpv6CidrBlock") == "::/0"
            target = str(route.get("GatewayId") or route.get("NatGatewayId") or route.get("EgressOnlyInternetGatewayId") or "")
            if default and route.get("State", "active") == "active" and target.startswith(("igw-", "nat-", "eigw-")):
                return FAIL, "a job subnet routes to the internet (IGW, NAT or egress-only gateway)"
    return PASS, "private subnets in one VPC, no route to the internet"


def s3_endpoint(ev: Evidence) -> Verdict:
    net = ev.network
    if net.s3_endpoints is None or net.route_tables is None:
        return UNKNOWN, "VPC endpoints or route tables could not be read"
    tables = {net.route_tables[s]["RouteTableId"] for s in ev.subnet_ids if s in net.route_tables}
    for endpoint in net.s3_endpoints:
        if endpoint.get("State", "").lower() == "available" and tables <= set(endpoint.get("RouteTableIds", [])):
            return PASS, "an available S3 gateway endpoint serves every job subnet"
    return FAIL, "no available S3 gateway endpoint on every job subnet's route table"


def s3_endpoint_policy(ev: Evidence) -> Verdict:
    if not ev.network.s3_endpoints:
        return UNKNOWN, "no S3 endpoint to read"
    bucket_arn = f"arn:aws:s3:::{ev.bucket_name}"
    allowed = {bucket_arn, f"{bucket_arn}/{VALIDATED_PREFIX}*", f"{bucket_arn}/media/*", f"{bucket_arn}/{OUTPUT_PREFIX}*"}
    for endpoint in ev.network.s3_endpoints:
        for statement in statements(endpoint.get("PolicyDocument")):
            if statement.get("Effect") != "Allow":
                continue
            actions = set(as_list(statement.get("Action")))
            resources = set(as_list(statement.get("Resource")))
            if not actions <= {"s3:GetObject", "s3:ListBucket", "s3:PutObject"} or not resources <= allowed:
                return FAIL, "the S3 endpoint policy allows more than the data bucket's training prefixes"
            if "s3:PutObject" in actions and resources - {f"{bucket_arn}/{OUTPUT_PREFIX}*"}:
                return FAIL, "the S3 endpoint policy allows writes outside output/"
    return PASS, "the S3 endpoint policy names only the data bucket's prefixes"


def kms_endpoint(ev: Evidence) -> Verdict:
    net = ev.network
    if net.kms_endpoints is None or net.vpc is None or net.security_groups is None:
        return UNKNOWN, "the KMS endpoint, VPC attributes or security groups could not be read"
    if not net.vpc.get("EnableDnsSupport") or not net.vpc.get("EnableDnsHostnames"):
        return FAIL, "the VPC's DNS support or hostnames are off"
    for endpoint in net.kms_endpoints:
        if endpoint.get("State", "").lower() != "available" or not endpoint.get("PrivateDnsEnabled"):
            continue
        groups = [net.security_groups.get(g["GroupId"]) for g in endpoint.get("Groups", [])]
        if any(g is None for g in groups):
            return UNKNOWN, "the endpoint's security group could not be read"
        if all(_ingress_only_https_from(g, net.vpc.get("CidrBlock")) for g in groups if g):
            return PASS, "KMS interface endpoint with private DNS, HTTPS from the VPC only"
        return FAIL, "the KMS endpoint's security group allows more than HTTPS from the VPC"
    return FAIL, "no available KMS interface endpoint with private DNS"


def _ingress_only_https_from(group: dict[str, Any], cidr: str | None) -> bool:
    for permission in group.get("IpPermissions", []):
        if permission.get("IpProtocol") != "tcp" or permission.get("FromPort") != 443 or permission.get("ToPort") != 443:
            return False
        if any(r.get("CidrIp") != cidr for r in permission.get("IpRanges", [])) or permission.get("Ipv6Ranges"):
            return False
    return True


def job_security_groups(ev: Evidence) -> Verdict:
    groups = ev.network.security_groups
    if groups is None or ev.network.subnets is None:
        return UNKNOWN, "security groups could not be read"
    vpcs = {s["VpcId"] for s in ev.network.subnets}
    for group_id in ev.security_group_ids:
        group = groups.get(group_id)
        if group is None:
            return FAIL, "a job security group does not exist"
        if group.get("VpcId") not in vpcs:
            return FAIL, "a job security group is in another VPC"
        for permission in group.get("IpPermissions", []):
            if any(r.get("CidrIp") == "0.0.0.0/0" for r in permission.get("IpRanges", [])) or any(
                r.get("CidrIpv6") == "::/0" for r in permission.get("Ipv6Ranges", [])
            ):
                return FAIL, "a job security group allows ingress from anywhere"
    return PASS, "job security groups in the job VPC, no ingress from anywhere"


# ---------------------------------------------------------------- warnings (reported, never blocking)


def two_zones(ev: Evidence) -> Verdict:
    if ev.network.subnets is None:
        return UNKNOWN, "subnets could not be read"
    zones = {s.get("AvailabilityZone") for s in ev.network.subnets}
    return (PASS, f"subnets in {len(zones)} zones") if len(zones) >= 2 else (FAIL, "the job subnets are in one zone")


def free_addresses(ev: Evidence) -> Verdict:
    if ev.network.subnets is None:
        return UNKNOWN, "subnets could not be read"
    low = [s["SubnetId"] for s in ev.network.subnets if s.get("AvailableIpAddressCount", 0) < 16]
    return (FAIL, f"fewer than 16 free addresses in {', '.join(low)}") if low else (PASS, "enough free addresses")


def default_group(ev: Evidence) -> Verdict:
    default = ev.network.default_security_group
    if default is None:
        return UNKNOWN, "the default security group could not be read"
    if default.get("GroupId") in ev.security_group_ids:
        return FAIL, "the job uses the VPC's default security group"
    rules = default.get("IpPermissions", []) + default.get("IpPermissionsEgress", [])
    return (FAIL, "the default security group has rules") if rules else (PASS, "the default security group is unused and empty")
