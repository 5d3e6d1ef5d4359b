"""Issue 16 on the emulated stack: the bedrock-runtime endpoint from the real template, its rows (GR-NET-12..14) in
``finetune preflight`` and in the pipeline's guardrail step, and the smoke test's private path.

The real template is deployed into moto once for this module. Each break changes one thing with ordinary boto3
calls (moto has no API to turn an endpoint's private DNS off: that one sets moto's own record), judges, and undoes
it. The rows must PASS on the deployed stack and FAIL (or be UNKNOWN where they fail closed) on each break; the other
two rows still PASS unless the break is listed as touching them too.

The smoke test runs its real handler, in the VPC by its VpcConfig: its runtime client calls the regional hostname.
``local/private_link_standin.py`` (labelled stand-in) plays the VPC's resolver, the security groups, the endpoint's
policy and IAM's ``aws:SourceVpce`` for that call; what it cannot prove about AWS is listed there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from local.emulator import LocalPipeline
from moto.ec2.models import ec2_backends
from moto.iam.models import iam_backends

from finetune_cli.preflight import audit, target_from_stack
from secure_finetune.adapters.clients import reset_clients
from secure_finetune.guardrails.catalogue import INFERENCE_CHECKS
from secure_finetune.notifications import label
from secure_finetune.reports import GuardrailsReport, SmokeReport
from secure_finetune.runs import Step, report_key, run_id
from secure_finetune.settings import ProfileCatalog, StackLimits, resolve_settings
from secure_finetune.state import DeploymentPlan, DeploymentResult, PipelineState, Registered, RunObject, SmokeResult, Timing

ACCOUNT, REGION, OTHER = "123456789012", "us-east-1", "999999999999"
BASE_MODEL = "meta.llama3-1-8b-instruct-v1:0"
ROWS = {c.id for c in INFERENCE_CHECKS}
DATASET = (Path(__file__).resolve().parents[2] / "events" / "sample-dataset.jsonl").read_bytes()


@dataclass
class Stack:
    pipeline: LocalPipeline
    started: dict[str, dict[str, Any]]

    @property
    def outputs(self) -> dict[str, str]:
        return self.pipeline.stack.outputs

    @property
    def endpoint_id(self) -> str:
        return self.outputs["BedrockRuntimeEndpointId"]

    def physical(self, logical_id: str) -> str:
        return self.pipeline.stack.physical_ids[logical_id]

    def endpoint(self) -> dict[str, Any]:
        [found] = boto3.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[self.endpoint_id])["VpcEndpoints"]
        return dict(found)

    def record_start(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        """Step Functions is left out of the guardrail-step test: the trigger's StartExecution is recorded."""
        body = json.loads(params["body"])
        self.started[body["name"]] = json.loads(body["input"])
        arn = body["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{body['name']}"
        return _Accepted(), {"executionArn": arn, "startDate": datetime.now(UTC)}


class _Accepted:
    status_code = 200
    headers: dict[str, str] = {}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with LocalPipeline(stack_name="finetune-private") as pipeline:
        yield Stack(pipeline, {})


def preflight_rows(stack: Stack) -> dict[str, tuple[str, str]]:
    findings = audit(target_from_stack(stack.pipeline.stack.name, BASE_MODEL))
    return {f.id: (f.status.value, f.explanation) for f in findings if f.id in ROWS}


# ---------------------------------------------------------------- the template's endpoint, as deployed


def test_the_template_creates_the_runtime_endpoint_in_the_job_subnets_with_private_dns_and_its_policy(stack: Stack) -> None:
    endpoint = stack.endpoint()
    assert (endpoint["ServiceName"], endpoint["VpcEndpointType"], endpoint["PrivateDnsEnabled"]) == (
        f"com.amazonaws.{REGION}.bedrock-runtime",
        "Interface",
        True,
    )
    assert sorted(endpoint["SubnetIds"]) == sorted(stack.outputs["JobSubnetIds"].split(","))
    assert [g["GroupId"] for g in endpoint["Groups"]] == [stack.physical("RuntimeEndpointSecurityGroup")]
    [statement] = json.loads(endpoint["PolicyDocument"])["Statement"]
    assert statement["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}
    function = boto3.client("lambda").get_function_configuration(FunctionName=stack.outputs["SmokeTestFunctionName"])
    assert sorted(function["VpcConfig"]["SubnetIds"]) == sorted(stack.outputs["JobSubnetIds"].split(","))
    assert function["VpcConfig"]["SecurityGroupIds"] == [stack.physical("SmokeTestSecurityGroup")]


def test_the_smoke_tests_group_lets_it_out_to_the_runtime_endpoint_and_s3s_prefix_list_only(stack: Stack) -> None:
    ec2 = boto3.client("ec2")
    [group] = ec2.describe_security_groups(GroupIds=[stack.physical("SmokeTestSecurityGroup")])["SecurityGroups"]
    [s3] = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.s3"]}])[
        "PrefixLists"
    ]
    assert group["IpPermissions"] == []
    # EC2 describes the rules of one protocol and port range as one permission (a group and a prefix list in it).
    destinations = {
        (p["IpProtocol"], p["FromPort"], p["ToPort"], kind, target[key])
        for p in group["IpPermissionsEgress"]
        for kind, key in (
            ("UserIdGroupPairs", "GroupId"),
            ("PrefixListIds", "PrefixListId"),
            ("IpRanges", "CidrIp"),
            ("Ipv6Ranges", "CidrIpv6"),
        )
        for target in p.get(kind, [])
    }
    assert destinations == {
        ("tcp", 443, 443, "UserIdGroupPairs", stack.physical("RuntimeEndpointSecurityGroup")),
        ("tcp", 443, 443, "PrefixListIds", s3["PrefixListId"]),
    }


def test_the_job_subnets_keep_no_route_out_but_the_s3_gateway(stack: Stack) -> None:
    tables = boto3.client("ec2").describe_route_tables(RouteTableIds=[stack.physical("PrivateRouteTable")])["RouteTables"]
    routes = [r for t in tables for r in t["Routes"]]
    assert {r.get("GatewayId", "")[:5] for r in routes} <= {"local", "vpce-"}
    assert not [r for r in routes if r.get("NatGatewayId") or r.get("DestinationCidrBlock") == "0.0.0.0/0"]


def test_preflight_passes_the_new_rows_on_the_deployed_stack(stack: Stack) -> None:
    found = preflight_rows(stack)
    assert {check: status for check, (status, _) in found.items()} == dict.fromkeys(ROWS, "PASS"), found


# ---------------------------------------------------------------- breaking and hostile variants


Breaker = Callable[[Stack], Any]  # a context manager: break on enter, undo on exit


@contextmanager
def private_dns_off(s: Stack) -> Iterator[None]:
    record = ec2_backends[ACCOUNT][REGION].vpc_end_points[s.endpoint_id]  # moto has no API for it
    record.private_dns_enabled = False
    try:
        yield
    finally:
        record.private_dns_enabled = True


@contextmanager
def endpoint_leaves_a_zone(s: Stack) -> Iterator[None]:
    ec2, subnet = boto3.client("ec2"), s.endpoint()["SubnetIds"][-1]
    ec2.modify_vpc_endpoint(VpcEndpointId=s.endpoint_id, RemoveSubnetIds=[subnet])
    try:
        yield
    finally:
        ec2.modify_vpc_endpoint(VpcEndpointId=s.endpoint_id, AddSubnetIds=[subnet])


@contextmanager
def function_out_of_the_vpc(s: Stack) -> Iterator[None]:
    lam, name = boto3.client("lambda"), s.outputs["SmokeTestFunctionName"]
    saved = lam.get_function_configuration(FunctionName=name)["VpcConfig"]
    lam.update_function_configuration(FunctionName=name, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})
    try:
        yield
    finally:
        lam.update_function_configuration(
            FunctionName=name, VpcConfig={"SubnetIds": saved["SubnetIds"], "SecurityGroupIds": saved["SecurityGroupIds"]}
        )


def _endpoint_ingress(s: Stack) -> list[dict[str, Any]]:
    group = s.physical("RuntimeEndpointSecurityGroup")
    return list(boto3.client("ec2").describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"])


@contextmanager
def endpoint_shut_to_the_vpc(s: Stack) -> Iterator[None]:
    ec2, group, saved = boto3.client("ec2"), s.physical("RuntimeEndpointSecurityGroup"), _endpoint_ingress(s)
    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=saved)
    try:
        yield
    finally:
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=saved)


def _policy(change: Callable[[dict[str, Any]], Any]) -> Breaker:
    @contextmanager
    def breaker(s: Stack) -> Iterator[None]:
        ec2, saved = boto3.client("ec2"), s.endpoint()["PolicyDocument"]
        policy = json.loads(saved)
        changed = change(policy["Statement"][0])
        ec2.modify_vpc_endpoint(VpcEndpointId=s.endpoint_id, PolicyDocument=json.dumps(changed or policy))
        try:
            yield
        finally:
            ec2.modify_vpc_endpoint(VpcEndpointId=s.endpoint_id, PolicyDocument=saved)

    breaker.__name__ = change.__name__
    return breaker


def full_access(_: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


def any_resource(st: dict[str, Any]) -> None:
    st["Resource"] = "*"


def another_accounts_models(st: dict[str, Any]) -> None:
    st["Resource"] = [r.replace(ACCOUNT, OTHER) for r in st["Resource"]]


def not_resource_widening(st: dict[str, Any]) -> None:
    st["NotResource"] = [f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/*"]
    del st["Resource"]


def every_bedrock_action(st: dict[str, Any]) -> None:
    st["Action"] = "bedrock:*"


def any_principal(st: dict[str, Any]) -> None:
    del st["Condition"]


@contextmanager
def second_open_endpoint(s: Stack) -> Iterator[None]:
    ec2 = boto3.client("ec2")
    created = ec2.create_vpc_endpoint(
        VpcId=s.physical("Vpc"),
        VpcEndpointType="Interface",
        ServiceName=f"com.amazonaws.{REGION}.bedrock-runtime",
        SubnetIds=s.outputs["JobSubnetIds"].split(",")[:1],
        SecurityGroupIds=[s.physical("RuntimeEndpointSecurityGroup")],
        PrivateDnsEnabled=False,
    )["VpcEndpoint"]["VpcEndpointId"]  # no policy: AWS's default full access
    try:
        yield
    finally:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[created])


def _ingress(permission: dict[str, Any]) -> Breaker:
    @contextmanager
    def breaker(s: Stack) -> Iterator[None]:
        ec2, group = boto3.client("ec2"), s.physical("RuntimeEndpointSecurityGroup")
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[permission])
        try:
            yield
        finally:
            ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[permission])

    return breaker


HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}


@dataclass(frozen=True)
class Break:
    check: str
    name: str
    breaker: Breaker
    status: str = "FAIL"
    also: tuple[str, ...] = ()


BREAKS = [
    Break("GR-NET-12", "private DNS off", private_dns_off),
    Break("GR-NET-12", "no interface in one of the function's zones", endpoint_leaves_a_zone),
    # Without the function's subnets there is no VPC to read the endpoints of: 13 and 14 are UNKNOWN (fail closed).
    Break("GR-NET-12", "the function runs outside the VPC", function_out_of_the_vpc, also=("GR-NET-13", "GR-NET-14")),
    Break("GR-NET-12", "the endpoint lets nobody in", endpoint_shut_to_the_vpc),
    Break("GR-NET-13", "the default full-access policy", _policy(full_access)),
    Break("GR-NET-13", "any resource", _policy(any_resource)),
    Break("GR-NET-13", "another account's models", _policy(another_accounts_models)),
    Break("GR-NET-13", "NotResource widening", _policy(not_resource_widening)),
    Break("GR-NET-13", "every bedrock action", _policy(every_bedrock_action)),
    Break("GR-NET-13", "any principal", _policy(any_principal)),
    Break("GR-NET-13", "a second, open runtime endpoint", second_open_endpoint),
    Break("GR-NET-14", "the world on HTTPS", _ingress({**HTTPS, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})),
    Break("GR-NET-14", "the IPv6 world on HTTPS", _ingress({**HTTPS, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})),
    Break("GR-NET-14", "the world in two halves", _ingress({**HTTPS, "IpRanges": [{"CidrIp": "0.0.0.0/1"}, {"CidrIp": "128.0.0.0/1"}]})),
    Break("GR-NET-14", "a private range outside the VPC", _ingress({**HTTPS, "IpRanges": [{"CidrIp": "192.168.0.0/16"}]})),
    Break(
        "GR-NET-14",
        "SSH from the VPC",
        _ingress({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}),
    ),
]


@pytest.mark.parametrize("case", BREAKS, ids=[f"{c.check}: {c.name}" for c in BREAKS])
def test_each_break_fails_its_row_in_preflight_and_the_other_rows_still_pass(stack: Stack, case: Break) -> None:
    with case.breaker(stack):
        found = preflight_rows(stack)
    assert found[case.check][0] == case.status, found[case.check]
    assert {check for check, (status, _) in found.items() if status != "PASS"} == {case.check, *case.also}, found


def test_every_row_has_a_break_here() -> None:
    assert {case.check for case in BREAKS} == ROWS


def test_every_break_was_undone(stack: Stack) -> None:
    assert {status for status, _ in preflight_rows(stack).values()} == {"PASS"}


# ---------------------------------------------------------------- the same rows stop a run before anything is spent


def _judged_run(stack: Stack) -> tuple[dict[str, str], str | None]:
    """Trigger -> RegisterRun -> ValidateDataset -> VerifyGuardrails on a fresh upload, as the pipeline runs them."""
    events = boto3._get_default_session().events
    events.register("before-call.sfn.StartExecution", stack.record_start)
    reset_clients()  # clients copy the session's hooks when created
    try:
        key = f"incoming/private-{len(stack.started)}.jsonl"
        version = boto3.client("s3").put_object(Bucket=stack.pipeline.bucket, Key=key, Body=DATASET)["VersionId"]
        state = stack.started.pop(run_id(stack.pipeline.bucket, key, version))
    finally:
        events.unregister("before-call.sfn.StartExecution", stack.record_start)
        reset_clients()
    state = {**state, "registered": stack.pipeline.invoke("RegisterRunFunction", state)}
    state = {**state, "dataset": stack.pipeline.invoke("ValidateDatasetFunction", state)}
    answer = stack.pipeline.invoke("VerifyGuardrailsFunction", state)
    report = stack.pipeline.report(state["run"]["runId"], GuardrailsReport)
    return {f.id: f.status.value for f in report.findings if f.id in ROWS}, answer.get("errorMessage")


def test_the_guardrail_step_judges_the_rows_and_a_hostile_endpoint_policy_stops_the_run(stack: Stack) -> None:
    statuses, _ = _judged_run(stack)
    assert statuses == dict.fromkeys(ROWS, "PASS")
    with _policy(any_resource)(stack):
        statuses, error = _judged_run(stack)
    assert statuses == {"GR-NET-12": "PASS", "GR-NET-13": "FAIL", "GR-NET-14": "PASS"}
    assert error is not None and error.startswith("GUARDRAIL_FAILED:") and "GR-NET-13" in error.split(":", 1)[1].split(",")


# ---------------------------------------------------------------- the smoke test goes through the endpoint


def _state(stack: Stack, model_arn: str, arn: str) -> PipelineState:
    catalog = ProfileCatalog.model_validate({"version": "v", "profiles": {"default": {"base_model": BASE_MODEL}}})
    settings = resolve_settings(catalog, None, {}, StackLimits(max_model_units=1)).model_copy(update={"smoke_test_prompts": ("Hello",)})
    name = f"private-{arn.rsplit('/', 1)[-1]}"
    return PipelineState(
        run=RunObject(run_id=name, bucket=stack.pipeline.bucket, key=f"incoming/{name}.jsonl", version_id="v1", etag="e", size=1),
        timing=Timing(training_timeout_seconds=60, job_slot_timeout_seconds=60, throughput_poll_seconds=1, throughput_max_polls=3),
        registered=Registered(settings=settings),
        plan=DeploymentPlan(
            mode="provisioned-throughput", model_arn=model_arn, model_units=1, ttl_hours=0, approval_required=False, report="s3://r"
        ),
        deployment=DeploymentResult(arn=arn, mode="provisioned-throughput", status="Ready", polls=2),
    )


def smoke(stack: Stack) -> tuple[PipelineState, dict[str, Any]]:
    model_arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/{BASE_MODEL}/abcdef123456"
    name = f"smoke{len(stack.pipeline.bedrock.throughputs)}"
    arn = boto3.client("bedrock").create_provisioned_model_throughput(provisionedModelName=name, modelId=model_arn, modelUnits=1)
    state = _state(stack, model_arn, arn["provisionedModelArn"])
    return state, stack.pipeline.invoke("SmokeTestFunction", state.wire())


def test_the_smoke_test_calls_the_model_from_inside_the_vpc_through_the_endpoint_and_says_which(stack: Stack) -> None:
    state, answer = smoke(stack)
    assert answer == {"passed": True, "prompts": 1, "slowestMs": answer["slowestMs"]}, answer
    path = stack.pipeline.report(state.run.run_id, SmokeReport).path
    assert path is not None and (path.private, path.through_endpoint, path.endpoint_id) == (True, True, stack.endpoint_id)
    assert path.hostname == f"bedrock-runtime.{REGION}.amazonaws.com"  # the SDK's own regional name, no endpoint URL
    assert path.addresses and set(path.addresses) == set(path.endpoint_addresses)
    assert path.endpoint_dns_name == stack.endpoint()["DnsEntries"][0]["DnsName"]
    assert (path.endpoint_dns_name or "").endswith(f".bedrock-runtime.{REGION}.vpce.amazonaws.com")
    last = stack.pipeline.private_link.calls[-1]
    assert (last["function"], last["verdict"], last["endpoint"]) == (
        stack.outputs["SmokeTestFunctionName"],
        "through the endpoint",
        stack.endpoint_id,
    )


@contextmanager
def role_bound_to_another_endpoint(s: Stack) -> Iterator[None]:
    role = iam_backends[ACCOUNT]["global"].get_role(s.physical("SmokeTestRole"))
    saved = dict(role.policies)
    role.policies = {name: document.replace(s.endpoint_id, "vpce-0another0000000") for name, document in saved.items()}
    try:
        yield
    finally:
        role.policies = saved


@contextmanager
def function_may_not_leave(s: Stack) -> Iterator[None]:
    ec2, group = boto3.client("ec2"), s.physical("SmokeTestSecurityGroup")
    saved = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissionsEgress"]
    ec2.revoke_security_group_egress(GroupId=group, IpPermissions=saved)
    try:
        yield
    finally:
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=saved)


@pytest.mark.parametrize(
    ("breaker", "verdict"),
    [
        (_policy(another_accounts_models), "denied by the endpoint policy"),
        (private_dns_off, "no route"),  # the regional name resolves to public addresses, the subnets have no way there
        (function_may_not_leave, "dropped by a security group"),
        (endpoint_shut_to_the_vpc, "dropped by a security group"),
        (role_bound_to_another_endpoint, "denied by the role's policies"),
    ],
    ids=["endpoint policy for another account", "private DNS off", "function egress revoked", "endpoint ingress revoked", "aws:SourceVpce"],
)
def test_a_broken_private_path_fails_the_smoke_test_instead_of_going_around_it(stack: Stack, breaker: Breaker, verdict: str) -> None:
    with breaker(stack):
        state, answer = smoke(stack)
    assert (answer.get("errorType"), answer.get("errorMessage")) == ("DeploymentFailed", "SMOKE_TEST_FAILED:1-of-1"), answer
    assert stack.pipeline.private_link.calls[-1]["verdict"] == verdict
    report = stack.pipeline.report(state.run.run_id, SmokeReport)
    assert report.passed is False and report.results[0].answered is False


def test_throughput_ready_gives_the_private_call_through_the_endpoint(stack: Stack) -> None:
    state, answer = smoke(stack)
    stack.pipeline.notifications()  # earlier messages are not this one
    ready_state = state.model_copy(update={"smoke": SmokeResult.model_validate(answer)})
    stack.pipeline.invoke("NotifyFunction", {"milestone": "THROUGHPUT_READY", "state": ready_state.wire()})
    [ready] = [m for m in stack.pipeline.notifications()[-1:] if m["milestone"] == "THROUGHPUT_READY"]
    dns = stack.endpoint()["DnsEntries"][0]["DnsName"]
    assert f"{label('private_endpoint')}: {dns}" in ready["body"]
    assert f"--endpoint-url https://{dns} --model-id {state.deployment.arn}" in ready["body"]  # type: ignore[union-attr]
    page = boto3.client("s3").get_object(Bucket=stack.pipeline.bucket, Key=f"reports/{state.run.run_id}/index.html")["Body"].read()
    assert dns.encode() in page and report_key(state.run.run_id, Step.SMOKE)


# ---------------------------------------------------------------- the created VPC's default group, emptied at creation (issue 11)


def test_the_created_vpcs_default_group_has_no_rules_and_gr_net_08_passes_until_one_comes_back(stack: Stack) -> None:
    ec2, vpc = boto3.client("ec2"), stack.physical("Vpc")
    filters = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    [default] = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    assert (default["IpPermissions"], default["IpPermissionsEgress"]) == ([], [])
    assert any(
        line.startswith("RestrictDefaultSecurityGroup (Custom::RestrictDefaultSecurityGroup") for line in stack.pipeline.stack.reapplied
    )

    def default_group_row() -> str:
        [row] = [f for f in audit(target_from_stack(stack.pipeline.stack.name, BASE_MODEL)) if f.id == "GR-NET-08"]
        return row.status.value

    assert default_group_row() == "PASS"
    everything = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.authorize_security_group_egress(GroupId=default["GroupId"], IpPermissions=everything)
    try:
        assert default_group_row() == "FAIL"
    finally:
        ec2.revoke_security_group_egress(GroupId=default["GroupId"], IpPermissions=everything)
