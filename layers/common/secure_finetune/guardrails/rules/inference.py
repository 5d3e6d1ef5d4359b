"""Inference over PrivateLink (GR-NET-12..14): the bedrock-runtime interface endpoint the smoke test goes through.

The seed's last step ("Use the model") has applications in the VPC call the fine-tuned model through a Bedrock
runtime interface endpoint, so prompts and answers never cross the internet. The stack creates that endpoint and
runs the smoke test itself inside the VPC (SmokeTestFunction's VpcConfig). These rows judge it:

- GR-NET-12: an available bedrock-runtime interface endpoint with private DNS serves the function's subnets: same
  VPC (with DNS support and hostnames on), a network interface in each of their zones, its groups let the function
  in on HTTPS and the function's groups let it out to the endpoint;
- GR-NET-13: every bedrock-runtime endpoint of the VPC allows only the inference actions on this account's custom
  models, provisioned throughputs and custom-model deployments in this region, and to nobody outside the account:
  the policy engine's ``grants`` and ``outside_access``, not text matching, so ``*``, another account's or another
  type's ARN, ``NotAction``/``NotResource`` widening, or a missing policy (AWS's default is full access) fail;
- GR-NET-14: every bedrock-runtime endpoint's security groups admit HTTPS only, and only from the VPC's own address
  ranges or this account's groups in the VPC (address sets, as GR-NET-06/07 judge groups).

Why these ARNs: Converse is authorized as ``bedrock:InvokeModel`` and ConverseStream as
``bedrock:InvokeModelWithResponseStream`` (Bedrock API reference, Converse / ConverseStream: "This operation requires
permission for the bedrock:InvokeModel action"); the modelId of a custom model is the ARN of its provisioned
throughput or of its custom-model deployment (API reference, InvokeModel ``modelId``). AWS names those resources
with random ids (``provisioned-model/<id>``, ``custom-model-deployment/<id>``, ``custom-model/<base>/<id>``), not
with our run ids, so the scope is this account, this region and these three types.

With the stack's PrivateInference off there is no endpoint and the smoke test calls the public regional endpoint
from outside the VPC: the rows PASS as not applicable and say so (as GR-OBJ-07 does without malware scanning).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..framework import FAIL, PASS, UNKNOWN, Verdict
from ..inference_evidence import INFERENCE_ACTIONS, InferenceEvidence
from ..policy.core import FRESH
from ..policy_engine import Answer, Tri, grants, outside_access
from .addresses import Network, outside, parse, prefix_list

NOT_APPLICABLE = "PrivateInference is off: no runtime endpoint; the smoke test calls Bedrock's public endpoint (not applicable)"
_MODEL_TYPES = ("provisioned-model", "custom-model-deployment", "custom-model")


def model_resources(ev: InferenceEvidence) -> tuple[str, ...]:
    """What the endpoint may be used for: this account's custom models, throughputs and deployments, this region."""
    return tuple(f"arn:{ev.partition}:bedrock:{ev.region}:{ev.account}:{kind}/*" for kind in _MODEL_TYPES)


def _interface(endpoint: dict[str, Any]) -> bool:
    return str(endpoint.get("VpcEndpointType", "Interface")).lower() == "interface"


_GONE = {"deleted", "rejected", "failed", "expired"}  # DescribeVpcEndpoints lists these a while; they carry nothing


def _live(endpoints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in endpoints if str(e.get("State", "")).lower() not in _GONE]


def _vpc_ranges(ev: InferenceEvidence) -> list[Network]:
    vpc = ev.vpc or {}
    return [p for p in (parse(c) for c in vpc.get("CidrBlocks") or [vpc.get("CidrBlock")]) if p is not None]


def _https(permission: dict[str, Any]) -> bool:
    """Does the rule carry HTTPS (tcp/443)? All traffic does; a tcp range does when it spans 443."""
    protocol = str(permission.get("IpProtocol"))
    if protocol == "-1":
        return True
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return protocol in ("tcp", "6") and isinstance(low, int) and isinstance(high, int) and low <= 443 <= high


def _cidrs(permission: dict[str, Any], ev: InferenceEvidence) -> list[Network] | None:
    """A rule's address ranges (prefix lists resolved); None when one cannot be read as a range."""
    found: list[Network] = []
    texts = [r.get("CidrIp") for r in permission.get("IpRanges", [])] + [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])]
    for text in texts:
        parsed = parse(text)
        if parsed is None:
            return None
        found.append(parsed)
    for entry in permission.get("PrefixListIds", []):
        entries = prefix_list(ev.prefix_lists, str(entry.get("PrefixListId")))
        if entries is None:
            return None
        found += entries
    return found


def _pairs(permission: dict[str, Any]) -> set[str]:
    return {str(pair.get("GroupId")) for pair in permission.get("UserIdGroupPairs", [])}


# ---------------------------------------------------------------- GR-NET-12


def runtime_endpoint(ev: InferenceEvidence) -> Verdict:
    if not ev.enabled:
        return PASS, NOT_APPLICABLE
    if ev.client is None:
        return UNKNOWN, "the smoke-test function's configuration could not be read"
    if not ev.client_subnets:
        return FAIL, "the smoke test's model calls are not made from inside the VPC (no smoke-test function, or it has no VpcConfig)"
    if ev.subnets is None:
        return UNKNOWN, "the smoke-test function's subnets could not be read"
    if set(ev.client_subnets) - set(ev.subnets):
        return FAIL, "a subnet of the smoke-test function does not exist"
    if len({ev.subnets[s].get("VpcId") for s in ev.client_subnets}) != 1:
        return FAIL, "the smoke-test function's subnets are in more than one VPC"
    if ev.vpc is None or ev.endpoints is None or ev.security_groups is None:
        return UNKNOWN, "the VPC, its bedrock-runtime endpoints or their security groups could not be read"
    if not ev.vpc.get("EnableDnsSupport") or not ev.vpc.get("EnableDnsHostnames"):
        return FAIL, "the VPC's DNS support or hostnames are off: the endpoint's private DNS cannot answer the regional hostname"
    serving = [e for e in _live(ev.endpoints) if _interface(e) and e.get("PrivateDnsEnabled")]
    if not serving:
        return FAIL, "no bedrock-runtime interface endpoint with private DNS in the VPC: the regional hostname leads to public addresses"
    for endpoint in serving:
        problem = _serving_problem(endpoint, ev)
        if problem:
            return problem
    ids = ", ".join(str(e.get("VpcEndpointId")) for e in serving)
    return PASS, f"{ids}: available, private DNS, a network interface in every zone of the function's subnets, HTTPS both ways"


def _serving_problem(endpoint: dict[str, Any], ev: InferenceEvidence) -> Verdict | None:
    subnets, groups = ev.subnets or {}, ev.security_groups or {}
    name = endpoint.get("VpcEndpointId", "the bedrock-runtime endpoint")
    if str(endpoint.get("State", "")).lower() != "available":
        return FAIL, f"{name} is {endpoint.get('State') or 'in an unknown state'}, not available"
    if any(s not in subnets for s in endpoint.get("SubnetIds", [])):
        return UNKNOWN, f"a subnet of {name} could not be read"
    zones = {subnets[s].get("AvailabilityZone") for s in endpoint.get("SubnetIds", [])}
    unserved = sorted({str(subnets[s].get("AvailabilityZone")) for s in ev.client_subnets} - zones)
    if unserved:
        return FAIL, f"{name} has no network interface in {', '.join(unserved)}, where the function runs"
    endpoint_groups = [str(g.get("GroupId")) for g in endpoint.get("Groups", [])]
    if any(g not in groups for g in [*endpoint_groups, *ev.client_groups]):
        return UNKNOWN, f"a security group of {name} or of the function could not be read"
    client_ranges = [p for p in (parse(subnets[s].get("CidrBlock")) for s in ev.client_subnets) if p is not None]
    ingress = [p for g in endpoint_groups for p in groups[g].get("IpPermissions", []) if _https(p)]
    if not _lets(ingress, set(ev.client_groups), client_ranges, ev):
        return FAIL, f"the security groups of {name} do not let the function in on HTTPS"
    endpoint_ranges = [p for p in (parse(subnets[s].get("CidrBlock")) for s in endpoint.get("SubnetIds", [])) if p is not None]
    egress = [p for g in ev.client_groups for p in groups[g].get("IpPermissionsEgress", []) if _https(p)]
    if not _lets(egress, set(endpoint_groups), endpoint_ranges, ev):
        return FAIL, f"the function's security groups do not let it out to {name} on HTTPS"
    return None


def _lets(permissions: list[dict[str, Any]], peers: set[str], ranges: list[Network], ev: InferenceEvidence) -> bool:
    """Do these HTTPS rules name one of ``peers`` or, together, cover every one of ``ranges``?"""
    if any(_pairs(p) & peers for p in permissions):
        return True
    covered: list[Network] = []
    for permission in permissions:
        covered += _cidrs(permission, ev) or []
    return bool(ranges) and not outside(ranges, covered)


# ---------------------------------------------------------------- GR-NET-13


def runtime_endpoint_policy(ev: InferenceEvidence) -> Verdict:
    if not ev.enabled:
        return PASS, NOT_APPLICABLE
    if ev.endpoints is None:
        return UNKNOWN, "the VPC's bedrock-runtime endpoints could not be read"
    if not _live(ev.endpoints):
        return UNKNOWN, "no bedrock-runtime endpoint in the VPC to judge"
    for endpoint in _live(ev.endpoints):
        problem = _policy_problem(endpoint, ev)
        if problem:
            return problem
    return (
        PASS,
        "every bedrock-runtime endpoint allows only InvokeModel(WithResponseStream) on this account's custom models, to this account",
    )


def _policy_problem(endpoint: dict[str, Any], ev: InferenceEvidence) -> Verdict | None:
    name, policy = endpoint.get("VpcEndpointId", "a bedrock-runtime endpoint"), endpoint.get("PolicyDocument")
    if not isinstance(policy, dict) or not policy.get("Statement"):
        return FAIL, f"{name} has no policy: AWS's default allows every runtime call on every model"
    ours = model_resources(ev)
    questions: tuple[tuple[Callable[[], Answer], str], ...] = (
        (lambda: grants(policy, ["*"], excluding_actions=INFERENCE_ACTIONS, account=ev.account), "allows more than inference"),
        (
            lambda: grants(policy, list(INFERENCE_ACTIONS), excluding_resources=ours, account=ev.account),
            "lets inference reach beyond this account's custom models, throughputs and deployments in this region",
        ),
        (lambda: _outside(policy, ev), "lets a principal outside the account use it"),
    )
    for ask, wrong in questions:
        answer = ask()
        if answer.tri is not Tri.FALSE:
            return (UNKNOWN if answer.tri is Tri.UNKNOWN else FAIL), f"{name} {wrong}: {answer.reason}"
    return None


def _outside(policy: dict[str, Any], ev: InferenceEvidence) -> Answer:
    """``outside_access`` for each inference action on one (fresh) resource of each of our types."""
    witnesses = [f"arn:{ev.partition}:bedrock:{ev.region}:{ev.account}:{kind}/{FRESH}" for kind in _MODEL_TYPES]
    unsure: Answer | None = None
    for action in INFERENCE_ACTIONS:
        for resource in witnesses:
            answer = outside_access(policy, action, resource, ev.account)
            if answer.tri is Tri.TRUE:
                return answer
            unsure = unsure or (answer if answer.tri is Tri.UNKNOWN else None)
    return unsure or Answer(Tri.FALSE, f"no principal outside {ev.account} may use it")


# ---------------------------------------------------------------- GR-NET-14


def runtime_endpoint_groups(ev: InferenceEvidence) -> Verdict:
    if not ev.enabled:
        return PASS, NOT_APPLICABLE
    if ev.endpoints is None or ev.security_groups is None or ev.vpc is None:
        return UNKNOWN, "the VPC, its bedrock-runtime endpoints or their security groups could not be read"
    if not _live(ev.endpoints):
        return UNKNOWN, "no bedrock-runtime endpoint in the VPC to judge"
    vpc_ranges = _vpc_ranges(ev)
    if not vpc_ranges:
        return UNKNOWN, "the VPC's address ranges could not be read"
    for endpoint in (e for e in _live(ev.endpoints) if _interface(e)):
        name = endpoint.get("VpcEndpointId", "a bedrock-runtime endpoint")
        group_ids = [str(g.get("GroupId")) for g in endpoint.get("Groups", [])]
        if not group_ids:
            return FAIL, f"{name} has no security group"
        for group_id in group_ids:
            group = ev.security_groups.get(group_id)
            if group is None:
                return UNKNOWN, f"the security group {group_id} of {name} could not be read"
            problem = _ingress_problem(group, ev, vpc_ranges)
            if problem:
                return problem[0], f"{name}: {problem[1]}"
    return PASS, "every bedrock-runtime endpoint admits HTTPS only, from the VPC's address ranges or this account's groups in it"


def _ingress_problem(group: dict[str, Any], ev: InferenceEvidence, vpc_ranges: list[Network]) -> Verdict | None:
    group_id = group.get("GroupId")
    for permission in group.get("IpPermissions", []):
        port = (str(permission.get("IpProtocol")), permission.get("FromPort"), permission.get("ToPort"))
        if port not in (("tcp", 443, 443), ("6", 443, 443)):
            return FAIL, f"{group_id} allows {port[0]} {port[1]}-{port[2]}, not only HTTPS"
        sources = _cidrs(permission, ev)
        if sources is None:
            return UNKNOWN, f"{group_id} has a source that is not an address range, or a prefix list that could not be read"
        beyond = outside(sources, vpc_ranges)
        if beyond:
            return FAIL, f"{group_id} lets in {beyond[0]}, outside the VPC"
        problem = _pair_problem(permission.get("UserIdGroupPairs", []), group, ev)
        if problem:
            return problem
    return None


def _pair_problem(pairs: Iterable[dict[str, Any]], group: dict[str, Any], ev: InferenceEvidence) -> Verdict | None:
    """A group reference lets in what that group's interfaces are: our own groups in this VPC only."""
    known = {**(ev.referenced_groups or {}), **(ev.security_groups or {})}
    for pair in pairs:
        referenced = str(pair.get("GroupId"))
        if pair.get("VpcPeeringConnectionId"):
            return FAIL, f"{group.get('GroupId')} lets in {referenced} across a peering connection"
        owner = pair.get("UserId") or known.get(referenced, {}).get("OwnerId")
        if owner is None:
            return UNKNOWN, f"the owner of {referenced}, referenced by {group.get('GroupId')}, could not be read"
        if owner != ev.account:
            return FAIL, f"{group.get('GroupId')} lets in {referenced} of another account ({owner})"
        vpc = pair.get("VpcId") or known.get(referenced, {}).get("VpcId")
        if vpc is None:
            return UNKNOWN, f"the VPC of {referenced}, referenced by {group.get('GroupId')}, could not be read"
        if vpc != group.get("VpcId"):
            return FAIL, f"{group.get('GroupId')} lets in {referenced} of another VPC"
    return None
