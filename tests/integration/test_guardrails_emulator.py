"""Guardrails on the emulated stack: the template passes them all; breaking a control blocks the run."""

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from local.emulator import LocalPipeline

from secure_finetune.guardrails import PRE_LAUNCH_CHECKS, Severity
from secure_finetune.guardrails.catalogue import INFERENCE_CHECKS
from secure_finetune.reports import GuardrailsReport

KEY = "incoming/support.jsonl"


def run(pipeline: LocalPipeline, dataset: bytes, **upload: str) -> tuple[str, dict[str, Any]]:
    s3 = boto3.client("s3")
    version = s3.put_object(Bucket=pipeline.bucket, Key=KEY, Body=dataset, **upload)["VersionId"]
    arn = pipeline.execution_arn(KEY, version)
    return arn.rsplit(":", 1)[-1], pipeline.wait(arn)


def test_the_deployed_template_passes_every_blocking_check(pipeline: LocalPipeline, good_dataset: bytes) -> None:
    run_id, result = run(pipeline, good_dataset)
    assert result["status"] == "SUCCEEDED", result.get("error")
    findings = pipeline.report(run_id, GuardrailsReport).findings
    blocking = [f for f in findings if f.severity == "block"]
    # every blocking row of the pre-launch and private-inference catalogues was judged (other rows may come with a run)
    assert {f.id for f in blocking} >= {c.id for c in (*PRE_LAUNCH_CHECKS, *INFERENCE_CHECKS) if c.severity is Severity.BLOCK}
    assert {f.id: f.status for f in blocking if f.status != "PASS"} == {}
    # no warning either: the network-setup custom resource emptied the VPC's default security group (GR-NET-08) and
    # the template's flow log is on the job VPC (GR-NET-10)
    assert {f.id for f in findings if f.severity == "warn" and f.status != "PASS"} == set()


def _other_key(pipeline: LocalPipeline) -> dict[str, str]:
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": boto3.client("kms").create_key()["KeyMetadata"]["Arn"]}


def _public_access_off(pipeline: LocalPipeline) -> None:
    boto3.client("s3").delete_public_access_block(Bucket=pipeline.bucket)


def _world_ingress(pipeline: LocalPipeline) -> None:
    group = pipeline.stack.outputs["JobSecurityGroupIds"]
    boto3.client("ec2").authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="0.0.0.0/0")


def _endpoint_policy_widened(pipeline: LocalPipeline) -> None:
    ec2 = boto3.client("ec2")
    [endpoint] = [e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["ServiceName"].endswith(".s3")]
    wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], PolicyDocument=json.dumps(wide))


def _kms_endpoint_policy_widened(pipeline: LocalPipeline) -> None:
    ec2 = boto3.client("ec2")
    [endpoint] = [e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["ServiceName"].endswith(".kms")]
    every_key = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], PolicyDocument=json.dumps(every_key))


def _trust_without_source_arn(pipeline: LocalPipeline) -> None:
    name = pipeline.stack.outputs["BedrockServiceRoleArn"].rsplit("/", 1)[-1]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    boto3.client("iam").update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))


BREAKS = [
    ("GR-OBJ-01", _other_key),
    ("GR-S3-06", _public_access_off),
    ("GR-NET-07", _world_ingress),
    ("GR-NET-05", _endpoint_policy_widened),
    ("GR-NET-06", _kms_endpoint_policy_widened),
    ("GR-IAM-01", _trust_without_source_arn),
]


@pytest.mark.parametrize(("check_id", "breaks"), BREAKS, ids=[c for c, _ in BREAKS])
def test_breaking_a_control_fails_closed_no_job_and_the_owner_is_told(
    pipeline: LocalPipeline, good_dataset: bytes, check_id: str, breaks: Callable[[LocalPipeline], dict[str, str] | None]
) -> None:
    upload = breaks(pipeline) or {}
    _, result = run(pipeline, good_dataset, **upload)
    assert result["status"] == "FAILED"
    assert result["error"].startswith("GUARDRAIL_FAILED:") and check_id in result["error"].split(":", 1)[1].split(",")
    assert pipeline.bedrock.jobs_created == []
    [message] = pipeline.notifications()
    assert message["milestone"] == "GUARDRAIL_FAILED" and check_id in message["body"]


def test_preflight_audits_the_emulated_stack_read_only_and_exits_0(pipeline: LocalPipeline, capsys: pytest.CaptureFixture[str]) -> None:
    from finetune_cli.main import main

    assert main(["preflight", "--stack", pipeline.stack.name, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["blocking"] == 0
    # every account-level row the audit reads passes, warnings included (the default group is emptied at creation)
    statuses = {f["id"]: f["status"] for f in report["findings"]}
    assert {i: s for i, s in statuses.items() if s != "PASS"} == {} and {"GR-S3-13", "GR-NET-08", "GR-NET-12"} <= set(statuses)


def test_preflight_without_a_stack_judges_the_run_files_by_the_smoke_test_functions_role(
    pipeline: LocalPipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    from finetune_cli.main import main

    out = pipeline.stack.outputs
    given = ["--bucket", out["DataBucketName"], "--key-arn", out["DatasetKeyArn"], "--subnets", out["JobSubnetIds"]]
    given += ["--security-groups", out["JobSecurityGroupIds"], "--role", out["BedrockServiceRoleArn"]]

    def gr_net_05(*more: str) -> dict[str, str]:
        main(["preflight", *given, *more, "--format", "json"])
        [row] = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["id"] == "GR-NET-05"]
        return dict(row)

    # its live role is the one the endpoint's two run-file statements name: PASS
    assert gr_net_05("--smoke-test-function", out["SmokeTestFunctionName"])["status"] == "PASS"
    # not told the function, the audit lets no role use those files, and says which role the endpoint names
    row = gr_net_05()
    assert row["status"] == "FAIL" and "SmokeTestRole" in row["explanation"]
    assert "no private-inference function's role was given" in row["explanation"]


def test_preflight_checks_the_customization_type_the_model_must_offer(pipeline: LocalPipeline, capsys: pytest.CaptureFixture[str]) -> None:
    from finetune_cli.main import main

    audit = ["preflight", "--stack", pipeline.stack.name, "--format", "json", "--customization-type", "CONTINUED_PRE_TRAINING"]
    assert main([*audit, "--model", "meta.llama3-1-8b-instruct-v1:0"]) == 1  # Llama 3.1 is fine-tuned only
    failed = [f["id"] for f in json.loads(capsys.readouterr().out)["findings"] if f["status"] != "PASS" and f["severity"] == "block"]
    assert failed == ["GR-CTX-03"]
    assert main([*audit, "--model", "amazon.titan-text-express-v1"]) == 0


def test_preflight_exits_1_when_a_control_is_broken(pipeline: LocalPipeline, capsys: pytest.CaptureFixture[str]) -> None:
    from finetune_cli.main import main

    _public_access_off(pipeline)
    assert main(["preflight", "--stack", pipeline.stack.name]) == 1
    assert "GR-S3-06" in capsys.readouterr().out


def test_a_job_recorded_with_another_key_is_stopped_and_the_owner_told(
    pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes
) -> None:
    from local.bedrock_standin import Scenario

    pipeline = pipeline_with(Scenario(job_records_our_key=False))
    _, result = run(pipeline, good_dataset)
    assert (result["status"], result["error"]) == ("FAILED", "JOB_DRIFT:kms-key")
    job = boto3.client("bedrock").get_model_customization_job(jobIdentifier=pipeline.bedrock.jobs_created[0]["jobName"])
    assert job["status"] == "Stopped"
    assert [m["milestone"] for m in pipeline.notifications()] == ["JOB_FAILED"]


def test_a_model_encrypted_with_another_key_buys_nothing(pipeline_with: Callable[..., LocalPipeline], good_dataset: bytes) -> None:
    from local.bedrock_standin import Scenario

    pipeline = pipeline_with(Scenario(model_uses_our_key=False))
    _, result = run(pipeline, good_dataset)
    assert (result["status"], result["error"]) == ("FAILED", "GUARDRAIL_FAILED:GR-JOB-07")
    assert pipeline.bedrock.throughputs == {}
    told = pipeline.notifications()[-1]
    assert told["milestone"] == "GUARDRAIL_FAILED" and "GR-JOB-07" in told["body"]
