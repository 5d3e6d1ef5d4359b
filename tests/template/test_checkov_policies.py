"""Our custom checkov policies catch what the built-ins miss (run on small bad fixtures)."""

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"

BAD = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "AliasBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"}}
                    ]
                }
            },
        },
        "DeputyRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}],
                }
            },
        },
        "OpenGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "open",
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}],
            },
        },
        "ChattyMachine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "RoleArn": "arn:aws:iam::111122223333:role/x",
                "DefinitionString": "{}",
                "LoggingConfiguration": {"Level": "ALL", "IncludeExecutionData": True},
            },
        },
    },
}


@pytest.mark.skipif(not CHECKOV.exists(), reason="run through `make unit`/`make test`, which installs checkov")
def test_each_custom_policy_fails_its_bad_fixture(tmp_path: Path) -> None:
    fixture = tmp_path / "bad.json"
    fixture.write_text(json.dumps(BAD))
    run = subprocess.run(
        [str(CHECKOV), "-f", str(fixture), "--framework", "cloudformation", "--skip-download", "--quiet", "-o", "json",
         "--external-checks-dir", str(ROOT / "checkov" / "policies"), "--check", "CKV2_BFT_1,CKV2_BFT_2,CKV2_BFT_3,CKV2_BFT_4"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    failed = {(f["check_id"], f["resource"].split(".")[-1]) for f in json.loads(run.stdout)["results"]["failed_checks"]}
    assert failed == {
        ("CKV2_BFT_1", "AliasBucket"),
        ("CKV2_BFT_2", "DeputyRole"),
        ("CKV2_BFT_3", "OpenGroup"),
        ("CKV2_BFT_4", "ChattyMachine"),
    }
