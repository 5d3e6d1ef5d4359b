"""Issue 16 on the translated template: the bedrock-runtime endpoint, its policy and groups, and the in-VPC function.

What CloudFormation will create, checked where the emulator cannot (it does not enforce a policy or a group).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from local.stack import translated_template

from secure_finetune.guardrails.catalogue import INFERENCE_CHECKS, evaluate
from secure_finetune.guardrails.framework import Status
from secure_finetune.guardrails.inference_evidence import InferenceEvidence
from tests.unit.test_private_inference import good

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "111122223333", "us-east-1"


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    found: dict[str, Any] = translated_template(ROOT)["Resources"]
    return found


def _resolved(value: Any) -> Any:
    """The template's ``Fn::Sub`` strings with this test's partition, region and account."""
    text = json.dumps(value)
    text = re.sub(r'\{"Fn::Sub": "([^"]*)"\}', r'"\1"', text)
    for name, real in (("AWS::Partition", "aws"), ("AWS::Region", REGION), ("AWS::AccountId", ACCOUNT)):
        text = text.replace("${" + name + "}", real)
    return json.loads(text.replace('{"Ref": "AWS::AccountId"}', f'"{ACCOUNT}"'))


def test_the_runtime_endpoint_is_private_in_the_job_subnets_and_on_by_default(resources: dict[str, Any]) -> None:
    endpoint = resources["BedrockRuntimeEndpoint"]
    props = endpoint["Properties"]
    assert endpoint["Condition"] == "UsePrivateInference"
    assert props["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.bedrock-runtime"}
    assert (props["VpcEndpointType"], props["PrivateDnsEnabled"]) == ("Interface", True)
    assert props["SecurityGroupIds"] == [{"Ref": "RuntimeEndpointSecurityGroup"}]
    function = resources["PrivateConverseFunction"]["Properties"]
    assert props["SubnetIds"]["Fn::If"][1] == function["VpcConfig"]["SubnetIds"]["Fn::If"][1]  # the same job subnets
    template = (ROOT / "template.yaml").read_text()
    assert re.search(r"\n  PrivateInference:\n    Type: String\n    Default: \"true\"", template)


def test_the_endpoint_policy_passes_gr_net_13_as_the_stack_resolves_it(resources: dict[str, Any]) -> None:
    policy = _resolved(resources["BedrockRuntimeEndpoint"]["Properties"]["PolicyDocument"])
    data = good()
    data["account"], data["region"] = ACCOUNT, REGION
    data["endpoints"][0]["PolicyDocument"] = policy
    [finding] = evaluate(InferenceEvidence.model_validate(data), [c for c in INFERENCE_CHECKS if c.id == "GR-NET-13"])
    assert finding.status is Status.PASS, finding.explanation
    [statement] = policy["Statement"]
    assert statement["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert {r.rsplit(":", 1)[-1] for r in statement["Resource"]} == {"provisioned-model/*", "custom-model-deployment/*", "custom-model/*"}


def test_the_endpoint_admits_https_from_the_vpc_only_and_starts_nothing(resources: dict[str, Any]) -> None:
    group = resources["RuntimeEndpointSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in group  # ingress is one of the two rules below, by condition
    assert group["SecurityGroupEgress"] == [{"IpProtocol": "-1", "CidrIp": "127.0.0.1/32", "Description": "no egress"}]
    vpc = resources["RuntimeEndpointIngressFromVpc"]
    assert vpc["Condition"] == "EndpointOpenToVpcCidr"
    assert {k: vpc["Properties"][k] for k in ("IpProtocol", "FromPort", "ToPort")} == {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    assert vpc["Properties"]["CidrIp"] == {"Fn::If": ["CreateVpc", {"Ref": "VpcCidr"}, {"Ref": "ExistingVpcCidr"}]}
    smoke = resources["RuntimeEndpointIngressFromSmokeTest"]
    assert smoke["Condition"] == "EndpointOpenToSmokeTestOnly"
    assert smoke["Properties"]["SourceSecurityGroupId"] == {"Ref": "PrivateConverseSecurityGroup"}


def test_the_in_vpc_function_may_reach_the_endpoint_only_and_invoke_through_it_only(resources: dict[str, Any]) -> None:
    group = resources["PrivateConverseSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in group
    [egress] = group["SecurityGroupEgress"]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 443, 443)
    assert egress["DestinationSecurityGroupId"] == {"Ref": "RuntimeEndpointSecurityGroup"} and "CidrIp" not in egress
    function = resources["PrivateConverseFunction"]["Properties"]
    assert function["VpcConfig"]["SecurityGroupIds"] == [{"Ref": "PrivateConverseSecurityGroup"}]
    assert function["Role"] == {"Fn::GetAtt": ["PrivateConverseRole", "Arn"]}
    statements = resources["PrivateConverseRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    invoke = [s for s in statements if "bedrock:InvokeModel" in json.dumps(s["Action"])]
    assert invoke == [next(s for s in statements if s.get("Sid") == "InvokeThroughTheStacksEndpointOnly")]
    assert invoke[0]["Condition"] == {"StringEquals": {"aws:SourceVpce": {"Ref": "BedrockRuntimeEndpoint"}}}
    assert not [s for s in statements if s["Action"] in ("*", "ec2:*", "bedrock:*")]


def test_with_private_inference_off_nothing_of_it_is_created(resources: dict[str, Any]) -> None:
    for name in ("BedrockRuntimeEndpoint", "RuntimeEndpointSecurityGroup", "PrivateConverseSecurityGroup", "PrivateConverseFunction"):
        assert resources[name]["Condition"] == "UsePrivateInference", name
    assert resources["PrivateConverseRole"]["Condition"] == "UsePrivateInference"
