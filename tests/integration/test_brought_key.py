"""ExistingKmsKeyArn on the emulated stack (issue 14): the real template deployed with a key created beforehand,
as a bank brings one. The stack creates no key and uses the given one everywhere; `finetune preflight --stack`
judges the key's live policy (GR-KMS-07): KMS's default policy lacks the service statements and fails, the
template's own statements (resolved for this stack) pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from local.emulator import LocalPipeline

from finetune_cli.preflight import audit, target_from_stack

BASE_MODEL = "meta.llama3-1-8b-instruct-v1:0"


class BroughtKeyPipeline(LocalPipeline):
    """The emulated stack, deployed with ``ExistingKmsKeyArn``: the key is made first, in the same emulator."""

    def _start(self) -> None:
        kms = boto3.client("kms")
        made = kms.create_key(Description="the bank's own data key", KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")
        key = made["KeyMetadata"]["Arn"]
        kms.enable_key_rotation(KeyId=key)  # GR-KMS-02 holds a brought key to it as to ours
        self.parameters["ExistingKmsKeyArn"] = key
        super()._start()


@pytest.fixture(scope="module")
def brought() -> Iterator[LocalPipeline]:
    with BroughtKeyPipeline(stack_name="finetune-byok") as pipeline:
        yield pipeline


def key_row(pipeline: LocalPipeline) -> tuple[str, str]:
    [row] = [f for f in audit(target_from_stack(pipeline.stack.name, BASE_MODEL)) if f.id == "GR-KMS-07"]
    return row.status.value, row.explanation


def _resolved(value: Any, names: dict[str, str]) -> Any:
    """The template's DatasetKey policy as CloudFormation would resolve it for this stack (uploaders: none)."""
    if isinstance(value, list):
        return [v for v in (_resolved(item, names) for item in value) if v is not None]
    if not isinstance(value, dict):
        return value
    if "Fn::Sub" in value:
        return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
    if "Ref" in value:
        return names[value["Ref"]]
    if "Fn::If" in value:
        return None
    return {k: _resolved(v, names) for k, v in value.items()}


def test_the_stack_creates_no_key_and_uses_the_given_one(brought: LocalPipeline) -> None:
    given = brought.parameters["ExistingKmsKeyArn"]
    assert "DatasetKey" not in brought.stack.physical_ids and "DatasetKeyAlias" not in brought.stack.physical_ids
    assert brought.stack.outputs["DatasetKeyArn"] == given
    rules = boto3.client("s3").get_bucket_encryption(Bucket=brought.bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == given
    assert len(boto3.client("kms").list_keys()["Keys"]) == 1  # no second key was made


def test_preflight_fails_the_default_key_policy_and_passes_the_templates_statements(brought: LocalPipeline) -> None:
    kms, key = boto3.client("kms"), brought.parameters["ExistingKmsKeyArn"]
    status, why = key_row(brought)
    assert status == "FAIL" and "CloudWatchLogsEncryptsThisStacksLogGroups" in why and "BedrockUsesKeyForCustomModelThroughput" in why
    names = {
        "AWS::Partition": "aws",
        "AWS::Region": brought.stack.region,
        "AWS::AccountId": "123456789012",
        "AWS::StackName": brought.stack.name,
    }
    policy = _resolved(brought.stack.translated["Resources"]["DatasetKey"]["Properties"]["KeyPolicy"], names)
    saved = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    try:
        assert key_row(brought)[0] == "PASS"
    finally:
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=saved)


def test_a_run_succeeds_on_the_brought_key(brought: LocalPipeline) -> None:
    dataset = (__import__("pathlib").Path(__file__).resolve().parents[2] / "events" / "sample-dataset.jsonl").read_bytes()
    key = "incoming/byok.jsonl"
    version = boto3.client("s3").put_object(Bucket=brought.bucket, Key=key, Body=dataset)["VersionId"]
    result = brought.wait(brought.execution_arn(key, version), timeout=120)
    assert result["status"] == "SUCCEEDED", result.get("error")
    [job] = brought.bedrock.jobs_created
    assert job["customModelKmsKeyId"] == brought.parameters["ExistingKmsKeyArn"]
