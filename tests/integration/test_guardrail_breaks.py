"""Every blocking guardrail, broken in the emulated stack: exactly its check fails, the rest still pass.

The real template is deployed into moto once for this module. The pipeline's own Lambda handlers
run each step through ``lambda.invoke`` (Trigger -> RegisterRun -> ValidateDataset ->
VerifyGuardrails; StartTrainingJob, PlanDeployment and DeployModel for the checks after launch).
Step Functions itself is left out (StartExecution is answered by a recorder), so a row costs one
guardrail evaluation, not a run.

Each row breaks one control with ordinary boto3 calls (or, for the job-request checks, the request
the step is about to send), judges a run, and undoes the break. It asserts that its id FAILs (or is
UNKNOWN where the rule fails closed by design), that the step stopped with exactly the ids that did
not pass (``GUARDRAIL_FAILED:<ids>``: no job can start), and that every other blocking check still
PASSes, except the ids the row lists as coupled, each with its reason. After launch: GR-JOB-06
stops the job; GR-JOB-07/08 buy nothing. GR-OPS-04/08 are judged by ``finetune preflight``.

Emulated evidence (a labelled stand-in in ``local/``, not AWS's own answer): GetFoundationModel
(GR-CTX-03), SimulatePrincipalPolicy (GR-IAM-03), IAM Access Analyzer (GR-S3-08, GR-KMS-03,
GR-IAM-01, GR-IAM-03, GR-IAM-05). Their real-shaped answers are tested with botocore Stubber in
``tests/unit/test_evidence_stubbed.py``.

Blocking checks that moto cannot break, covered instead by (see ``COVERED_ELSEWHERE``):

=========  ==================================================================  =====================================================
id         why not here                                                        covered by
=========  ==================================================================  =====================================================
GR-CTX-02  moto ignores ``ExpectedBucketOwner`` (another owner is never a      tests/unit/test_evidence_stubbed.py::
           403) and a deployed bucket cannot move to another region            test_a_bucket_owned_by_another_account_fails_the_owner_check,
                                                                               test_a_bucket_in_another_region_fails_the_owner_check;
                                                                               tests/unit/test_guardrails.py (GR-CTX-02 rows)
GR-OPS-02  a property of the code (the notification models' fields), not of    tests/unit/test_failure_and_notifications.py::
           the deployed stack: nothing in AWS can break it                     test_gr_ops_02_every_milestone_field_is_content_free_
                                                                               and_a_free_text_field_fails
=========  ==================================================================  =====================================================
"""

from __future__ import annotations

import copy
import gzip
import importlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends

from finetune_cli.preflight import audit, target_from_stack
from secure_finetune.adapters.evidence import policy_document
from secure_finetune.guardrails import OPS_CHECKS, PRE_LAUNCH_CHECKS, PURCHASE_CHECKS, Severity
from secure_finetune.guardrails.catalogue import INFERENCE_CHECKS
from secure_finetune.reports import DeploymentReport
from secure_finetune.runs import run_id
from secure_finetune.state import RunObject, TrainingResult
from tests.integration.guardrail_harness import (
    ACCOUNT,
    BASE_MODEL,
    DATASET,
    WORLD,
    Breaker,
    Stack,
    _restored,
    ec2,
    iam,
    kms,
    s3,
    stack,
)

__all__ = ["stack"]  # the module-scoped fixture: one emulated stack for this module

# ---- the run's own facts (context, object, validator)


@contextmanager
def event_for_another_bucket(h: Stack) -> Iterator[dict[str, Any]]:
    state = copy.deepcopy(h.baseline)
    state["run"]["bucket"] = "somebody-elses-bucket"
    yield state


@contextmanager
def customization_the_model_lacks(h: Stack) -> Iterator[dict[str, Any]]:
    state = copy.deepcopy(h.baseline)
    state["registered"]["settings"]["customizationType"] = "CONTINUED_PRE_TRAINING"
    yield state


@contextmanager
def object_with_another_key(h: Stack) -> Iterator[dict[str, Any]]:
    yield h.run_of("incoming/other-key.jsonl", DATASET, ServerSideEncryption="aws:kms", SSEKMSKeyId=h.other_key)


@contextmanager
def object_with_sse_s3(h: Stack) -> Iterator[dict[str, Any]]:
    yield h.run_of("incoming/sse-s3.jsonl", DATASET, ServerSideEncryption="AES256")


@contextmanager
def object_swapped_after_the_event(h: Stack) -> Iterator[dict[str, Any]]:
    first = h.upload("incoming/swapped.jsonl", DATASET)
    state = h.run_of("incoming/swapped.jsonl", DATASET + DATASET.splitlines(keepends=True)[0])
    state["run"].update(etag=first["run"]["etag"], size=first["run"]["size"])  # the event saw v1, the run reads v2
    yield state


@contextmanager
def key_outside_incoming_jsonl(h: Stack) -> Iterator[dict[str, Any]]:
    key = "incoming/notes.txt"  # the trigger ignores it; a misrouted event brings it anyway
    version = s3().put_object(Bucket=h.bucket, Key=key, Body=DATASET)["VersionId"]
    head = s3().head_object(Bucket=h.bucket, Key=key, VersionId=version)
    run = RunObject(
        run_id=run_id(h.bucket, key, version), bucket=h.bucket, key=key, version_id=version, etag=head["ETag"].strip('"'), size=len(DATASET)
    )
    yield h.prepare({"run": run.wire(), "timing": h.baseline["timing"]})


@contextmanager
def empty_object(h: Stack) -> Iterator[dict[str, Any]]:
    yield h.run_of("incoming/empty.jsonl", b"")


@contextmanager
def gzip_object(h: Stack) -> Iterator[dict[str, Any]]:
    yield h.run_of("incoming/compressed.jsonl", gzip.compress(DATASET))


@contextmanager
def too_few_records(h: Stack) -> Iterator[dict[str, Any]]:
    yield h.run_of("incoming/few.jsonl", b"".join(DATASET.splitlines(keepends=True)[:2]))


@contextmanager
def secret_in_a_record(h: Stack) -> Iterator[dict[str, Any]]:
    leak = b'{"prompt": "What is the deploy key?", "completion": "Use AKIAIOSFODNN7EXAMPLE from the vault."}\n'
    yield h.run_of("incoming/leak.jsonl", DATASET + leak)


@contextmanager
def _malware_scanning_on(h: Stack) -> Iterator[None]:
    old = h.set_environment("VerifyGuardrailsFunction", MALWARE_SCAN_ENABLED="true")
    try:
        yield
    finally:
        boto3.client("lambda").update_function_configuration(
            FunctionName=h.function("VerifyGuardrailsFunction"), Environment={"Variables": old}
        )


@contextmanager
def infected_object_with_scanning_on(h: Stack) -> Iterator[dict[str, Any]]:
    with _malware_scanning_on(h):
        yield h.run_of("incoming/infected.jsonl", DATASET, Tagging="GuardDutyMalwareScanStatus=THREATS_FOUND")


@contextmanager
def unscanned_object_with_scanning_on(h: Stack) -> Iterator[dict[str, Any]]:
    with _malware_scanning_on(h):
        yield h.run_of("incoming/unscanned.jsonl", DATASET)


# ---- the bucket


def _encryption(h: Stack) -> Any:
    return s3().get_bucket_encryption(Bucket=h.bucket)["ServerSideEncryptionConfiguration"]


def _put_encryption(h: Stack, saved: Any) -> None:
    s3().put_bucket_encryption(Bucket=h.bucket, ServerSideEncryptionConfiguration=saved)


@_restored(_encryption, _put_encryption)
def bucket_default_sse_s3(h: Stack, config: Any) -> None:
    s3().put_bucket_encryption(
        Bucket=h.bucket, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    )


@_restored(_encryption, _put_encryption)
def bucket_default_aws_s3_key(h: Stack, config: Any) -> None:
    rules = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]  # no key = aws/s3
    s3().put_bucket_encryption(Bucket=h.bucket, ServerSideEncryptionConfiguration={"Rules": rules})


@_restored(_encryption, _put_encryption)
def bucket_default_key_by_alias(h: Stack, config: Any) -> None:
    alias = f"alias/{h.pipeline.stack.name}-data"  # the template's alias of the same key
    rules = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": alias}, "BucketKeyEnabled": True}]
    s3().put_bucket_encryption(Bucket=h.bucket, ServerSideEncryptionConfiguration={"Rules": rules})


def _bucket_policy(h: Stack) -> dict[str, Any]:
    return policy_document(s3().get_bucket_policy(Bucket=h.bucket)["Policy"])


def _put_bucket_policy(h: Stack, saved: dict[str, Any]) -> None:
    s3().put_bucket_policy(Bucket=h.bucket, Policy=json.dumps(saved))


@_restored(_bucket_policy, _put_bucket_policy)
def tls_deny_removed(h: Stack, policy: dict[str, Any]) -> None:
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "DenyInsecureTransport"]
    _put_bucket_policy(h, policy)


@_restored(_bucket_policy, _put_bucket_policy)
def bucket_shared_with_another_account(h: Stack, policy: dict[str, Any]) -> None:
    grant = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "s3:GetObject"}
    policy["Statement"].append({**grant, "Resource": f"arn:aws:s3:::{h.bucket}/*"})
    _put_bucket_policy(h, policy)


def _public_access_block(h: Stack) -> Any:
    return s3().get_public_access_block(Bucket=h.bucket)["PublicAccessBlockConfiguration"]


def _put_public_access_block(h: Stack, saved: Any) -> None:
    s3().put_public_access_block(Bucket=h.bucket, PublicAccessBlockConfiguration=saved)


@_restored(_public_access_block, _put_public_access_block)
def public_access_block_off(h: Stack, config: Any) -> None:
    s3().delete_public_access_block(Bucket=h.bucket)


@_restored(_public_access_block, _put_public_access_block)
def public_policies_allowed(h: Stack, config: Any) -> None:
    _put_public_access_block(h, {**config, "BlockPublicPolicy": False})


@_restored(
    lambda h: s3().get_bucket_ownership_controls(Bucket=h.bucket)["OwnershipControls"],
    lambda h, saved: s3().put_bucket_ownership_controls(Bucket=h.bucket, OwnershipControls=saved),
)
def acls_enabled(h: Stack, controls: Any) -> None:
    s3().put_bucket_ownership_controls(Bucket=h.bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})


# ---- the key


@contextmanager
def key_disabled(h: Stack) -> Iterator[dict[str, Any]]:
    kms().disable_key(KeyId=h.key_id)
    try:
        yield h.baseline
    finally:
        kms().enable_key(KeyId=h.key_id)


@contextmanager
def key_pending_deletion(h: Stack) -> Iterator[dict[str, Any]]:
    kms().schedule_key_deletion(KeyId=h.key_id, PendingWindowInDays=7)
    try:
        yield h.baseline
    finally:
        kms().cancel_key_deletion(KeyId=h.key_id)
        kms().enable_key(KeyId=h.key_id)  # a cancelled deletion leaves the key disabled


@contextmanager
def rotation_off(h: Stack) -> Iterator[dict[str, Any]]:
    kms().disable_key_rotation(KeyId=h.key_arn)
    try:
        yield h.baseline
    finally:
        kms().enable_key_rotation(KeyId=h.key_arn)


def _key_policy(h: Stack) -> dict[str, Any]:
    return policy_document(kms().get_key_policy(KeyId=h.key_arn, PolicyName="default")["Policy"])


def _put_key_policy(h: Stack, saved: dict[str, Any]) -> None:
    kms().put_key_policy(KeyId=h.key_arn, PolicyName="default", Policy=json.dumps(saved))


@_restored(_key_policy, _put_key_policy)
def key_policy_wildcard_principal(h: Stack, policy: dict[str, Any]) -> None:
    policy["Statement"].append({"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"})
    _put_key_policy(h, policy)


@_restored(_key_policy, _put_key_policy)
def role_statement_without_via_service(h: Stack, policy: dict[str, Any]) -> None:
    for statement in policy["Statement"]:
        if statement.get("Sid") == "BedrockServiceRoleUsesKeyThroughS3AndBedrock":
            del statement["Condition"]["StringEquals"]
    _put_key_policy(h, policy)


@contextmanager
def role_may_use_a_second_key(h: Stack) -> Iterator[dict[str, Any]]:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": h.other_key}]}
    iam().put_role_policy(RoleName=h.service_role, PolicyName="second-key", PolicyDocument=json.dumps(document))
    try:
        yield h.baseline
    finally:
        iam().delete_role_policy(RoleName=h.service_role, PolicyName="second-key")


# ---- the network


@contextmanager
def _default_route(h: Stack, **target: str) -> Iterator[dict[str, Any]]:
    ec2().create_route(RouteTableId=h.route_table, DestinationCidrBlock=WORLD, **target)
    try:
        yield h.baseline
    finally:
        ec2().delete_route(RouteTableId=h.route_table, DestinationCidrBlock=WORLD)


@contextmanager
def internet_gateway_route(h: Stack) -> Iterator[dict[str, Any]]:
    gateway = ec2().create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2().attach_internet_gateway(InternetGatewayId=gateway, VpcId=h.vpc)
    try:
        with _default_route(h, GatewayId=gateway) as state:
            yield state
    finally:
        ec2().detach_internet_gateway(InternetGatewayId=gateway, VpcId=h.vpc)
        ec2().delete_internet_gateway(InternetGatewayId=gateway)


@contextmanager
def nat_gateway_route(h: Stack) -> Iterator[dict[str, Any]]:
    allocation = ec2().allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2().create_nat_gateway(SubnetId=h.subnets[0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    try:
        with _default_route(h, NatGatewayId=nat) as state:
            yield state
    finally:
        ec2().delete_nat_gateway(NatGatewayId=nat)
        ec2().release_address(AllocationId=allocation)


@contextmanager
def subnet_assigns_public_addresses(h: Stack) -> Iterator[dict[str, Any]]:
    ec2().modify_subnet_attribute(SubnetId=h.subnets[1], MapPublicIpOnLaunch={"Value": True})
    try:
        yield h.baseline
    finally:
        ec2().modify_subnet_attribute(SubnetId=h.subnets[1], MapPublicIpOnLaunch={"Value": False})


@contextmanager
def s3_endpoint_off_the_job_route_table(h: Stack) -> Iterator[dict[str, Any]]:
    endpoint = h.endpoint("s3")["VpcEndpointId"]
    ec2().modify_vpc_endpoint(VpcEndpointId=endpoint, RemoveRouteTableIds=[h.route_table])
    try:
        yield h.baseline
    finally:
        ec2().modify_vpc_endpoint(VpcEndpointId=endpoint, AddRouteTableIds=[h.route_table])


@contextmanager
def s3_endpoint_policy_widened(h: Stack) -> Iterator[dict[str, Any]]:
    endpoint = h.endpoint("s3")
    saved = policy_document(endpoint["PolicyDocument"])
    wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    ec2().modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], PolicyDocument=json.dumps(wide))
    try:
        yield h.baseline
    finally:
        ec2().modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], PolicyDocument=json.dumps(saved))


@contextmanager
def vpc_dns_hostnames_off(h: Stack) -> Iterator[dict[str, Any]]:
    ec2().modify_vpc_attribute(VpcId=h.vpc, EnableDnsHostnames={"Value": False})
    try:
        yield h.baseline
    finally:
        ec2().modify_vpc_attribute(VpcId=h.vpc, EnableDnsHostnames={"Value": True})


@contextmanager
def _ingress(group: str, **rule: Any) -> Iterator[None]:
    permission = [{"IpProtocol": "tcp", "FromPort": rule["port"], "ToPort": rule["port"], **rule["ranges"]}]
    ec2().authorize_security_group_ingress(GroupId=group, IpPermissions=permission)
    try:
        yield
    finally:
        ec2().revoke_security_group_ingress(GroupId=group, IpPermissions=permission)


@contextmanager
def kms_endpoint_open_to_the_world(h: Stack) -> Iterator[dict[str, Any]]:
    [group] = [g["GroupId"] for g in h.endpoint("kms")["Groups"]]
    with _ingress(group, port=443, ranges={"IpRanges": [{"CidrIp": WORLD}]}):
        yield h.baseline


@contextmanager
def world_ssh_on_the_job_group(h: Stack) -> Iterator[dict[str, Any]]:
    with _ingress(h.job_group, port=22, ranges={"IpRanges": [{"CidrIp": WORLD}]}):
        yield h.baseline


@contextmanager
def world_ipv6_https_on_the_job_group(h: Stack) -> Iterator[dict[str, Any]]:
    with _ingress(h.job_group, port=443, ranges={"Ipv6Ranges": [{"CidrIpv6": "::/0"}]}):
        yield h.baseline


# ---- identities


def _trust(h: Stack) -> dict[str, Any]:
    return policy_document(iam().get_role(RoleName=h.service_role)["Role"]["AssumeRolePolicyDocument"])


def _put_trust(h: Stack, saved: dict[str, Any]) -> None:
    iam().update_assume_role_policy(RoleName=h.service_role, PolicyDocument=json.dumps(saved))


@_restored(_trust, _put_trust)
def trust_without_source_arn(h: Stack, trust: dict[str, Any]) -> None:
    for statement in trust["Statement"]:
        statement["Condition"].pop("ArnLike")
    _put_trust(h, trust)


@_restored(_trust, _put_trust)
def trust_open_to_any_account(h: Stack, trust: dict[str, Any]) -> None:
    trust["Statement"].append({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    _put_trust(h, trust)


@contextmanager
def _inline_policy(role: str, name: str, statements: list[dict[str, Any]]) -> Iterator[None]:
    iam().put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    try:
        yield
    finally:
        iam().delete_role_policy(RoleName=role, PolicyName=name)


@contextmanager
def role_may_rewrite_the_bucket_policy(h: Stack) -> Iterator[dict[str, Any]]:
    grant = {"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": f"arn:aws:s3:::{h.bucket}"}
    with _inline_policy(h.service_role, "bucket-admin", [grant]):
        yield h.baseline


def _training_data(h: Stack) -> dict[str, Any]:
    return policy_document(iam().get_role_policy(RoleName=h.service_role, PolicyName="training-data")["PolicyDocument"])


def _put_training_data(h: Stack, saved: dict[str, Any]) -> None:
    iam().put_role_policy(RoleName=h.service_role, PolicyName="training-data", PolicyDocument=json.dumps(saved))


@_restored(_training_data, _put_training_data)
def role_cannot_read_validated_data(h: Stack, policy: dict[str, Any]) -> None:
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "ReadValidatedDataAndMedia"]
    _put_training_data(h, policy)


def aws_managed_policy(name: str) -> str:
    """AWS's managed policies exist in every account; moto loads its copy of them only on request."""
    backend = iam_backends[ACCOUNT]["global"]
    arn = f"arn:aws:iam::aws:policy/{name}"
    if arn not in backend.managed_policies:
        data = json.loads(aws_managed_policies_data)[name]
        backend.managed_policies[arn] = AWSManagedPolicy.from_data(name, ACCOUNT, "us-east-1", data)
    return arn


@contextmanager
def managed_policy_attached(h: Stack, name: str) -> Iterator[dict[str, Any]]:
    """The AWS managed policy ``name`` on the service role for the block."""
    arn = aws_managed_policy(name)
    iam().attach_role_policy(RoleName=h.service_role, PolicyArn=arn)
    try:
        yield h.baseline
    finally:
        iam().detach_role_policy(RoleName=h.service_role, PolicyArn=arn)


@contextmanager
def broad_managed_policy_attached(h: Stack) -> Iterator[dict[str, Any]]:
    with managed_policy_attached(h, "AmazonS3FullAccess"):
        yield h.baseline


@contextmanager
def launcher_passes_any_role(h: Stack) -> Iterator[dict[str, Any]]:
    with _inline_policy(h.launcher_role.rsplit("/", 1)[-1], "pass-any", [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]):
        yield h.baseline


# ---- the VPC read path (issue 11), the evaluation role (issue 15), the RFT grader (issue 13)


@_restored(_bucket_policy, _put_bucket_policy)
def service_role_may_read_from_outside_the_vpc(h: Stack, policy: dict[str, Any]) -> None:
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "BedrockRoleReadsTrainingDataOnlyInTheJobVpc"]
    _put_bucket_policy(h, policy)


def _evaluation_role(h: Stack) -> str:
    return h.pipeline.stack.physical_ids["EvaluationServiceRole"].rsplit("/", 1)[-1]


def _evaluation_trust(h: Stack) -> dict[str, Any]:
    return policy_document(iam().get_role(RoleName=_evaluation_role(h))["Role"]["AssumeRolePolicyDocument"])


def _put_evaluation_trust(h: Stack, saved: dict[str, Any]) -> None:
    iam().update_assume_role_policy(RoleName=_evaluation_role(h), PolicyDocument=json.dumps(saved))


@_restored(_evaluation_trust, _put_evaluation_trust)
def evaluation_trust_without_source_arn(h: Stack, trust: dict[str, Any]) -> None:
    for statement in trust["Statement"]:
        statement["Condition"].pop("ArnLike")  # any evaluation job of any account naming this role: the confused deputy
    _put_evaluation_trust(h, trust)


@contextmanager
def evaluation_role_may_read_the_training_data(h: Stack) -> Iterator[dict[str, Any]]:
    grant = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{h.bucket}/validated/*"}
    with _inline_policy(_evaluation_role(h), "training-data", [grant]):
        yield h.baseline


def _grader(h: Stack) -> dict[str, Any]:
    return dict(boto3.client("lambda").get_function_configuration(FunctionName=h.function("GraderFunction")))


@contextmanager
def grader_role_may_read_the_bucket(h: Stack) -> Iterator[dict[str, Any]]:
    grant = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{h.bucket}/*"}
    with _inline_policy(_grader(h)["Role"].rsplit("/", 1)[-1], "read-bucket", [grant]):
        yield h.baseline


@contextmanager
def grader_invocable_by_another_account(h: Stack) -> Iterator[dict[str, Any]]:
    lam = boto3.client("lambda")
    lam.add_permission(
        FunctionName=h.function("GraderFunction"),
        StatementId="partner",
        Action="lambda:InvokeFunction",
        Principal="arn:aws:iam::999999999999:root",
    )
    try:
        yield h.baseline
    finally:
        lam.remove_permission(FunctionName=h.function("GraderFunction"), StatementId="partner")


@contextmanager
def grader_logs_kept_forever(h: Stack) -> Iterator[dict[str, Any]]:
    logs = boto3.client("logs")
    group = _grader(h)["LoggingConfig"]["LogGroup"]
    [described] = [g for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] if g["logGroupName"] == group]
    logs.delete_retention_policy(logGroupName=group)
    try:
        yield h.baseline
    finally:
        logs.put_retention_policy(logGroupName=group, retentionInDays=described["retentionInDays"])


# ---- the job request (a code bug: the stack cannot make the step send another request)


@contextmanager
def request_changed(h: Stack, change: Callable[[dict[str, Any]], None]) -> Iterator[dict[str, Any]]:
    step: Any = importlib.import_module("secure_finetune.steps.verify_guardrails")  # patched below
    original = step.job_request

    def tampered(*args: Any, **kwargs: Any) -> dict[str, Any]:
        request: dict[str, Any] = original(*args, **kwargs)
        change(request)
        return request

    step.job_request = tampered
    try:
        yield h.baseline
    finally:
        step.job_request = original


def request_with_aws_managed_key(h: Stack) -> Any:
    return request_changed(h, lambda r: r.update(customModelKmsKeyId="alias/aws/bedrock"))


def request_without_vpc(h: Stack) -> Any:
    return request_changed(h, lambda r: r.pop("vpcConfig"))


def request_training_from_incoming(h: Stack) -> Any:
    return request_changed(h, lambda r: r["trainingDataConfig"].update(s3Uri=f"s3://{h.bucket}/incoming/baseline.jsonl"))


def request_with_another_role(h: Stack) -> Any:
    return request_changed(h, lambda r: r.update(roleArn="arn:aws:iam::123456789012:role/somebody-else"))


def request_with_a_random_token(h: Stack) -> Any:
    return request_changed(h, lambda r: r.update(clientRequestToken="a-fresh-token-on-every-retry"))


# ---------------------------------------------------------------- the table

ONE_KEY = "GR-KMS-05 (one key everywhere) compares the same key reference"


@dataclass(frozen=True)
class Break:
    check_id: str
    breaker: Breaker
    coupled: dict[str, str] = field(default_factory=dict)  # other ids that must also fail: why
    status: str = "FAIL"  # or UNKNOWN where the rule fails closed on purpose

    @property
    def name(self) -> str:
        return f"{self.check_id}:{self.breaker.__name__}"


BREAKS = [
    Break("GR-CTX-01", event_for_another_bucket),
    Break("GR-CTX-03", customization_the_model_lacks),
    Break("GR-OBJ-01", object_with_another_key, {"GR-KMS-05": ONE_KEY}),
    Break("GR-OBJ-01", object_with_sse_s3, {"GR-KMS-05": "the object names no key: one key everywhere cannot be judged"}),
    Break("GR-OBJ-02", object_swapped_after_the_event),
    Break("GR-OBJ-03", key_outside_incoming_jsonl),
    Break("GR-OBJ-04", empty_object, {"GR-OBJ-06": "an empty file also holds fewer records than the model's minimum"}),
    Break("GR-OBJ-05", gzip_object, {"GR-OBJ-06": "a compressed file holds no record the validator can count"}),
    Break("GR-OBJ-06", too_few_records),
    Break("GR-OBJ-07", infected_object_with_scanning_on),
    Break("GR-OBJ-07", unscanned_object_with_scanning_on, status="UNKNOWN"),  # no scan result yet: wait, never guess
    Break("GR-OBJ-08", secret_in_a_record),
    Break("GR-S3-01", bucket_default_sse_s3, {"GR-KMS-05": "the bucket default names no key: one key everywhere cannot be judged"}),
    Break("GR-S3-01", bucket_default_aws_s3_key, {"GR-KMS-05": "the bucket default names no key: one key everywhere cannot be judged"}),
    Break("GR-S3-01", bucket_default_key_by_alias, {"GR-KMS-05": ONE_KEY}),
    Break("GR-S3-04", tls_deny_removed),
    Break("GR-S3-06", public_access_block_off),
    Break("GR-S3-06", public_policies_allowed),
    Break("GR-S3-07", acls_enabled),
    Break("GR-S3-08", bucket_shared_with_another_account),
    Break("GR-KMS-01", key_disabled),
    Break("GR-KMS-01", key_pending_deletion),
    Break("GR-KMS-02", rotation_off),
    Break(
        "GR-KMS-03",
        key_policy_wildcard_principal,
        {"GR-KMS-04": "the same statement lets the service role decrypt directly, not through S3 or Bedrock"},
    ),
    Break("GR-KMS-04", role_statement_without_via_service),
    Break("GR-KMS-05", role_may_use_a_second_key, {"GR-IAM-02": "the same statement gives the role KMS beyond the data key"}),
    Break("GR-NET-01", internet_gateway_route),
    Break("GR-NET-01", nat_gateway_route),
    Break("GR-NET-01", subnet_assigns_public_addresses),
    Break("GR-NET-04", s3_endpoint_off_the_job_route_table),
    Break("GR-NET-05", s3_endpoint_policy_widened),
    Break("GR-NET-06", vpc_dns_hostnames_off, {"GR-NET-12": "the bedrock-runtime endpoint's private DNS needs them too"}),
    Break("GR-NET-06", kms_endpoint_open_to_the_world),
    Break("GR-NET-07", world_ssh_on_the_job_group),
    Break("GR-NET-07", world_ipv6_https_on_the_job_group),
    Break("GR-IAM-01", trust_without_source_arn),
    Break("GR-IAM-01", trust_open_to_any_account),
    Break("GR-IAM-02", role_may_rewrite_the_bucket_policy),
    Break("GR-IAM-03", role_cannot_read_validated_data),
    # On AWS, AmazonS3FullAccess would also fail GR-IAM-03 (s3:DeleteObject allowed); the emulator's
    # SimulatePrincipalPolicy stand-in evaluates inline policies only.
    Break("GR-IAM-04", broad_managed_policy_attached),
    Break("GR-IAM-05", launcher_passes_any_role),
    Break("GR-S3-13", service_role_may_read_from_outside_the_vpc),
    Break("GR-EVAL-01", evaluation_trust_without_source_arn),
    Break("GR-EVAL-02", evaluation_role_may_read_the_training_data),
    Break("GR-RFT-01", grader_role_may_read_the_bucket),
    Break("GR-RFT-02", grader_invocable_by_another_account),
    Break("GR-RFT-03", grader_logs_kept_forever),
    Break("GR-JOB-01", request_with_aws_managed_key, {"GR-KMS-05": ONE_KEY}),
    Break("GR-JOB-02", request_without_vpc),
    Break("GR-JOB-03", request_training_from_incoming),
    Break("GR-JOB-04", request_with_another_role),
    Break("GR-JOB-05", request_with_a_random_token),
]


def test_the_baseline_run_passes_every_blocking_check(stack: Stack) -> None:
    judged = stack.judge(stack.baseline)
    assert judged.error is None
    assert set(judged.statuses) == {c.id for c in (*PRE_LAUNCH_CHECKS, *INFERENCE_CHECKS)}  # GR-NET-12..14: test_private_inference
    assert judged.not_passing == set()


@pytest.mark.parametrize("case", BREAKS, ids=[case.name for case in BREAKS])
def test_breaking_one_control_fails_exactly_its_check_and_stops_the_run(stack: Stack, case: Break) -> None:
    with case.breaker(stack) as state:
        judged = stack.judge(state)
    assert judged.statuses[case.check_id] == case.status
    for coupled in case.coupled:
        assert judged.statuses[coupled] != "PASS", f"{coupled} was expected to move with {case.check_id}"
    assert judged.not_passing == {case.check_id, *case.coupled}, "every other blocking check still passes"
    # the step stops the run (no job can start) and names exactly what did not pass
    assert judged.error_type == "GuardrailFailed"
    assert judged.error is not None and set(judged.error.removeprefix("GUARDRAIL_FAILED:").split(",")) == judged.not_passing


def test_every_break_was_undone(stack: Stack) -> None:
    assert stack.judge(stack.baseline).not_passing == set()


# ---------------------------------------------------------------- after launch: GR-JOB-06, before buying: GR-JOB-07/08


@contextmanager
def scenario(h: Stack, **changes: Any) -> Iterator[None]:
    current = h.pipeline.bedrock.scenario
    saved = {name: getattr(current, name) for name in changes}
    for name, value in changes.items():
        setattr(current, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(current, name, value)


def start_job(h: Stack, key: str) -> tuple[dict[str, Any], Any, dict[str, Any] | None]:
    """A good run, through the guardrails, then StartTrainingJob as the state machine calls it."""
    state = h.run_of(key, DATASET)
    guardrails, error = h.invoke("VerifyGuardrailsFunction", state)
    assert error is None, error
    state = {**state, "guardrails": guardrails}
    started, error = h.invoke("StartTrainingJobFunction", {"state": state, "taskToken": f"token-{state['run']['runId']}"})
    return state, started, error


def trained(h: Stack, key: str, **bedrock: Any) -> dict[str, Any]:
    """A run whose job finished and made a custom model (the completion event is left out)."""
    with scenario(h, job_outcome="Lost", training_seconds=0.05, **bedrock):
        state, _, error = start_job(h, key)
        assert error is None, error
        h.pipeline.bedrock.join()
    job = boto3.client("bedrock").get_model_customization_job(jobIdentifier=state["run"]["runId"])
    assert job["status"] == "Completed"
    training = TrainingResult(job_arn=job["jobArn"], status="Completed", output_model_arn=job["outputModelArn"], output_uri="")
    return {**state, "training": training.wire()}


def test_gr_job_06_a_job_recorded_with_another_key_is_stopped(stack: Stack) -> None:
    with scenario(stack, job_records_our_key=False, job_outcome="Stopped", training_seconds=0.05):
        state, _, error = start_job(stack, "incoming/drift.jsonl")
        stack.pipeline.bedrock.join()
    assert error is not None and (error["errorType"], error["errorMessage"]) == ("TrainingFailed", "JOB_DRIFT:kms-key")
    job = boto3.client("bedrock").get_model_customization_job(jobIdentifier=state["run"]["runId"])
    assert job["status"] == "Stopped"


def buy(h: Stack, state: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any] | None, int]:
    """PlanDeployment (the purchase checks), then DeployModel as the state machine would: only
    after a plan without a blocking finding. Returns the checks' statuses, the error, what was bought."""
    before = len(h.pipeline.bedrock.throughputs)
    plan, error = h.invoke("PlanDeploymentFunction", state)
    if error is None:
        _, error = h.invoke("DeployModelFunction", {**state, "plan": plan})
    statuses = {f.id: f.status.value for f in h.report(state["run"]["runId"], DeploymentReport).findings}
    return statuses, error, len(h.pipeline.bedrock.throughputs) - before


@pytest.fixture(scope="module")
def trained_run(stack: Stack) -> dict[str, Any]:
    return trained(stack, "incoming/trained.jsonl")


def test_the_purchase_checks_pass_for_a_model_the_stack_trained(stack: Stack, trained_run: dict[str, Any]) -> None:
    statuses, error, bought = buy(stack, trained_run)
    assert error is None and statuses == {c.id: "PASS" for c in PURCHASE_CHECKS} and bought == 1


@contextmanager
def model_under_another_key(h: Stack) -> Iterator[dict[str, Any]]:
    yield trained(h, "incoming/model-key.jsonl", model_uses_our_key=False)


@contextmanager
def cap_lowered_below_the_profile(h: Stack) -> Iterator[dict[str, Any]]:
    old = h.set_environment("PlanDeploymentFunction", MAX_MODEL_UNITS="0")
    try:
        yield h.trained
    finally:
        boto3.client("lambda").update_function_configuration(
            FunctionName=h.function("PlanDeploymentFunction"), Environment={"Variables": old}
        )


PURCHASE_BREAKS = [Break("GR-JOB-07", model_under_another_key), Break("GR-JOB-08", cap_lowered_below_the_profile)]


@pytest.mark.parametrize("case", PURCHASE_BREAKS, ids=[case.name for case in PURCHASE_BREAKS])
def test_breaking_a_purchase_control_buys_nothing(stack: Stack, trained_run: dict[str, Any], case: Break) -> None:
    stack.trained = trained_run
    with case.breaker(stack) as state:
        statuses, error, bought = buy(stack, state)
    assert statuses == {c.id: ("FAIL" if c.id == case.check_id else "PASS") for c in PURCHASE_CHECKS}
    assert error is not None and (error["errorType"], error["errorMessage"]) == ("DeploymentFailed", f"GUARDRAIL_FAILED:{case.check_id}")
    assert bought == 0


# ---------------------------------------------------------------- the stack's plumbing (GR-OPS, in preflight)


def preflight(h: Stack) -> dict[str, str]:
    findings = audit(target_from_stack(h.pipeline.stack.name, BASE_MODEL))
    return {f.id: f.status.value for f in findings if f.severity is Severity.BLOCK}


@contextmanager
def public_function(h: Stack) -> Iterator[None]:
    lam = boto3.client("lambda")
    lam.add_permission(FunctionName=h.function("NotifyFunction"), StatementId="anyone", Action="lambda:InvokeFunction", Principal="*")
    try:
        yield
    finally:
        lam.remove_permission(FunctionName=h.function("NotifyFunction"), StatementId="anyone")


@contextmanager
def completion_rule_for_any_account(h: Stack) -> Iterator[None]:
    events = boto3.client("events")
    name = h.function("CompleteTrainingJobFunctionJobStateChanged")
    saved = events.describe_rule(Name=name)
    pattern = json.loads(saved["EventPattern"])
    events.put_rule(Name=name, EventPattern=json.dumps({k: v for k, v in pattern.items() if k != "account"}), State=saved["State"])
    try:
        yield
    finally:
        events.put_rule(Name=name, EventPattern=saved["EventPattern"], State=saved["State"])


OPS_BREAKS = [Break("GR-OPS-04", public_function), Break("GR-OPS-08", completion_rule_for_any_account)]


def test_preflight_passes_the_deployed_stack(stack: Stack) -> None:
    assert {check_id for check_id, status in preflight(stack).items() if status != "PASS"} == set()


@pytest.mark.parametrize("case", OPS_BREAKS, ids=[case.name for case in OPS_BREAKS])
def test_breaking_the_plumbing_fails_exactly_its_preflight_check(stack: Stack, case: Break) -> None:
    with case.breaker(stack):
        statuses = preflight(stack)
    assert {check_id for check_id, status in statuses.items() if status != "PASS"} == {case.check_id}


# ---------------------------------------------------------------- no blocking check without its breaking test

COVERED_ELSEWHERE = {
    "GR-OPS-02": (
        "tests.unit.test_failure_and_notifications",
        ("test_gr_ops_02_every_milestone_field_is_content_free_and_a_free_text_field_fails",),
    ),
    "GR-CTX-02": (
        "tests.unit.test_evidence_stubbed",
        ("test_a_bucket_owned_by_another_account_fails_the_owner_check", "test_a_bucket_in_another_region_fails_the_owner_check"),
    ),
}


def test_every_blocking_check_has_a_breaking_test_here_or_a_documented_one_elsewhere() -> None:
    blocking = {c.id for c in (*PRE_LAUNCH_CHECKS, *PURCHASE_CHECKS, *OPS_CHECKS) if c.severity is Severity.BLOCK} | {"GR-JOB-06"}
    # GR-JOB-06 (after launch) has no catalogue row: it counts as broken here only while its test exists.
    after_launch = {"GR-JOB-06"} if callable(globals().get("test_gr_job_06_a_job_recorded_with_another_key_is_stopped")) else set()
    broken_here = {case.check_id for case in (*BREAKS, *PURCHASE_BREAKS, *OPS_BREAKS)} | after_launch
    assert blocking - broken_here == set(COVERED_ELSEWHERE), "a new blocking check needs a breaking row (or a documented reason)"
    assert not broken_here & set(COVERED_ELSEWHERE)
    for check_id, (module, tests) in COVERED_ELSEWHERE.items():
        found = importlib.import_module(module)
        for name in tests:
            assert callable(getattr(found, name, None)), f"{check_id}: {module}.{name} is gone"
        assert check_id in (__doc__ or ""), f"{check_id} must be in the module docstring's table"
