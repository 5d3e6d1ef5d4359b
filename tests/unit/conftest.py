"""Shared unit-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from local import loopback_tls
from moto import mock_aws

from secure_finetune import pricing
from secure_finetune.adapters.clients import reset_clients
from secure_finetune.adapters.s3 import DataBucket
from tests.unit import custom_resources

cfn = custom_resources.cfn  # the ResponseURL fixture, for every custom resource's tests
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


def _fixture_figure(usd: float, wording: str) -> dict[str, Any]:
    # Test data, not a price: the arithmetic and the citations need figures; the checked-in snapshot has none an AWS
    # page could be read for from here (see price_snapshot.json).
    return {
        "usd": usd,
        "wording": f"test fixture: {wording}",
        "source_url": "https://aws.amazon.com/bedrock/pricing/",
        "as_of": "2026-12-03",
    }


TEST_PRICES = {
    "prices": {
        "amazon.nova-micro-v1:0": {
            "region": "us-east-1",
            "training_per_1k_tokens": _fixture_figure(0.001, "training per 1,000 tokens"),
            "storage_per_month": _fixture_figure(1.95, "storage per custom model per month"),
            "throughput_per_unit_hour": _fixture_figure(60.5, "provisioned throughput per model unit per hour"),
        },
        "meta.llama3-1-8b-instruct-v1:0": {
            "region": "us-east-1",
            "storage_per_month": _fixture_figure(1.95, "storage per custom model per month"),
        },
    },
    "token_prices": {
        model: {
            "region": "us-east-1",
            "input_per_1k_tokens": _fixture_figure(0.0008, "input tokens per 1,000"),
            "output_per_1k_tokens": _fixture_figure(0.0032, "output tokens per 1,000"),
        }
        for model in ("amazon.nova-pro-v1:0",)  # the default judge; the base models' tokens stay unpriced
    },
}


@pytest.fixture
def priced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test figures (each labelled "test fixture") in place of the snapshot's, for tests of the cost arithmetic."""
    monkeypatch.setattr(pricing, "PRICES", pricing.parse_snapshot(TEST_PRICES))
    monkeypatch.setattr(pricing, "TOKEN_PRICES", pricing.parse_token_prices(TEST_PRICES))
