"""Job network rules (GR-NET): private subnets, the S3 and KMS endpoints, the job's security groups.

Networks are judged by reachability and address sets (``rules/addresses.py``), endpoint policies by the policy
engine: a subnet is private when no route that covers any public address leads anywhere but ``local`` or a gateway
endpoint; a group's ingress is the union of its sources (CIDRs, prefix lists resolved, groups of this account only).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ...evaluation.requests import answers_key, dataset_key
from ...runs import OUTPUT_PREFIX, VALIDATED_PREFIX, Step, report_key
from ..evidence import Evidence, NetworkEvidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from ..policy.core import FRESH, arn_parts, instances
from ..policy.questions import condition_values, fresh_account, principals_named
from ..policy_engine import ABSENT, ANONYMOUS, Answer, Principal, RequestContext, Tri, grants, outside_access
from .addresses import Network, outside, parse, prefix_list, public_part
from .iam import ROLE_S3
from .policy import blocking

# Route fields that say where traffic goes; everything else in a route (a new AWS target type too) is a target.
_NOT_TARGETS = {"DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId", "Origin", "State", "InstanceOwnerId"}


def private_subnets(ev: Evidence) -> Verdict:
    net = ev.network
    if net.subnets is None or net.route_tables is None:
        return UNKNOWN, "subnets or route tables could not be read"
    found = {s["SubnetId"]: s for s in net.subnets}
    if set(ev.subnet_ids) - set(found):
        return FAIL, "a job subnet does not exist"
    if len({s["VpcId"] for s in net.subnets}) != 1:
        return FAIL, "the job subnets are in more than one VPC"
    for subnet_id in ev.subnet_ids:
        if found[subnet_id].get("MapPublicIpOnLaunch") or found[subnet_id].get("AssignIpv6AddressOnCreation"):
            return FAIL, "a job subnet assigns public addresses"
        table = net.route_tables.get(subnet_id)
        if table is None:
            return UNKNOWN, "a job subnet's route table could not be read"
        for route in table.get("Routes", []):
            problem = _route_problem(route, net)
            if problem:
                return problem[0], f"{subnet_id}: {problem[1]}"
    return PASS, "private subnets in one VPC: no route for public addresses leads anywhere but local or a gateway endpoint"


def _route_problem(route: dict[str, Any], net: NetworkEvidence) -> Verdict | None:
    if route.get("State", "active") == "blackhole":
        return None  # traffic is dropped
    targets = {k: v for k, v in route.items() if k not in _NOT_TARGETS and v not in (None, "", False)}
    gateway = str(targets.get("GatewayId", ""))
    if targets == {"GatewayId": "local"}:
        return None
    if set(targets) == {"GatewayId"} and gateway.startswith("vpce-") and route.get("DestinationPrefixListId"):
        kind = (net.endpoint_types or {}).get(gateway)
        if kind is None:
            return UNKNOWN, f"the type of the endpoint {gateway} a route leads to could not be read"
        if kind.lower() == "gateway":
            return None  # a gateway endpoint (S3, DynamoDB): AWS's network, not the internet
    destinations = _destinations(route, net)
    if destinations is None:
        return UNKNOWN, f"the destination of a route to {targets or 'an unnamed target'} could not be resolved"
    if not public_part(destinations):
        return None
    where = ", ".join(f"{k}={v}" for k, v in sorted(targets.items())) or "a target AWS did not name"
    destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or route.get("DestinationPrefixListId")
    return FAIL, f"{destination} (public addresses) routes to {where}, not local or a gateway endpoint"


def _destinations(route: dict[str, Any], net: NetworkEvidence) -> list[Network] | None:
    if route.get("DestinationPrefixListId"):
        return prefix_list(net.prefix_lists, str(route["DestinationPrefixListId"]))
    cidr = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
    parsed = parse(cidr)
    return None if parsed is None else [parsed]


def _gateway_endpoints(net: NetworkEvidence) -> list[dict[str, Any]]:
    return [e for e in net.s3_endpoints or [] if str(e.get("VpcEndpointType", "Gateway")).lower() == "gateway"]


def s3_endpoint(ev: Evidence) -> Verdict:
    net = ev.network
    if net.s3_endpoints is None or net.route_tables is None:
        return UNKNOWN, "VPC endpoints or route tables could not be read"
    tables = {net.route_tables[s]["RouteTableId"] for s in ev.subnet_ids if s in net.route_tables}
    for endpoint in _gateway_endpoints(net):
        if endpoint.get("State", "").lower() == "available" and tables <= set(endpoint.get("RouteTableIds", [])):
            return PASS, "an available S3 gateway endpoint serves every job subnet"
    return FAIL, "no available S3 gateway endpoint on every job subnet's route table"


def s3_endpoint_policy(ev: Evidence) -> Verdict:
    """Every S3 endpoint of the VPC (gateway or interface) allows only the training prefixes and the private-inference
    function's run files, only the job's three S3 actions, writes only to output/ -- and reads or writes those run
    files (``reports/<run>/smoke.json``; an on-demand model's ``evaluation/prompts.jsonl`` and
    ``evaluation/custom-answers.jsonl``) only as that function's role, the stack's ``SMOKE_TEST_ROLE_ARN`` (it runs
    in these subnets with PrivateInference, issues 15 and 16; off, no role may): the engine's ``grants`` over every
    principal, then over every other role the policy names or matches, an unnamed one of this account and of another,
    and the role's namesake in another account. With the role, the policy must also let it do each of those (else the
    smoke test or CollectAnswers would fail only after the model is paid for)."""
    if not ev.network.s3_endpoints:
        return UNKNOWN, "no S3 endpoint to read"
    bucket = f"arn:{ev.partition}:s3:::{ev.bucket_name}"
    smoke_report, prompts, answers = (f"{bucket}/{key}" for key in (report_key("*", Step.SMOKE), dataset_key("*"), answers_key("*")))
    ours = (bucket, f"{bucket}/{VALIDATED_PREFIX}*", f"{bucket}/media/*", f"{bucket}/{OUTPUT_PREFIX}*", smoke_report, prompts, answers)
    run_files = (
        ("s3:PutObject", smoke_report, "write the smoke report"),
        ("s3:PutObject", answers, "write a model's held-out answers"),
        ("s3:GetObject", prompts, "read the held-out prompts"),
        ("s3:GetObject", answers, "read a model's held-out answers"),
    )
    for endpoint in ev.network.s3_endpoints:
        policy = endpoint.get("PolicyDocument")
        if not policy:
            return FAIL, f"the S3 endpoint {endpoint.get('VpcEndpointId', '')} has no policy: it allows all of S3"
        found = _endpoint_policy_problem(policy, ev.account, ours, (f"{bucket}/{OUTPUT_PREFIX}*", smoke_report, answers))
        for action, key, what in run_files:
            found = found or _only_its_role_problem(
                policy, ev.account, action, key, what, role=ev.smoke_test_role_arn, partition=ev.partition
            )
        if found:
            return found
    return (
        PASS,
        "every S3 endpoint allows only the data bucket's training prefixes, writes only to output/"
        + (" (and the private-inference function's run files, by its role alone)" if ev.smoke_test_role_arn else ""),
    )


def _endpoint_policy_problem(policy: dict[str, Any], account: str, ours: tuple[str, ...], writable: tuple[str, ...]) -> Verdict | None:
    questions: tuple[tuple[Callable[[], Answer], str], ...] = (
        (lambda: grants(policy, ["s3:*"], excluding_resources=ours, account=account), "reaches beyond our prefixes"),
        (lambda: grants(policy, ["s3:*"], excluding_actions=ROLE_S3, account=account), "allows more than the job needs"),
        (lambda: grants(policy, ["s3:PutObject"], excluding_resources=writable, account=account), "allows writes outside output/"),
    )
    for ask, wrong in questions:
        found = blocking(ask(), Tri.FALSE, f"the S3 endpoint {wrong}")
        if found:
            return found
    return None


def _only_its_role_problem(
    policy: dict[str, Any], account: str, action: str, key: str, what: str, *, role: str | None, partition: str = "aws"
) -> Verdict | None:
    """``action`` on ``key`` as ``role`` alone: not anonymously (no aws:PrincipalArn, so an ``...IfExists`` binding
    fails), not as any other principal the policy names -- by ``aws:PrincipalArn`` under any operator and in any case,
    or in a Principal/NotPrincipal element -- or whose pattern it matches (in this account or another), not as an
    unnamed role of this account or of another, nor as a named principal's namesake in another account; and, when
    there is a role, as that role. A name the engine cannot take as an ARN is UNKNOWN (fail closed)."""
    if role is not None and _arn(role) is None:
        return UNKNOWN, f"the private-inference function's role is not known (not an ARN: {role[:80]!r})"
    named = [*condition_values(policy, "aws:PrincipalArn"), *principals_named(policy, "AWS")]
    iam = f"arn:{partition}:iam"
    named = [f"{iam}::{v}:root" if re.fullmatch(r"\d{12}", v) else v for v in named if v != "*"]  # an account id: its root
    parsed = {v: _arn(v) for v in named}
    odd = [v for v, parts in parsed.items() if parts is None]
    if odd:
        return UNKNOWN, f"the S3 endpoint names a principal the guardrail cannot read as an ARN ({odd[0][:80]!r}): name roles by full ARN"
    stranger = fresh_account({account, *(parts[4] for parts in parsed.values() if parts)})
    unnamed = [f"{iam}::{account}:role/{FRESH}", f"{iam}::{stranger}:role/{FRESH}"]
    namesakes = [":".join([*v.split(":")[:4], stranger, *v.split(":")[5:]]) for v in named]
    callers = [(_anonymous(account), "an anonymous caller")]
    callers += [(_as_role(arn, account), f"a role it does not name ({arn})") for arn in unnamed]
    matched = [arn for v in named for arn in instances(v)]
    # IAM names are unique whatever their case: the role written in another case is still the role
    others = dict.fromkeys(arn for arn in [*namesakes, *matched] if role is None or arn.lower() != role.lower())
    why = "not the private-inference function's role" if role else "no private-inference function's role was given: none may"
    callers += [(_as_role(arn, account), f"{arn} ({why})") for arn in others]
    for context, who in callers:
        found = blocking(
            grants(policy, [action], resources=[key], account=account, context=context), Tri.FALSE, f"the S3 endpoint lets {who} {what}"
        )
        if found:
            return found
    if role is None:
        return None
    sample = key.replace("*", "run-1")  # a concrete run's file, as the function asks for it
    answer = grants(policy, [action], resources=[sample], account=account, context=_as_role(role, account))
    return blocking(
        answer,
        Tri.TRUE,
        f"the S3 endpoint does not let the private-inference function's role {what}: it would fail after the model is paid for",
    )


def _arn(text: str) -> list[str] | None:
    """The six fields of an ARN (``arn:`` in any case), else None."""
    parts = arn_parts(text)
    return parts if parts is not None and parts[0].lower() == "arn" else None


def _anonymous(account: str) -> RequestContext:
    return RequestContext(ANONYMOUS, {"aws:PrincipalArn": ABSENT, "aws:PrincipalAccount": ABSENT, "aws:ResourceAccount": account})


def _as_role(arn: str, account: str) -> RequestContext:
    keys = {"aws:PrincipalArn": arn, "aws:PrincipalAccount": arn.split(":")[4], "aws:ResourceAccount": account, "aws:SecureTransport": True}
    return RequestContext(Principal.aws(arn), keys)


def _sources(group: dict[str, Any], ev: Evidence, https_only: bool) -> tuple[list[Network], Verdict | None]:
    """A group's ingress as an address set, or the problem that stops us judging it (or fails it outright)."""
    net, found = ev.network, []
    for permission in group.get("IpPermissions", []):
        port = (str(permission.get("IpProtocol")), permission.get("FromPort"), permission.get("ToPort"))
        if https_only and port not in (("tcp", 443, 443), ("6", 443, 443)):
            return [], (FAIL, f"{group.get('GroupId')} allows {port[0]} {port[1]}-{port[2]}, not only HTTPS")
        cidrs = [r.get("CidrIp") for r in permission.get("IpRanges", [])] + [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])]
        for cidr in cidrs:
            parsed = parse(cidr)
            if parsed is None:
                return [], (UNKNOWN, f"{group.get('GroupId')} has a source that is not a CIDR: {cidr!r}")
            found.append(parsed)
        for entry in permission.get("PrefixListIds", []):
            entries = prefix_list(net.prefix_lists, str(entry.get("PrefixListId")))
            if entries is None:
                return [], (UNKNOWN, f"the prefix list {entry.get('PrefixListId')} in {group.get('GroupId')} could not be resolved")
            found += entries
        for pair in permission.get("UserIdGroupPairs", []):
            problem = _pair_problem(pair, ev, group)
            if problem:
                return [], problem
    return found, None


def _pair_problem(pair: dict[str, Any], ev: Evidence, group: dict[str, Any]) -> Verdict | None:
    """A group reference lets in what that group's interfaces are: fine for our own groups in the job VPC only."""
    net, referenced = ev.network, str(pair.get("GroupId"))
    known = (net.security_groups or {}).get(referenced) or (net.referenced_groups or {}).get(referenced) or {}
    owner = pair.get("UserId") or known.get("OwnerId")
    if pair.get("VpcPeeringConnectionId"):
        return FAIL, f"{group.get('GroupId')} lets in {referenced} across a peering connection"
    if owner is None:
        return UNKNOWN, f"the owner of {referenced}, referenced by {group.get('GroupId')}, could not be read"
    if owner != ev.account:
        return FAIL, f"{group.get('GroupId')} lets in {referenced} of another account ({owner})"
    vpc = pair.get("VpcId") or known.get("VpcId")
    if vpc is None:
        return UNKNOWN, f"the VPC of {referenced}, referenced by {group.get('GroupId')}, could not be read"
    if vpc != group.get("VpcId"):
        return FAIL, f"{group.get('GroupId')} lets in {referenced} of another VPC"
    return None


def kms_endpoint(ev: Evidence) -> Verdict:
    net = ev.network
    if net.kms_endpoints is None or net.vpc is None or net.security_groups is None:
        return UNKNOWN, "the KMS endpoint, VPC attributes or security groups could not be read"
    if not net.vpc.get("EnableDnsSupport") or not net.vpc.get("EnableDnsHostnames"):
        return FAIL, "the VPC's DNS support or hostnames are off"
    vpc_ranges = [p for p in (parse(c) for c in net.vpc.get("CidrBlocks") or [net.vpc.get("CidrBlock")]) if p is not None]
    if not vpc_ranges:
        return UNKNOWN, "the VPC's address ranges could not be read"
    serving = [e for e in net.kms_endpoints if e.get("State", "").lower() == "available" and e.get("PrivateDnsEnabled")]
    if not serving:
        return FAIL, "no available KMS interface endpoint with private DNS"
    for endpoint in serving:
        groups = [g.get("GroupId") for g in endpoint.get("Groups", [])]
        if not groups:
            return FAIL, "the KMS endpoint has no security group"
        for group_id in groups:
            group = net.security_groups.get(str(group_id))
            if group is None:
                return UNKNOWN, "the endpoint's security group could not be read"
            sources, problem = _sources(group, ev, https_only=True)
            if problem:
                return problem
            beyond = [source for source in sources if outside([source], vpc_ranges)]
            if beyond:
                return FAIL, f"the KMS endpoint's group {group_id} lets in {beyond[0]}, outside the VPC"
        found = _kms_endpoint_policy_problem(endpoint.get("PolicyDocument"), ev.account, ev.expected_key_arn)
        if found:
            return found
    return PASS, "KMS interface endpoint with private DNS, HTTPS from the VPC only, its policy limited to our key and account"


def _kms_endpoint_policy_problem(policy: dict[str, Any] | None, account: str, key: str) -> Verdict | None:
    """The seed's endpoint policy: through the endpoint only the data key, only for this account's principals. No policy
    is AWS's default (every key of every account)."""
    if not policy:
        return FAIL, "the KMS endpoint has no policy: it allows every key of every account"
    questions: tuple[tuple[Callable[[], Answer], str], ...] = (
        (lambda: grants(policy, ["kms:*"], excluding_resources=[key], account=account), "reaches keys other than the data key"),
        (lambda: outside_access(policy, "kms:Decrypt", key, account), "lets principals outside the account use the key"),
    )
    for ask, wrong in questions:
        found = blocking(ask(), Tri.FALSE, f"the KMS endpoint's policy {wrong}")
        if found:
            return found
    return None


def job_security_groups(ev: Evidence) -> Verdict:
    groups = ev.network.security_groups
    if groups is None or ev.network.subnets is None:
        return UNKNOWN, "security groups could not be read"
    vpcs = {s["VpcId"] for s in ev.network.subnets}
    for group_id in ev.security_group_ids:
        group = groups.get(group_id)
        if group is None:
            return FAIL, "a job security group does not exist"
        if group.get("VpcId") not in vpcs:
            return FAIL, "a job security group is in another VPC"
        sources, problem = _sources(group, ev, https_only=False)
        if problem:
            return problem
        public = [source for source in sources if public_part([source])]
        if public:
            return FAIL, f"the job security group {group_id} allows ingress from public addresses ({', '.join(map(str, public))})"
    return PASS, "job security groups in the job VPC, ingress only from private addresses and our own groups"


# ---------------------------------------------------------------- warnings (reported, never blocking)


def two_zones(ev: Evidence) -> Verdict:
    if ev.network.subnets is None:
        return UNKNOWN, "subnets could not be read"
    zones = {s.get("AvailabilityZone") for s in ev.network.subnets}
    return (PASS, f"subnets in {len(zones)} zones") if len(zones) >= 2 else (FAIL, "the job subnets are in one zone")


def free_addresses(ev: Evidence) -> Verdict:
    if ev.network.subnets is None:
        return UNKNOWN, "subnets could not be read"
    low = [s["SubnetId"] for s in ev.network.subnets if s.get("AvailableIpAddressCount", 0) < 16]
    return (FAIL, f"fewer than 16 free addresses in {', '.join(low)}") if low else (PASS, "enough free addresses")


def flow_logs(ev: Evidence) -> Verdict:
    """GR-NET-10 (warning): the job VPC's traffic is recorded (an active flow log on the VPC or on every job subnet)."""
    logs, subnets = ev.network.flow_logs, ev.network.subnets
    if logs is None or subnets is None:
        return UNKNOWN, "the flow logs could not be read"
    active = {str(log.get("ResourceId")) for log in logs if str(log.get("FlowLogStatus", "")).upper() == "ACTIVE"}
    vpcs = {str(s.get("VpcId")) for s in subnets}
    if vpcs and vpcs <= active:
        return PASS, "the job VPC has an active flow log"
    unlogged = [str(s.get("SubnetId")) for s in subnets if str(s.get("SubnetId")) not in active and str(s.get("VpcId")) not in active]
    if unlogged:
        return FAIL, f"no active flow log records {unlogged[0]}'s traffic"
    return PASS, "every job subnet has an active flow log"


def default_group(ev: Evidence) -> Verdict:
    default = ev.network.default_security_group
    if default is None:
        return UNKNOWN, "the default security group could not be read"
    if default.get("GroupId") in ev.security_group_ids:
        return FAIL, "the job uses the VPC's default security group"
    rules = default.get("IpPermissions", []) + default.get("IpPermissionsEgress", [])
    return (FAIL, "the default security group has rules") if rules else (PASS, "the default security group is unused and empty")
