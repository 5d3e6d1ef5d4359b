"""Bedrock control plane: customization jobs and provisioned throughput."""

from __future__ import annotations

import random
import time
from typing import Any

from botocore.exceptions import ClientError

from .clients import client

_THROTTLED = ("ThrottlingException", "TooManyRequestsException")


class Bedrock:
    def __init__(self, attempts: int = 6, base_delay_seconds: float = 1.0) -> None:
        self._bedrock = client("bedrock")
        # Creates retry in create_job only: botocore's retries are off for them, so the attempts
        # never multiply (5 x 6), and the emulator's throttling reaches the same loop as AWS's.
        self._creates = client("bedrock", total_attempts=1)
        self.attempts = attempts
        self.base_delay_seconds = base_delay_seconds

    def create_job(self, request: dict[str, Any]) -> str:
        """Create the job; throttling retries with backoff (same clientRequestToken, so at most
        one job), and a name already in use resolves to that job, never a second one."""
        for attempt in range(self.attempts):
            try:
                return str(self._creates.create_model_customization_job(**request)["jobArn"])
            except ClientError as err:
                code = err.response["Error"]["Code"]
                if code in ("ResourceInUseException", "ConflictException"):
                    return str(self.get_job(request["jobName"])["jobArn"])
                if code not in _THROTTLED or attempt == self.attempts - 1:
                    raise
                time.sleep(min(self.base_delay_seconds * 2**attempt, 30) * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable")

    def get_job(self, name: str) -> dict[str, Any]:
        # Always by name (= the run id): the name is ours, and the emulator cannot route ARNs.
        job: dict[str, Any] = self._bedrock.get_model_customization_job(jobIdentifier=name)
        return job

    def get_custom_model(self, name: str) -> dict[str, Any] | None:
        try:
            # By name (= the run id), as for jobs.
            model: dict[str, Any] = self._bedrock.get_custom_model(modelIdentifier=name)
        except ClientError:
            return None  # unknown evidence: GR-JOB-07 blocks
        return model

    def stop_job(self, name: str) -> None:
        try:
            self._bedrock.stop_model_customization_job(jobIdentifier=name)
        except ClientError as err:
            if err.response["Error"]["Code"] != "ValidationException":  # already finished
                raise

    def find_throughput(self, model_arn: str) -> dict[str, Any] | None:
        summaries = self._bedrock.list_provisioned_model_throughputs(modelArnEquals=model_arn).get("provisionedModelSummaries", [])
        alive = [s for s in summaries if s.get("status") in ("Creating", "InService", "Updating")]
        return alive[0] if alive else None

    def create_throughput(self, name: str, model_arn: str, model_units: int, tags: dict[str, str]) -> str:
        response = self._bedrock.create_provisioned_model_throughput(
            provisionedModelName=name,
            modelId=model_arn,
            modelUnits=model_units,
            clientRequestToken=name,
            tags=[{"key": k, "value": v} for k, v in tags.items()],
        )  # no commitmentDuration: no-commitment, deletable at any time
        return str(response["provisionedModelArn"])

    def get_throughput(self, arn: str) -> dict[str, Any]:
        throughput: dict[str, Any] = self._bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
        return throughput

    def delete_throughput(self, arn: str) -> bool:
        """Delete; False when it was already gone (teardown is idempotent)."""
        return _deleted(self._bedrock.delete_provisioned_model_throughput, provisionedModelId=arn)

    def no_commitment_units_in_use(self) -> int:
        """Model units held by the account's live no-commitment throughputs (any model)."""
        paginator = self._bedrock.get_paginator("list_provisioned_model_throughputs")
        return sum(
            summary.get("modelUnits", 0)
            for page in paginator.paginate()
            for summary in page.get("provisionedModelSummaries", [])
            if summary.get("status") in ("Creating", "InService", "Updating") and not summary.get("commitmentDuration")
        )

    def create_deployment(self, name: str, model_arn: str, tags: dict[str, str]) -> str:
        response = self._bedrock.create_custom_model_deployment(
            modelDeploymentName=name,
            modelArn=model_arn,
            clientRequestToken=name,
            tags=[{"key": k, "value": v} for k, v in tags.items()],
        )
        return str(response["customModelDeploymentArn"])

    def get_deployment(self, arn: str) -> dict[str, Any]:
        deployment: dict[str, Any] = self._bedrock.get_custom_model_deployment(customModelDeploymentIdentifier=arn)
        return deployment

    def delete_deployment(self, arn: str) -> bool:
        return _deleted(self._bedrock.delete_custom_model_deployment, customModelDeploymentIdentifier=arn)


def _deleted(delete: Any, **identifier: str) -> bool:
    try:
        delete(**identifier)
    except ClientError as err:
        if err.response["Error"]["Code"] == "ResourceNotFoundException":
            return False
        raise
    return True


class BedrockRuntime:
    """Inference on the deployed model (the smoke test)."""

    def __init__(self, read_timeout_seconds: float = 20) -> None:
        # Its own client: a smoke prompt gets one retry and a short timeout (SmokeTestFunction's
        # Timeout covers 3 prompts x 2 attempts), not the pipeline's five patient attempts.
        self.read_timeout_seconds = read_timeout_seconds
        self._runtime: Any = None  # made on first use: only the smoke test pays for it

    def converse(self, model_arn: str, prompt: str, max_tokens: int = 64) -> tuple[str, int]:
        """(answer text, latency ms). The text stays in memory: it is measured, never logged."""
        if self._runtime is None:
            self._runtime = client("bedrock-runtime", total_attempts=2, read_timeout=self.read_timeout_seconds)
        response = self._runtime.converse(
            modelId=model_arn,
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            inferenceConfig={"maxTokens": max_tokens},
        )
        blocks = response.get("output", {}).get("message", {}).get("content", [])
        text = "".join(block.get("text", "") for block in blocks)
        return text, int(response.get("metrics", {}).get("latencyMs", 0))
