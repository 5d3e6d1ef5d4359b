"""SNS notifier: e-mail friendly subject and body; attributes for subscription filters."""

from __future__ import annotations

from ..notifications import MilestoneEvent, render
from .clients import client


class SnsNotifier:
    def __init__(self, topic_arn: str) -> None:
        self.topic_arn = topic_arn
        self._sns = client("sns")

    def send(self, event: MilestoneEvent) -> None:
        message = render(event)
        self._sns.publish(
            TopicArn=self.topic_arn,
            Subject=message.subject,
            Message=message.body,
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in message.attributes.items()},
        )
