"""Shared unit-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from secure_finetune.adapters.clients import reset_clients

RUNS_TABLE = "runs"


@pytest.fixture
def moto_runs_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto with the run table as template.yaml creates it (pk/sk strings); yields its name."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        reset_clients()
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName=RUNS_TABLE,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield RUNS_TABLE
        reset_clients()
