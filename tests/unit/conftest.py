"""Shared unit-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from local import loopback_tls
from moto import mock_aws

from secure_finetune.adapters.clients import reset_clients
from secure_finetune.adapters.s3 import DataBucket

RUNS_TABLE = "runs"
DATA_BUCKET = "data-bucket"


@pytest.fixture
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A region, fake credentials, no endpoint override and fresh cached clients: nothing reaches AWS."""
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    reset_clients()
    yield
    reset_clients()


@pytest.fixture
def trusted_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust the certificate of the loopback https servers (``local/loopback_tls.py``), as the emulator does."""
    for name, value in loopback_tls.trusted_environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def moto_runs_table(offline_aws: None) -> Iterator[str]:
    """moto with the run table as template.yaml creates it (pk/sk strings); yields its name."""
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


@pytest.fixture
def moto_bucket(offline_aws: None) -> Iterator[tuple[Any, DataBucket, str]]:
    """moto with a versioned data bucket and a KMS key: (s3 client, DataBucket, key ARN)."""
    with mock_aws():
        reset_clients()
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=DATA_BUCKET)
        s3.put_bucket_versioning(Bucket=DATA_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        key_arn = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        yield s3, DataBucket(DATA_BUCKET, "123456789012", key_arn), key_arn
        reset_clients()
