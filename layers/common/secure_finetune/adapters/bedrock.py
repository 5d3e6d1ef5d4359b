"""Bedrock control plane: customization jobs and provisioned throughput, as the domain's typed views."""

from __future__ import annotations

import contextlib
import random
import socket
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..config import STACK_TAG
from ..ports import Deployment, InferenceRoute, JobStatus, Throughput, TrainingJob, answer_timeout_seconds
from ..service_errors import AlreadyExists, Invalid, NotFound, ServiceError, Throttled
from .clients import client


def training_job(response: dict[str, Any]) -> TrainingJob:
    """``GetModelCustomizationJob``'s response as a ``TrainingJob``."""
    vpc = response.get("vpcConfig") or {}
    return TrainingJob(
        arn=str(response.get("jobArn", "")),
        status=JobStatus(response["status"]),
        role_arn=response.get("roleArn"),
        subnet_ids=tuple(vpc.get("subnetIds", ())),
        security_group_ids=tuple(vpc.get("securityGroupIds", ())),
        output_model_kms_key_arn=response.get("outputModelKmsKeyArn"),
        output_model_arn=response.get("outputModelArn"),
        output_uri=str((response.get("outputDataConfig") or {}).get("s3Uri", "")),
        created=_moment(response.get("creationTime")),
        ended=_moment(response.get("endTime")),
        failure_message=response.get("failureMessage"),
    )


def throughput(response: dict[str, Any]) -> Throughput:
    """A ``ProvisionedModelSummary`` or ``GetProvisionedModelThroughput`` response as a ``Throughput``."""
    return Throughput(
        arn=str(response["provisionedModelArn"]),
        model_arn=str(response.get("modelArn", "")),
        status=str(response.get("status", "")),
        model_units=int(response.get("modelUnits") or 0),
        commitment=response.get("commitmentDuration"),
        failure_message=response.get("failureMessage"),
    )


def deployment(response: dict[str, Any]) -> Deployment:
    """``GetCustomModelDeployment``'s response as a ``Deployment``."""
    return Deployment(
        arn=str(response.get("customModelDeploymentArn", "")),
        status=str(response.get("status", "")),
        failure_message=response.get("failureMessage"),
    )


def _moment(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


class Bedrock:
    def __init__(self, attempts: int = 6, base_delay_seconds: float = 1.0, stack_tag: str | None = None) -> None:
        self._bedrock = client("bedrock")
        # {"pipeline": <stack name>} on every job, custom model, throughput and deployment we create (janitor/).
        self._stack_tags = {STACK_TAG: stack_tag} if stack_tag else {}
        # Creates retry in create_job only: botocore's retries are off for them, so the attempts
        # never multiply (5 x 6), and the emulator's throttling reaches the same loop as AWS's.
        self._creates = client("bedrock", total_attempts=1)
        self.attempts = attempts
        self.base_delay_seconds = base_delay_seconds

    def create_job(self, request: dict[str, Any]) -> str:
        """Create the job; throttling retries with backoff (same clientRequestToken, so at most
        one job), and a name already in use resolves to that job, never a second one."""
        request = self._tagged_job(request)
        for attempt in range(self.attempts):
            try:
                return str(self._creates.create_model_customization_job(**request)["jobArn"])
            except AlreadyExists:
                return self.get_job(request["jobName"]).arn
            except Throttled:
                if attempt == self.attempts - 1:
                    raise
                time.sleep(min(self.base_delay_seconds * 2**attempt, 30) * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable")

    def _tagged_job(self, request: dict[str, Any]) -> dict[str, Any]:
        if not self._stack_tags:
            return request
        extra = [{"key": k, "value": v} for k, v in self._stack_tags.items()]
        return {
            **request,
            "jobTags": [*request.get("jobTags", []), *extra],
            "customModelTags": [*request.get("customModelTags", []), *extra],
        }

    def get_job(self, name: str) -> TrainingJob:
        # Always by name (= the run id): the name is ours, and the emulator cannot route ARNs.
        return training_job(self._bedrock.get_model_customization_job(jobIdentifier=name))

    def get_custom_model(self, name: str) -> dict[str, Any] | None:
        """GetCustomModel as AWS returns it: evidence the purchase checks judge (GR-JOB-07)."""
        try:
            # By name (= the run id), as for jobs.
            model: dict[str, Any] = self._bedrock.get_custom_model(modelIdentifier=name)
        except ServiceError:
            return None  # unknown evidence: GR-JOB-07 blocks
        return model

    def stop_job(self, name: str) -> None:
        with contextlib.suppress(Invalid):  # the job already finished
            self._bedrock.stop_model_customization_job(jobIdentifier=name)

    def find_throughput(self, model_arn: str, name: str) -> Throughput | None:
        """Our live throughput for the model: by our exact name too (one someone else bought for the model is theirs,
        not ours to adopt and delete), over every page (ListProvisionedModelThroughputs: modelArnEquals, nameContains,
        nextToken; botocore's bedrock model)."""
        pages = self._bedrock.get_paginator("list_provisioned_model_throughputs").paginate(modelArnEquals=model_arn, nameContains=name)
        for page in pages:
            for summary in page.get("provisionedModelSummaries", []):
                if summary.get("provisionedModelName") == name and (found := throughput(summary)).alive:
                    return found
        return None

    def create_throughput(self, name: str, model_arn: str, model_units: int, tags: dict[str, str]) -> str:
        response = self._bedrock.create_provisioned_model_throughput(
            provisionedModelName=name,
            modelId=model_arn,
            modelUnits=model_units,
            clientRequestToken=name,
            tags=[{"key": k, "value": v} for k, v in {**tags, **self._stack_tags}.items()],
        )  # no commitmentDuration: no-commitment, deletable at any time
        return str(response["provisionedModelArn"])

    def get_throughput(self, arn: str) -> Throughput:
        return throughput(self._bedrock.get_provisioned_model_throughput(provisionedModelId=arn))

    def delete_throughput(self, arn: str) -> bool:
        """Delete; False when it was already gone (teardown is idempotent)."""
        return _deleted(self._bedrock.delete_provisioned_model_throughput, provisionedModelId=arn)

    def no_commitment_units_in_use(self) -> int:
        """Model units held by the account's live no-commitment throughputs (any model)."""
        paginator = self._bedrock.get_paginator("list_provisioned_model_throughputs")
        summaries = (throughput(summary) for page in paginator.paginate() for summary in page.get("provisionedModelSummaries", []))
        return sum(found.model_units for found in summaries if found.alive and not found.commitment)

    def create_deployment(self, name: str, model_arn: str, tags: dict[str, str]) -> str:
        response = self._bedrock.create_custom_model_deployment(
            modelDeploymentName=name,
            modelArn=model_arn,
            clientRequestToken=name,
            tags=[{"key": k, "value": v} for k, v in {**tags, **self._stack_tags}.items()],
        )
        return str(response["customModelDeploymentArn"])

    def get_deployment(self, arn: str) -> Deployment:
        return deployment(self._bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn))

    def delete_deployment(self, arn: str) -> bool:
        return _deleted(self._bedrock.delete_custom_model_deployment, customModelDeploymentIdentifier=arn)


def _deleted(delete: Callable[..., Any], **identifier: str) -> bool:
    try:
        delete(**identifier)
    except NotFound:
        return False
    return True


class BedrockRuntime:
    """Inference on the deployed model (the smoke test, the evaluation's collected answers)."""

    def __init__(self) -> None:
        # Its own clients: a prompt gets one retry and a read timeout sized to the answer asked for
        # (ports.answer_timeout_seconds: the callers' time budgets use the same rule), not the pipeline's five
        # patient attempts. One client per timeout, made on first use: only the functions that infer pay for it.
        self._runtimes: dict[float, Any] = {}

    def _client(self, read_timeout: float = answer_timeout_seconds(64)) -> Any:
        if read_timeout not in self._runtimes:
            # The regional hostname, as in AWS: inside the VPC the endpoint's private DNS answers it with the
            # bedrock-runtime interface endpoint's addresses (no endpoint_url, no special client).
            self._runtimes[read_timeout] = client("bedrock-runtime", total_attempts=2, read_timeout=read_timeout)
        return self._runtimes[read_timeout]

    def route(self) -> InferenceRoute:
        """The hostname this client calls and what the resolver where it runs answers for it (nothing: unresolved)."""
        hostname = urlsplit(self._client().meta.endpoint_url).hostname or ""
        return InferenceRoute(hostname, self.resolve(hostname))

    def resolve(self, hostname: str) -> tuple[str, ...]:
        """What the resolver where this runs answers for ``hostname`` (nothing: unresolved)."""
        try:
            found = socket.getaddrinfo(hostname, 443, proto=socket.IPPROTO_TCP)
        except OSError:
            return ()
        return tuple(sorted({str(info[4][0]) for info in found}))

    def converse(self, model_arn: str, prompt: str, max_tokens: int = 64, temperature: float | None = None) -> tuple[str, int]:
        """(answer text, latency ms). The text is returned, never logged."""
        settings: dict[str, Any] = (
            {"maxTokens": max_tokens} if temperature is None else {"maxTokens": max_tokens, "temperature": temperature}
        )
        response = self._client(answer_timeout_seconds(max_tokens)).converse(
            modelId=model_arn,
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            inferenceConfig=settings,
        )
        blocks = response.get("output", {}).get("message", {}).get("content", [])
        text = "".join(block.get("text", "") for block in blocks)
        return text, int(response.get("metrics", {}).get("latencyMs", 0))
