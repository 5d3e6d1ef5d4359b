"""Emulator stand-in: make moto's check-then-write operations atomic under threads, as the services are.

moto 5.2.5 serves in-process requests in the caller's thread with no lock around a backend's
state. Measured (``tests/integration/test_concurrency.py`` keeps the probes; ``sys.setswitchinterval(1e-6)``,
barrier-released threads):

* DynamoDB ``PutItem`` with ``attribute_not_exists``: 8 threads on one key -> two or more winners in
  13 of 30 trials. The condition is evaluated, then the item written, with no lock in between, so the
  job-slot semaphore, the START marker and every conditional write of the run table could be won twice.
  A ``Scan`` iterating the table while another thread inserts can also fail ("dictionary changed size").
* Step Functions ``StartExecution``: 5 threads, one name -> two or more executions of that name in 10 of
  20 trials (``_handle_name_input_idempotency`` reads the list, a deepcopy of the machine follows, then
  the append). AWS guarantees one execution per name (API_StartExecution).

In AWS each of these is atomic on the service side (DynamoDB condition expressions:
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
Here one lock per service serialises those backend calls: a request still runs in its caller's thread
and everything around it (our handlers, moto's ASL interpreter, the Bedrock stand-in) runs concurrently.
* Step Functions ``SendTaskSuccess``/``SendTaskFailure``: moto lets a task token be answered twice (its
  callback endpoint overwrites the first outcome); in AWS a token answers once and a late answer gets
  ``TaskTimedOut``/``InvalidToken`` (API_SendTaskSuccess). ``_answer_once`` refuses the second answer, so
  a completion event racing the reconciler is seen by one of them as already answered, as in AWS.

What this cannot show: contention and throttling (``ProvisionedThroughputExceededException``,
``TransactionConflictException`` between transactions), or DynamoDB's eventually consistent reads
(moto's reads are always consistent).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, cast

from moto.dynamodb.models import DynamoDBBackend
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcome, CallbackPoolManager
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

_DYNAMODB = (
    "put_item",
    "update_item",
    "delete_item",
    "get_item",
    "query",
    "scan",
    "transact_write_items",
)  # BatchWriteItem/BatchGetItem/TransactGetItems live in moto's responses.py and call the item methods above
_STEPFUNCTIONS = ("start_execution",)

_installed = threading.Lock()
_done = False
guarded: dict[str, tuple[str, ...]] = {}  # what install() serialised, for the report


def _serialised(method: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(*args, **kwargs)

    return call


_answering = threading.Lock()


def _answer_once(notify: Callable[..., bool]) -> Callable[..., bool]:
    @functools.wraps(notify)
    def call(self: CallbackPoolManager, callback_id: str, outcome: CallbackOutcome) -> bool:
        with _answering:
            endpoint = self._pool.get(callback_id)
            if endpoint is not None and endpoint.get_outcome() is not None:
                return False  # already answered: moto then raises InvalidToken, which the adapter reads as such
            return notify(self, callback_id=callback_id, outcome=outcome)

    return call


def install() -> None:
    """Wrap the listed backend methods once per process (mock_aws still resets their data)."""
    global _done
    with _installed:
        if _done:
            return
        for backend, names in ((DynamoDBBackend, _DYNAMODB), (StepFunctionsParserBackend, _STEPFUNCTIONS)):
            lock = threading.RLock()  # re-entrant: a transaction calls the item methods of its own backend
            for name in names:
                setattr(cast(Any, backend), name, _serialised(getattr(backend, name), lock))
            guarded[backend.__name__] = names
        cast(Any, CallbackPoolManager).notify = _answer_once(CallbackPoolManager.notify)
        guarded[CallbackPoolManager.__name__] = ("notify",)
        _done = True
