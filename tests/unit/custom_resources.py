"""Test doubles shared by the custom-resource handlers' tests: a Lambda context with a clock, and CloudFormation's
pre-signed ResponseURL as a loopback HTTPS server that records every PUT."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from local.loopback_tls import LoopbackHTTPSServer


@dataclass
class Context:
    remaining_ms: int = 300_000
    function_name: str = "custom-resource"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:111122223333:function:custom-resource"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class CloudFormation:
    """Stands in for the pre-signed ResponseURL: records every PUT."""

    url: str = ""
    answers: list[dict[str, Any]] = field(default_factory=list)
    content_types: list[str | None] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    @property
    def answer(self) -> dict[str, Any]:
        assert len(self.answers) == 1, self.answers
        return self.answers[0]


@pytest.fixture
def cfn(trusted_loopback: None) -> Iterator[CloudFormation]:
    received = CloudFormation()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.content_types.append(self.headers.get("Content-Type"))
            received.sizes.append(len(body))
            received.answers.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = LoopbackHTTPSServer(Handler).start()
    received.url = f"{server.base_url}/cloudformation-custom-resource-response-useast1/signed?X-Amz-Signature=abc"
    yield received
    server.stop()
