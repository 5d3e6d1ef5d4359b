"""Reinforcement fine-tuning's part of the job request: ``customizationConfig.rftConfig``.

Names and types are botocore 1.44.8's (bedrock ``RFTConfig``: ``graderConfig`` is a union whose Lambda member is
``lambdaGrader.lambdaArn``; ``hyperParameters`` is the typed ``RFTHyperParameters``, not the string map other
customizations take): https://docs.aws.amazon.com/bedrock/latest/APIReference/API_RFTConfig.html. The grader is
the stack's (template ``GraderFunction``, or the platform team's ``ExistingGraderLambdaArn``); Bedrock invokes it
with the job's service role, which may invoke that function only (template ``BedrockServiceRole``, [UG
rft-access-security]: https://docs.aws.amazon.com/bedrock/latest/userguide/rft-access-security.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import CustomizationType, FoundationModel, hyperparameters_of
from ..reasons import Reason, ReasonCode, TrainingFailed


def typed_hyperparameters(model: FoundationModel, values: Mapping[str, str]) -> dict[str, int | float | str]:
    """The profile's strings as RFTHyperParameters wants them: integers, floats, or the enum's word."""
    specs = hyperparameters_of(model, CustomizationType.REINFORCEMENT_FINE_TUNING)
    typed: dict[str, int | float | str] = {}
    for name, value in values.items():
        spec = specs[name]  # the profile was validated against this table (settings.Profile)
        if value in spec.words:
            typed[name] = value
        elif spec.integer:
            typed[name] = int(float(value))
        else:
            typed[name] = float(value)
    return typed


def rft_config(model: FoundationModel, hyperparameters: Mapping[str, str], grader_lambda_arn: str | None) -> dict[str, Any]:
    """``customizationConfig`` of a REINFORCEMENT_FINE_TUNING job. No grader = no job: fail before creating it."""
    if not grader_lambda_arn:
        raise TrainingFailed(Reason(ReasonCode.JOB_REJECTED, "no-grader"))
    config: dict[str, Any] = {"graderConfig": {"lambdaGrader": {"lambdaArn": grader_lambda_arn}}}
    typed = typed_hyperparameters(model, hyperparameters)
    if typed:
        config["hyperParameters"] = typed
    return {"rftConfig": config}
