"""Evaluation role rules (GR-EVAL): the role Bedrock assumes for this stack's model evaluation jobs, held to the
training role's rules: only Bedrock may assume it, only for this account's evaluation jobs (the confused-deputy
conditions), and it may touch only the runs' evaluation prefixes, the data key and the models it invokes.
https://docs.aws.amazon.com/bedrock/latest/userguide/judge-service-roles.html
"""

from __future__ import annotations

from collections.abc import Callable

from ..evidence import Evidence
from ..framework import PASS, UNKNOWN, Verdict
from ..policy_engine import Answer, Tri, grants
from .iam import bedrock_only_trust_problem
from .policy import blocking, union

# What an LLM-as-a-judge evaluation job's role needs [UG judge-service-roles]: read the prompt dataset, write the
# results, use the data key, and invoke the generator and the judge (Bedrock may batch them).
EVALUATION_ACTIONS = (
    "s3:GetObject",
    "s3:ListBucket",
    "s3:PutObject",
    "s3:GetBucketLocation",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
    "bedrock:InvokeModel",
    "bedrock:CreateModelInvocationJob",
    "bedrock:StopModelInvocationJob",
)
NOT_IN_THIS_STACK = "no evaluation role named for this run (the stack's EVALUATION_ROLE_ARN is empty)"


def trust(ev: Evidence) -> Verdict:
    role = ev.evaluation_role
    if role is None:
        return PASS, NOT_IN_THIS_STACK
    if role.trust is None:
        return UNKNOWN, "the evaluation role's trust policy could not be read"
    jobs = f"arn:{ev.partition}:bedrock:{ev.region}:{ev.account}:evaluation-job/*"
    found = bedrock_only_trust_problem(role.trust, role.arn, ev.account, jobs, what="the evaluation role", kind="evaluation jobs")
    return found or (PASS, "only Bedrock may assume it, for this account's evaluation jobs")


def least_privilege(ev: Evidence) -> Verdict:
    role = ev.evaluation_role
    if role is None:
        return PASS, NOT_IN_THIS_STACK
    if role.inline_policies is None or role.attached_policy_arns is None:
        return UNKNOWN, "the evaluation role's policies could not be read"
    if role.attached_policy_arns:
        return UNKNOWN, "the evaluation role has managed policies attached: only inline policies are judged"
    policy = union(role.inline_policies)
    if policy is None:
        return UNKNOWN, "the evaluation role's inline policy is malformed"
    bucket = f"arn:{ev.partition}:s3:::{ev.bucket_name}"
    evaluation, output = f"{bucket}/reports/*/evaluation/*", f"{bucket}/reports/*/evaluation/output/*"
    models = (
        f"arn:{ev.partition}:bedrock:{ev.region}::foundation-model/*",
        f"arn:{ev.partition}:bedrock:{ev.region}:{ev.account}:provisioned-model/*",
        f"arn:{ev.partition}:bedrock:{ev.region}:{ev.account}:inference-profile/*",
        f"arn:{ev.partition}:bedrock:{ev.region}:{ev.account}:model-invocation-job/*",
    )
    questions: tuple[tuple[Callable[[], Answer], str], ...] = (
        (lambda: grants(policy, ["*"], excluding_actions=EVALUATION_ACTIONS), "an action an evaluation job does not need"),
        (lambda: grants(policy, ["s3:*"], excluding_resources=(bucket, evaluation)), "S3 beyond the runs' evaluation prefixes"),
        (
            lambda: grants(policy, ["s3:PutObject"], excluding_resources=[output]),
            "PutObject outside evaluation/output/",
        ),
        (lambda: grants(policy, ["kms:*"], excluding_resources=[ev.expected_key_arn]), "KMS beyond the data key"),
        (
            lambda: grants(policy, ["bedrock:*"], excluding_resources=models),
            "Bedrock beyond this region's models and this account's throughputs",
        ),
    )
    for ask, wrong in questions:
        found = blocking(ask(), Tri.FALSE, f"the evaluation role allows {wrong}")
        if found:
            return found
    return PASS, "reads the runs' evaluation datasets, writes their results, uses the data key, invokes models; nothing else"
