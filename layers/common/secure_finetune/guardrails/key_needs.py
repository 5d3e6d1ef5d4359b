"""What the stack's roles and AWS services need from the data key's policy (GR-KMS-07), one entry per statement the
template writes into the key it creates (template.yaml, DatasetKey). With ``ExistingKmsKeyArn`` the stack cannot edit
the key policy: the key's owner adds these statements (README, "Bring your own KMS key") and ``finetune preflight``
asks the policy engine whether the key's live policy allows each request below; ``tests/template`` holds this list
and the template's statements together.

Each need is a request as KMS evaluates it: who (an IAM role by ARN, or a service principal), which KMS actions, and
the condition keys that request carries (kms:ViaService when a service uses the key for the role, the encryption
context CloudWatch Logs or Bedrock sends). A key policy that lets the account's IAM policies decide (``"AWS":
"arn:aws:iam::<account>:root"``, ``kms:*``) allows every IAM-role need: the roles' own policies grant them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from .framework import FAIL, PASS, UNKNOWN, Verdict
from .partitions import partition
from .policy_engine import Principal, RequestContext, Tri, allows

PIPELINE_SERVICES = ("s3", "dynamodb", "sns", "sqs", "states", "lambda")


@dataclass(frozen=True)
class KeyNeed:
    sid: str  # the statement of the template's key policy that meets it
    who: str
    principal: Principal
    actions: tuple[str, ...]
    requests: tuple[dict[str, Any], ...]  # the condition keys of each request that must be allowed


class KeyPolicyEvidence(BaseModel):
    model_config = ConfigDict(frozen=True)

    account: str
    region: str
    stack: str
    key_arn: str
    policy: dict[str, Any] | None  # kms:GetKeyPolicy (None: could not be read)


def _service(name: str, sid: str, actions: tuple[str, ...], *requests: dict[str, Any]) -> KeyNeed:
    base = {"aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": name}
    return KeyNeed(sid, f"the service {name}", Principal.service(name), actions, tuple({**base, **r} for r in requests))


def stack_key_needs(account: str, region: str, stack: str) -> tuple[KeyNeed, ...]:
    """Every request the stack makes with the key (uploaders' grants are optional and not listed)."""

    def role(sid: str, arn: str, actions: tuple[str, ...], via: tuple[str, ...] = (), **extra: str) -> KeyNeed:
        base = {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account, "kms:CallerAccount": account, **extra}
        requests = tuple({**base, "kms:ViaService": f"{service}.{region}.amazonaws.com"} for service in via) or (base,)
        return KeyNeed(sid, arn, Principal.aws(arn), actions, requests)

    prefix = f"arn:{partition(region)}"
    iam, logs = f"{prefix}:iam::{account}:role", f"{prefix}:logs:{region}:{account}:log-group:"
    service_role, evaluation_role = f"{iam}/{stack}-bedrock-job", f"{iam}/{stack}-bedrock-eval"
    pipeline_role = f"{iam}/{stack}/{stack}-AnyFunctionRole-X"  # every function role lives under the /<stack>/ path
    use, own = ("kms:Decrypt", "kms:GenerateDataKey"), {"aws:SourceAccount": account}
    groups = (f"/aws/lambda/{stack}/smoke-test", f"/aws/vendedlogs/states/{stack}-pipeline", f"/aws/vpc/{stack}-flow-logs")
    evaluation_job = f"{prefix}:bedrock:{region}:{account}:evaluation-job/x1"
    return (
        role("BedrockServiceRoleUsesKeyThroughS3AndBedrock", service_role, (*use, "kms:DescribeKey"), ("s3", "bedrock")),
        role("BedrockServiceRoleGrantsToBedrockOnly", service_role, ("kms:CreateGrant",), ("bedrock",),
             **{"kms:GrantIsForAWSResource": "true"}),
        role("PipelineRolesUseKeyThroughServices", pipeline_role, use, PIPELINE_SERVICES),
        role("PipelineRolesDescribeKey", pipeline_role, ("kms:DescribeKey",)),
        role("EvaluationServiceRoleUsesKeyThroughS3AndBedrock", evaluation_role, (*use, "kms:DescribeKey"), ("s3", "bedrock")),
        _service("events.amazonaws.com", "ServicesWriteToEncryptedTargets", use, own),
        _service("cloudwatch.amazonaws.com", "ServicesWriteToEncryptedTargets", use, own),
        _service(f"logs.{region}.amazonaws.com", "CloudWatchLogsEncryptsThisStacksLogGroups",
                 ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey", "kms:DescribeKey"),
                 *({"kms:EncryptionContext:aws:logs:arn": f"{logs}{group}"} for group in groups),
                 {"kms:EncryptionContext:aws:logs:arn": f"{logs}/aws/apigateway/{stack}-approvals"}),
        _service("bedrock.amazonaws.com", "BedrockUsesKeyForEvaluationJobs", (*use, "kms:DescribeKey"),
                 {**own, "aws:SourceArn": evaluation_job, "kms:EncryptionContext:evaluationJobArn": evaluation_job}),
        _service("bedrock.amazonaws.com", "BedrockUsesKeyForCustomModelThroughput", use,
                 {**own, "kms:EncryptionContextKeys": ["aws:bedrock:custom-model"]}),
    )  # fmt: skip


def key_policy_covers_the_stack(ev: KeyPolicyEvidence) -> Verdict:
    """GR-KMS-07: the key's live policy allows every request of ``stack_key_needs`` (the engine's ``allows``)."""
    if ev.policy is None:
        return UNKNOWN, "the key policy could not be read"
    missing: list[str] = []
    unsure: list[str] = []
    for need in stack_key_needs(ev.account, ev.region, ev.stack):
        for action in need.actions:
            # complete: the request carries these keys and no others (as the IAM policy simulator reads a context)
            contexts = [RequestContext(need.principal, {**keys, "aws:SecureTransport": "true"}, complete=True) for keys in need.requests]
            verdicts = [allows(ev.policy, action, ev.key_arn, context) for context in contexts]
            if Tri.FALSE in verdicts and need.sid not in missing:
                missing.append(need.sid)
            elif Tri.UNKNOWN in verdicts and need.sid not in unsure:
                unsure.append(need.sid)
    if missing:
        return FAIL, f"the key policy does not allow what these statements allow: {', '.join(missing)} (README, Bring your own KMS key)"
    if unsure:
        return UNKNOWN, f"cannot prove the key policy allows what these statements allow: {', '.join(unsure)}"
    return PASS, "the key policy allows every request the stack's roles and services make with the key"
