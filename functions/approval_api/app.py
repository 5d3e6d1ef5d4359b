"""Approval endpoint (API Gateway REST, proxy integration): GET shows, POST decides.

``GET /approvals/<secret>`` only reads (mail and chat scanners prefetch links);
``POST /approvals/<secret>`` with ``decision=approve|reject`` takes the link's one decision.
The secret is in the path, so it is never logged: not by us, not by the resolver (debug off,
its library logger held at INFO), not with the event (log_event off).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from secure_finetune.approval import (
    Page,
    bad_request_page,
    decision_from_form,
    error_page,
    method_not_allowed_page,
    not_found_page,
    request_body,
)
from secure_finetune.approval.decisions import decide, review
from secure_finetune.config import TableSettings
from secure_finetune.observability import logger, tracer
from secure_finetune.service_errors import ServiceError
from secure_finetune.wiring import Dependencies


class Env(TableSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()

# At DEBUG, Powertools logs the route's arguments (the secret) and botocore the request bodies
# (the task token): a DEBUG log level on this function must not leak either.
for _chatty in ("aws_lambda_powertools.event_handler", "botocore"):
    logging.getLogger(_chatty).setLevel(logging.INFO)

app = APIGatewayRestResolver(debug=False)  # debug mode prints the whole event, secret included

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the secret is in the URL: never hand it to another site
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}
_PATH = "/approvals/<secret>"
_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def _respond(page: Page, **headers: str) -> Response[str]:
    return Response(page.status, content_type="text/html; charset=utf-8", body=page.html, headers={**SECURITY_HEADERS, **headers})


def _deps() -> Dependencies:
    deps: Dependencies | None = app.context.get("deps")
    return deps or Dependencies(ENV)


@app.get(_PATH)
def show(secret: str) -> Response[str]:
    return _respond(review(secret, int(time.time()), _deps()))


@app.post(_PATH)
def decide_once(secret: str) -> Response[str]:
    event = app.current_event
    # Not Powertools' decoded_body: it raises on a body flagged base64 that is not, or is not UTF-8 (a 500).
    body = request_body(event.body, bool(event.is_base64_encoded))
    decision = None if body is None else decision_from_form(body, event.headers.get("content-type") or "")
    if decision is None:
        return _respond(bad_request_page())
    identity = event.request_context.identity
    decided_by = {  # what API Gateway can tell us; evidence, not an identity
        "sourceIp": _PRINTABLE.sub("?", identity.source_ip or "")[:64],
        "userAgent": _PRINTABLE.sub("?", identity.user_agent or "")[:256],
    }
    return _respond(decide(secret, decision, decided_by, now=int(time.time()), deps=_deps()))


@app.route(_PATH, method=["PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def other_methods(secret: str) -> Response[str]:
    return _respond(method_not_allowed_page(), Allow="GET, POST")


@app.not_found
def unknown_path(_: NotFoundError) -> Response[str]:
    return _respond(not_found_page())


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]  # Powertools leaves it untyped
def failed(err: Exception) -> Response[str]:
    # Type and AWS error code only: a message or traceback could quote the request.
    code = err.code if isinstance(err, ServiceError) else ""
    logger.error("approval request failed", error=type(err).__name__, code=code)
    return _respond(error_page())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext, deps: Dependencies | None = None) -> dict[str, Any]:
    app.append_context(deps=deps)  # type: ignore[no-untyped-call]  # injected in tests; cleared after each request
    return app.resolve(event, context)
