"""Inference over PrivateLink (issue 16): GR-NET-12..14 with their breaking and hostile variants, the smoke test's
private path, and the private call owners are given.

The good evidence is the stack's own shape: the endpoint policy is the template's (resolved), the groups are the
template's. Every variant changes one thing and must not PASS; the engine's verdict (FAIL or UNKNOWN) is asserted.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from secure_finetune.config import InferenceAuditSettings, PrivateInferenceSettings
from secure_finetune.deployment.deploy import announce_deployment, deploy
from secure_finetune.deployment.smoke import smoke_test
from secure_finetune.deployment.use import example_call
from secure_finetune.guardrails.catalogue import INFERENCE_CHECKS, evaluate
from secure_finetune.guardrails.framework import Status
from secure_finetune.guardrails.inference_evidence import InferenceEvidence
from secure_finetune.notifications import label, milestone_fields, render
from secure_finetune.reasons import DeploymentFailed
from secure_finetune.report_html import render_run_report
from secure_finetune.reports import RunReports, SmokeReport, read_report
from tests.unit.fakes import CONFIG, FakeDeps, FakeRuntime
from tests.unit.test_deployment import planned, state
from tests.unit.test_training import JOB_ARN, RUN

ACCOUNT, REGION, OTHER = "111122223333", "us-east-1", "999999999999"
ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}"
ENDPOINT_ADDRESSES = ("10.20.3.7", "10.20.19.4")
POLICY = {  # the template's BedrockRuntimeEndpoint PolicyDocument, resolved
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "InferenceOnThisAccountsCustomModelsOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": [f"{ARN}:provisioned-model/*", f"{ARN}:custom-model-deployment/*", f"{ARN}:custom-model/*"],
            "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
        }
    ],
}


def good() -> dict[str, Any]:
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    return {
        "account": ACCOUNT,
        "region": REGION,
        "enabled": True,
        "function": "s-SmokeTestFunction-1",
        "client": {"SubnetIds": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-client"]},
        "subnets": {
            "subnet-a": {"SubnetId": "subnet-a", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a", "CidrBlock": "10.20.0.0/20"},
            "subnet-b": {"SubnetId": "subnet-b", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1b", "CidrBlock": "10.20.16.0/20"},
        },
        "vpc": {"CidrBlock": "10.20.0.0/16", "CidrBlocks": ["10.20.0.0/16"], "EnableDnsSupport": True, "EnableDnsHostnames": True},
        "endpoints": [
            {
                "VpcEndpointId": "vpce-1",
                "VpcEndpointType": "Interface",
                "VpcId": "vpc-1",
                "State": "available",
                "PrivateDnsEnabled": True,
                "SubnetIds": ["subnet-a", "subnet-b"],
                "Groups": [{"GroupId": "sg-endpoint"}],
                "PolicyDocument": copy.deepcopy(POLICY),
            }
        ],
        "security_groups": {
            "sg-endpoint": {
                "GroupId": "sg-endpoint",
                "VpcId": "vpc-1",
                "OwnerId": ACCOUNT,
                "IpPermissions": [{**https, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}],
                "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "127.0.0.1/32"}]}],
            },
            "sg-client": {
                "GroupId": "sg-client",
                "VpcId": "vpc-1",
                "OwnerId": ACCOUNT,
                "IpPermissions": [],
                "IpPermissionsEgress": [{**https, "UserIdGroupPairs": [{"GroupId": "sg-endpoint", "UserId": ACCOUNT}]}],
            },
        },
        "prefix_lists": {},
        "referenced_groups": {},
    }


def judged(data: dict[str, Any]) -> dict[str, tuple[Status, str]]:
    return {f.id: (f.status, f.explanation) for f in evaluate(InferenceEvidence.model_validate(data), INFERENCE_CHECKS)}


def endpoint(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data["endpoints"][0])


def statement(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data["endpoints"][0]["PolicyDocument"]["Statement"][0])


def endpoint_ingress(data: dict[str, Any]) -> list[dict[str, Any]]:
    return list(data["security_groups"]["sg-endpoint"]["IpPermissions"])


# ---------------------------------------------------------------- the stack's shape passes; off is not applicable


def test_the_stacks_endpoint_policy_and_groups_pass_every_row() -> None:
    found = judged(good())
    assert {check: status for check, (status, _) in found.items()} == dict.fromkeys(("GR-NET-12", "GR-NET-13", "GR-NET-14"), Status.PASS)
    assert "vpce-1" in found["GR-NET-12"][1]


def test_with_private_inference_off_the_rows_pass_as_not_applicable_and_say_so() -> None:
    data = {**good(), "enabled": False, "client": None, "endpoints": None}
    for status, why in judged(data).values():
        assert status is Status.PASS and "not applicable" in why and "PrivateInference is off" in why


def test_every_row_blocks() -> None:
    assert {c.id for c in INFERENCE_CHECKS} == {"GR-NET-12", "GR-NET-13", "GR-NET-14"}
    assert all(c.severity.value == "block" for c in INFERENCE_CHECKS)


# ---------------------------------------------------------------- breaking and hostile variants: (row, change, verdict)

Change = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _statement(**changes: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        st = statement(data)
        for key, value in changes.items():
            if value is None:
                st.pop(key, None)
            else:
                st[key] = value
        data["endpoints"][0]["PolicyDocument"]["Statement"] = [st]

    return change


def _ingress(*permissions: dict[str, Any]) -> Change:
    return _set("security_groups.sg-endpoint.IpPermissions", list(permissions))


def _second_endpoint(policy: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        data["endpoints"].append({**endpoint(data), "VpcEndpointId": "vpce-2", "PrivateDnsEnabled": False, "PolicyDocument": policy})

    return change


def _both(first: Change, second: Change) -> Change:
    def change(data: dict[str, Any]) -> None:
        first(data)
        second(data)

    return change


HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
OPEN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class Variant:
    check: str
    name: str
    change: Change
    status: Status = Status.FAIL
    extra: tuple[str, ...] = field(default=())  # other rows the same change fails too


VARIANTS = (
    # GR-NET-12: the endpoint serves the function's subnets privately
    Variant("GR-NET-12", "the function runs outside the VPC", _set("client", {})),
    Variant("GR-NET-12", "no in-VPC function could be read", _set("client", None), Status.UNKNOWN),
    Variant("GR-NET-12", "no runtime endpoint at all", _set("endpoints", []), extra=("GR-NET-13", "GR-NET-14")),
    Variant("GR-NET-12", "private DNS off: the regional name is public", _set("endpoints.0.PrivateDnsEnabled", False)),
    Variant("GR-NET-12", "the endpoint is still pending", _set("endpoints.0.State", "pending")),
    Variant("GR-NET-12", "no interface in the function's second zone", _set("endpoints.0.SubnetIds", ["subnet-a"])),
    Variant("GR-NET-12", "VPC DNS hostnames off", _set("vpc.EnableDnsHostnames", False)),
    Variant("GR-NET-12", "the endpoint admits another range only", _ingress({**HTTPS, "IpRanges": [{"CidrIp": "10.20.64.0/20"}]})),
    Variant("GR-NET-12", "the function may not leave on HTTPS", _set("security_groups.sg-client.IpPermissionsEgress", [])),
    Variant(
        "GR-NET-12",
        "the function's subnets span two VPCs",
        _set("subnets.subnet-b.VpcId", "vpc-2"),
    ),
    # GR-NET-13: the endpoint policy allows inference on this account's custom models only, to this account only
    Variant("GR-NET-13", "no policy: AWS's default full access", _set("endpoints.0.PolicyDocument", {})),
    Variant("GR-NET-13", "the default full-access policy written out", _set("endpoints.0.PolicyDocument", OPEN)),
    Variant("GR-NET-13", "any resource", _statement(Resource="*")),
    Variant("GR-NET-13", "another account's throughputs", _statement(Resource=[f"arn:aws:bedrock:{REGION}:{OTHER}:provisioned-model/*"])),
    Variant("GR-NET-13", "any account's throughputs", _statement(Resource=[f"arn:aws:bedrock:{REGION}:*:provisioned-model/*"])),
    Variant("GR-NET-13", "another region's throughputs", _statement(Resource=[f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:provisioned-model/*"])),
    Variant(
        "GR-NET-13", "foundation models too", _statement(Resource=[*statement(good())["Resource"], "arn:aws:bedrock:*::foundation-model/*"])
    ),
    Variant("GR-NET-13", "NotResource widening", _statement(Resource=None, NotResource=[f"{ARN}:guardrail/*"])),
    Variant("GR-NET-13", "every bedrock action", _statement(Action="bedrock:*")),
    Variant("GR-NET-13", "NotAction widening", _statement(Action=None, NotAction=["bedrock:InvokeModel"])),
    Variant("GR-NET-13", "control-plane actions too", _statement(Action=["bedrock:InvokeModel", "bedrock:CreateModelCustomizationJob"])),
    Variant("GR-NET-13", "any principal, no account condition", _statement(Condition=None)),
    Variant("GR-NET-13", "another account named", _statement(Principal={"AWS": f"arn:aws:iam::{OTHER}:root"}, Condition=None)),
    Variant(
        "GR-NET-13",
        "the account condition made optional (IfExists)",
        _statement(Condition={"StringEqualsIfExists": {"aws:PrincipalAccount": ACCOUNT}}),
    ),
    Variant("GR-NET-13", "a second, open runtime endpoint in the VPC", _second_endpoint(OPEN)),
    # GR-NET-14: the endpoint's groups admit HTTPS from the VPC only
    Variant("GR-NET-14", "the world on HTTPS", _ingress({**HTTPS, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})),
    Variant("GR-NET-14", "the IPv6 world on HTTPS", _ingress(endpoint_ingress(good())[0], {**HTTPS, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})),
    Variant(
        "GR-NET-14",
        "the world in two halves",
        _ingress({**HTTPS, "IpRanges": [{"CidrIp": "0.0.0.0/1"}, {"CidrIp": "128.0.0.0/1"}]}),
    ),
    Variant(
        "GR-NET-14",
        "a private range outside the VPC",
        _ingress(endpoint_ingress(good())[0], {**HTTPS, "IpRanges": [{"CidrIp": "192.168.0.0/16"}]}),
    ),
    Variant(
        "GR-NET-14",
        "SSH from the VPC",
        _ingress(
            endpoint_ingress(good())[0], {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}
        ),
    ),
    Variant("GR-NET-14", "all traffic from the VPC", _ingress({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.20.0.0/16"}]})),
    Variant(
        "GR-NET-14",
        "a prefix list holding a public range",
        _both(
            _ingress({**HTTPS, "PrefixListIds": [{"PrefixListId": "pl-1"}]}), _set("prefix_lists", {"pl-1": ["10.20.0.0/16", "8.8.8.0/24"]})
        ),
    ),
    Variant(
        "GR-NET-14",
        "a prefix list that could not be read",
        _ingress({**HTTPS, "PrefixListIds": [{"PrefixListId": "pl-unread"}]}),
        Status.UNKNOWN,
        extra=("GR-NET-12",),
    ),
    Variant(
        "GR-NET-14",
        "another account's group",
        _ingress({**HTTPS, "UserIdGroupPairs": [{"GroupId": "sg-x", "UserId": OTHER}]}),
        extra=("GR-NET-12",),
    ),
    Variant(
        "GR-NET-14",
        "a group across a peering connection",
        _ingress({**HTTPS, "UserIdGroupPairs": [{"GroupId": "sg-p", "UserId": ACCOUNT, "VpcPeeringConnectionId": "pcx-1"}]}),
        extra=("GR-NET-12",),
    ),
    Variant("GR-NET-14", "no security group", _set("endpoints.0.Groups", []), extra=("GR-NET-12",)),
)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v.check}: {v.name}")
def test_each_breaking_or_hostile_variant_fails_its_row(variant: Variant) -> None:
    data = good()
    variant.change(data)
    found = judged(data)
    assert found[variant.check][0] is variant.status, found[variant.check]
    not_passing = {check for check, (status, _) in found.items() if status is not Status.PASS}
    assert not_passing == {variant.check, *variant.extra}, found


def test_a_deleted_endpoint_carries_nothing_and_is_not_judged() -> None:
    data = good()
    _second_endpoint(OPEN)(data)
    data["endpoints"][1]["State"] = "deleted"
    assert {status for status, _ in judged(data).values()} == {Status.PASS}


def test_a_group_of_this_account_in_the_vpc_may_be_let_in() -> None:
    # Given the existing-VPC shape without a CIDR: the endpoint lets in the smoke test's group only
    data = good()
    _ingress({**HTTPS, "UserIdGroupPairs": [{"GroupId": "sg-client", "UserId": ACCOUNT}]})(data)
    assert {status for status, _ in judged(data).values()} == {Status.PASS}


# ---------------------------------------------------------------- the smoke test's private path


REGIONAL = f"bedrock-runtime.{REGION}.amazonaws.com"
ENDPOINT_DNS = f"vpce-0abc-abcd1234.bedrock-runtime.{REGION}.vpce.amazonaws.com"
PRIVATE = {"private_inference": True, "runtime_endpoint_id": "vpce-0abc", "runtime_endpoint_dns_name": ENDPOINT_DNS}


def in_the_vpc(regional: tuple[str, ...] = ENDPOINT_ADDRESSES, endpoint: tuple[str, ...] = ENDPOINT_ADDRESSES, **kw: Any) -> FakeRuntime:
    """The smoke test's runtime client as the VPC's resolver sees it: the regional name and the endpoint's own name."""
    return FakeRuntime(resolved={REGIONAL: regional, ENDPOINT_DNS: endpoint}, **kw)


def private_deps(runtime: FakeRuntime) -> FakeDeps:
    d = FakeDeps(config=CONFIG.model_copy(update={"max_model_units": 2, **PRIVATE}), runtime=runtime)
    d.bedrock.models[RUN] = {"modelKmsKeyArn": CONFIG.key_arn, "jobArn": JOB_ARN}
    return d


def deployed(d: FakeDeps, ttl_hours: float = 4) -> Any:
    s = planned(state(smoke_test_prompts=["secret question"], ttl_hours=ttl_hours), d)
    return s.model_copy(update={"deployment": deploy(s, d)})


def test_with_private_inference_on_the_smoke_test_calls_from_the_vpc_and_records_the_route() -> None:
    runtime = in_the_vpc(answer="private answer")
    d = private_deps(runtime)
    s = deployed(d)
    smoke = smoke_test(s, d)
    assert smoke.passed and runtime.calls == [s.deployment.arn]
    report = read_report(d.bucket, RUN, SmokeReport)
    assert report is not None and report.path is not None
    path = report.path
    assert (path.private, path.through_endpoint, path.endpoint_id, path.private_dns) == (True, True, "vpce-0abc", True)
    assert path.hostname == REGIONAL and path.addresses == ENDPOINT_ADDRESSES and path.endpoint_addresses == ENDPOINT_ADDRESSES
    assert path.endpoint_dns_name == ENDPOINT_DNS
    stored = json.dumps(d.bucket.documents[f"reports/{RUN}/smoke.json"], default=str)
    assert "secret question" not in stored and "private answer" not in stored and report.results[0].answer_chars == 14


@pytest.mark.parametrize(
    ("regional", "endpoint", "why"),
    [
        (("203.0.113.10",), ENDPOINT_ADDRESSES, "a public address"),
        ((), ENDPOINT_ADDRESSES, "nothing"),
        ((*ENDPOINT_ADDRESSES, "203.0.113.10"), ENDPOINT_ADDRESSES, "the endpoint and a public address"),
        (ENDPOINT_ADDRESSES, (), "an endpoint name that does not resolve"),
        (("10.20.3.99",), ENDPOINT_ADDRESSES, "another private address in the VPC"),
    ],
)
def test_answers_that_did_not_provably_come_through_the_endpoint_fail_the_smoke_test(
    regional: tuple[str, ...], endpoint: tuple[str, ...], why: str
) -> None:
    d = private_deps(in_the_vpc(regional, endpoint))
    with pytest.raises(DeploymentFailed, match="SMOKE_TEST_FAILED:not-through-endpoint"):
        smoke_test(deployed(d), d)
    report = read_report(d.bucket, RUN, SmokeReport)
    assert report is not None and report.passed is False and report.path is not None and report.path.through_endpoint is False, why


def test_a_prompt_that_fails_is_unanswered_and_only_its_error_type_is_kept() -> None:
    d = private_deps(in_the_vpc(error=TimeoutError("could quote the prompt")))
    with pytest.raises(DeploymentFailed, match="SMOKE_TEST_FAILED:1-of-1"):
        smoke_test(deployed(d), d)
    report = read_report(d.bucket, RUN, SmokeReport)
    assert report is not None and report.results[0].error == "TimeoutError"
    assert "quote" not in json.dumps(d.bucket.documents[f"reports/{RUN}/smoke.json"], default=str)


@pytest.mark.parametrize("missing", ["runtime_endpoint_id", "runtime_endpoint_dns_name"])
def test_private_inference_on_without_its_endpoint_fails_instead_of_passing(missing: str) -> None:
    d = private_deps(in_the_vpc())
    d.config = d.config.model_copy(update={missing: None})
    with pytest.raises(DeploymentFailed, match="SMOKE_TEST_FAILED:not-through-endpoint"):
        smoke_test(deployed(d), d)


def test_with_private_inference_off_the_smoke_test_calls_the_public_endpoint_and_says_so() -> None:
    d = FakeDeps(config=CONFIG.model_copy(update={"max_model_units": 2}))
    d.bedrock.models[RUN] = {"modelKmsKeyArn": CONFIG.key_arn, "jobArn": JOB_ARN}
    smoke_test(deployed(d), d)
    report = read_report(d.bucket, RUN, SmokeReport)
    assert report is not None and report.path is not None and report.path.private is False and d.runtime.calls


# ---------------------------------------------------------------- what owners get: the private call


def test_throughput_ready_and_the_report_give_the_private_call_through_the_endpoint() -> None:
    d = private_deps(in_the_vpc())
    s = deployed(d, ttl_hours=4)
    s = s.model_copy(update={"smoke": smoke_test(s, d), "deployment": s.deployment.model_copy(update={"status": "Ready"})})
    announce_deployment(s, d)
    [ready] = d.notifier.sent
    dns = ENDPOINT_DNS
    assert ready.private_endpoint == dns
    assert f"--endpoint-url https://{dns} --model-id {s.deployment.arn}" in ready.example_call
    assert f"{label('private_endpoint')}: {dns}" in render(ready).body
    page = render_run_report(RunReports.read(d.bucket, RUN), run_id=RUN)
    assert dns in page and "endpoint_url=" in page and "Route" in page


def test_without_private_inference_the_example_call_uses_the_regional_endpoint() -> None:
    call = example_call(f"{ARN}:provisioned-model/abc", REGION)
    assert "--endpoint-url" not in call and f"--region {REGION}" in call


def test_the_new_notification_field_is_content_free() -> None:
    assert "private_endpoint" in milestone_fields()["THROUGHPUT_READY"]
    from secure_finetune.notifications import CONTENT_FREE_FIELD

    assert CONTENT_FREE_FIELD.match("private_endpoint")


def test_the_settings_read_blank_template_values_as_off() -> None:
    off = PrivateInferenceSettings.model_validate(
        {"PRIVATE_INFERENCE": "false", "RUNTIME_ENDPOINT_DNS_NAME": "", "RUNTIME_ENDPOINT_ID": ""}
    )
    assert (off.private_inference, off.runtime_endpoint_dns_name, off.runtime_endpoint_id) == (False, None, None)
    audit = InferenceAuditSettings.model_validate({"PRIVATE_INFERENCE": "false", "SMOKE_TEST_FUNCTION": ""})
    assert (audit.private_inference, audit.smoke_test_function) == (False, None)


def test_the_guardrail_step_reads_both_blank_values_as_off_in_one_environment() -> None:
    # its Env inherits both sections: one blank-is-none type, not two same-named validators where one shadows the other
    from secure_finetune.config import GuardrailSettings

    class Env(GuardrailSettings, InferenceAuditSettings):
        pass

    wired = {"BEDROCK_SERVICE_ROLE_ARN": "r", "DATA_BUCKET": "b", "DATA_KEY_ARN": "k", "JOB_SUBNET_IDS": "s", "JOB_SECURITY_GROUP_IDS": "g"}
    wired |= {"EXPECTED_ACCOUNT": ACCOUNT, "AWS_REGION": REGION}
    env = Env.model_validate(
        {**wired, "PRIVATE_INFERENCE": "false", "SMOKE_TEST_FUNCTION": "", "SMOKE_TEST_ROLE_ARN": "", "GRADER_LAMBDA_ARN": ""}
    )
    assert (env.smoke_test_function, env.smoke_test_role_arn, env.grader_lambda_arn) == (None, None, None)


# ---------------------------------------------------------------- the adapters, with botocore Stubber (real-shaped answers)


@pytest.mark.usefixtures("offline_aws")
def test_unreadable_evidence_leaves_the_rows_unknown_never_passing() -> None:
    from botocore.stub import Stubber

    from secure_finetune.adapters.clients import client
    from secure_finetune.adapters.endpoints import read_inference_evidence

    with Stubber(client("lambda")) as stub:
        stub.add_client_error("get_function_configuration", "AccessDeniedException", http_status_code=403)
        evidence = read_inference_evidence(ACCOUNT, REGION, enabled=True, function="fn")
    found = {f.id: f.status for f in evaluate(evidence, INFERENCE_CHECKS)}
    assert found == dict.fromkeys(("GR-NET-12", "GR-NET-13", "GR-NET-14"), Status.UNKNOWN)


def test_the_private_path_passes_in_govcloud_as_in_the_commercial_partition() -> None:
    # the endpoint policy names this account's models in the stack's partition (arn:aws-us-gov:bedrock:...)
    text = json.dumps(good()).replace("arn:aws:", "arn:aws-us-gov:").replace(REGION, "us-gov-west-1")
    found = {f.id: f.status for f in evaluate(InferenceEvidence.model_validate(json.loads(text)), INFERENCE_CHECKS)}
    assert found == dict.fromkeys(("GR-NET-12", "GR-NET-13", "GR-NET-14"), Status.PASS)


# ---------------------------------------------------------------- GR-NET-05 with the smoke test in the job subnets


def test_the_s3_endpoint_statements_for_the_private_inference_run_files_keep_gr_net_05_passing() -> None:
    # Given the template's statements that let the smoke test's role alone write reports/<run>/smoke.json and an
    # on-demand model's answers, and read the held-out prompts, and that role named to the guardrail step
    from secure_finetune.guardrails import PRE_LAUNCH_CHECKS, Evidence
    from tests.unit.red_team_variants_more import private_inference_good

    [row] = [c for c in PRE_LAUNCH_CHECKS if c.id == "GR-NET-05"]
    finding = row(Evidence.model_validate(private_inference_good()))
    assert finding.status is Status.PASS, finding.explanation
