"""Emulator stand-in: EventBridge -> Lambda deliveries as AWS makes them, asynchronous and from many threads.

moto delivers an event to a Lambda target in the thread that put it (our ``moto_patches`` does, moto
itself raises NotImplementedError), once, and keeps the target's ``RetryPolicy`` and
``DeadLetterConfig`` without acting on them; its Lambda drops a function's ``DeadLetterConfig``. What
AWS does, and this reproduces with short waits:

* EventBridge invokes a Lambda target asynchronously
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html): here a thread pool, so
  events that arrive together run concurrently (up to the ``InProcessLambdas`` concurrency).
* A function error is Lambda's to retry: two more attempts by default (1 and 2 minutes apart; here
  ``retry_wait`` seconds), then the event goes to the function's dead-letter queue with the
  ``RequestID``, ``ErrorCode`` and ``ErrorMessage`` attributes
  (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html,
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
* An invoke that cannot be made at all (no such function, refused) is EventBridge's to retry under
  the target's ``RetryPolicy``, then its ``DeadLetterConfig`` queue gets the event
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). Here: ``MaximumRetryAttempts``
  capped at ``max_delivery_retries`` (185 over 24 hours in the template would be hours of test time).

Not reproduced: Lambda's own duplicate deliveries of one async event, event age limits, throttling.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import boto3
from moto.awslambda.utils import get_backend as lambda_backend

DEFAULT_ASYNC_RETRIES = 2  # Lambda's default MaximumRetryAttempts for asynchronous invocations


class AsyncDelivery:
    def __init__(
        self,
        function_dead_letters: dict[str, str],
        workers: int = 16,
        retry_wait: float = 0.05,
        max_delivery_retries: int = 2,
    ) -> None:
        self.function_dead_letters = function_dead_letters  # function name -> queue ARN (the template's DeadLetterQueue)
        self.retry_wait = retry_wait
        self.max_delivery_retries = max_delivery_retries
        self.attempts: dict[str, int] = {}  # function name -> invocations made (retries included)
        self.dead_lettered: list[dict[str, Any]] = []  # what reached a dead-letter queue: queue, function, error
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eventbridge")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    def __call__(self, target: dict[str, Any], event: dict[str, Any]) -> None:
        future = self._pool.submit(self._deliver, target, json.loads(json.dumps(event)))
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def drain(self, timeout: float = 60) -> None:
        """Wait for the deliveries in flight (and those they cause) to finish."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                pending = set(self._pending)
            if not pending:
                return
            wait(pending, timeout=max(0.0, deadline - time.time()))
        raise TimeoutError(f"event deliveries still running after {timeout}s")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ one delivery
    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _deliver(self, target: dict[str, Any], event: dict[str, Any]) -> None:
        _, _, _, region, account, _, name, *_ = target["Arn"].split(":")
        backend = lambda_backend(account, region)
        delivery_retries = min(int(target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 185)), self.max_delivery_retries)
        for attempt in range(1 + delivery_retries):
            try:
                function = backend.get_function(name, None)
            except Exception as err:  # EventBridge could not invoke: its retry policy, then the target's DLQ
                if attempt == delivery_retries:
                    self._dead_letter(target.get("DeadLetterConfig", {}).get("Arn"), name, event, type(err).__name__, str(err))
                    return
                time.sleep(self.retry_wait)
                continue
            self._invoke_async(backend, function, event)
            return

    def _invoke_async(self, backend: Any, function: Any, event: dict[str, Any]) -> None:
        name = function.function_name
        retries = DEFAULT_ASYNC_RETRIES
        for config in getattr(function, "event_invoke_config", []):  # PutFunctionEventInvokeConfig, if any
            retries = int(config.config.get("MaximumRetryAttempts", retries))
        error: dict[str, Any] = {}
        for attempt in range(1 + retries):
            with self._lock:
                self.attempts[name] = self.attempts.get(name, 0) + 1
            headers: dict[str, str] = {}
            try:
                out = backend.invoke(function.function_arn, None, json.dumps(event), {}, headers)
            except Exception as err:
                error = {"errorType": type(err).__name__, "errorMessage": str(err)}
            else:
                if "x-amz-function-error" not in headers:
                    return
                error = json.loads(out) if out else {}
            if attempt < retries:
                time.sleep(self.retry_wait * (attempt + 1))  # AWS: 1 minute, then 2
        self._dead_letter(self.function_dead_letters.get(name), name, event, error.get("errorType", "Error"), error.get("errorMessage", ""))

    def _dead_letter(self, queue_arn: str | None, function: str, event: dict[str, Any], code: str, message: str) -> None:
        with self._lock:
            self.dead_lettered.append({"queue": queue_arn, "function": function, "errorCode": code, "event": event})
        if not queue_arn:
            return  # AWS discards it too
        _, _, _, region, account, queue = queue_arn.split(":")
        sqs = boto3.client("sqs", region_name=region)
        url = sqs.get_queue_url(QueueName=queue, QueueOwnerAWSAccountId=account)["QueueUrl"]
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": str(uuid.uuid4())},
            "ErrorCode": {"DataType": "String", "StringValue": code[:256]},
            "ErrorMessage": {"DataType": "String", "StringValue": (message or code)[:256]},
        }
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event), MessageAttributes=attributes)


def function_dead_letters(translated: dict[str, Any], physical_ids: dict[str, str], region: str) -> dict[str, str]:
    """Each function's dead-letter queue ARN, from the translated template (moto's Lambda drops DeadLetterConfig)."""
    sqs = boto3.client("sqs", region_name=region)
    found: dict[str, str] = {}
    for logical_id, resource in translated.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Lambda::Function" or logical_id not in physical_ids:
            continue
        target = resource.get("Properties", {}).get("DeadLetterConfig", {}).get("TargetArn")
        queue = target.get("Fn::GetAtt", [None])[0] if isinstance(target, dict) else None
        if queue in physical_ids:
            url = physical_ids[queue]
            if not url.startswith("http"):
                url = sqs.get_queue_url(QueueName=url)["QueueUrl"]
            found[physical_ids[logical_id]] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return found
