"""The stack's network custom resources, decided (``response.py`` answers CloudFormation).

``Custom::RestrictDefaultSecurityGroup`` (GroupId): EC2 gives every VPC a default security group that admits traffic
from its own members and lets everything out, and AWS::EC2::SecurityGroupIngress/Egress can only add rules, so the
created VPC's default group is emptied here (what CDK's ``restrictDefaultSecurityGroup`` does; Security Hub EC2.2,
https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-2). Only a group EC2 names
``default`` is touched: a miswired property never empties one of ours. Delete leaves the group as it is (the VPC goes
with it); a group that is gone on Delete is fine.

``Custom::ManagedPrefixList`` (PrefixListName): the id of an AWS-managed prefix list such as
``com.amazonaws.<region>.s3``, which CloudFormation has no intrinsic for; the smoke test's security group names it as
its egress destination to the S3 gateway endpoint (VPC User Guide, "Gateway endpoints": security groups reference
the service's prefix list, https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html).
"""

from __future__ import annotations

import re
from typing import Any

from ..ports import NetworkSetupService
from .response import FAILED, SUCCESS, CustomResourceRequest, Outcome

RESTRICT_DEFAULT_GROUP = "Custom::RestrictDefaultSecurityGroup"
MANAGED_PREFIX_LIST = "Custom::ManagedPrefixList"
_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
_PREFIX_LIST_NAME = re.compile(r"^com\.amazonaws\.[a-z0-9-]{1,30}\.[a-z0-9.-]{1,60}$")
_RULE_FIELDS = ("IpProtocol", "FromPort", "ToPort", "IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs")


def decide(request: CustomResourceRequest, ec2: NetworkSetupService) -> Outcome:
    if request.RequestType not in ("Create", "Update", "Delete"):
        return Outcome(FAILED, f"Unknown RequestType {request.RequestType[:40]!r}.", _kept_id(request))
    if request.ResourceType == RESTRICT_DEFAULT_GROUP:
        return _restrict_default_group(request, ec2)
    if request.ResourceType == MANAGED_PREFIX_LIST:
        return _prefix_list(request, ec2)
    if request.RequestType == "Delete":  # never hold a stack deletion on a resource this function never made
        return Outcome(SUCCESS, "Nothing to delete.", _kept_id(request))
    return Outcome(FAILED, f"Unknown resource type {request.ResourceType[:60]!r}.", _kept_id(request))


def _kept_id(request: CustomResourceRequest) -> str:
    return request.PhysicalResourceId or request.LogicalResourceId


def _restrict_default_group(request: CustomResourceRequest, ec2: NetworkSetupService) -> Outcome:
    group_id = str(request.ResourceProperties.get("GroupId", ""))
    if request.RequestType == "Delete":
        return Outcome(SUCCESS, "Default security group left as it is (deleted with its VPC).", _kept_id(request))
    if not _GROUP_ID.match(group_id):
        return Outcome(FAILED, "Property GroupId must be a security group id (sg-...).", _kept_id(request))
    group = ec2.security_group(group_id)
    if group is None:
        return Outcome(FAILED, f"No security group {group_id}.", group_id)
    if group.get("GroupName") != "default":
        return Outcome(FAILED, f"{group_id} is not a VPC's default security group: not emptied.", group_id)
    ingress, egress = _rules(group.get("IpPermissions")), _rules(group.get("IpPermissionsEgress"))
    if ingress or egress:
        ec2.revoke(group_id, ingress, egress)
    after = ec2.security_group(group_id) or {}
    if after.get("IpPermissions") or after.get("IpPermissionsEgress"):
        return Outcome(FAILED, f"{group_id} still has rules after revoking them.", group_id)
    return Outcome(SUCCESS, f"{group_id} emptied ({len(ingress)} ingress, {len(egress)} egress rules revoked).", group_id)


def _rules(permissions: Any) -> list[dict[str, Any]]:
    """Described permissions as RevokeSecurityGroupIngress/Egress take them back (empty lists left out)."""
    rules = []
    for permission in permissions if isinstance(permissions, list) else []:
        kept = {k: v for k, v in permission.items() if k in _RULE_FIELDS and v not in ([], None)} if isinstance(permission, dict) else {}
        if kept:
            rules.append(kept)
    return rules


def _prefix_list(request: CustomResourceRequest, ec2: NetworkSetupService) -> Outcome:
    if request.RequestType == "Delete":
        return Outcome(SUCCESS, "Nothing to delete (a lookup).", _kept_id(request))
    name = str(request.ResourceProperties.get("PrefixListName", ""))
    if not _PREFIX_LIST_NAME.match(name):
        return Outcome(
            FAILED, "Property PrefixListName must be an AWS-managed prefix list name (com.amazonaws.<region>.<service>).", _kept_id(request)
        )
    found = ec2.prefix_list_id(name)
    if found is None:
        return Outcome(FAILED, f"No managed prefix list {name} in this region.", _kept_id(request))
    return Outcome(SUCCESS, f"{name} is {found}.", found, {"PrefixListId": found})
