"""Emulator stand-in: runs our Lambda handlers in this process, as Lambda would run them.

Each function's environment comes from moto (i.e. from template.yaml, as CloudFormation
resolved it). Paths under ``/opt/`` are mapped to the layers' content directories, the
way Lambda mounts layers. By default handlers run one at a time (``os.environ`` is process-wide and
set per invocation). With ``concurrency`` > 1, up to that many invocations run at once, each in its
caller's thread (EventBridge deliveries come from ``async_delivery``'s pool): the environment is then
set only while a handler imports, which is where every handler reads it (``Env.from_environ()`` at
cold start), as each Lambda execution environment has its own.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol


class Handler(Protocol):
    """A function's ``lambda_handler``: (event, context), and the dependencies tests inject."""

    def __call__(self, event: dict[str, Any], context: Any, deps: Any = None, **injected: Any) -> Any: ...


@dataclass
class Invocation:
    function: str  # logical id in template.yaml
    started: float
    seconds: float
    error: str | None


class LambdaContext:
    def __init__(self, function: Any) -> None:
        self.function_name = function.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.function_arn
        self.memory_limit_in_mb = function.memory_size
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@contextmanager
def environment_set(variables: dict[str, str]) -> Iterator[None]:
    """``variables`` set in ``os.environ`` for the block, then the old values back.

    Other threads (the Bedrock stand-in, moto's interpreter) read os.environ meanwhile, so it is
    never cleared and no key is removed: a function's keys are set, and afterwards those that
    existed get their old values back; keys new to the process stay (each is specific to one
    function, e.g. STATE_MACHINE_ARN, and harmless to the others). The whole environment is
    restored when the LocalPipeline exits.
    """
    saved = {k: os.environ[k] for k in variables if k in os.environ}
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.update(saved)


def load_handler(code_dir: Path, environment: dict[str, str] | None = None) -> Handler:
    """Import ``code_dir/app.py`` as the Lambda runtime does, with ``environment`` set while it
    imports (each handler validates the settings it reads at import, i.e. at cold start)."""
    with environment_set(environment or {}):
        return _import_handler(code_dir)


def _import_handler(code_dir: Path) -> Handler:
    spec = importlib.util.spec_from_file_location(f"functions_{code_dir.name}", code_dir / "app.py")
    assert spec and spec.loader
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as the Lambda runtime's import does (pydantic resolves annotations there)
    spec.loader.exec_module(module)
    handler: Handler = module.lambda_handler
    return handler


class InProcessLambdas:
    def __init__(self, opt_dir: Path, concurrency: int = 1) -> None:
        self.opt_dir = opt_dir
        self.handlers: dict[str, tuple[str, Handler]] = {}  # physical name -> (logical id, handler)
        self.invocations: list[Invocation] = []
        self.concurrency = concurrency
        self.running = 0  # invocations in flight now, and their peak (what the concurrency tests check)
        self.most_running = 0
        self._lock = threading.RLock()
        self._slots = threading.BoundedSemaphore(concurrency)
        self._count = threading.Lock()
        self._loaded: dict[str, tuple[Path, dict[str, Any]]] = {}  # physical name -> (code, environment at import)

    def register(self, physical_name: str, logical_id: str, code_dir: Path, environment: dict[str, Any]) -> None:
        """Import the handler with its function's environment set, as Lambda's Init phase does: each
        handler validates the settings it reads at import."""
        with self._lock, environment_set(self._mounted(environment)):
            self.handlers[physical_name] = (logical_id, load_handler(code_dir))
            self._loaded[physical_name] = (code_dir, dict(environment))

    def __call__(self, function: Any, event: dict[str, Any]) -> Any:
        code_dir, imported_with = self._loaded[function.function_name]
        if (function.environment_vars or {}) != imported_with:
            # UpdateFunctionConfiguration gives the function new execution environments in Lambda:
            # the next invocation is a cold start that reads the new settings.
            self.register(function.function_name, self.handlers[function.function_name][0], code_dir, function.environment_vars or {})
        logical_id, handler = self.handlers[function.function_name]
        if self.concurrency > 1:
            with self._slots:
                return self._run(logical_id, handler, function, event)
        with self._lock, environment_set(self._mounted(function.environment_vars or {})):
            return self._run(logical_id, handler, function, event)

    def _run(self, logical_id: str, handler: Handler, function: Any, event: dict[str, Any]) -> Any:
        with self._count:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        started = time.time()
        error = None
        try:
            return handler(event, LambdaContext(function))
        except Exception as err:
            error = type(err).__name__
            raise
        finally:
            self.invocations.append(Invocation(logical_id, started, time.time() - started, error))
            with self._count:
                self.running -= 1

    def _mounted(self, variables: dict[str, Any]) -> dict[str, str]:
        return {name: self._mount(value) for name, value in variables.items()}

    def _mount(self, value: object) -> str:
        # Lambda environment values are strings (moto keeps CloudFormation's numbers as numbers).
        text = str(value)
        return str(self.opt_dir / text.removeprefix("/opt/")) if text.startswith("/opt/") else text
