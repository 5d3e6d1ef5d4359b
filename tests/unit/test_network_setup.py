"""Custom resources RestrictDefaultSecurityGroup and ManagedPrefixList (issue 11: the created VPC's default group
emptied; issue 16: the S3 prefix list the smoke test's group names).

The handler answers a real HTTPS server on loopback (as CloudFormation's pre-signed S3 URL would be answered); EC2 is
moto's (a real default group, real revokes) or, for the failure paths, an in-memory fake of the port.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from local.lambda_runtime import load_handler
from moto import mock_aws

from secure_finetune.adapters.clients import reset_clients
from secure_finetune.custom_resources.network import MANAGED_PREFIX_LIST, RESTRICT_DEFAULT_GROUP, decide
from secure_finetune.custom_resources.response import FAILED, SUCCESS, CustomResourceRequest, Outcome, body_of
from secure_finetune.guardrails.catalogue import evaluate as evaluate_warnings
from tests.unit.custom_resources import CloudFormation, Context
from tests.unit.fakes import STACK_ENVIRONMENT, FakeDeps

ROOT = Path(__file__).resolve().parents[2]
SETUP = load_handler(ROOT / "functions" / "network_setup", STACK_ENVIRONMENT)
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/finetune/0d2f6a70-0000-11ef-9f5b-0a1b2c3d4e5f"


@pytest.fixture
def vpc(offline_aws: None) -> Iterator[tuple[Any, str, str]]:
    """moto with a VPC: (ec2 client, its default group's id, another group of it)."""
    with mock_aws():
        reset_clients()
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
        default = ec2.describe_security_groups(Filters=filters)["SecurityGroups"][0]["GroupId"]
        # EC2's default group also lets its members in: add that rule (moto leaves it out)
        ec2.authorize_security_group_ingress(
            GroupId=default, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default}]}]
        )
        other = ec2.create_security_group(GroupName="job", Description="job", VpcId=vpc_id)["GroupId"]
        yield ec2, default, other
        reset_clients()


def request(resource_type: str = RESTRICT_DEFAULT_GROUP, kind: str = "Create", url: str = "", **properties: Any) -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": STACK_ID,
        "RequestId": "5f1c2d3e-aaaa-bbbb-cccc-0123456789ab",
        "ResourceType": resource_type,
        "LogicalResourceId": "RestrictDefaultSecurityGroup",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:network-setup", **properties},
        **({"PhysicalResourceId": properties.get("GroupId", "x")} if kind != "Create" else {}),
    }


def rules(ec2: Any, group: str) -> tuple[list[Any], list[Any]]:
    [found] = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    return found["IpPermissions"], found["IpPermissionsEgress"]


# ---------------------------------------------------------------- the default group, on moto's EC2


def test_create_empties_the_default_group_and_answers_success(vpc: tuple[Any, str, str], cfn: CloudFormation) -> None:
    ec2, default, _ = vpc
    assert rules(ec2, default) != ([], [])  # Given EC2's default rules
    sent = SETUP(request(url=cfn.url, GroupId=default), Context())
    assert sent == {"Status": SUCCESS, "answered": True}
    assert rules(ec2, default) == ([], [])
    answer = cfn.answer
    assert (answer["Status"], answer["PhysicalResourceId"], answer["StackId"]) == (SUCCESS, default, STACK_ID)
    assert "1 ingress, 1 egress" in answer["Reason"]


def test_an_already_empty_group_is_success_and_update_empties_it_again(vpc: tuple[Any, str, str], cfn: CloudFormation) -> None:
    ec2, default, _ = vpc
    SETUP(request(url=cfn.url, GroupId=default), Context())
    ec2.authorize_security_group_egress(GroupId=default, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    SETUP(request(kind="Update", url=cfn.url, GroupId=default), Context())
    assert [a["Status"] for a in cfn.answers] == [SUCCESS, SUCCESS] and rules(ec2, default) == ([], [])


def test_a_group_that_is_not_a_default_group_is_never_emptied(vpc: tuple[Any, str, str], cfn: CloudFormation) -> None:
    # Given a miswired property naming one of our own groups (the job's)
    ec2, _, other = vpc
    before = rules(ec2, other)
    SETUP(request(url=cfn.url, GroupId=other), Context())
    assert cfn.answer["Status"] == FAILED and "not a VPC's default security group" in cfn.answer["Reason"]
    assert rules(ec2, other) == before


@pytest.mark.parametrize(
    ("properties", "why"),
    [
        ({}, "no GroupId"),
        ({"GroupId": "default"}, "a name, not an id"),
        ({"GroupId": "sg-0123456789abcdef0; rm"}, "not an id"),
        ({"GroupId": ["sg-0123456789abcdef0"]}, "a list"),
    ],
)
def test_a_bad_group_id_fails_with_a_reason_and_touches_nothing(
    vpc: tuple[Any, str, str], cfn: CloudFormation, properties: dict[str, Any], why: str
) -> None:
    ec2, default, _ = vpc
    SETUP(request(url=cfn.url, **properties), Context())
    assert cfn.answer["Status"] == FAILED and "GroupId" in cfn.answer["Reason"], why
    assert rules(ec2, default) != ([], [])


def test_a_missing_group_fails(vpc: tuple[Any, str, str], cfn: CloudFormation) -> None:
    SETUP(request(url=cfn.url, GroupId="sg-0123456789abcdef0"), Context())
    assert cfn.answer["Status"] == FAILED and "No security group" in cfn.answer["Reason"]


def test_delete_answers_success_and_leaves_the_group_even_when_it_is_gone(vpc: tuple[Any, str, str], cfn: CloudFormation) -> None:
    ec2, default, _ = vpc
    SETUP(request(kind="Delete", url=cfn.url, GroupId=default), Context())
    SETUP(request(kind="Delete", url=cfn.url, GroupId="sg-0123456789abcdef0"), Context())
    SETUP(request(kind="Delete", url=cfn.url), Context())  # even a malformed property never holds a deletion
    assert [a["Status"] for a in cfn.answers] == [SUCCESS] * 3
    assert rules(ec2, default) != ([], [])


def test_denied_revokes_fail_the_resource_with_the_error_code_only(vpc: tuple[Any, str, str], cfn: CloudFormation) -> None:
    from botocore.stub import Stubber

    from secure_finetune.adapters.clients import client

    _, default, _ = vpc
    group = {"GroupId": default, "GroupName": "default", "IpPermissions": [], "IpPermissionsEgress": [{"IpProtocol": "-1"}]}
    with Stubber(client("ec2", total_attempts=3, read_timeout=10)) as stub:
        stub.add_response("describe_security_groups", {"SecurityGroups": [group]})
        stub.add_client_error("revoke_security_group_egress", "UnauthorizedOperation", "not allowed on sg-xyz", http_status_code=403)
        SETUP(request(url=cfn.url, GroupId=default), Context())
    assert cfn.answer["Status"] == FAILED and cfn.answer["Reason"] == "Failed (UnauthorizedOperation); see the function's log."


# ---------------------------------------------------------------- the prefix list


def test_the_s3_prefix_list_id_is_looked_up_and_given_as_data(vpc: tuple[Any, str, str], cfn: CloudFormation) -> None:
    ec2, _, _ = vpc
    [s3] = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}])[
        "PrefixLists"
    ]
    SETUP(request(MANAGED_PREFIX_LIST, url=cfn.url, PrefixListName="com.amazonaws.us-east-1.s3"), Context())
    assert (cfn.answer["Status"], cfn.answer["Data"], cfn.answer["PhysicalResourceId"]) == (
        SUCCESS,
        {"PrefixListId": s3["PrefixListId"]},
        s3["PrefixListId"],
    )


@pytest.mark.parametrize("name", ["com.amazonaws.us-east-1.nothing", "my-own-list", "", "com.amazonaws.us-east-1.s3 *"])
def test_an_unknown_or_malformed_prefix_list_fails(vpc: tuple[Any, str, str], cfn: CloudFormation, name: str) -> None:
    SETUP(request(MANAGED_PREFIX_LIST, url=cfn.url, PrefixListName=name), Context())
    assert cfn.answer["Status"] == FAILED and "Data" not in cfn.answer


# ---------------------------------------------------------------- every path answers, and in time


@dataclass
class HangingEc2:
    """The port, hung in its first call (a network stall), or failing."""

    error: Exception | None = None
    calls: int = 0

    def security_group(self, group_id: str) -> dict[str, Any] | None:
        self.calls += 1
        if self.error:
            raise self.error
        threading.Event().wait(30)
        return None

    def revoke(self, group_id: str, ingress: list[dict[str, Any]], egress: list[dict[str, Any]]) -> None:
        raise AssertionError("never reached")

    def prefix_list_id(self, name: str) -> str | None:
        self.security_group(name)
        return None


def test_a_hung_call_still_gets_a_failed_answer_before_the_function_times_out(cfn: CloudFormation) -> None:
    deps = FakeDeps(network_setup=HangingEc2())
    started = time.monotonic()
    SETUP(request(url=cfn.url, GroupId="sg-0123456789abcdef0"), Context(remaining_ms=11_000), deps=deps)
    assert time.monotonic() - started < 5  # 11 s left, answered 10 s before the end
    assert cfn.answer["Status"] == FAILED and "Timed out" in cfn.answer["Reason"]


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"RequestType": "Create"},
        "not an object",
    ],
    ids=["empty", "no url or ids", "a string"],
)
def test_a_malformed_request_is_answered_where_possible_and_never_raises(cfn: CloudFormation, event: Any) -> None:
    sent = SETUP(event, Context(), deps=FakeDeps(network_setup=HangingEc2(error=AssertionError("must not be called"))))
    assert sent == {"Status": FAILED, "answered": False}  # no ResponseURL to answer: CloudFormation's ServiceTimeout ends it


def test_a_malformed_request_with_a_url_gets_failed_naming_the_fields(cfn: CloudFormation) -> None:
    SETUP({"ResponseURL": cfn.url, "RequestType": "Create", "StackId": STACK_ID}, Context())
    assert cfn.answer["Status"] == FAILED and "RequestId" in cfn.answer["Reason"] and "LogicalResourceId" in cfn.answer["Reason"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/x", "file:///etc/passwd", "https://"])
def test_only_an_https_response_url_is_answered(url: str) -> None:
    sent = SETUP(request(url=url, GroupId="sg-0123456789abcdef0"), Context(), deps=FakeDeps(network_setup=HangingEc2(error=ValueError())))
    assert sent == {"Status": FAILED, "answered": False}


def test_unknown_request_and_resource_types_fail_and_an_unknown_resource_may_still_be_deleted() -> None:
    ec2 = HangingEc2(error=AssertionError("must not be called"))
    unknown_kind = CustomResourceRequest.model_validate(request(kind="Replace", GroupId="sg-0123456789abcdef0"))
    assert decide(unknown_kind, ec2).status == FAILED
    assert decide(CustomResourceRequest.model_validate(request("Custom::Other")), ec2).status == FAILED
    assert decide(CustomResourceRequest.model_validate(request("Custom::Other", kind="Delete")), ec2).status == SUCCESS


def test_the_answer_fits_cloudformations_limit_and_carries_no_traceback() -> None:
    body = body_of(request(), Outcome(FAILED, "x" * 10_000, "y" * 5_000))
    document = json.loads(body)
    assert len(body) <= 4096 and len(document["Reason"]) <= 1024 and "Traceback" not in body.decode()


# ---------------------------------------------------------------- GR-NET-08 judges what the custom resource leaves


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-default"}]}]}, "FAIL"),  # EC2's own rule
        ({"IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}, "FAIL"),
        ({"IpPermissionsEgress": [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]}, "FAIL"),
        (
            {"IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": "pl-1"}]}]},
            "FAIL",
        ),
        ({"IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": []}]}, "FAIL"),  # a rule, even an empty one
        ({"GroupId": "sg-job"}, "FAIL"),  # the job runs in the default group
    ],
)
def test_gr_net_08_fails_while_the_default_group_has_any_rule_or_is_used(change: dict[str, Any], status: str) -> None:
    from secure_finetune.guardrails import WARN_CHECKS
    from tests.unit.test_guardrails import evidence, warn_good

    data = warn_good()
    data["network"]["default_security_group"].update(change)
    data["security_group_ids"] = ["sg-job"]
    [finding] = [f for f in evaluate_warnings(evidence(data), WARN_CHECKS) if f.id == "GR-NET-08"]
    assert (finding.status.value, finding.blocks) == (status, False)


def test_gr_net_08_is_unknown_when_the_default_group_cannot_be_read() -> None:
    from secure_finetune.guardrails import WARN_CHECKS
    from tests.unit.test_guardrails import evidence, warn_good

    data = warn_good()
    data["network"]["default_security_group"] = None
    [finding] = [f for f in evaluate_warnings(evidence(data), WARN_CHECKS) if f.id == "GR-NET-08"]
    assert finding.status.value == "UNKNOWN"
