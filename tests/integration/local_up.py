"""``make up`` as a test fixture: ``python -m local.up`` in its own process, driven over HTTP only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass
class LocalAws:
    endpoint: str
    bucket: str
    process: subprocess.Popen[str]
    banner: list[str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_aws(timeout: float = 180) -> Iterator[LocalAws]:
    """Start ``python -m local.up`` on a free port, wait for its ready line, SIGTERM it afterwards."""
    port = free_port()
    environment = {**os.environ, **CREDENTIALS, "PYTHONUNBUFFERED": "1"}
    environment.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local.up", "--port", str(port), "--training-seconds", "0.5"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    banner: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError("local.up ended before it was ready:\n" + "".join(banner))
        banner.append(line)
        if " ready: " in line:
            break
    else:
        process.kill()
        raise AssertionError("local.up not ready in time:\n" + "".join(banner))
    bucket = next(line.split(":", 1)[1].strip() for line in banner if line.startswith("bucket:"))
    try:
        yield LocalAws(f"http://127.0.0.1:{port}", bucket, process, banner)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
