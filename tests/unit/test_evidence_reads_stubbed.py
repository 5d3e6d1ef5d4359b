"""botocore Stubber, real-shaped answers for the reads the semantic rules added (issue 11): prefix lists, the endpoints
routes lead to, referenced groups' owners, a VPC's every CIDR, managed policy documents, the Malware Protection plan.
Each read is asked exactly as the adapter sends it; a read that fails leaves only the rule that needs it UNKNOWN."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from secure_finetune.adapters.clients import client
from secure_finetune.adapters.evidence import EvidenceReader
from secure_finetune.guardrails import PRE_LAUNCH_CHECKS, Evidence, NetworkEvidence, Status, evaluate
from tests.unit.test_guardrails import KMS_ENDPOINT_POLICY, good
from tests.unit.test_guardrails_malware import GUARDDUTY_ROLE, ONLY_GUARDDUTY_TAGS, scanned

ACCOUNT, OTHER = "111122223333", "444455556666"
REGION = "us-east-1"
pytestmark = pytest.mark.usefixtures("offline_aws")


def statuses(data: dict[str, Any], *ids: str) -> dict[str, Status]:
    checks = [c for c in PRE_LAUNCH_CHECKS if c.id in ids]
    return {f.id: f.status for f in evaluate(Evidence.model_validate(data), checks)}


def endpoint_filters(service: str, kind: str | None) -> dict[str, Any]:
    filters = [{"Name": "vpc-id", "Values": ["vpc-1"]}, {"Name": "service-name", "Values": [f"com.amazonaws.{REGION}.{service}"]}]
    return {"Filters": filters + ([{"Name": "vpc-endpoint-type", "Values": [kind]}] if kind else [])}


S3_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
ROUTES = [
    {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
    {"DestinationPrefixListId": "pl-s3", "GatewayId": "vpce-s3", "Origin": "CreateRoute", "State": "active"},
    # the default route split in two, to a Gateway Load Balancer endpoint and a transit gateway
    {"DestinationCidrBlock": "0.0.0.0/1", "GatewayId": "vpce-gwlb", "Origin": "CreateRoute", "State": "active"},
    {"DestinationCidrBlock": "128.0.0.0/1", "TransitGatewayId": "tgw-1", "Origin": "CreateRoute", "State": "active"},
]
JOB_GROUP = {
    "GroupId": "sg-job",
    "GroupName": "job",
    "OwnerId": ACCOUNT,
    "VpcId": "vpc-1",
    "IpPermissions": [
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-job", "UserId": ACCOUNT}, {"GroupId": "sg-peer", "UserId": ACCOUNT}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": "pl-corp"}]},
    ],
}
KMS_GROUP = {
    "GroupId": "sg-kms",
    "GroupName": "kms",
    "OwnerId": ACCOUNT,
    "VpcId": "vpc-1",
    "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}],
}


def stub_network(ec2: Stubber, *, prefix_list_error: bool = False) -> None:
    ec2.add_response(
        "describe_subnets",
        {"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1", "MapPublicIpOnLaunch": False}]},
        {"SubnetIds": ["subnet-1"]},
    )
    kms_endpoint = {
        "VpcEndpointId": "vpce-kms",
        "VpcEndpointType": "Interface",
        "State": "available",
        "PrivateDnsEnabled": True,
        "Groups": [{"GroupId": "sg-kms", "GroupName": "kms"}],
        "PolicyDocument": json.dumps(KMS_ENDPOINT_POLICY),
    }
    ec2.add_response("describe_vpc_endpoints", {"VpcEndpoints": [kms_endpoint]}, endpoint_filters("kms", "Interface"))
    s3_endpoint = {
        "VpcEndpointId": "vpce-s3",
        "VpcEndpointType": "Gateway",
        "State": "available",
        "RouteTableIds": ["rtb-1"],
        "PolicyDocument": json.dumps(S3_POLICY),
    }
    ec2.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3_endpoint]}, endpoint_filters("s3", None))
    ec2.add_response(
        "describe_route_tables",
        {"RouteTables": [{"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Routes": ROUTES}]},
        {"Filters": [{"Name": "association.subnet-id", "Values": ["subnet-1"]}]},
    )
    ec2.add_response("describe_security_groups", {"SecurityGroups": [JOB_GROUP, KMS_GROUP]}, {"GroupIds": ["sg-job", "sg-kms"]})
    gwlb = {"VpcEndpointId": "vpce-gwlb", "VpcEndpointType": "GatewayLoadBalancer", "State": "available"}
    ec2.add_response("describe_vpc_endpoints", {"VpcEndpoints": [gwlb]}, {"VpcEndpointIds": ["vpce-gwlb"]})
    associations = [
        {"AssociationId": "a1", "CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
        {"AssociationId": "a2", "CidrBlock": "10.1.0.0/16", "CidrBlockState": {"State": "associated"}},
        {"AssociationId": "a3", "CidrBlock": "10.9.0.0/16", "CidrBlockState": {"State": "disassociated"}},
    ]
    vpc = {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "CidrBlockAssociationSet": associations}
    ec2.add_response("describe_vpcs", {"Vpcs": [vpc]}, {"VpcIds": ["vpc-1"]})
    for attribute, field in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        ec2.add_response("describe_vpc_attribute", {"VpcId": "vpc-1", field: {"Value": True}}, {"VpcId": "vpc-1", "Attribute": attribute})
    default = {"GroupId": "sg-default", "GroupName": "default", "VpcId": "vpc-1", "IpPermissions": [], "IpPermissionsEgress": []}
    ec2.add_response(
        "describe_security_groups",
        {"SecurityGroups": [default]},
        {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}, {"Name": "group-name", "Values": ["default"]}]},
    )
    flow_log = {"FlowLogId": "fl-1", "ResourceId": "vpc-1", "FlowLogStatus": "ACTIVE", "TrafficType": "ALL"}
    ec2.add_response(
        "describe_flow_logs", {"FlowLogs": [flow_log]}, {"Filters": [{"Name": "resource-id", "Values": ["vpc-1", "subnet-1"]}]}
    )
    if prefix_list_error:
        ec2.add_client_error("get_managed_prefix_list_entries", service_error_code="UnauthorizedOperation", http_status_code=403)
    else:  # two pages; the S3 list of the gateway endpoint's route is not read: that route's target decides
        ec2.add_response(
            "get_managed_prefix_list_entries", {"Entries": [{"Cidr": "0.0.0.0/1"}], "NextToken": "t2"}, {"PrefixListId": "pl-corp"}
        )
        ec2.add_response(
            "get_managed_prefix_list_entries", {"Entries": [{"Cidr": "128.0.0.0/1"}]}, {"PrefixListId": "pl-corp", "NextToken": "t2"}
        )
    peer = {"GroupId": "sg-peer", "GroupName": "peer", "OwnerId": ACCOUNT, "VpcId": "vpc-1"}
    ec2.add_response("describe_security_groups", {"SecurityGroups": [peer]}, {"GroupIds": ["sg-peer"]})


def read_network(prefix_list_error: bool = False) -> NetworkEvidence:
    with Stubber(client("ec2")) as ec2:
        stub_network(ec2, prefix_list_error=prefix_list_error)
        evidence = EvidenceReader(ACCOUNT, REGION).network(("subnet-1",), ("sg-job",))
        ec2.assert_no_pending_responses()  # every read was made, in this order
    return evidence


def with_network(network: NetworkEvidence) -> dict[str, Any]:
    data = good()
    data.update(subnet_ids=("subnet-1",), security_group_ids=("sg-job",), network=network.model_dump())
    return data


def test_the_network_reads_resolve_prefix_lists_route_targets_referenced_groups_and_every_vpc_cidr() -> None:
    network = read_network()
    assert network.prefix_lists == {"pl-corp": ["0.0.0.0/1", "128.0.0.0/1"]}
    assert network.endpoint_types == {"vpce-kms": "Interface", "vpce-s3": "Gateway", "vpce-gwlb": "GatewayLoadBalancer"}
    assert network.flow_logs == [{"FlowLogId": "fl-1", "ResourceId": "vpc-1", "FlowLogStatus": "ACTIVE", "TrafficType": "ALL"}]
    assert network.referenced_groups == {"sg-peer": {"OwnerId": ACCOUNT, "VpcId": "vpc-1"}}
    assert network.vpc is not None and network.vpc["CidrBlocks"] == ["10.0.0.0/16", "10.1.0.0/16"]
    assert network.s3_endpoints is not None and network.s3_endpoints[0]["PolicyDocument"] == S3_POLICY
    found = {f.id: f for f in evaluate(Evidence.model_validate(with_network(network)), PRE_LAUNCH_CHECKS)}
    # 0.0.0.0/1 leads to a Gateway Load Balancer endpoint: not a gateway endpoint, so public addresses leave the VPC
    assert found["GR-NET-01"].status is Status.FAIL and "vpce-gwlb" in found["GR-NET-01"].explanation
    # the customer's prefix list is 0.0.0.0/1 + 128.0.0.0/1: the world, on port 22
    assert found["GR-NET-07"].status is Status.FAIL and "public addresses" in found["GR-NET-07"].explanation
    # HTTPS from the VPC's second CIDR is still the VPC
    assert found["GR-NET-06"].status is Status.PASS
    assert found["GR-NET-05"].status is Status.FAIL  # s3:GetObject on every bucket


def test_a_prefix_list_that_cannot_be_read_leaves_only_the_rule_that_needs_it_unknown() -> None:
    network = read_network(prefix_list_error=True)
    assert network.prefix_lists is None
    assert statuses(with_network(network), "GR-NET-07", "GR-NET-06") == {"GR-NET-07": Status.UNKNOWN, "GR-NET-06": Status.PASS}


def test_a_reference_to_another_accounts_group_is_refused_without_reading_it() -> None:
    data = with_network(read_network())
    group = data["network"]["security_groups"]["sg-job"]
    group["IpPermissions"] = [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-theirs", "UserId": OTHER}]}]
    [finding] = evaluate(Evidence.model_validate(data), [c for c in PRE_LAUNCH_CHECKS if c.id == "GR-NET-07"])
    assert finding.status is Status.FAIL and OTHER in finding.explanation


ROLE = f"arn:aws:iam::{ACCOUNT}:role/s-bedrock-job"
TRUST = {"Version": "2012-10-17", "Statement": []}


def _role(trust: dict[str, Any]) -> dict[str, Any]:
    created = datetime(2026, 11, 24, tzinfo=UTC)
    return {"Role": {"Path": "/", "RoleName": "s-bedrock-job", "RoleId": "AROAEXAMPLEID1234567", "Arn": ROLE, "CreateDate": created}}


def test_attached_managed_policies_are_read_as_their_default_version() -> None:
    arn = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
    name = {"RoleName": "s-bedrock-job"}
    with Stubber(client("iam")) as iam, Stubber(client("accessanalyzer")) as analyzer:
        iam.add_response("get_role", {"Role": {**_role(TRUST)["Role"], "AssumeRolePolicyDocument": json.dumps(TRUST)}}, name)
        iam.add_response("list_role_policies", {"PolicyNames": []}, name)
        iam.add_response(
            "list_attached_role_policies", {"AttachedPolicies": [{"PolicyName": "AmazonEC2FullAccess", "PolicyArn": arn}]}, name
        )
        iam.add_response("get_policy", {"Policy": {"Arn": arn, "DefaultVersionId": "v7"}}, {"PolicyArn": arn})
        iam.add_response(
            "get_policy_version",
            {"PolicyVersion": {"Document": json.dumps(document), "VersionId": "v7", "IsDefaultVersion": True}},
            {"PolicyArn": arn, "VersionId": "v7"},
        )
        iam.add_response("get_role", _role(TRUST), name)
        analyzer.add_response("check_no_public_access", {"result": "PASS", "message": "", "reasons": []})
        evidence = EvidenceReader(ACCOUNT, REGION).role(ROLE)
        iam.assert_no_pending_responses()
    assert evidence.attached_policies == {arn: document}
    data = good()
    data["service_role"].update(attached_policy_arns=[arn], attached_policies=evidence.attached_policies)
    [finding] = evaluate(Evidence.model_validate(data), [c for c in PRE_LAUNCH_CHECKS if c.id == "GR-IAM-04"])
    assert finding.status is Status.FAIL and "AmazonEC2FullAccess" in finding.explanation  # not one of the four names


def test_an_attached_policy_whose_document_cannot_be_read_is_unknown() -> None:
    data = good()
    data["service_role"].update(attached_policy_arns=["arn:aws:iam::111122223333:policy/mystery"], attached_policies=None)
    assert statuses(data, "GR-IAM-04") == {"GR-IAM-04": Status.UNKNOWN}


def plan(plan_id: str, bucket: str, tagging: str = "ENABLED") -> dict[str, Any]:
    return {
        "Arn": f"arn:aws:guardduty:{REGION}:{ACCOUNT}:malware-protection-plan/{plan_id}",
        "Role": GUARDDUTY_ROLE,
        "ProtectedResource": {"S3Bucket": {"BucketName": bucket, "ObjectPrefixes": ["incoming/"]}},
        "Actions": {"Tagging": {"Status": tagging}},
        "Status": "ACTIVE",
    }


def test_the_malware_protection_plan_of_the_bucket_is_found_across_pages() -> None:
    with Stubber(client("guardduty")) as guardduty:
        guardduty.add_response(
            "list_malware_protection_plans", {"MalwareProtectionPlans": [{"MalwareProtectionPlanId": "p1"}], "NextToken": "t"}, {}
        )
        guardduty.add_response("get_malware_protection_plan", plan("p1", "someone-elses"), {"MalwareProtectionPlanId": "p1"})
        guardduty.add_response(
            "list_malware_protection_plans", {"MalwareProtectionPlans": [{"MalwareProtectionPlanId": "p2"}]}, {"NextToken": "t"}
        )
        guardduty.add_response("get_malware_protection_plan", plan("p2", "data-bucket"), {"MalwareProtectionPlanId": "p2"})
        found = EvidenceReader(ACCOUNT, REGION).malware_protection("data-bucket")
    assert found == {"Role": GUARDDUTY_ROLE, "Tagging": "ENABLED", "Status": "ACTIVE", "ObjectPrefixes": ["incoming/"]}
    clean = {"GuardDutyMalwareScanStatus": "NO_THREATS_FOUND"}
    assert statuses(scanned(clean, ONLY_GUARDDUTY_TAGS, plan=found), "GR-OBJ-07") == {"GR-OBJ-07": Status.PASS}


def test_no_plan_for_the_bucket_means_the_tag_is_not_guarddutys_and_an_unreadable_plan_is_unknown() -> None:
    with Stubber(client("guardduty")) as guardduty:
        guardduty.add_response("list_malware_protection_plans", {"MalwareProtectionPlans": []}, {})
        guardduty.add_client_error("list_malware_protection_plans", service_error_code="AccessDeniedException", http_status_code=403)
        reader = EvidenceReader(ACCOUNT, REGION)
        none, unknown = reader.malware_protection("data-bucket"), reader.malware_protection("data-bucket")
    assert (none, unknown) == ({}, None)
    clean = {"GuardDutyMalwareScanStatus": "NO_THREATS_FOUND"}
    assert statuses(scanned(clean, ONLY_GUARDDUTY_TAGS, plan=none), "GR-OBJ-07") == {"GR-OBJ-07": Status.FAIL}
    assert statuses(scanned(clean, ONLY_GUARDDUTY_TAGS, plan=unknown), "GR-OBJ-07") == {"GR-OBJ-07": Status.UNKNOWN}
