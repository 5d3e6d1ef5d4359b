"""One ``Notifier`` that tells every channel (SNS, Slack, ...) about a milestone."""

from __future__ import annotations

from .notifications import MilestoneEvent
from .ports import Notifier


class FanOutNotifier:
    """Sends to each notifier in order; a raising one (SNS, the system of record) does not silence the
    others, and its error is raised once all were tried. Optional channels (Slack) swallow their own."""

    def __init__(self, *notifiers: Notifier) -> None:
        self.notifiers = notifiers

    def send(self, event: MilestoneEvent) -> None:
        first_error: Exception | None = None
        for notifier in self.notifiers:
            try:
                notifier.send(event)
            except Exception as error:
                first_error = first_error or error
        if first_error is not None:
            raise first_error
