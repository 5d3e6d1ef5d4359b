"""Purchase rules (GR-JOB-07/08): the custom model and the throughput request, judged before anything is bought."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from ..framework import FAIL, PASS, UNKNOWN, Verdict


class PurchaseEvidence(BaseModel):
    model_config = ConfigDict(frozen=True)
    expected_key_arn: str
    job_arn: str
    custom_model: dict[str, Any] | None  # GetCustomModel
    model_units: int
    max_model_units: int
    commitment: str | None
    client_request_token: str
    run_id: str


def model_key(ev: PurchaseEvidence) -> Verdict:
    if ev.custom_model is None:
        return UNKNOWN, "GetCustomModel could not be read"
    if ev.custom_model.get("modelKmsKeyArn") != ev.expected_key_arn:
        return FAIL, "the custom model is not encrypted with the data key"
    if ev.custom_model.get("jobArn") != ev.job_arn:
        return FAIL, "the custom model was not made by this run's job"
    return PASS, "the custom model is ours and encrypted with the data key"


def throughput_request(ev: PurchaseEvidence) -> Verdict:
    if ev.model_units > ev.max_model_units:
        return FAIL, f"{ev.model_units} model units exceed the stack's cap of {ev.max_model_units}"
    if ev.commitment is not None:
        return FAIL, f"a {ev.commitment} commitment was asked for; only no-commitment throughput is bought"
    if ev.client_request_token != ev.run_id:
        return FAIL, "the request token is not the deterministic run id"
    return PASS, "within the model-unit cap, no commitment, idempotent"
