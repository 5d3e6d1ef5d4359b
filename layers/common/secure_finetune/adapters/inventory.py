"""The janitor's inventory: the account's customization jobs still training, provisioned throughputs,
custom-model deployments and custom models.

Listing and deleting go by ARN; every list is paginated (``nextToken``). Operation and field names are
botocore's bedrock service model: ListModelCustomizationJobs (``statusEquals``, a ``FineTuningJobStatus``) ->
``modelCustomizationJobSummaries``, ListProvisionedModelThroughputs -> ``provisionedModelSummaries``,
ListCustomModelDeployments -> ``modelDeploymentSummaries``, ListCustomModels (``isOwned``) ->
``modelSummaries``, ListEvaluationJobs (``statusEquals``, an ``EvaluationJobStatus``) -> ``jobSummaries``,
ListTagsForResource(``resourceARN``; its ``TaggableResourcesArn`` includes ``model-customization-job`` and
``evaluation-job`` ARNs) -> ``tags``. A customization job is not deleted but stopped, by name, through the run's
write-ahead intent (``teardown/intended.py``: it records ``stoppedBy`` first); an evaluation job is stopped by ARN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from ..ports import BilledKind, BilledResource
from ..service_errors import NotFound, ServiceError
from .clients import client

# (operation, result key, ARN field, name field, created field, model field: None when the summary names no one model)
_LISTINGS: dict[BilledKind, tuple[str, str, str, str, str, str | None]] = {
    BilledKind.JOB: (
        "list_model_customization_jobs",
        "modelCustomizationJobSummaries",
        "jobArn",
        "jobName",
        "creationTime",
        "baseModelArn",
    ),
    BilledKind.THROUGHPUT: (
        "list_provisioned_model_throughputs",
        "provisionedModelSummaries",
        "provisionedModelArn",
        "provisionedModelName",
        "creationTime",
        "modelArn",
    ),
    BilledKind.DEPLOYMENT: (
        "list_custom_model_deployments",
        "modelDeploymentSummaries",
        "customModelDeploymentArn",
        "customModelDeploymentName",
        "createdAt",
        "modelArn",
    ),
    BilledKind.CUSTOM_MODEL: ("list_custom_models", "modelSummaries", "modelArn", "modelName", "creationTime", "baseModelArn"),
    BilledKind.EVALUATION_JOB: ("list_evaluation_jobs", "jobSummaries", "jobArn", "jobName", "creationTime", None),
}


class BedrockInventory:
    def __init__(self) -> None:
        self._bedrock = client("bedrock")

    def resources(self, kind: BilledKind) -> list[BilledResource]:
        operation, key, arn, name, created, model = _LISTINGS[kind]
        filters: dict[BilledKind, dict[str, Any]] = {
            BilledKind.CUSTOM_MODEL: {"isOwned": True},  # not models shared with us
            # Only a job in progress trains and bills; Stopping ends on its own, the others have ended.
            BilledKind.JOB: {"statusEquals": "InProgress"},
            BilledKind.EVALUATION_JOB: {"statusEquals": "InProgress"},  # EvaluationJobStatus, as above
        }
        extra = filters.get(kind, {})
        return [
            BilledResource(
                kind=kind,
                arn=str(summary[arn]),
                name=str(summary.get(name, "")),
                status=str(summary.get("status") or summary.get("modelStatus") or ""),
                created=_utc(summary.get(created)),
                model_arn=summary.get(model) if model else None,
            )
            for summary in _pages(getattr(self._bedrock, operation), key, **extra)
        ]

    def tags(self, arn: str) -> dict[str, str] | None:
        try:
            listed = self._bedrock.list_tags_for_resource(resourceARN=arn).get("tags", [])
        except ServiceError:
            return None  # unreadable tags prove nothing
        return {str(tag["key"]): str(tag["value"]) for tag in listed}

    def delete(self, resource: BilledResource) -> bool:
        if resource.kind in (BilledKind.JOB, BilledKind.EVALUATION_JOB):
            raise ValueError("a job is stopped (teardown.intended.stop_intended_job, EvaluationService.stop_job), not deleted")
        delete: dict[BilledKind, Callable[[], Any]] = {
            BilledKind.THROUGHPUT: lambda: self._bedrock.delete_provisioned_model_throughput(provisionedModelId=resource.arn),
            BilledKind.DEPLOYMENT: lambda: self._bedrock.delete_custom_model_deployment(customModelDeploymentIdentifier=resource.arn),
            # By name ("ARN or name" in AWS; moto's DeleteCustomModel finds names only).
            BilledKind.CUSTOM_MODEL: lambda: self._bedrock.delete_custom_model(modelIdentifier=resource.name),
        }
        try:
            delete[resource.kind]()
        except NotFound:
            return False
        return True


def _pages(operation: Callable[..., dict[str, Any]], key: str, **arguments: Any) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        page = operation(**arguments, **({"nextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("nextToken")
        if not token:
            return


def _utc(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
