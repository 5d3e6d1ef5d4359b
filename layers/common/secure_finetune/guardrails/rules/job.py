"""Job request rules (GR-JOB-01..05): the CreateModelCustomizationJob request about to be sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...runs import OUTPUT_PREFIX, VALIDATED_PREFIX
from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict


def _on_request(check: Callable[[dict[str, Any], Evidence], Verdict]) -> Callable[[Evidence], Verdict]:
    """A rule over the job request: UNKNOWN when there is none to check."""

    def rule(ev: Evidence) -> Verdict:
        return (UNKNOWN, "no job request to check") if ev.job_request is None else check(ev.job_request, ev)

    return rule


@_on_request
def key(request: dict[str, Any], ev: Evidence) -> Verdict:
    ok = request.get("customModelKmsKeyId") == ev.expected_key_arn
    return (PASS, "customModelKmsKeyId is the data key ARN") if ok else (FAIL, "customModelKmsKeyId is not the data key ARN")


@_on_request
def checked_vpc(request: dict[str, Any], ev: Evidence) -> Verdict:
    vpc = request.get("vpcConfig") or {}
    same = sorted(vpc.get("subnetIds", [])) == sorted(ev.subnet_ids) and sorted(vpc.get("securityGroupIds", [])) == sorted(
        ev.security_group_ids
    )
    return (PASS, "vpcConfig is exactly the checked subnets and groups") if same else (FAIL, "vpcConfig differs from the checked network")


@_on_request
def uris(request: dict[str, Any], ev: Evidence) -> Verdict:
    prefix = f"s3://{ev.bucket_name}/"
    training = request.get("trainingDataConfig", {}).get("s3Uri", "")
    output = request.get("outputDataConfig", {}).get("s3Uri", "")
    validators = [v.get("s3Uri", "") for v in request.get("validationDataConfig", {}).get("validators", [])]
    if not training.startswith(f"{prefix}{VALIDATED_PREFIX}{ev.dataset_sha256}/"):
        return FAIL, "training data is not the immutable validated copy"
    if any(not v.startswith(f"{prefix}{VALIDATED_PREFIX}") for v in validators):
        return FAIL, "validation data is not a validated copy"
    if not output.startswith(f"{prefix}{OUTPUT_PREFIX}"):
        return FAIL, "output is not under the data bucket's output/"
    return PASS, "training from validated/<sha256>/, output to output/, same bucket"


@_on_request
def role(request: dict[str, Any], ev: Evidence) -> Verdict:
    same = request.get("roleArn") == ev.service_role.arn
    return (PASS, "roleArn is the checked service role") if same else (FAIL, "roleArn is another role")


@_on_request
def idempotency(request: dict[str, Any], ev: Evidence) -> Verdict:
    token, name = request.get("clientRequestToken"), request.get("jobName")
    if not token or token != name:
        return FAIL, "clientRequestToken is not the deterministic run id"
    tags = {t.get("key") for t in request.get("jobTags", [])}
    missing = {"run-id", "dataset-sha256", "source-version"} - tags
    return (FAIL, f"lineage tags missing: {', '.join(sorted(missing))}") if missing else (PASS, "deterministic token and lineage tags")
