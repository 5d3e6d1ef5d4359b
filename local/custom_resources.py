"""Emulator stand-in: CloudFormation's custom resources, run when moto's CloudFormation creates them.

moto hands a ``Custom::*`` resource to its Lambda in a thread and waits for a cfn-response PUT to a moto *server*;
in-process there is no such server and no Docker, so the stack would never finish. While ``running`` is active,
a ``Custom::*`` resource is created the way CloudFormation does it: its function's real handler (the code the
template names, with the environment moto resolved for it) gets a Create request whose ResponseURL is an https
server on loopback (``loopback_tls``); the answer's Status decides (FAILED raises, as the stack would fail), its Data
becomes the resource's attributes (``!GetAtt``) and its PhysicalResourceId the resource's ``Ref``.

Also here, for the same moment: ``!GetAtt <VPCEndpoint>.DnsEntries``, which moto does not implement, answered in
CloudFormation's shape ("<hosted zone id>:<dns name>", the regional endpoint-specific name first) with the name in
AWS's form (``private_link_standin`` renames moto's the same way).

``AWS::CloudFormation::CustomResource`` (the stack guard, which acts on deletion only) stays unsupported by moto.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, cast

from moto.awslambda.utils import get_backend as get_lambda_backend
from moto.cloudformation.custom_model import CustomModel
from moto.cloudformation.models import cloudformation_backends
from moto.ec2.models.vpcs import VPCEndPoint

from .lambda_runtime import LambdaContext, environment_set, load_handler
from .loopback_tls import LoopbackHTTPSServer, trusted_environment


class CustomResourceFailed(RuntimeError):
    """A custom resource answered FAILED (or not at all): CloudFormation would fail the stack."""


@contextmanager
def running(function_code: dict[str, Path], ran: list[str]) -> Iterator[None]:
    """Custom resources run their handlers while the block creates a stack; each one run is appended to ``ran``."""
    original_create = CustomModel.create_from_cloudformation_json
    original_attribute = getattr(VPCEndPoint, "get_cfn_attribute", None)

    def create(_cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any) -> Any:
        return _create(function_code, ran, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    cast(Any, CustomModel).create_from_cloudformation_json = classmethod(cast(Any, create))
    cast(Any, VPCEndPoint).get_cfn_attribute = _endpoint_attribute
    try:
        yield
    finally:
        cast(Any, CustomModel).create_from_cloudformation_json = original_create
        if original_attribute is None:
            del cast(Any, VPCEndPoint).get_cfn_attribute
        else:
            cast(Any, VPCEndPoint).get_cfn_attribute = original_attribute


def _create(
    function_code: dict[str, Path],
    ran: list[str],
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    logical_id, stack_id, properties = kwargs["LogicalId"], kwargs["StackId"], cloudformation_json["Properties"]
    function = get_lambda_backend(account_id, region_name).get_function(properties["ServiceToken"])
    stack = cloudformation_backends[account_id][region_name].get_stack(stack_id)
    code = next(
        (function_code[name] for name, made in stack.resource_map._parsed_resources.items() if made is function and name in function_code),
        None,
    )
    if code is None:
        raise CustomResourceFailed(f"{logical_id}: its ServiceToken is not one of the template's functions")
    request_id = str(uuid.uuid4())
    event = {
        "RequestType": "Create",
        "ServiceToken": properties["ServiceToken"],
        "StackId": stack_id,
        "RequestId": request_id,
        "ResourceType": kwargs["ResourceType"],
        "LogicalResourceId": logical_id,
        "ResourceProperties": properties,
    }
    environment = {name: str(value) for name, value in (function.environment_vars or {}).items()}
    environment |= {"AWS_REGION": region_name, "AWS_LAMBDA_FUNCTION_NAME": function.function_name}
    answer = _answer_of(code, function, event, {**environment, **trusted_environment()})
    if answer.get("Status") != "SUCCESS":
        raise CustomResourceFailed(f"{logical_id}: {answer.get('Status', 'no answer')} {answer.get('Reason', '')}".strip())
    made = cast(Any, CustomModel)(region_name, request_id, logical_id, str(answer.get("PhysicalResourceId") or resource_name))
    made.set_data(dict(answer.get("Data") or {}))
    stack.add_custom_resource(made)
    ran.append(f"{logical_id} ({kwargs['ResourceType']}: {answer.get('Reason', '')})")
    return made


def _answer_of(code: Path, function: Any, event: dict[str, Any], environment: dict[str, str]) -> dict[str, Any]:
    """Invoke the handler as Lambda would and return what it PUT to the ResponseURL ({} if nothing)."""
    received: list[bytes] = []
    done = threading.Event()

    class Response(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(200)
            self.end_headers()
            done.set()

        def log_message(self, *_: Any) -> None:
            pass

    server = LoopbackHTTPSServer(Response).start()
    try:
        with environment_set(environment):
            handler = load_handler(code)
            handler({**event, "ResponseURL": f"{server.base_url}/cfn-response/{event['RequestId']}"}, LambdaContext(function))
        done.wait(5)
    finally:
        server.stop()
    return dict(json.loads(received[0])) if received else {}


def _endpoint_attribute(self: Any, attribute_name: str) -> Any:
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    if attribute_name == "DnsEntries":
        service = str(self.service_name).rsplit(".", 1)[-1]
        names = []
        for entry in self.dns_entries or []:
            entry["dns_name"] = f"{entry['dns_name'].split('.', 1)[0]}.{service}.{self.ec2_backend.region_name}.vpce.amazonaws.com"
            names.append(f"{entry.get('hosted_zone_id', 'Z0000000000000')}:{entry['dns_name']}")
        return names
    if attribute_name == "Id":
        return self.id
    raise UnformattedGetAttTemplateException()
