"""Answering a CloudFormation custom-resource request: one PUT of the outcome to the request's pre-signed ResponseURL.

CloudFormation waits for that answer (or the resource's ServiceTimeout), so every path answers, FAILED included, and
before the function times out: the work runs in a daemon thread with a deadline (a hung AWS call cannot hold the
answer back). Response body fields and the 4096-byte limit: CloudFormation User Guide, "Custom resource response
objects" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..observability import logger
from ..service_errors import error_code
from ..urls import url_allowed

SUCCESS, FAILED = "SUCCESS", "FAILED"
MAX_BODY_BYTES = 4096
ANSWER_MARGIN_SECONDS = 10.0  # answer this long before the Lambda timeout


class CustomResourceRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    RequestType: str
    ResponseURL: str
    StackId: str
    RequestId: str
    ResourceType: str
    LogicalResourceId: str
    PhysicalResourceId: str | None = None  # absent on Create
    ResourceProperties: dict[str, object] = Field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str
    physical_id: str
    data: Mapping[str, str] = field(default_factory=dict)


def answer(event: Any, context: Any, decide: Callable[[CustomResourceRequest], Outcome]) -> dict[str, Any]:
    """Parse ``event``, ``decide`` within the time left, and send the outcome; returns what was sent."""
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - ANSWER_MARGIN_SECONDS
    event = event if isinstance(event, dict) else {}
    fallback = str(event.get("PhysicalResourceId") or event.get("LogicalResourceId") or "network-setup")
    try:
        request = CustomResourceRequest.model_validate(event)
    except ValidationError as err:
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in err.errors()})
        return send(event, Outcome(FAILED, f"Malformed request: missing or invalid {', '.join(fields)}.", fallback), deadline)
    return send(event, within(deadline, fallback, lambda: decide(request)), deadline)


def within(deadline: float, fallback_id: str, work: Callable[[], Outcome]) -> Outcome:
    """``work()``'s outcome; FAILED when it raises or is still running at the deadline."""
    outcome: list[Outcome] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as err:  # any error is still answered, never as SUCCESS
            logger.exception("custom resource failed")
            outcome.append(Outcome(FAILED, f"Failed ({error_code(err)}); see the function's log.", fallback_id))

    worker = threading.Thread(target=run, name="custom-resource", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    return outcome[0] if outcome else Outcome(FAILED, "Timed out before the work was done.", fallback_id)


def body_of(event: Mapping[str, Any], outcome: Outcome) -> bytes:
    document = {
        "Status": outcome.status,
        "Reason": outcome.reason[:1024],
        "PhysicalResourceId": outcome.physical_id[:1024],
        "StackId": str(event.get("StackId", "")),
        "RequestId": str(event.get("RequestId", "")),
        "LogicalResourceId": str(event.get("LogicalResourceId", "")),
        **({"Data": dict(outcome.data)} if outcome.data else {}),
    }
    return json.dumps(document).encode()[:MAX_BODY_BYTES]


def send(event: Mapping[str, Any], outcome: Outcome, deadline: float) -> dict[str, Any]:
    """PUT the answer to the pre-signed https ResponseURL (retried briefly, never past the Lambda timeout)."""
    body = body_of(event, outcome)
    url = str(event.get("ResponseURL", ""))
    logger.info("answering CloudFormation", status=outcome.status, reason=outcome.reason)
    if not url_allowed(url):
        logger.error("no usable ResponseURL: CloudFormation will wait for the resource's ServiceTimeout")
        return {"Status": outcome.status, "answered": False}
    import urllib.request  # only when answering: keeps the cold start's import short

    end = deadline + ANSWER_MARGIN_SECONDS - 1
    for attempt in range(3):
        left = end - time.monotonic()
        if left <= 0:
            break
        # Content-Type "": the URL was pre-signed without one, so any other value breaks the signature.
        request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))})  # noqa: S310 - https checked above
        try:
            with urllib.request.urlopen(request, timeout=min(10.0, left)) as response:  # noqa: S310 - https checked above
                response.read()
            return {"Status": outcome.status, "answered": True}
        except OSError as err:  # URLError and HTTPError are OSErrors; a transient one may pass on retry
            logger.warning("answer not delivered", attempt=attempt + 1, error=type(err).__name__)
            time.sleep(min(0.5 * 2**attempt, 2.0))
    return {"Status": outcome.status, "answered": False}
