"""Reads the live evidence the guardrail checks judge. Any error -> None (the check is UNKNOWN)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

from ..config import StackConfig
from ..guardrails import Evidence
from ..observability import logger
from .clients import client
from .s3 import DataBucket

_EVIDENCE_ERRORS = (ClientError, BotoCoreError, KeyError)


def gather_evidence(config: StackConfig, key: str, version_id: str) -> Evidence:
    bucket = DataBucket(config.bucket, config.account, config.key_arn)
    try:
        head = bucket.head(key, version_id)
    except _EVIDENCE_ERRORS:
        logger.warning("evidence unavailable", evidence="HeadObject")
        head = None
    return Evidence(
        account=config.account,
        region=config.region,
        expected_key_arn=config.key_arn,
        bucket_encryption_rules=_bucket_encryption(config),
        object_sse=head.sse if head else None,
        object_kms_key=head.kms_key if head else None,
        object_readable=head is not None,
        service_role_trust=_trust_policy(config.service_role_arn),
    )


def _bucket_encryption(config: StackConfig) -> list[dict[str, Any]] | None:
    try:
        response = client("s3").get_bucket_encryption(Bucket=config.bucket, ExpectedBucketOwner=config.account)
        return list(response["ServerSideEncryptionConfiguration"]["Rules"])
    except _EVIDENCE_ERRORS:
        logger.warning("evidence unavailable", evidence="GetBucketEncryption")
        return None


def _trust_policy(role_arn: str) -> dict[str, Any] | None:
    try:
        document = client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]["AssumeRolePolicyDocument"]
    except _EVIDENCE_ERRORS:
        logger.warning("evidence unavailable", evidence="GetRole")
        return None
    if isinstance(document, str):  # boto3 decodes it; some emulators return it URL-encoded
        document = json.loads(unquote(document))
    return dict(document)
