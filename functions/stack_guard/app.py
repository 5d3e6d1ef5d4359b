"""Custom resource RunResourcesGuard: on stack deletion, tear down what the runs bought or refuse.

CloudFormation waits for an answer PUT to the request's pre-signed ResponseURL, so every path
answers, and before this function times out: no answer would hold the stack until the
resource's ServiceTimeout. Anything unexpected answers FAILED, because a SUCCESS lets
CloudFormation delete the stack while a throughput keeps billing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from secure_finetune.config import Identity, NotifySettings, ScheduleSettings, TableSettings
from secure_finetune.observability import logger, tracer
from secure_finetune.service_errors import error_code
from secure_finetune.teardown.stack_guard import FAILED, MODES, SUCCESS, guard_stack_delete
from secure_finetune.urls import url_allowed
from secure_finetune.wiring import Dependencies


class Env(Identity, TableSettings, NotifySettings, ScheduleSettings):
    """The environment this function reads, validated at cold start (template.yaml sets exactly these)."""


ENV = Env.from_environ()

MAX_BODY_BYTES = 4096  # CloudFormation's limit for the whole response body
ANSWER_MARGIN_SECONDS = 10.0  # answer this long before the Lambda timeout
TEARDOWN_ALLOWANCE_SECONDS = 20.0  # start no teardown closer than this to the answer


class GuardRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    RequestType: str
    ResponseURL: str
    StackId: str
    RequestId: str
    LogicalResourceId: str
    PhysicalResourceId: str | None = None  # absent on Create
    ResourceProperties: dict[str, object] = Field(default_factory=dict)  # builtin types: resolvable however the module is loaded

    @property
    def stack_name(self) -> str:
        # arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
        parts = self.StackId.split("/")
        return parts[1] if len(parts) == 3 else self.StackId

    @property
    def physical_id(self) -> str:
        # Stable on Update: a new id would make CloudFormation delete the "old" guard.
        return self.PhysicalResourceId or f"{self.stack_name}-{self.LogicalResourceId}"[:1024]


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(
    event: dict[str, Any],
    context: LambdaContext,
    deps: Dependencies | None = None,
    status_of: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - ANSWER_MARGIN_SECONDS
    event = event if isinstance(event, dict) else {}
    try:
        request = GuardRequest.model_validate(event)
    except ValidationError as err:
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in err.errors()})
        return _send(event, _fallback_id(event), FAILED, f"Malformed request: missing or invalid {', '.join(fields)}.", deadline)
    except Exception as err:  # still answered: CloudFormation must never wait for nothing
        logger.exception("request not parsed")
        return _send(event, _fallback_id(event), FAILED, f"Stack guard failed ({type(err).__name__}).", deadline)
    budget = MAX_BODY_BYTES - len(_encode(_answer(event, FAILED, "", request.physical_id))) - 16
    status, reason = _within(deadline, lambda: _decide(request, deps, status_of or _stack_status, deadline, budget))
    return _send(event, request.physical_id, status, reason, deadline)


def _fallback_id(event: dict[str, Any]) -> str:
    return str(event.get("PhysicalResourceId") or event.get("LogicalResourceId") or "run-resources-guard")


def _stack_status(stack_id: str) -> str:
    from secure_finetune.adapters.cloudformation import stack_status  # boto3 only when a request needs it

    return stack_status(stack_id)


def _decide(
    request: GuardRequest, deps: Dependencies | None, status_of: Callable[[str], str], deadline: float, budget: int
) -> tuple[str, str]:
    mode = request.ResourceProperties.get("OnStackDelete")
    if request.RequestType in ("Create", "Update"):
        # Checked now so a bad property shows at deploy time, not when the stack is deleted.
        if mode not in MODES:
            return FAILED, f"Property OnStackDelete must be one of {', '.join(MODES)}."
        return SUCCESS, f"OnStackDelete={mode}"
    if request.RequestType != "Delete":
        return FAILED, f"Unknown RequestType {request.RequestType[:40]!r}."
    stack = status_of(request.StackId)
    if stack != "DELETE_IN_PROGRESS":
        # A replaced or removed guard, or a rollback: the stack stays, so do its runs.
        return SUCCESS, f"Stack is {stack}, not being deleted: runs kept."
    return guard_stack_delete(
        str(mode) if mode is not None else "(missing)",
        deps or Dependencies(ENV),
        stack_name=request.stack_name,
        out_of_time=lambda: time.monotonic() > deadline - TEARDOWN_ALLOWANCE_SECONDS,
        reason_bytes=budget,
    )


def _within(deadline: float, work: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    """``work()``'s answer, or FAILED when it raises or is still running at the deadline."""
    outcome: list[tuple[str, str]] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as err:  # any error must still be answered, and never as SUCCESS
            logger.exception("stack guard failed")
            outcome.append((FAILED, f"Stack guard failed ({error_code(err)}); see its log, fix, then delete the stack again."))

    # A daemon thread: a hung AWS call must not keep the answer from going out.
    worker = threading.Thread(target=run, name="stack-guard", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if not outcome:
        return FAILED, "Timed out before every run was settled (some may be torn down); delete the stack again."
    return outcome[0]


def _answer(event: dict[str, Any], status: str, reason: str, physical_id: str) -> dict[str, Any]:
    return {
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": physical_id,
        "StackId": str(event.get("StackId", "")),
        "RequestId": str(event.get("RequestId", "")),
        "LogicalResourceId": str(event.get("LogicalResourceId", "")),
    }


def _encode(answer: dict[str, Any]) -> bytes:
    return json.dumps(answer).encode()


def _send(event: dict[str, Any], physical_id: str, status: str, reason: str, deadline: float) -> dict[str, Any]:
    """PUT the answer to the pre-signed ResponseURL (retried briefly, never past the deadline)."""
    answer = _answer(event, status, reason, physical_id)
    body = _encode(answer)
    while len(body) > MAX_BODY_BYTES and answer["Reason"]:  # the domain keeps within budget; this is the last fence
        answer["Reason"] = answer["Reason"][: -max(64, len(body) - MAX_BODY_BYTES) - 3] + "..." if len(answer["Reason"]) > 67 else ""
        body = _encode(answer)
    url = str(event.get("ResponseURL", ""))
    logger.info("answering CloudFormation", status=answer["Status"], reason=answer["Reason"])
    # CloudFormation sends a pre-signed https S3 URL: nothing else is answered.
    if not url_allowed(url):
        logger.error("no usable ResponseURL: CloudFormation will wait for the resource's ServiceTimeout")
        return {"Status": answer["Status"], "answered": False}
    import urllib.request  # only when answering: keeps the cold start's import short

    end = deadline + ANSWER_MARGIN_SECONDS - 1  # the Lambda timeout, less a second
    for attempt in range(3):
        left = end - time.monotonic()
        if left <= 0:
            break
        # Content-Type "": the URL was pre-signed without one, so any other value breaks the signature.
        headers = {"Content-Type": "", "Content-Length": str(len(body))}
        request = urllib.request.Request(url, data=body, method="PUT", headers=headers)  # noqa: S310 - scheme checked above
        try:
            with urllib.request.urlopen(request, timeout=min(10.0, left)) as response:  # noqa: S310 - scheme checked above
                response.read()
            return {"Status": answer["Status"], "answered": True}
        except OSError as err:  # URLError and HTTPError are OSErrors; a transient one may pass on retry
            logger.warning("answer not delivered", attempt=attempt + 1, error=type(err).__name__)
            time.sleep(min(0.5 * 2**attempt, 2.0))
    return {"Status": answer["Status"], "answered": False}
