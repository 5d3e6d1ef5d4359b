"""Slack notifier: posts the Block Kit message to an incoming webhook kept in Secrets Manager.

Slack is optional: a failed post never fails a pipeline step (SNS is the system of record); it is
logged as a warning and counted. The webhook URL is a credential: it is never logged.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Callable
from email.message import Message
from urllib.error import HTTPError, URLError

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from ..notifications import MilestoneEvent
from ..slack import slack_message
from ..urls import url_allowed
from .clients import client

logger = logging.getLogger(__name__)


class SlackPostFailed(Exception):
    """A post that did not reach Slack; the message never contains the URL."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A webhook never redirects; following one could send the message (and its links) elsewhere.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class SlackNotifier:
    def __init__(
        self,
        secret_id: str,
        *,
        timeout_seconds: float = 5.0,
        max_retry_wait_seconds: float = 2.0,
        secret_max_age_seconds: int = 300,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.secret_id = secret_id
        self.timeout_seconds = timeout_seconds
        self.max_retry_wait_seconds = max_retry_wait_seconds
        self.secret_max_age_seconds = secret_max_age_seconds
        self.failures = 0
        self._sleep = sleep
        self._secrets = SecretsProvider(boto3_client=client("secretsmanager"))

    def send(self, event: MilestoneEvent) -> None:
        try:
            self._post(json.dumps(slack_message(event)).encode())
        except Exception as error:  # Slack is optional: nothing it does may fail the step.
            self.failures += 1
            reason = str(error) if isinstance(error, SlackPostFailed) else type(error).__name__
            logger.warning(
                "slack notification not sent: %s",
                reason,
                extra={"reason": reason, "milestone": event.milestone.value, "run_id": event.run_id, "failures": self.failures},
            )

    def _post(self, body: bytes) -> None:
        url = self._webhook_url()
        if not url_allowed(url):
            raise SlackPostFailed("webhook URL refused: not https")
        status, retry_after = self._post_once(url, body)
        if status == 429 or status >= 500:
            self._sleep(min(retry_after if retry_after is not None else 1.0, self.max_retry_wait_seconds))
            status, _ = self._post_once(url, body)
        if not 200 <= status < 300:
            raise SlackPostFailed(f"HTTP {status}")

    def _post_once(self, url: str, body: bytes) -> tuple[int, float | None]:
        opener = urllib.request.build_opener(_NoRedirects())
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})  # noqa: S310 (scheme checked)
        try:
            with opener.open(request, timeout=self.timeout_seconds) as response:
                return int(response.status), None
        except HTTPError as error:
            with error:
                return error.code, _seconds(error.headers)
        except TimeoutError:
            raise SlackPostFailed("timed out") from None
        except URLError as error:
            # str(URLError) can carry the host; keep only the kind of failure.
            reason = "timed out" if isinstance(error.reason, TimeoutError) else type(error.reason).__name__
            raise SlackPostFailed(f"network error: {reason}") from None

    def _webhook_url(self) -> str:
        value = self._secrets.get(self.secret_id, max_age=self.secret_max_age_seconds)
        if isinstance(value, bytes):
            value = value.decode()
        if isinstance(value, str) and value.lstrip().startswith("{"):
            value = json.loads(value).get("url")  # a key/value secret made in the console: {"url": "..."}
        if not isinstance(value, str) or not value.strip():
            raise SlackPostFailed("webhook secret holds no URL")
        return value.strip()


def _seconds(headers: Message | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is treated as absent)."""
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None
