"""``finetune preflight``: a read-only audit of a deployed stack against the account-level checks.

It reads the same evidence the pipeline reads before a launch, minus what only a run has (the
object, the validator's report, the job request), and evaluates the checks that need none of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from finetune_cli import aws
from secure_finetune.adapters.endpoints import read_inference_evidence
from secure_finetune.adapters.grader_evidence import read_grader
from secure_finetune.deployment.plan import resolve_mode
from secure_finetune.guardrails import (
    OPS_CHECKS,
    PRE_LAUNCH_CHECKS,
    WARN_CHECKS,
    Evidence,
    Finding,
    ObjectEvidence,
    StackEvidence,
    access_probes,
    evaluate,
)
from secure_finetune.guardrails.catalogue import INFERENCE_CHECKS, KEY_POLICY_CHECKS
from secure_finetune.guardrails.key_needs import KeyPolicyEvidence
from secure_finetune.models import UnknownModel
from secure_finetune.notifications import milestone_fields
from secure_finetune.reasons import DeploymentFailed
from secure_finetune.service_errors import ServiceError


@dataclass(frozen=True)
class Target:
    bucket: str
    key_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    service_role_arn: str
    launcher_role_arn: str | None
    base_model: str
    customization_type: str = "FINE_TUNING"  # with base_model: what GR-CTX-03 checks the region offers
    functions: tuple[str, ...] = ()  # the stack's Lambda functions (GR-OPS-04)
    rules: tuple[str, ...] = ()  # the stack's EventBridge rules (GR-OPS-08)
    # GR-NET-12..14: the stack's PrivateInference (None: not known, the rows are left out) and its smoke-test function
    private_inference: bool | None = None
    smoke_test_function: str | None = None
    grader_lambda_arn: str | None = None  # the stack's RFT grader (GR-IAM-02, GR-RFT-01..03)
    stack: str | None = None  # GR-KMS-07 judges the key policy against what this stack's roles and services need
    # GR-CTX-03: what a run's profile asks to deploy (``deployment``: auto | provisioned-throughput | on-demand | none)
    deployment: str = "auto"

    @property
    def deployment_mode(self) -> str | None:
        """What that buys for the model (deployment/plan.py's rule); None: the model offers nothing of that kind."""
        return deployment_mode_of(self.base_model, self.deployment)


def target_from_stack(stack_name: str, base_model: str, customization_type: str = "FINE_TUNING") -> Target:
    outputs = aws.stack_outputs(stack_name)
    resources = aws.stack_resources(stack_name)
    launcher = next((r["PhysicalResourceId"] for r in resources if r.get("LogicalResourceId") == "StartTrainingJobRole"), None)
    return Target(
        bucket=outputs["DataBucketName"],
        key_arn=outputs["DatasetKeyArn"],
        subnet_ids=tuple(outputs["JobSubnetIds"].split(",")),
        security_group_ids=tuple(outputs["JobSecurityGroupIds"].split(",")),
        service_role_arn=outputs["BedrockServiceRoleArn"],
        launcher_role_arn=aws.role_arn(launcher) if launcher else None,
        base_model=base_model,
        customization_type=customization_type,
        functions=tuple(r["PhysicalResourceId"] for r in resources if r.get("ResourceType") == "AWS::Lambda::Function"),
        rules=tuple(r["PhysicalResourceId"] for r in resources if r.get("ResourceType") == "AWS::Events::Rule"),
        private_inference=outputs.get("PrivateInference", "false") == "true",
        smoke_test_function=outputs.get("SmokeTestFunctionName") or None,  # the function GR-NET-12 judges
        grader_lambda_arn=outputs.get("GraderLambdaArn") or None,
        stack=stack_name,
    )


def _stack_evidence(account: str, target: Target) -> StackEvidence | None:
    if not target.functions and not target.rules:
        return None

    def function_policy(name: str) -> dict[str, Any] | None:
        try:
            return aws.function_policy(name)
        except ServiceError as err:
            return {} if err.code == "ResourceNotFoundException" else None

    def rule(name: str) -> dict[str, Any]:
        pattern = json.loads(aws.rule_pattern(name) or "{}")  # {} = a schedule
        return {"pattern": pattern, "targets": aws.rule_targets(name)}

    try:
        rules: dict[str, dict[str, Any]] | None = {name: rule(name) for name in target.rules}
    except (ServiceError, KeyError, ValueError):
        rules = None
    return StackEvidence(
        account=account,
        function_policies={name: function_policy(name) for name in target.functions},
        rules=rules,
        notification_fields=milestone_fields(),  # the contract of the package this audit ships with
    )


def deployment_mode_of(base_model: str, wanted: str = "auto") -> str | None:
    """What a profile's ``deployment`` buys for the model (deployment/plan.py's rule); None: the model offers nothing
    of that kind (a run would fail NO_DEPLOYMENT_OPTION; GR-CTX-03 then cannot clear a LEGACY model: UNKNOWN)."""
    try:
        return resolve_mode(base_model, wanted)
    except (DeploymentFailed, UnknownModel):
        return None


def audit(target: Target) -> list[Finding]:
    reader = aws.evidence_reader()
    account = reader.account
    evidence = Evidence(
        account=account,
        region=reader.region,
        caller_account=account,
        bucket_name=target.bucket,
        event_bucket=target.bucket,
        expected_key_arn=target.key_arn,
        subnet_ids=target.subnet_ids,
        security_group_ids=target.security_group_ids,
        object=ObjectEvidence(key="", version_id="", event_etag="", event_size=0, readable=False),  # no run: not judged
        bucket=reader.bucket(target.bucket),
        key=reader.key(target.key_arn),
        network=reader.network(target.subnet_ids, target.security_group_ids),
        service_role=reader.role(target.service_role_arn, access_probes(target.bucket, target.key_arn)),
        launcher_role=reader.role(target.launcher_role_arn, validate=True) if target.launcher_role_arn else None,
        foundation_model=reader.foundation_model(target.base_model),
        customization_type=target.customization_type,
        validation=None,
        dataset_sha256=None,
        grader_lambda_arn=target.grader_lambda_arn,
        grader=read_grader(reader, target.grader_lambda_arn) if target.grader_lambda_arn else None,
        deployment_mode=target.deployment_mode,
        smoke_test_role_arn=_smoke_test_role(target),
    )
    account_checks = [check for check in PRE_LAUNCH_CHECKS if not check.per_run]  # no run: no object, report or request
    findings = evaluate(evidence, account_checks) + _inference_findings(reader.account, reader.region, target)
    if target.stack:  # the key may be brought (ExistingKmsKeyArn): its policy must allow what the stack does with it
        key = KeyPolicyEvidence(
            account=account, region=reader.region, stack=target.stack, key_arn=target.key_arn, policy=evidence.key.policy
        )
        findings += evaluate(key, KEY_POLICY_CHECKS)
    findings += evaluate(evidence, WARN_CHECKS)
    stack = _stack_evidence(account, target)
    return findings + (evaluate(stack, OPS_CHECKS) if stack is not None else [])


def _smoke_test_role(target: Target) -> str | None:
    """GR-NET-05: the one role the S3 endpoint may let use the run files -- the smoke-test function's, as it runs,
    when it runs in the job subnets (PrivateInference); else none may."""
    if not (target.private_inference and target.smoke_test_function):
        return None
    try:
        return aws.function_role(target.smoke_test_function)
    except ServiceError as err:  # not an ARN: GR-NET-05 is UNKNOWN and says why, the rest of the audit goes on
        return f"unreadable ({err.code})"


def _inference_findings(account: str, region: str, target: Target) -> list[Finding]:
    """GR-NET-12..14 on the stack's bedrock-runtime endpoint and in-VPC function (left out when PrivateInference is unknown)."""
    if target.private_inference is None:
        return []
    evidence = read_inference_evidence(account, region, enabled=target.private_inference, function=target.smoke_test_function)
    return evaluate(evidence, INFERENCE_CHECKS)
