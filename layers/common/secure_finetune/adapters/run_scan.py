"""Run records that hold (or held) a deployment: what a stack deletion must not leave billing."""

from __future__ import annotations

from ..runs import RUN_SK
from .clients import client
from .runs_table import flatten

_FIELDS = ("pk", "sk", "provisionedModelArn", "deploymentArn", "tornDownAt")


def deployed_runs(table: str) -> list[dict[str, str]]:
    """Every run record with a throughput or deployment ARN, flattened to strings.

    A strongly consistent scan: the table holds one item per run plus a few tokens and leases,
    and an ARN written a moment ago must not be missed. ``tornDownAt`` is returned, not filtered
    here, so the domain decides what still bills.
    """
    names = {f"#{field}": field for field in _FIELDS}
    paginator = client("dynamodb").get_paginator("scan")
    records: list[dict[str, str]] = []
    for page in paginator.paginate(
        TableName=table,
        ConsistentRead=True,
        FilterExpression="#sk = :run AND (attribute_exists(#provisionedModelArn) OR attribute_exists(#deploymentArn))",
        ProjectionExpression=", ".join(names),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={":run": {"S": RUN_SK}},
    ):
        records += [flatten(item) for item in page.get("Items", [])]
    return records
