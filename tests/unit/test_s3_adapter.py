"""botocore Stubber: every S3 call names the expected bucket owner (moto ignores it)."""

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from secure_finetune.adapters.s3 import DataBucket

OWNER = "111122223333"


@pytest.fixture
def bucket(offline_aws: None) -> Iterator[tuple[DataBucket, Any]]:
    data = DataBucket("data-bucket", OWNER, "arn:aws:kms:us-east-1:111122223333:key/k")
    with Stubber(data._s3) as stub:
        yield data, stub
        stub.assert_no_pending_responses()


def test_head_sends_expected_bucket_owner_and_reads_the_encryption(bucket: tuple[DataBucket, Any]) -> None:
    data, stub = bucket
    stub.add_response(
        "head_object",
        {"ETag": '"e1"', "ContentLength": 3, "VersionId": "v1", "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "arn:k"},
        {"Bucket": "data-bucket", "Key": "incoming/x.jsonl", "VersionId": "v1", "ExpectedBucketOwner": OWNER},
    )
    found = data.head("incoming/x.jsonl", "v1")
    assert found is not None
    assert (found.etag, found.sse, found.kms_key) == ("e1", "aws:kms", "arn:k")


def test_a_bucket_owned_by_another_account_is_an_error_not_a_missing_object(bucket: tuple[DataBucket, Any]) -> None:
    data, stub = bucket
    stub.add_client_error("head_object", service_error_code="403", http_status_code=403)
    with pytest.raises(Exception) as caught:
        data.head("incoming/x.jsonl", "v1")
    assert "403" in str(caught.value)


def test_key_resolution_tries_the_key_as_given_then_url_decoded(bucket: tuple[DataBucket, Any]) -> None:
    data, stub = bucket
    params = {"Bucket": "data-bucket", "VersionId": "v1", "ExpectedBucketOwner": OWNER}
    stub.add_client_error(
        "head_object", service_error_code="404", http_status_code=404, expected_params={**params, "Key": "incoming/a+b%41.jsonl"}
    )
    stub.add_response("head_object", {"ETag": '"e1"', "ContentLength": 3, "VersionId": "v1"}, {**params, "Key": "incoming/a bA.jsonl"})
    resolved = data.resolve_key("incoming/a+b%41.jsonl", "v1", "e1")
    assert resolved is not None
    assert resolved.key == "incoming/a bA.jsonl"


def test_copies_pin_the_source_version_re_encrypt_with_our_key_and_check_both_owners(bucket: tuple[DataBucket, Any]) -> None:
    data, stub = bucket
    stub.add_response(
        "copy_object",
        {},
        {
            "Bucket": "data-bucket",
            "Key": "quarantine/r/x.jsonl",
            "CopySource": {"Bucket": "data-bucket", "Key": "incoming/x.jsonl", "VersionId": "v1"},
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": data.key_arn,
            "ExpectedBucketOwner": OWNER,
            "ExpectedSourceBucketOwner": OWNER,
            "TaggingDirective": "REPLACE",
            "Tagging": "reason=DATASET_INVALID",
        },
    )
    data.copy_version("incoming/x.jsonl", "v1", "quarantine/r/x.jsonl", {"reason": "DATASET_INVALID"})
