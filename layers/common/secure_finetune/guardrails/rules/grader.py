"""Reinforcement fine-tuning's grader (GR-RFT): the reward function Bedrock invokes reads every prompt and answer.

Its role may do nothing but write its logs and traces and decrypt its environment (a model-as-judge grader may also
invoke Bedrock models); only this account's customization jobs may invoke it; its environment and its logs are
encrypted with a customer managed key. Each rule is judged when the stack has a grader (GRADER_LAMBDA_ARN) and fails
closed: a grader configured but not read is UNKNOWN. Neither a grader nor an RFT run: PASS as not applicable.
Sources: [UG rft-access-security] https://docs.aws.amazon.com/bedrock/latest/userguide/rft-access-security.html,
[UG reward-functions] https://docs.aws.amazon.com/bedrock/latest/userguide/reward-functions.html, Lambda developer guide
"Data encryption at rest" (KMSKeyArn) and CloudWatch Logs "Encrypt log data using AWS KMS" (kmsKeyId).
"""

from __future__ import annotations

from ...models import CustomizationType
from ..evidence import Evidence, GraderEvidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from ..partitions import partition
from ..policy_engine import Tri, grants, outside_access, service_bound
from .policy import blocking, first_problem, union

BEDROCK = "bedrock.amazonaws.com"
# What a grader needs: its logs, its traces (Tracing Active), its encrypted environment; a model-as-judge grader calls
# Bedrock models ([UG reward-functions-open-weight]: "call Amazon Bedrock foundation models as judges").
GRADER_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
    "kms:Decrypt",
    "bedrock:InvokeModel",
)
_NOT_APPLICABLE = (PASS, "not applicable: no grader is configured and this is not a reinforcement fine-tuning run")


def _grader(ev: Evidence) -> GraderEvidence | Verdict:
    """The grader's evidence, or the verdict when there is none to judge."""
    if ev.grader is not None:
        return ev.grader
    if ev.grader_lambda_arn is None:
        if ev.customization_type == CustomizationType.REINFORCEMENT_FINE_TUNING.value:
            return FAIL, "a reinforcement fine-tuning run needs a grader: the stack names none"
        return _NOT_APPLICABLE
    return UNKNOWN, "the grader could not be read"


def role_least_privilege(ev: Evidence) -> Verdict:
    """GR-RFT-01: the grader's execution role (inline and attached policies) grants nothing but logs, traces, decrypt
    (and model invocation for a judge): no wildcard action, nothing on S3, IAM, or any other service."""
    grader = _grader(ev)
    if not isinstance(grader, GraderEvidence):
        return grader
    role = grader.role
    if role is None or role.inline_policies is None or role.attached_policies is None:
        return UNKNOWN, "the grader's role or its policies could not be read"
    policy = union([*role.inline_policies, *role.attached_policies.values()])
    if policy is None:
        return UNKNOWN, "the grader's policies are malformed"
    found = blocking(
        grants(policy, ["*"], excluding_actions=GRADER_ACTIONS), Tri.FALSE, "the grader's role allows an action it does not need"
    )
    return found or (PASS, "the grader's role writes its logs and traces and decrypts its environment, nothing else")


def invoked_by_our_jobs_only(ev: Evidence) -> Verdict:
    """GR-RFT-02: the grader's resource-based policy lets no one outside the account invoke it, and binds every path
    for Bedrock to this account's customization jobs (aws:SourceAccount + aws:SourceArn). No policy: only identities
    of this account that are granted lambda:InvokeFunction (the job's service role) may invoke it."""
    grader = _grader(ev)
    if not isinstance(grader, GraderEvidence):
        return grader
    policy = grader.resource_policy
    if policy is None:
        return UNKNOWN, "the grader's resource-based policy could not be read"
    if not policy:
        return PASS, "no resource-based policy: only this account's granted identities (the job's service role) may invoke it"
    jobs = f"arn:{partition(ev.region, grader.arn)}:bedrock:{ev.region}:{ev.account}:model-customization-job/*"
    found = first_problem(
        lambda: blocking(outside_access(policy, "lambda:InvokeFunction", grader.arn, ev.account), Tri.FALSE, "the grader"),
        lambda: blocking(
            service_bound(policy, BEDROCK, ev.account, jobs, action="lambda:InvokeFunction", resource=grader.arn),
            Tri.TRUE,
            "Bedrock's permission on the grader is not bound to this account's jobs",
        ),
    )
    return found or (PASS, "only this account, and Bedrock for this account's customization jobs, may invoke the grader")


def encrypted(ev: Evidence) -> Verdict:
    """GR-RFT-03: the grader's environment and its log group are encrypted with a customer managed key (its log group
    has a kmsKeyId; CloudWatch Logs takes customer managed keys only) and the logs expire."""
    grader = _grader(ev)
    if not isinstance(grader, GraderEvidence):
        return grader
    configuration, group = grader.configuration, grader.log_group
    if configuration is None or group is None:
        return UNKNOWN, "the grader's configuration or log group could not be read"
    if not configuration.get("KMSKeyArn"):
        return FAIL, "the grader's environment is encrypted with an AWS managed key, not ours"
    if not group.get("kmsKeyId"):
        return FAIL, "the grader's log group is not encrypted with a customer managed key"
    if not group.get("retentionInDays"):
        return FAIL, "the grader's logs never expire"
    ours = configuration["KMSKeyArn"] == ev.expected_key_arn and group["kmsKeyId"] == ev.expected_key_arn
    return PASS, "environment and logs under " + (
        "the data key" if ours else "a customer managed key"
    ) + f", logs kept {group['retentionInDays']} days"
