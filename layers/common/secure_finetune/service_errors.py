"""What the domain knows of a refused AWS call: the service's error code, as one of a few kinds.

Adapters raise these (``adapters/errors.py`` is the one translator from botocore's ``ClientError``),
so steps decide on a kind, never on a botocore type or a raw response. Only the code is kept: a
service's message can quote what was sent (a record, a prompt), so it never reaches a log or owner.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An AWS call failed with ``code`` (an id such as ``AccessDeniedException``)."""

    def __init__(self, code: str, operation: str = "") -> None:
        super().__init__(f"{operation}: {code}" if operation else code)
        self.code = code
        self.operation = operation


class NotFound(ServiceError):
    """The resource, object or version does not exist (or is not visible to us)."""


class AlreadyExists(ServiceError):
    """A create met a resource of that name (a retried or duplicate call)."""


class Throttled(ServiceError):
    """Too many requests: worth retrying later."""


class ConditionFailed(ServiceError):
    """A conditional write lost (someone else changed the item first)."""


class Denied(ServiceError):
    """Not allowed: a permission, key policy or service control policy refused it."""


class Invalid(ServiceError):
    """The service judged the request invalid (including a job that already finished)."""


class QuotaExceeded(ServiceError):
    """An account quota is full (e.g. concurrent customization jobs)."""


class AlreadyAnswered(ServiceError):
    """A task token that can no longer be answered: its wait already ended one way or another."""


def error_code(err: Exception) -> str:
    """The service's error code for a refused call, else the exception's type name (never a message)."""
    return err.code if isinstance(err, ServiceError) else type(err).__name__
