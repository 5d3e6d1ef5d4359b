"""boto3 clients, created once per cold start from the default session.

The default session matters: the local emulator's stand-ins hook into it. Every client raises
the domain's ``ServiceError`` kinds instead of botocore's ``ClientError`` (``errors.py``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from .errors import translating

_CONFIG = Config(connect_timeout=5)


@cache
def client(service: str, total_attempts: int = 6, read_timeout: float = 30) -> Any:
    """botocore's standard retries; ``total_attempts=1`` turns them off for a caller that retries
    itself, so the two never multiply."""
    config = Config(retries={"mode": "standard", "total_max_attempts": total_attempts}, read_timeout=read_timeout)
    made = boto3.client(service, config=_CONFIG.merge(config))
    # An instance attribute shadows the class's method: paginators and Stubber go through it too.
    made._make_api_call = translating(made._make_api_call)
    return made


def reset_clients() -> None:
    """Forget cached clients (tests and the local runner switch endpoints between runs)."""
    client.cache_clear()
