"""Typed views of the events that drive the pipeline (Powertools parser models).

* S3 "Object Created" delivered by EventBridge: Powertools' own
  ``S3EventNotificationEventBridgeModel``.
* Bedrock "Model Customization Job State Change": there is no built-in model, so
  :class:`BedrockJobStateChange` subclasses ``EventBridgeModel`` with a typed detail.
  The status field is ``detail.jobStatus`` (not ``status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, S3EventNotificationEventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

TERMINAL_JOB_STATUSES = ("Completed", "Failed", "Stopped")

# The envelopes our rules match (a handler checks them again: it trusts no envelope).
S3_SOURCE, OBJECT_CREATED = "aws.s3", "Object Created"  # https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
# https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-eventbridge-how-it-works.html (also "Batch Inference Job State Change")
BEDROCK_SOURCE, JOB_STATE_CHANGE = "aws.bedrock", "Model Customization Job State Change"


class IgnoredEvent(StrEnum):
    """Why a handler ignored an event (its log line and the ``EventsIgnored`` metric's metadata)."""

    OTHER_SOURCE = "OTHER_SOURCE"  # e.g. a spoofed custom.s3
    OTHER_DETAIL_TYPE = "OTHER_DETAIL_TYPE"  # e.g. "Object Deleted", a batch inference job state change
    OTHER_ACCOUNT = "OTHER_ACCOUNT"
    OTHER_REGION = "OTHER_REGION"
    OTHER_BUCKET = "OTHER_BUCKET"
    MALFORMED = "MALFORMED"  # not the shape of the event its envelope claims
    VALIDATION_FILE = "VALIDATION_FILE"  # read by the run of its training file
    NOT_A_DATASET = "NOT_A_DATASET"  # not incoming/*.jsonl, control characters, too long
    FOREIGN_JOB = "FOREIGN_JOB"  # the job ARN names another account or region, or is no job ARN
    NOT_WAITED_FOR = "NOT_WAITED_FOR"  # no run of ours waits for that job (now)
    JOB_NOT_ENDED = "JOB_NOT_ENDED"  # Bedrock still reports the job running (the API is the truth)
    NO_JOB = "NO_JOB"  # a wait whose job does not exist (its create was refused, or never made)
    OTHER_STATE_MACHINE = "OTHER_STATE_MACHINE"  # an execution of a state machine that is not this stack's
    NOT_ABORTED = "NOT_ABORTED"  # an execution status change other than ABORTED


def envelope_problem(event: object, *, source: str, detail_type: str, account: str, region: str) -> IgnoredEvent | None:
    """What is wrong with an EventBridge envelope (None: ``source``/``detail_type`` from our account and region)."""
    if not isinstance(event, Mapping):
        return IgnoredEvent.MALFORMED
    if event.get("source") != source:
        return IgnoredEvent.OTHER_SOURCE
    if event.get("detail-type") != detail_type:
        return IgnoredEvent.OTHER_DETAIL_TYPE
    if event.get("account") != account:
        return IgnoredEvent.OTHER_ACCOUNT
    if event.get("region") != region:
        return IgnoredEvent.OTHER_REGION
    return None


class BedrockJobDetail(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    job_name: str = Field(alias="jobName")
    job_arn: str = Field(alias="jobArn")
    job_status: str = Field(alias="jobStatus")
    failure_message: str | None = Field(default=None, alias="failureMessage")


class BedrockJobStateChange(EventBridgeModel):
    detail: BedrockJobDetail


__all__ = [
    "BEDROCK_SOURCE",
    "JOB_STATE_CHANGE",
    "OBJECT_CREATED",
    "S3_SOURCE",
    "TERMINAL_JOB_STATUSES",
    "BedrockJobDetail",
    "BedrockJobStateChange",
    "IgnoredEvent",
    "S3EventNotificationEventBridgeModel",
    "envelope_problem",
]
