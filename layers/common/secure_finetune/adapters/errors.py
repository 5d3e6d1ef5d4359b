"""The one translator from botocore's ``ClientError`` to the domain's ``ServiceError`` kinds.

Every client made by ``clients.client`` raises through it, so no other module names botocore's
exception: adapters and steps catch ``NotFound``, ``ConditionFailed``, ... by kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..service_errors import (
    AlreadyAnswered,
    AlreadyExists,
    ConditionFailed,
    Denied,
    Invalid,
    NotFound,
    QuotaExceeded,
    ServiceError,
    Throttled,
)

_KINDS: dict[str, type[ServiceError]] = {
    "404": NotFound,  # S3 answers a HEAD with the bare status code
    "NoSuchKey": NotFound,
    "NoSuchVersion": NotFound,
    "ResourceNotFoundException": NotFound,
    "NoSuchEntity": NotFound,
    "NotFoundException": NotFound,
    "ExecutionAlreadyExists": AlreadyExists,
    "ResourceInUseException": AlreadyExists,
    "ConflictException": AlreadyExists,
    "ThrottlingException": Throttled,
    "TooManyRequestsException": Throttled,
    "Throttling": Throttled,
    "SlowDown": Throttled,
    "ConditionalCheckFailedException": ConditionFailed,
    "412": ConditionFailed,
    "PreconditionFailed": ConditionFailed,
    "416": ConditionFailed,
    "InvalidRange": ConditionFailed,
    "AccessDenied": Denied,
    "AccessDeniedException": Denied,
    "403": Denied,
    "ValidationException": Invalid,
    "ServiceQuotaExceededException": QuotaExceeded,
    "TaskTimedOut": AlreadyAnswered,
    "TaskDoesNotExist": AlreadyAnswered,
    "InvalidToken": AlreadyAnswered,
}


def service_error(err: ClientError, operation: str = "") -> ServiceError:
    code = str(err.response.get("Error", {}).get("Code") or "Unknown")
    return _KINDS.get(code, ServiceError)(code, operation)


def translating(make_api_call: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    """Wrap a client's ``_make_api_call``: every operation, paginated or not, goes through it."""

    def call(operation: str, params: Any) -> Any:
        try:
            return make_api_call(operation, params)
        except ClientError as err:
            raise service_error(err, operation) from None

    return call
