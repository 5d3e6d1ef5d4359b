"""Bedrock control plane: customization jobs and provisioned throughput."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .clients import client


class Bedrock:
    def __init__(self) -> None:
        self._bedrock = client("bedrock")

    def create_job(self, request: dict[str, Any]) -> str:
        """Create the job; a name already in use resolves to that job, never a second one."""
        try:
            return str(self._bedrock.create_model_customization_job(**request)["jobArn"])
        except ClientError as err:
            if err.response["Error"]["Code"] not in ("ResourceInUseException", "ConflictException"):
                raise
        return str(self.get_job(request["jobName"])["jobArn"])

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
