"""Emulator stand-in: the stand-ins' answers over HTTP, for clients outside the ``make up`` process.

The Bedrock, IAM and Access Analyzer stand-ins answer through botocore ``before-call`` hooks on
this process's default boto3 session, so only in-process callers (our handlers) see them. A client
on the other side of the moto server (the AWS CLI, boto3 in another process, ``finetune
preflight --endpoint-url``) would get moto's answer instead: a 404 or an HTML 500 for an operation
moto does not implement (GetFoundationModel, SimulatePrincipalPolicy, the Access Analyzer checks,
provisioned throughput). This WSGI middleware sits in front of moto's server application: a request
for one of ``STOOD_IN``'s operations is recognised from its SigV4 signing name and the operation's
HTTP binding (botocore's service model), handed to the same hook with a request dict shaped like
botocore's, and the hook's parsed answer serialized back with moto's own response serializers.
Every other request goes to moto untouched.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import boto3
import botocore.session
from moto.core.serialize import get_serializer_class
from moto.core.utils import get_service_model

from .bedrock_standin import STOOD_IN as BEDROCK_OPERATIONS

# Service (botocore's name) -> operations a stand-in answers, by the SigV4 signing name clients sign with.
STOOD_IN: dict[str, dict[str, tuple[str, ...]]] = {
    "bedrock": {
        "bedrock": BEDROCK_OPERATIONS,
        "bedrock-runtime": ("Converse",),
    },
    "iam": {"iam": ("SimulatePrincipalPolicy",)},
    "access-analyzer": {"accessanalyzer": ("CheckNoPublicAccess", "CheckAccessNotGranted", "ValidatePolicy")},
}
# SigV4's credential scope is date/region/service/aws4_request; "service" is the signing name
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
_SCOPE = re.compile(r"Credential=[^/]+/[0-9]{8}/[^/]+/(?P<service>[^/]+)/aws4_request")
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _Status:
    def __init__(self, code: int) -> None:
        self.status_code = code
        self.headers: dict[str, str] = {}


@cache
def _botocore_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


@cache
def _uri_pattern(request_uri: str) -> re.Pattern[str]:
    """botocore's ``requestUri`` (``/foundation-models/{modelIdentifier}``) as a path regex."""
    path = request_uri.split("?", 1)[0]
    parts = re.split(r"(\{[^}]+\})", path)
    regex = "".join(("(.+)" if part.endswith("+}") else "([^/]+)") if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{regex}$")


def _operation(environ: dict[str, Any], body: bytes) -> tuple[str, str] | None:
    """(service, operation) of a stood-in request, or None for moto."""
    found = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    services = STOOD_IN.get(found["service"], {}) if found else {}
    for service, operations in services.items():
        model = _botocore_model(service)
        if model.protocol == "query":
            action = dict(parse_qsl(body.decode("utf-8", "replace"))).get("Action") or _query(environ).get("Action")
            if action in operations:
                return service, action
            continue
        for name in operations:
            http = model.operation_model(name).http
            if http["method"] == environ["REQUEST_METHOD"] and _uri_pattern(http["requestUri"]).match(environ.get("PATH_INFO", "")):
                return service, name
    return None


def _query(environ: dict[str, Any]) -> dict[str, str]:
    return dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))


def _params(environ: dict[str, Any], body: bytes, protocol: str) -> dict[str, Any]:
    """The request as botocore's ``before-call`` hooks see it (``url_path`` still quoted, as sent)."""
    path = environ.get("RAW_URI", environ.get("REQUEST_URI", environ.get("PATH_INFO", ""))).split("?", 1)[0]
    headers = {name[5:].replace("_", "-").title(): value for name, value in environ.items() if name.startswith("HTTP_")}
    return {
        "url_path": path,
        "query_string": _query(environ),
        "method": environ["REQUEST_METHOD"],
        "headers": headers,
        "body": dict(parse_qsl(body.decode("utf-8", "replace"))) if protocol == "query" else body.decode("utf-8", "replace"),
    }


def _error(protocol: str, status: int, error: dict[str, str]) -> tuple[int, dict[str, str], str]:
    code, message = error.get("Code", "InternalFailure"), error.get("Message", "")
    if protocol == "query":  # IAM's XML error document
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml"}, body
    return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, json.dumps({"message": message})


def answer(service: str, operation: str, environ: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], str] | None:
    """The stand-in's answer as (status, headers, body); None when no stand-in hook is installed."""
    model = _botocore_model(service)
    event = f"before-call.{model.service_id.hyphenize()}.{operation}"
    try:
        _, reply = boto3._get_default_session().events.emit_until_response(
            event, model=model.operation_model(operation), params=_params(environ, body, model.protocol), request_signer=None, context={}
        )
    except Exception as err:  # e.g. an ARN the stand-in never issued: an error answer, not werkzeug's HTML 500 page
        return _error(model.protocol, 500, {"Code": "InternalFailure", "Message": f"emulator stand-in failed: {type(err).__name__}"})
    if reply is None:
        return None
    http, parsed = reply
    if http.status_code >= 300 or "Error" in parsed:
        return _error(model.protocol, http.status_code if http.status_code >= 300 else 400, parsed.get("Error", {}))
    moto_operation = get_service_model(service).operation_model(operation)
    serialized = get_serializer_class(service, model.protocol)(moto_operation).serialize(parsed)
    return http.status_code, dict(serialized["headers"]), str(serialized["body"])


class StandInGateway:
    """WSGI middleware: stood-in operations answered here, everything else by ``app`` (moto)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.answered: list[str] = []  # "service.Operation" per stood-in answer, for the tests

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        signed = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if signed is None or signed["service"] not in STOOD_IN:
            return self.app(environ, start_response)  # S3 uploads and the rest: their bodies are not touched
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body: bytes = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again when we pass
        found = _operation(environ, body)
        reply = answer(*found, environ, body) if found else None
        if found is None or reply is None:
            return self.app(environ, start_response)
        self.answered.append(".".join(found))
        status, headers, text = reply
        payload = text.encode()
        headers = {**headers, "Content-Length": str(len(payload))}
        headers.setdefault("Content-Type", "application/json")
        start_response(f"{status} {'OK' if status < 300 else 'Error'}", list(headers.items()))
        return [payload]
