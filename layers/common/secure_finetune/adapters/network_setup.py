"""EC2 for the network custom resources: describe a security group, revoke its rules, find a managed prefix list."""

from __future__ import annotations

from typing import Any

from ..service_errors import NotFound, ServiceError
from .clients import client


class Ec2NetworkSetup:
    def __init__(self) -> None:
        # Few attempts, short reads: CloudFormation must get an answer well before the function's timeout.
        self._ec2 = client("ec2", total_attempts=3, read_timeout=10)

    def security_group(self, group_id: str) -> dict[str, Any] | None:
        try:
            found = self._ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
        except NotFound:
            return None
        except ServiceError as err:
            if err.code.startswith("InvalidGroup"):  # InvalidGroup.NotFound, InvalidGroupId.Malformed
                return None
            raise
        return dict(found[0]) if found else None

    def revoke(self, group_id: str, ingress: list[dict[str, Any]], egress: list[dict[str, Any]]) -> None:
        if ingress:
            self._ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=ingress)
        if egress:
            self._ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=egress)

    def prefix_list_id(self, name: str) -> str | None:
        filters = [{"Name": "prefix-list-name", "Values": [name]}]
        found = self._ec2.describe_managed_prefix_lists(Filters=filters)["PrefixLists"]
        owned_by_aws = [p for p in found if p.get("OwnerId") == "AWS" and p.get("PrefixListName") == name]
        return str(owned_by_aws[0]["PrefixListId"]) if owned_by_aws else None
