"""The ordered catalogue: rows of id, title, severity, evidence, anchors, rule, fix (shared/reference/security-guardrails.md section 1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from . import key_needs
from .framework import Check, Finding, Severity, Verdict
from .rules import context, dataset, evaluation_role, grader, iam, inference, job, kms, network, ops, purchase, s3

_VALIDATOR = "the validator's report of this run (reports/<run>/validation.json)"


def _check(  # noqa: PLR0917 - the catalogue reads best as rows
    id: str,
    title: str,
    evidence: str,
    anchors: tuple[str, ...],
    rule: Callable[[Any], Verdict],
    fix: str,
) -> Check:
    return Check(id=id, title=title, severity=Severity.BLOCK, evidence=evidence, anchors=anchors, rule=rule, fix=fix)


def _run_check(*args: Any) -> Check:
    """A catalogue row like ``_check`` whose evidence only a run has: ``finetune preflight`` skips it."""
    return replace(_check(*args), per_run=True)


def _warn(*args: Any) -> Check:
    """A catalogue row like ``_check``, reported but never blocking."""
    return replace(_check(*args), severity=Severity.WARN)


PRE_LAUNCH_CHECKS: tuple[Check, ...] = (
    _run_check("GR-CTX-01", "Right account and bucket", "sts:GetCallerIdentity; the event's bucket", ("own check",), context.account_region,
           "Deploy and trigger the pipeline in the account that owns the data bucket."),
    _check("GR-CTX-02", "Bucket is ours and in the job's region", "HeadBucket(ExpectedBucketOwner)", ("SecurityHub S3.6",),
           context.bucket_owner,
           "Use a bucket owned by this account, in the job's region."),
    _check("GR-CTX-03", "Base model is active and customizable", "bedrock:GetFoundationModel", ("Bedrock API reference",),
           context.base_model,
           "Choose a base model and customization type offered in this region (finetune profiles); for a LEGACY model,"
           " deploy on demand or train only (deployment = \"on-demand\" | \"none\"): no new provisioned throughput is sold."),
    _run_check("GR-OBJ-01", "The dataset object itself is SSE-KMS with our key", "HeadObject(VersionId, ExpectedBucketOwner)",
           ("own check: no CSPM checks individual objects",), dataset.key,
           "Upload the dataset again without naming another key or algorithm (the bucket default applies)."),
    _run_check("GR-OBJ-02", "The object was not swapped (TOCTOU)", "HeadObject vs the event; the validator's sha256", ("own check",),
           dataset.unchanged, "Upload again; the run trains only the exact version it validated."),
    _run_check("GR-OBJ-03", "Key sanity", "the decoded object key", ("S3 event message structure",), dataset.key_sanity,
           "Put datasets under incoming/<profile>/<name>.jsonl."),
    _run_check("GR-OBJ-04", "Size within limits", _VALIDATOR, ("Bedrock quotas",),
           dataset.validator_rule(("DATASET_EMPTY", "DATASET_TOO_LARGE"), "size"), "Split or trim the dataset to the model's file limits."),
    _run_check("GR-OBJ-05", "Not compressed or binary", _VALIDATOR, ("jsonlines.org",),
           dataset.validator_rule(("DATASET_COMPRESSED_OR_BINARY", "DATASET_BOM", "DATASET_NOT_UTF8"), "encoding"),
           "Upload plain UTF-8 JSONL without a byte-order mark."),
    _run_check("GR-OBJ-06", "Record count and format within the model's quotas", _VALIDATOR, ("Bedrock prepare-data quotas",),
           dataset.validator_rule(("TOO_MANY_RECORDS", "TOO_FEW_RECORDS", "SCHEMA_MISMATCH"), "count or format"),
           "Fix the records the validation report lists."),
    _run_check("GR-OBJ-07", "Malware scan result only GuardDuty could write",
           "GetObjectTagging GuardDutyMalwareScanStatus; guardduty:GetMalwareProtectionPlan; GetBucketPolicy",
           ("GuardDuty Malware Protection for S3", "GuardDuty tag-based access control (TBAC)"), dataset.malware,
           "Wait for the scan, or remove the infected file; deny tagging GuardDutyMalwareScanStatus to all but the plan's role."),
    _run_check("GR-OBJ-08", "No blocking sensitive data", _VALIDATOR, ("Bedrock data protection", "SecurityHub Macie.1"),
           dataset.validator_rule(("SENSITIVE_DATA",), "sensitive-data"), "Remove the secrets or PII the report lists by line."),
    _check("GR-S3-01", "Bucket default encryption is SSE-KMS with our key", "GetBucketEncryption", ("SecurityHub S3.17",),
           s3.default_key, "Set the bucket's default encryption to SSE-KMS with the stack's key ARN (DatasetKey)."),
    _check("GR-S3-04", "Bucket policy denies non-TLS requests to everyone", "GetBucketPolicy", ("SecurityHub S3.5",), s3.tls_only,
           "Add a Deny on s3:* for the bucket and bucket/* when aws:SecureTransport is false."),
    _check("GR-S3-06", "Public access blocked", "GetPublicAccessBlock; GetBucketPolicyStatus", ("SecurityHub S3.1", "S3.8"),
           s3.public_access, "Turn on all four public access blocks; remove public statements."),
    _check("GR-S3-07", "ACLs disabled", "GetBucketOwnershipControls", ("SecurityHub S3.12",), s3.acls_disabled,
           "Set object ownership to BucketOwnerEnforced."),
    _check("GR-S3-08", "No principal outside this account in the bucket policy", "GetBucketPolicy; accessanalyzer:CheckNoPublicAccess",
           ("SecurityHub S3.6", "IAM Access Analyzer CheckNoPublicAccess"),
           s3.no_external_principals, "Remove Allow statements for other accounts; bind services to this account's aws:SourceAccount."),
    _check("GR-S3-13", "The service role reads training data only from the job VPC", "GetBucketPolicy; the job subnets' VPC",
           ("Bedrock vpc-s3 (aws:sourceVpc)",), s3.service_role_on_the_vpc_path,
           "Deny s3:GetObject on validated/* and media/* to the service role (aws:PrincipalArn) when aws:SourceVpc is not "
           "the job VPC."),
    _check("GR-KMS-01", "Customer-managed, enabled, symmetric key of ours", "kms:DescribeKey", ("SecurityHub KMS.3",),
           kms.customer_key, "Use the stack's enabled customer-managed key."),
    _check("GR-KMS-02", "Key rotation on", "kms:GetKeyRotationStatus", ("SecurityHub KMS.4",), kms.rotation,
           "Enable automatic key rotation."),
    _check("GR-KMS-03", "No principal outside this account in the key policy", "kms:GetKeyPolicy; accessanalyzer:CheckNoPublicAccess",
           ("SecurityHub KMS.5", "IAM Access Analyzer CheckNoPublicAccess"), kms.no_wildcard,
           "Name this account's principals (or bind * to kms:CallerAccount = this account only); bind services to this account."),
    _check("GR-KMS-04", "Key policy gives the service role only what it needs", "kms:GetKeyPolicy; the role's policies",
           ("Bedrock encryption-custom-job",),
           kms.role_grants, "Grant the service role Decrypt, GenerateDataKey, DescribeKey, CreateGrant via bedrock/s3 only."),
    _run_check("GR-KMS-05", "One key everywhere", "bucket, object, job request, role policy", ("own check",), kms.one_key,
           "Use the data key for the bucket default, the object, the job and the role."),
    _check("GR-NET-01", "Job subnets private (no route out for public addresses), one VPC",
           "ec2:DescribeSubnets; DescribeRouteTables; DescribeVpcEndpoints; GetManagedPrefixListEntries", ("SecurityHub EC2.15",),
           network.private_subnets,
           "Route public address space (any prefix) only to local or gateway endpoints: no IGW, NAT, instance, TGW, peering or VGW."),
    _check("GR-NET-04", "S3 gateway endpoint on every job subnet", "ec2:DescribeVpcEndpoints; route tables", ("Bedrock vpc-s3",),
           network.s3_endpoint, "Add an S3 gateway endpoint on the job subnets' route tables."),
    _check("GR-NET-05", "S3 endpoint policies limited to our bucket", "ec2:DescribeVpcEndpoints PolicyDocument (every S3 endpoint)",
           ("Bedrock RestrictAccessToTrainingBucket",), network.s3_endpoint_policy,
           "Limit the endpoint policy to the data bucket's validated/, media/ and output/ prefixes (and the smoke test"
           " role's run files, named by aws:PrincipalArn)."),
    _check("GR-NET-06", "KMS interface endpoint with private DNS",
           "ec2:DescribeVpcEndpoints (and its PolicyDocument); DescribeVpcAttribute; security groups; prefix lists",
           ("AWS blog: security best practices for fine-tuning",), network.kms_endpoint,
           "Add a KMS interface endpoint with private DNS, HTTPS from the VPC only, and a policy for the data key and this account only."),
    _check("GR-NET-07", "Job security groups without ingress from public addresses",
           "ec2:DescribeSecurityGroups; GetManagedPrefixListEntries", ("SecurityHub EC2.18",), network.job_security_groups,
           "Allow ingress from private ranges and this account's groups only (no public range, split or in a prefix list)."),
    _check("GR-IAM-01", "Service role trusts only Bedrock, with confused-deputy conditions",
           "iam:GetRole; accessanalyzer:CheckNoPublicAccess",
           ("prowler iam_role_cross_service_confused_deputy_prevention", "IAM Access Analyzer CheckNoPublicAccess"), iam.role_trust,
           "Trust only bedrock.amazonaws.com with aws:SourceAccount and aws:SourceArn = this account's customization jobs."),
    _check("GR-IAM-02", "Service role least privilege", "iam:GetRolePolicy", ("SecurityHub IAM.1", "IAM.21"), iam.least_privilege,
           "Limit S3 to the training prefixes, PutObject to output/, KMS to the data key; no other action but the job's ENIs."),
    _check("GR-IAM-03", "Least privilege proven by evaluation", "iam:SimulatePrincipalPolicy; accessanalyzer:CheckAccessNotGranted",
           ("IAM Access Analyzer custom policy checks",),
           iam.evaluated, "Narrow the service role's policies until only the needed probes are allowed."),
    _check("GR-IAM-04", "No broad managed policies on the service role", "iam:ListAttachedRolePolicies; GetPolicy; GetPolicyVersion",
           ("prowler iam_role_administratoraccess_policy",), iam.no_broad_managed,
           "Detach managed policies that grant more than the job needs."),
    _check("GR-IAM-05", "Launcher passes only this role, only to Bedrock", "the launcher role's policies; accessanalyzer:ValidatePolicy",
           ("Access Analyzer PASS_ROLE_WITH_STAR_IN_RESOURCE",), iam.launcher_pass_role,
           "Scope iam:PassRole to named roles with iam:PassedToService; the service role to bedrock.amazonaws.com only."),
    _check("GR-EVAL-01", "Evaluation role trusts only Bedrock, for this account's evaluation jobs", "iam:GetRole",
           ("prowler iam_role_cross_service_confused_deputy_prevention", "UG judge-service-roles"), evaluation_role.trust,
           "Trust only bedrock.amazonaws.com with aws:SourceAccount and aws:SourceArn = this account's evaluation jobs."),
    _check("GR-EVAL-02", "Evaluation role least privilege", "iam:GetRolePolicy; iam:ListAttachedRolePolicies",
           ("SecurityHub IAM.1", "UG judge-service-roles"), evaluation_role.least_privilege,
           "Limit S3 to reports/*/evaluation/ (PutObject to its output/), KMS to the data key, Bedrock to invoking models."),
    _run_check("GR-JOB-01", "Request uses the data key", "the request about to be sent", ("Trend Micro Bedrock-004",), job.key,
           "Send customModelKmsKeyId = the data key ARN."),
    _run_check("GR-JOB-02", "Request runs in the checked VPC", "the request", ("CloudSploit customModelInVpc",), job.checked_vpc,
           "Send vpcConfig with the checked subnets and security groups."),
    _run_check("GR-JOB-03", "Request trains from the validated copy", "the request", ("own check",), job.uris,
           "Train from validated/<sha256>/ and write to output/ of the data bucket."),
    _run_check("GR-JOB-04", "Request uses the checked role", "the request", ("own check",), job.role,
           "Send roleArn = the checked service role."),
    _run_check("GR-JOB-05", "Idempotent request with lineage", "the request", ("Bedrock clientRequestToken",), job.idempotency,
           "Send the run id as clientRequestToken and the lineage tags."),
    # Reinforcement fine-tuning's grader (rules/grader.py): judged whenever the stack has one, so preflight audits it too.
    _check("GR-RFT-01", "RFT grader's role least privilege", "lambda:GetFunctionConfiguration Role; iam:GetRolePolicy; GetPolicyVersion",
           ("SecurityHub IAM.1", "Bedrock rft-access-security"), grader.role_least_privilege,
           "Give the grader a role of its own that writes its logs and traces and decrypts its environment, nothing else."),
    _check("GR-RFT-02", "RFT grader invocable by this account's jobs only", "lambda:GetPolicy",
           ("SecurityHub Lambda.1", "prowler awslambda_function_not_publicly_accessible"), grader.invoked_by_our_jobs_only,
           "Remove outside principals; bind bedrock.amazonaws.com with aws:SourceAccount and aws:SourceArn = this account's jobs."),
    _check("GR-RFT-03", "RFT grader's environment and logs under a customer key", "lambda:GetFunctionConfiguration; logs:DescribeLogGroups",
           ("Lambda data encryption at rest", "CloudWatch Logs KMS encryption"), grader.encrypted,
           "Set the function's KMSKeyArn and its log group's kmsKeyId to the data key; set a retention."),
)  # fmt: skip


# ---------------------------------------------------------------- warnings (reported, never blocking)

WARN_CHECKS: tuple[Check, ...] = (
    _warn("GR-S3-02", "S3 Bucket Key on", "GetBucketEncryption", ("S3 docs",), s3.bucket_key, "Enable the S3 Bucket Key."),
    _warn("GR-S3-05", "PUTs naming another key are denied", "GetBucketPolicy", ("Config s3-bucket-server-side-encryption-enabled",),
          s3.pinned_key, "Deny s3:PutObject when x-amz-server-side-encryption-aws-kms-key-id is not the data key."),
    _warn("GR-S3-09", "Versioning on", "GetBucketVersioning", ("SecurityHub S3.14",), s3.versioning, "Enable versioning."),
    _warn("GR-S3-10", "Server access logging", "GetBucketLogging", ("SecurityHub S3.9",), s3.access_logging,
          "Log to a separate bucket."),
    _warn("GR-S3-12", "Lifecycle on quarantine/ and reports/", "GetBucketLifecycleConfiguration", ("SecurityHub S3.13",),
          s3.lifecycle, "Add expiry rules for quarantine/ and reports/."),
    _warn("GR-KMS-06", "Single-Region key", "kms:DescribeKey", ("prowler kms_cmk_not_multi_region",), kms.single_region_key,
          "Use a single-Region key."),
    _warn("GR-NET-02", "Subnets in at least two zones", "ec2:DescribeSubnets", ("Bedrock: a subnet in each AZ",), network.two_zones,
          "Give the job a subnet in every Availability Zone."),
    _warn("GR-NET-03", "Enough free addresses", "ec2:DescribeSubnets", ("own check",), network.free_addresses,
          "Use subnets with at least 16 free addresses."),
    _warn("GR-NET-08", "Default security group unused and empty", "ec2:DescribeSecurityGroups", ("SecurityHub EC2.2",),
          network.default_group, "Use a dedicated group; remove the default group's rules."),
    _warn("GR-NET-10", "VPC flow logs on", "ec2:DescribeFlowLogs", ("SecurityHub EC2.6",), network.flow_logs,
          "Turn on a flow log (all traffic) for the job VPC."),
    _warn("GR-IAM-06", "Service role dedicated to the pipeline", "iam:GetRole Tags", ("prowler bedrock_agent_role_not_shared",),
          iam.dedicated_role, "Tag the role pipeline=<stack> and use it for nothing else."),
)  # fmt: skip


# ---------------------------------------------------------------- before buying throughput (GR-JOB-07/08)

PURCHASE_CHECKS: tuple[Check, ...] = (
    _check("GR-JOB-07", "The model is encrypted with our key before any purchase", "bedrock:GetCustomModel",
           ("prowler bedrock_custom_model_encrypted_with_cmk",), purchase.model_key, "Retrain with customModelKmsKeyId = the data key."),
    _check("GR-JOB-08", "Throughput purchase within the cap, no commitment, idempotent", "the purchase request",
           ("own check",), purchase.throughput_request, "Lower model units to the stack's MaxModelUnits; never send a commitment."),
)  # fmt: skip


# ---------------------------------------------------------------- pipeline plumbing (GR-OPS), audited by preflight

OPS_CHECKS: tuple[Check, ...] = (
    _check("GR-OPS-02", "Notifications carry no dataset content", "the notification models' fields", ("own check",),
           ops.content_free_notifications, "Carry ids, counts, codes, ARNs, costs or links; keep content in the encrypted report."),
    _check("GR-OPS-04", "Functions not public", "lambda:GetPolicy", ("SecurityHub Lambda.1",), ops.functions_not_public,
           "Remove wildcard principals; bind service permissions with SourceArn."),
    _check("GR-OPS-08", "Completion rule pinned, targets with DLQ", "events:DescribeRule; ListTargetsByRule",
           ("prowler eventbridge_bus_exposed",), ops.completion_rule,
           "Match source aws.bedrock, the detail-type, this account and detail.jobStatus; give every target a DLQ."),
)  # fmt: skip


# ---------------------------------------------------------------- inference over PrivateLink (GR-NET-12..14, issue 16)
# Judged with the pre-launch rows and by preflight, on InferenceEvidence (adapters/endpoints.py). PrivateInference off:
# PASS as not applicable (rules/inference.py says so in each finding).

INFERENCE_CHECKS: tuple[Check, ...] = (
    _check("GR-NET-12", "Bedrock runtime endpoint serves the smoke test's subnets privately",
           "lambda:GetFunctionConfiguration VpcConfig; ec2:DescribeVpcEndpoints; DescribeSubnets; DescribeVpcAttribute; groups",
           ("Bedrock vpc-interface-endpoints", "AWS blog: security best practices for fine-tuning (Use the model)"),
           inference.runtime_endpoint,
           "Add an available bedrock-runtime interface endpoint with private DNS in every zone of the function's subnets, "
           "HTTPS both ways."),
    _check("GR-NET-13", "Bedrock runtime endpoint policies allow only inference on this account's custom models",
           "ec2:DescribeVpcEndpoints PolicyDocument (every bedrock-runtime endpoint of the VPC)",
           ("Bedrock API reference Converse: requires bedrock:InvokeModel", "prowler vpc_endpoint_connections_trust_boundaries"),
           inference.runtime_endpoint_policy,
           "Allow only bedrock:InvokeModel(WithResponseStream) on this account's provisioned-model, custom-model-deployment and "
           "custom-model ARNs in this region, with aws:PrincipalAccount = this account."),
    _check("GR-NET-14", "Bedrock runtime endpoint security groups admit HTTPS from the VPC only",
           "ec2:DescribeSecurityGroups; DescribeVpcs; prefix lists", ("SecurityHub EC2.18",), inference.runtime_endpoint_groups,
           "Allow tcp/443 from the VPC's CIDR (or this account's groups in the VPC) only."),
)  # fmt: skip


# ---------------------------------------------------------------- the data key's policy covers the stack (GR-KMS-07, issue 14)
# Read by ``finetune preflight --stack`` (key_needs.py): with ExistingKmsKeyArn the stack cannot write the key policy.

KEY_POLICY_CHECKS: tuple[Check, ...] = (
    _check("GR-KMS-07", "The key policy lets the stack's roles and services use the key", "kms:GetKeyPolicy",
           ("KMS key policies: a key policy must allow each principal", "README: Bring your own KMS key"),
           key_needs.key_policy_covers_the_stack, "Add the key-policy statements README 'Bring your own KMS key' lists."),
)  # fmt: skip


def evaluate(ev: Any, checks: Iterable[Check] = PRE_LAUNCH_CHECKS) -> list[Finding]:
    return [check(ev) for check in checks]
