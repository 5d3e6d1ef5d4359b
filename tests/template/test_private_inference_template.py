"""Issue 16 on the translated template: the bedrock-runtime endpoint, its policy and groups, and the smoke test in the VPC.

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
    vpc_config = resources["SmokeTestFunction"]["Properties"]["VpcConfig"]["Fn::If"]
    assert vpc_config[0] == "UsePrivateInference" and vpc_config[2] == {"Ref": "AWS::NoValue"}
    assert props["SubnetIds"]["Fn::If"][1] == vpc_config[1]["SubnetIds"]["Fn::If"][1]  # the same job subnets
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
    assert smoke["Properties"]["SourceSecurityGroupId"] == {"Ref": "SmokeTestSecurityGroup"}


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of a role's inline policies, each side of an ``Fn::If`` included."""
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict) and "Fn::If" in value:
            for branch in value["Fn::If"][1:]:
                walk(branch)
        elif isinstance(value, dict) and "Effect" in value:
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(role["Properties"]["Policies"])
    return found


def test_the_smoke_test_reaches_only_the_runtime_endpoint_and_s3s_prefix_list(resources: dict[str, Any]) -> None:
    group = resources["SmokeTestSecurityGroup"]
    assert group["Condition"] == "UsePrivateInference" and "SecurityGroupIngress" not in group["Properties"]
    runtime, s3 = group["Properties"]["SecurityGroupEgress"]
    for egress in (runtime, s3):
        assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 443, 443) and "CidrIp" not in egress
    assert runtime["DestinationSecurityGroupId"] == {"Ref": "RuntimeEndpointSecurityGroup"}
    assert s3["DestinationPrefixListId"] == {"Fn::GetAtt": ["S3PrefixList", "PrefixListId"]}
    lookup = resources["S3PrefixList"]
    assert lookup["Type"] == "Custom::ManagedPrefixList"
    assert lookup["Properties"]["PrefixListName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"}


def test_the_smoke_test_invokes_through_the_endpoint_only_when_private(resources: dict[str, Any]) -> None:
    function = resources["SmokeTestFunction"]["Properties"]
    assert function["VpcConfig"]["Fn::If"][1]["SecurityGroupIds"] == [{"Ref": "SmokeTestSecurityGroup"}]
    assert function["Role"] == {"Fn::GetAtt": ["SmokeTestRole", "Arn"]}
    statements = _statements(resources["SmokeTestRole"])
    invoke = [s for s in statements if "bedrock:InvokeModel" in json.dumps(s["Action"])]
    private, public = invoke
    assert private["Sid"] == "InvokeThroughTheStacksEndpointOnly" and "Condition" not in public
    assert private["Condition"] == {"StringEquals": {"aws:SourceVpce": {"Ref": "BedrockRuntimeEndpoint"}}}
    assert not [s for s in statements if s["Action"] in ("*", "ec2:*", "bedrock:*", "lambda:InvokeFunction")]
    assert "PrivateConverseFunction" not in resources  # one function makes the private calls: the smoke test


EVALUATION_FILES = ("evaluation/prompts.jsonl", "evaluation/custom-answers.jsonl")  # an on-demand model's (issue 15)


def test_the_s3_endpoint_lets_only_the_smoke_tests_role_read_and_write_only_its_run_files(resources: dict[str, Any]) -> None:
    statements = resources["S3GatewayEndpoint"]["Properties"]["PolicyDocument"]["Statement"]
    # only with PrivateInference: off, the function runs outside the VPC and GR-NET-05 lets no role use these files
    private = [s["Fn::If"] for s in statements if "Fn::If" in s]
    assert [(condition, off) for condition, _, off in private] == [("UsePrivateInference", {"Ref": "AWS::NoValue"})] * 2
    [writes] = [on for _, on, _ in private if on["Sid"] == "SmokeTestWritesItsReport"]
    [reads] = [on for _, on, _ in private if on["Sid"] == "SmokeTestReadsTheHeldOutPrompts"]
    smoke, prompts, answers = ({"Fn::Sub": f"${{DataBucket.Arn}}/reports/*/{key}"} for key in ("smoke.json", *EVALUATION_FILES))
    assert (writes["Action"], writes["Resource"]) == ("s3:PutObject", [smoke, answers])
    assert (reads["Action"], reads["Resource"]) == ("s3:GetObject", [prompts, answers])
    for statement in (writes, reads):
        assert statement["Condition"]["ArnEquals"] == {"aws:PrincipalArn": {"Fn::GetAtt": ["SmokeTestRole", "Arn"]}}


def test_the_guardrail_step_is_told_that_role_only_with_private_inference(resources: dict[str, Any]) -> None:
    variables = resources["VerifyGuardrailsFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["SMOKE_TEST_ROLE_ARN"] == {"Fn::If": ["UsePrivateInference", {"Fn::GetAtt": ["SmokeTestRole", "Arn"]}, ""]}


def test_with_private_inference_off_nothing_of_it_is_created(resources: dict[str, Any]) -> None:
    for name in ("BedrockRuntimeEndpoint", "RuntimeEndpointSecurityGroup", "SmokeTestSecurityGroup", "S3PrefixList"):
        assert resources[name]["Condition"] == "UsePrivateInference", name
