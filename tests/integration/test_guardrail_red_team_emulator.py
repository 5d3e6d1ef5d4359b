"""Issue 11's families, built for real in the emulated stack with ordinary boto3 calls: each must stop the run with
its check id (FAIL, or UNKNOWN where the rule fails closed by design), every other blocking check still passing.

The harness (deploy once, judge a run through VerifyGuardrails, undo the change) is ``test_guardrail_breaks.py``'s;
the evidence is read by ``adapters/evidence.py`` from moto: route targets, managed prefix lists, referenced groups,
endpoint policies, managed policy documents. The unit-level table of every variant is ``tests/unit/test_red_team.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from tests.integration.guardrail_harness import DATASET, WORLD, Stack, _restored, ec2, stack
from tests.integration.test_guardrail_breaks import (
    Break,
    _bucket_policy,
    _inline_policy,
    _key_policy,
    _malware_scanning_on,
    _put_bucket_policy,
    _put_key_policy,
    _put_trust,
    _trust,
    managed_policy_attached,
)

__all__ = ["stack"]  # the module-scoped fixture: one emulated stack for this module
FOREIGN = "999999999999"
HALVES = ("0.0.0.0/1", "128.0.0.0/1")


# ---------------------------------------------------------------- networks by reachability


@contextmanager
def _routes(h: Stack, *routes: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for route in routes:
        ec2().create_route(RouteTableId=h.route_table, **route)
    try:
        yield h.baseline
    finally:
        for route in routes:
            ec2().delete_route(RouteTableId=h.route_table, DestinationCidrBlock=route["DestinationCidrBlock"])


@contextmanager
def default_route_split_in_halves(h: Stack) -> Iterator[dict[str, Any]]:
    gateway = ec2().create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2().attach_internet_gateway(InternetGatewayId=gateway, VpcId=h.vpc)
    try:
        with _routes(h, *({"DestinationCidrBlock": half, "GatewayId": gateway} for half in HALVES)) as state:
            yield state
    finally:
        ec2().detach_internet_gateway(InternetGatewayId=gateway, VpcId=h.vpc)
        ec2().delete_internet_gateway(InternetGatewayId=gateway)


@contextmanager
def default_route_to_a_transit_gateway(h: Stack) -> Iterator[dict[str, Any]]:
    gateway = ec2().create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    try:
        with _routes(h, {"DestinationCidrBlock": WORLD, "TransitGatewayId": gateway}) as state:
            yield state
    finally:
        ec2().delete_transit_gateway(TransitGatewayId=gateway)


@contextmanager
def default_route_to_a_peering_connection(h: Stack) -> Iterator[dict[str, Any]]:
    other = ec2().create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    peering = ec2().create_vpc_peering_connection(VpcId=h.vpc, PeerVpcId=other)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    try:
        with _routes(h, {"DestinationCidrBlock": WORLD, "VpcPeeringConnectionId": peering}) as state:
            yield state
    finally:
        ec2().delete_vpc_peering_connection(VpcPeeringConnectionId=peering)
        ec2().delete_vpc(VpcId=other)


@contextmanager
def default_route_to_a_nat_instance_interface(h: Stack) -> Iterator[dict[str, Any]]:
    interface = ec2().create_network_interface(SubnetId=h.subnets[0])["NetworkInterface"]["NetworkInterfaceId"]
    try:
        with _routes(h, {"DestinationCidrBlock": WORLD, "NetworkInterfaceId": interface}) as state:
            yield state
    finally:
        ec2().delete_network_interface(NetworkInterfaceId=interface)


@contextmanager
def _job_ingress(h: Stack, permission: dict[str, Any]) -> Iterator[dict[str, Any]]:
    ec2().authorize_security_group_ingress(GroupId=h.job_group, IpPermissions=[permission])
    try:
        yield h.baseline
    finally:
        ec2().revoke_security_group_ingress(GroupId=h.job_group, IpPermissions=[permission])


@contextmanager
def world_ingress_as_two_halves(h: Stack) -> Iterator[dict[str, Any]]:
    with _job_ingress(h, {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": c} for c in HALVES]}) as state:
        yield state


@contextmanager
def world_ingress_through_a_prefix_list(h: Stack) -> Iterator[dict[str, Any]]:
    entries = [{"Cidr": c} for c in HALVES]
    listed = ec2().create_managed_prefix_list(PrefixListName="corp", AddressFamily="IPv4", MaxEntries=5, Entries=entries)
    list_id = listed["PrefixList"]["PrefixListId"]
    try:
        with _job_ingress(h, {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": list_id}]}) as state:
            yield state
    finally:
        ec2().delete_managed_prefix_list(PrefixListId=list_id)


@contextmanager
def kms_endpoint_without_a_security_group(h: Stack) -> Iterator[dict[str, Any]]:
    endpoint = h.endpoint("kms")
    groups = [g["GroupId"] for g in endpoint["Groups"]]
    ec2().modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], RemoveSecurityGroupIds=groups)
    try:
        yield h.baseline
    finally:
        ec2().modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], AddSecurityGroupIds=groups)


@contextmanager
def s3_endpoint_statement_with_not_resource(h: Stack) -> Iterator[dict[str, Any]]:
    endpoint = h.endpoint("s3")
    saved = json.loads(endpoint["PolicyDocument"])
    wider = {
        **saved,
        "Statement": [
            *saved["Statement"],
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::x/*"},
        ],
    }
    ec2().modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], PolicyDocument=json.dumps(wider))
    try:
        yield h.baseline
    finally:
        ec2().modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], PolicyDocument=json.dumps(saved))


# ---------------------------------------------------------------- policies by semantics


@_restored(_trust, _put_trust)
def trust_with_negated_confused_deputy_conditions(h: Stack, trust: dict[str, Any]) -> None:
    for statement in trust["Statement"]:
        condition = statement["Condition"]
        statement["Condition"] = {"StringNotEquals": condition["StringEquals"], "ArnNotLike": condition["ArnLike"]}
    _put_trust(h, trust)


@_restored(_bucket_policy, _put_bucket_policy)
def tls_deny_narrowed_to_one_foreign_account(h: Stack, policy: dict[str, Any]) -> None:
    for statement in policy["Statement"]:
        if statement.get("Sid") == "DenyInsecureTransport":
            statement["Condition"]["StringEquals"] = {"aws:PrincipalAccount": FOREIGN}
    _put_bucket_policy(h, policy)


@_restored(_bucket_policy, _put_bucket_policy)
def service_bound_to_another_accounts_source(h: Stack, policy: dict[str, Any]) -> None:
    policy["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{h.bucket}/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": FOREIGN}},
        }
    )
    _put_bucket_policy(h, policy)


@_restored(_key_policy, _put_key_policy)
def key_statement_for_the_role_with_not_action(h: Stack, policy: dict[str, Any]) -> None:
    role = f"arn:aws:iam::{h.pipeline.stack.outputs['BedrockServiceRoleArn'].split(':')[4]}:role/{h.service_role}"
    root = role.split(":role/", maxsplit=1)[0] + ":root"
    policy["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "NotAction": "kms:ScheduleKeyDeletion",  # kms:PutKeyPolicy among everything else
            "Resource": "*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": role}},
        }
    )
    _put_key_policy(h, policy)


@_restored(_key_policy, _put_key_policy)
def caller_account_lists_a_foreign_account(h: Stack, policy: dict[str, Any]) -> None:
    account = h.key_arn.split(":")[4]
    condition = {"StringEquals": {"kms:CallerAccount": [account, FOREIGN]}}
    policy["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": condition}
    )
    _put_key_policy(h, policy)


@contextmanager
def role_may_assume_other_roles(h: Stack) -> Iterator[dict[str, Any]]:
    with _inline_policy(h.service_role, "hop", [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]):
        yield h.baseline


@contextmanager
def role_may_do_anything_in_ec2(h: Stack) -> Iterator[dict[str, Any]]:
    with _inline_policy(h.service_role, "ec2", [{"Effect": "Allow", "Action": "EC2:*", "Resource": "*"}]):
        yield h.baseline


@contextmanager
def broad_managed_policy_not_on_the_list(h: Stack) -> Iterator[dict[str, Any]]:
    with managed_policy_attached(h, "AmazonEC2FullAccess"):  # judged by its document, not its name
        yield h.baseline


@contextmanager
def launcher_passes_any_role_in_lower_case(h: Stack) -> Iterator[dict[str, Any]]:
    with _inline_policy(h.launcher_role.rsplit("/", 1)[-1], "lower", [{"Effect": "Allow", "Action": "iam:passrole", "Resource": "*"}]):
        yield h.baseline


@contextmanager
def clean_scan_tag_written_by_the_uploader(h: Stack) -> Iterator[dict[str, Any]]:
    with _malware_scanning_on(h):
        yield h.run_of("incoming/self-declared-clean.jsonl", DATASET, Tagging="GuardDutyMalwareScanStatus=NO_THREATS_FOUND")


KEY_ROLE = "the same statement lets the service role decrypt directly, not through S3 or Bedrock"
RED_TEAM = [
    Break("GR-NET-01", default_route_split_in_halves),
    Break("GR-NET-01", default_route_to_a_transit_gateway),
    Break("GR-NET-01", default_route_to_a_peering_connection),
    Break("GR-NET-01", default_route_to_a_nat_instance_interface),
    Break("GR-NET-07", world_ingress_as_two_halves),
    Break("GR-NET-07", world_ingress_through_a_prefix_list),
    Break("GR-NET-06", kms_endpoint_without_a_security_group),
    Break("GR-NET-05", s3_endpoint_statement_with_not_resource),
    Break("GR-IAM-01", trust_with_negated_confused_deputy_conditions),
    Break("GR-S3-04", tls_deny_narrowed_to_one_foreign_account),
    # the bucket's Deny of PUTs without our key depends on headers the requester chooses, which the engine does not
    # enumerate: the foreign account's write is not proven, only not ruled out (UNKNOWN, blocks)
    Break("GR-S3-08", service_bound_to_another_accounts_source, status="UNKNOWN"),
    Break("GR-KMS-04", key_statement_for_the_role_with_not_action),
    Break("GR-KMS-03", caller_account_lists_a_foreign_account, {"GR-KMS-04": KEY_ROLE}),
    Break("GR-IAM-02", role_may_assume_other_roles),
    Break("GR-IAM-02", role_may_do_anything_in_ec2),
    Break("GR-IAM-04", broad_managed_policy_not_on_the_list),
    Break("GR-IAM-05", launcher_passes_any_role_in_lower_case),
    # moto has no GuardDuty Malware Protection plans: the plan cannot be read, so a clean tag is UNKNOWN here; on AWS
    # without the Deny of s3:PutObjectTagging it FAILs (tests/unit/test_guardrails.py, test_red_team.py)
    Break("GR-OBJ-07", clean_scan_tag_written_by_the_uploader, status="UNKNOWN"),
]


@pytest.mark.parametrize("case", RED_TEAM, ids=[case.name for case in RED_TEAM])
def test_a_hostile_variant_stops_the_run_with_its_check(stack: Stack, case: Break) -> None:
    with case.breaker(stack) as state:
        judged = stack.judge(state)
    assert judged.statuses[case.check_id] == case.status
    assert judged.not_passing == {case.check_id, *case.coupled}, "every other blocking check still passes"
    assert judged.error_type == "GuardrailFailed"
    assert judged.error is not None and set(judged.error.removeprefix("GUARDRAIL_FAILED:").split(",")) == judged.not_passing


def test_every_change_was_undone(stack: Stack) -> None:
    assert stack.judge(stack.baseline).not_passing == set()
    named = [{"Name": "prefix-list-name", "Values": ["corp"]}]
    assert {p["State"] for p in boto3.client("ec2").describe_managed_prefix_lists(Filters=named)["PrefixLists"]} <= {"delete-complete"}
