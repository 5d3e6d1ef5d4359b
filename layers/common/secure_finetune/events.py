"""Typed views of the events that drive the pipeline (Powertools parser models).

* S3 "Object Created" delivered by EventBridge: Powertools' own
  ``S3EventNotificationEventBridgeModel``.
* Bedrock "Model Customization Job State Change": there is no built-in model, so
  :class:`BedrockJobStateChange` subclasses ``EventBridgeModel`` with a typed detail.
  The status field is ``detail.jobStatus`` (not ``status``).
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, S3EventNotificationEventBridgeModel
from pydantic import BaseModel, ConfigDict, Field

TERMINAL_JOB_STATUSES = ("Completed", "Failed", "Stopped")


class BedrockJobDetail(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    job_name: str = Field(alias="jobName")
    job_arn: str = Field(alias="jobArn")
    job_status: str = Field(alias="jobStatus")
    failure_message: str | None = Field(default=None, alias="failureMessage")


class BedrockJobStateChange(EventBridgeModel):
    detail: BedrockJobDetail


__all__ = ["TERMINAL_JOB_STATUSES", "BedrockJobDetail", "BedrockJobStateChange", "S3EventNotificationEventBridgeModel"]
