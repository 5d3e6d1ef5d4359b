"""Inference over PrivateLink, seen from outside the VPC: invoke the in-VPC function, describe the endpoint.

``converse`` invokes the PrivateConverse function synchronously (RequestResponse: the prompts travel in the invoke
payload over TLS and are stored nowhere). ``endpoint`` reads the bedrock-runtime interface endpoint and the private
addresses of its network interfaces (ec2:DescribeVpcEndpoints, ec2:DescribeNetworkInterfaces), so the smoke test
can tell whether the hostname the function called resolved to that endpoint and nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from ..deployment.private_converse import PrivateConverseRequest, answers_adapter
from ..ports import PrivateAnswers, RuntimeEndpoint
from ..service_errors import ServiceError
from .clients import client


class PrivateConverse:
    def __init__(self, function_name: str, read_timeout_seconds: float = 170) -> None:
        self.function_name = function_name
        # One attempt: a retried invoke would send every prompt again. The read timeout outlasts the function's
        # own three prompts x two attempts x 20 s.
        self._lambda = client("lambda", total_attempts=1, read_timeout=read_timeout_seconds)

    def converse(self, run_id: str, model_arn: str, prompts: tuple[str, ...], max_tokens: int = 64) -> PrivateAnswers:
        request = PrivateConverseRequest(run_id=run_id, model_arn=model_arn, prompts=prompts, max_tokens=max_tokens)
        answer = self._lambda.invoke(FunctionName=self.function_name, Payload=json.dumps(request.wire()).encode())
        body: Any = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            # The function's error type only: its message could quote what it was given.
            raise ServiceError(str((body or {}).get("errorType", answer["FunctionError"])), "PrivateConverse")
        return answers_adapter().validate_python(body)

    def endpoint(self, endpoint_id: str) -> RuntimeEndpoint | None:
        """The endpoint as EC2 describes it; None when it does not exist or could not be read."""
        ec2 = client("ec2")
        try:
            [found] = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
            interfaces = found.get("NetworkInterfaceIds") or []
            described = ec2.describe_network_interfaces(NetworkInterfaceIds=interfaces)["NetworkInterfaces"] if interfaces else []
        except (ServiceError, ValueError):
            return None
        addresses = sorted(
            {str(a["PrivateIpAddress"]) for i in described for a in i.get("PrivateIpAddresses") or [i] if a.get("PrivateIpAddress")}
        )
        names = [str(entry.get("DnsName", "")) for entry in found.get("DnsEntries") or []]
        # The first DNS entry is the regional endpoint-specific name; the others are per zone (or the private one).
        return RuntimeEndpoint(
            endpoint_id=str(found["VpcEndpointId"]),
            state=str(found.get("State", "")),
            private_dns=bool(found.get("PrivateDnsEnabled")),
            dns_name=names[0] if names else None,
            addresses=tuple(addresses),
        )
