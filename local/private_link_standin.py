"""Emulator stand-in for what the VPC and PrivateLink do to the smoke test's model calls (moto emulates neither).

In AWS a function with ``VpcConfig`` sends its traffic from network interfaces in its subnets: the VPC's resolver
answers the regional ``bedrock-runtime`` hostname with the private addresses of the VPC's bedrock-runtime interface
endpoint when that endpoint has private DNS (a private hosted zone), security groups decide whether a connection
opens, the endpoint's policy decides whether the call may go through it, and IAM sees ``aws:SourceVpce``. Here, while
a function with ``VpcConfig`` runs (``track`` wraps the in-process invoker, so the stand-in knows which one):

* resolving: ``socket.getaddrinfo`` answers the regional hostname, and the endpoints' own DNS names, from moto's
  endpoints and network interfaces. Outside a VPC, or inside one without such an endpoint, the regional hostname
  resolves to ``PUBLIC_ADDRESS`` (a documentation address standing in for Bedrock's public ones). Every other
  hostname goes to the real resolver.
* a Converse call from inside a VPC that resolved to a public address has no route (the subnets' route tables have no
  internet or NAT route): ``ConnectTimeoutError``. One that resolved to an endpoint must be let through by the
  function's and the endpoint's security groups (else ``ConnectTimeoutError``, a dropped connection), by the
  endpoint's policy and by the caller role's inline policies with ``aws:SourceVpce`` = that endpoint (both evaluated
  by the project's policy engine; else ``AccessDeniedException``, as Bedrock answers). Calls from outside a VPC pass
  untouched (the smoke test with PrivateInference off, the CLI).
* moto names an interface endpoint ``<id>-<x>.com.amazonaws.<region>.<service>``; AWS's regional endpoint-specific
  name is ``<id>-<x>.<service>.<region>.vpce.amazonaws.com``: ``install`` rewrites moto's to AWS's shape.

What this cannot prove: that AWS's resolver, routing, security groups and Bedrock's authorization behave as modelled
here (e.g. that Bedrock populates ``aws:SourceVpce``); those are sandbox questions (README, "Inference over
PrivateLink").
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.exceptions import ConnectTimeoutError
from moto.ec2.models import ec2_backends
from moto.iam.models import iam_backends

from secure_finetune.adapters.evidence import policy_document
from secure_finetune.guardrails.policy_engine import Principal, RequestContext, Tri, allows

ACCOUNT = "123456789012"
PUBLIC_ADDRESS = "203.0.113.10"  # TEST-NET-3: stands in for bedrock-runtime's public addresses
SERVICE = "bedrock-runtime"

_calling = threading.local()  # the stack of moto functions running in this thread (nested invokes)


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}


class PrivateLinkStandIn:
    def __init__(self, region: str) -> None:
        self.region = region
        self.calls: list[dict[str, Any]] = []  # each Converse call made from inside a VPC: caller, route, verdict
        self._original_getaddrinfo: Any = None

    # ------------------------------------------------------------------ wiring
    def track(self, invoker: Callable[[Any, dict[str, Any]], Any]) -> Callable[[Any, dict[str, Any]], Any]:
        """The in-process invoker, remembering which function runs (the network it runs in) while it does."""

        def invoke(function: Any, event: dict[str, Any]) -> Any:
            with _running(function):
                return invoker(function, event)

        return invoke

    def install(self) -> None:
        self._rename_endpoints()
        boto3._get_default_session().events.register_first(f"before-call.{SERVICE}.Converse", self._converse)
        self._original_getaddrinfo = socket.getaddrinfo
        socket.getaddrinfo = self._getaddrinfo

    def uninstall(self) -> None:
        boto3._get_default_session().events.unregister(f"before-call.{SERVICE}.Converse", self._converse)
        if self._original_getaddrinfo is not None:
            socket.getaddrinfo = self._original_getaddrinfo
            self._original_getaddrinfo = None

    # ------------------------------------------------------------------ the VPC's resolver
    def resolve(self, hostname: str) -> tuple[list[str], dict[str, Any] | None]:
        """The addresses the current caller's resolver answers for ``hostname``, and the endpoint they belong to."""
        if f".{SERVICE}." not in f".{hostname}.":
            return [], None  # not Bedrock's runtime: the real resolver answers
        for endpoint in self._endpoints(vpc_id=None):
            if hostname in [entry["DnsName"] for entry in endpoint.get("DnsEntries", [])]:
                return self._addresses(endpoint), endpoint
        if hostname != f"{SERVICE}.{self.region}.amazonaws.com":
            return [], None
        vpc = self._caller_vpc()
        private = [e for e in self._endpoints(vpc) if e.get("PrivateDnsEnabled") and e.get("State") == "available"] if vpc else []
        if private:
            return self._addresses(private[0]), private[0]
        return [PUBLIC_ADDRESS], None

    def _getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        addresses, _ = self.resolve(str(host)) if isinstance(host, str) else ([], None)
        if not addresses:
            return self._original_getaddrinfo(host, port, *args, **kwargs)
        number = int(port) if isinstance(port, int | str) and str(port).isdigit() else 443
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, number)) for address in addresses]

    # ------------------------------------------------------------------ PrivateLink and IAM on the call
    def _converse(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]] | None:
        function = _current()
        config = _vpc_config(function)
        if not config.get("SubnetIds"):
            return None  # not in a VPC: the public endpoint, as before
        hostname = urlsplit(params.get("url", "")).hostname or ""
        model = unquote(params["url_path"].split("/model/", 1)[-1].rsplit("/converse", 1)[0])
        addresses, endpoint = self.resolve(hostname)
        record = {"function": function.function_name, "hostname": hostname, "addresses": addresses, "model": model}
        self.calls.append(record)
        if endpoint is None:
            if not self._internet_route(config["SubnetIds"]):
                record["verdict"] = "no route"
                raise ConnectTimeoutError(endpoint_url=params.get("url", ""))
            record["verdict"] = "public"
            return None
        record["endpoint"] = endpoint["VpcEndpointId"]
        if not self._groups_let_through(config, endpoint):
            record["verdict"] = "dropped by a security group"
            raise ConnectTimeoutError(endpoint_url=params.get("url", ""))
        role_arn = str(function.role)
        keys = {
            "aws:PrincipalAccount": ACCOUNT,
            "aws:PrincipalArn": role_arn,
            "aws:SourceVpce": endpoint["VpcEndpointId"],
            "aws:SourceVpc": endpoint["VpcId"],
            "aws:SecureTransport": "true",
        }
        context = RequestContext(Principal.aws(role_arn), keys, complete=True)
        if allows(policy_document(endpoint.get("PolicyDocument") or "{}"), "bedrock:InvokeModel", model, context) is not Tri.TRUE:
            record["verdict"] = "denied by the endpoint policy"
            return _denied("no VPC endpoint policy allows the bedrock:InvokeModel action")
        if allows(self._identity_policy(role_arn), "bedrock:InvokeModel", model, context) is not Tri.TRUE:
            record["verdict"] = "denied by the role's policies"
            return _denied("no identity-based policy allows the bedrock:InvokeModel action")
        record["verdict"] = "through the endpoint"
        return None  # the Bedrock stand-in answers

    # ------------------------------------------------------------------ moto's view
    def _ec2(self) -> Any:
        return boto3.client("ec2", region_name=self.region)

    def _endpoints(self, vpc_id: str | None) -> list[dict[str, Any]]:
        filters = [{"Name": "service-name", "Values": [f"com.amazonaws.{self.region}.{SERVICE}"]}]
        filters += [{"Name": "vpc-id", "Values": [vpc_id]}] if vpc_id else []
        return [e for e in self._ec2().describe_vpc_endpoints(Filters=filters)["VpcEndpoints"] if e.get("VpcEndpointType") == "Interface"]

    def _addresses(self, endpoint: dict[str, Any]) -> list[str]:
        interfaces = endpoint.get("NetworkInterfaceIds") or []
        found = self._ec2().describe_network_interfaces(NetworkInterfaceIds=interfaces)["NetworkInterfaces"] if interfaces else []
        return sorted(str(i["PrivateIpAddress"]) for i in found)

    def _caller_vpc(self) -> str | None:
        subnets = _vpc_config(_current()).get("SubnetIds") or []
        if not subnets:
            return None
        vpcs = {s["VpcId"] for s in self._ec2().describe_subnets(SubnetIds=list(subnets))["Subnets"]}
        return vpcs.pop() if len(vpcs) == 1 else None

    def _internet_route(self, subnets: list[str]) -> bool:
        for subnet in subnets:
            tables = self._ec2().describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]
            for route in (r for t in tables for r in t.get("Routes", [])):
                if route.get("DestinationCidrBlock") == "0.0.0.0/0" and (
                    str(route.get("GatewayId", "")).startswith("igw-") or route.get("NatGatewayId")
                ):
                    return True
        return False

    def _groups_let_through(self, config: dict[str, Any], endpoint: dict[str, Any]) -> bool:
        ec2 = self._ec2()
        caller_groups = list(config.get("SecurityGroupIds") or [])
        endpoint_groups = [g["GroupId"] for g in endpoint.get("Groups", [])]
        described = {g["GroupId"]: g for g in ec2.describe_security_groups(GroupIds=caller_groups + endpoint_groups)["SecurityGroups"]}
        subnets = ec2.describe_subnets(SubnetIds=list(config["SubnetIds"]))["Subnets"]
        caller_ranges = [ipaddress.ip_network(s["CidrBlock"]) for s in subnets]
        endpoint_addresses = [ipaddress.ip_address(a) for a in self._addresses(endpoint)]
        out = [p for g in caller_groups for p in described[g].get("IpPermissionsEgress", []) if _https(p)]
        into = [p for g in endpoint_groups for p in described[g].get("IpPermissions", []) if _https(p)]
        leaves = any(_names(p, endpoint_groups) or all(_covers(p, ipaddress.ip_network(a)) for a in endpoint_addresses) for p in out)
        enters = any(_names(p, caller_groups) or all(_covers(p, r) for r in caller_ranges) for p in into)
        return leaves and enters

    def _identity_policy(self, role_arn: str) -> dict[str, Any]:
        role = iam_backends[ACCOUNT]["global"].get_role(role_arn.rsplit("/", 1)[-1])
        statements = [s for document in role.policies.values() for s in policy_document(document).get("Statement", [])]
        return {"Version": "2012-10-17", "Statement": statements}

    def _rename_endpoints(self) -> None:
        for endpoint in ec2_backends[ACCOUNT][self.region].vpc_end_points.values():
            if (endpoint.vpc_endpoint_type or "").lower() != "interface":
                continue
            service = endpoint.service_name.rsplit(".", 1)[-1]
            for entry in endpoint.dns_entries or []:
                prefix = entry["dns_name"].split(".", 1)[0]
                entry["dns_name"] = f"{prefix}.{service}.{self.region}.vpce.amazonaws.com"


@contextmanager
def _running(function: Any) -> Iterator[None]:
    stack = _calling.__dict__.setdefault("stack", [])
    stack.append(function)
    try:
        yield
    finally:
        stack.pop()


def _current() -> Any:
    stack = _calling.__dict__.get("stack") or [None]
    return stack[-1]


def _vpc_config(function: Any) -> dict[str, Any]:
    # moto keeps the template's VpcConfig (its VpcId is invented, so the subnets say which VPC it is)
    return dict(getattr(function, "_vpc_config", None) or {}) if function is not None else {}


def _https(permission: dict[str, Any]) -> bool:
    if str(permission.get("IpProtocol")) == "-1":
        return True
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return str(permission.get("IpProtocol")) in ("tcp", "6") and isinstance(low, int) and isinstance(high, int) and low <= 443 <= high


def _names(permission: dict[str, Any], groups: list[str]) -> bool:
    return any(pair.get("GroupId") in groups for pair in permission.get("UserIdGroupPairs", []))


def _covers(permission: dict[str, Any], network: Any) -> bool:
    ranges = [r.get("CidrIp") for r in permission.get("IpRanges", [])] + [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])]
    return any(network.version == ipaddress.ip_network(c).version and network.subnet_of(ipaddress.ip_network(c)) for c in ranges if c)


def _denied(message: str) -> tuple[_Response, dict[str, Any]]:
    return _Response(403), {"Error": {"Code": "AccessDeniedException", "Message": message}}
