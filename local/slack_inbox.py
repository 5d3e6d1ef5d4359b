"""The emulator's Slack: a real HTTPS server on loopback that records what the webhook receives.

The pipeline's SlackNotifier posts to it exactly as it would to hooks.slack.com (the URL comes
from a Secrets Manager secret in the emulated account), over https with a certificate the process
trusts (``loopback_tls``); only the host differs.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from .loopback_tls import LoopbackHTTPSServer


class SlackInbox:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                inbox.messages.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass  # keep the demo's output to what the pipeline did

        self._server = LoopbackHTTPSServer(Handler)

    @property
    def url(self) -> str:
        return f"{self._server.base_url}/services/T000/B000/local"

    def start(self) -> SlackInbox:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
