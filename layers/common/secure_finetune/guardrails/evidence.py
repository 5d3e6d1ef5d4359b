"""The live evidence the guardrail rules judge, as plain values.

Gathered by ``adapters/evidence.py`` (boto3, every S3 call with ExpectedBucketOwner) once per
run. A field that could not be read (access denied, throttled, absent) is ``None``: the checks
reading it answer UNKNOWN, which blocks like a FAIL (fail closed).

IAM Access Analyzer answers are kept as AWS gives them, minus response metadata:
``CheckNoPublicAccess`` / ``CheckAccessNotGranted`` -> ``{"result": "PASS"|"FAIL", "message", "reasons"}``,
``ValidatePolicy`` -> its findings (``findingType``, ``issueCode``, ``findingDetails``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from .partitions import partition


class _Evidence(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class ObjectEvidence(_Evidence):
    key: str
    version_id: str
    event_etag: str
    event_size: int
    readable: bool
    etag: str | None = None
    size: int | None = None
    sse: str | None = None
    kms_key: str | None = None
    tags: dict[str, str] | None = None


class BucketEvidence(_Evidence):
    name: str
    owned: bool | None  # HeadBucket with ExpectedBucketOwner answered 200
    region: str | None
    encryption_rules: list[dict[str, Any]] | None
    policy: dict[str, Any] | None  # {} = no policy at all
    public_access_block: dict[str, bool] | None
    policy_is_public: bool | None
    ownership: str | None
    versioning: str | None = None  # GetBucketVersioning Status
    logging_target: str | None = None  # GetBucketLogging TargetBucket ("" = off)
    lifecycle_prefixes: list[str] | None = None  # GetBucketLifecycleConfiguration rule prefixes
    # accessanalyzer:CheckNoPublicAccess(resourceType=AWS::S3::Bucket) on the bucket policy (GR-S3-08)
    public_access_check: dict[str, Any] | None = None
    # guardduty:GetMalwareProtectionPlan of the plan protecting this bucket, read only when the stack says malware
    # scanning is on (GR-OBJ-07): {"Role", "Tagging", "Status", "ObjectPrefixes"}; {} = no plan protects the bucket
    malware_protection: dict[str, Any] | None = None


class KeyEvidence(_Evidence):
    metadata: dict[str, Any] | None
    rotation_enabled: bool | None
    policy: dict[str, Any] | None
    # accessanalyzer:CheckNoPublicAccess(resourceType=AWS::KMS::Key) on the key policy (GR-KMS-03)
    public_access_check: dict[str, Any] | None = None


class NetworkEvidence(_Evidence):
    subnets: list[dict[str, Any]] | None
    route_tables: dict[str, dict[str, Any]] | None  # subnet id -> its route table
    vpc: dict[str, Any] | None  # CidrBlock, CidrBlocks (every associated IPv4/IPv6 block), EnableDnsSupport, EnableDnsHostnames
    s3_endpoints: list[dict[str, Any]] | None  # every S3 endpoint of the VPC, gateway and interface
    kms_endpoints: list[dict[str, Any]] | None
    security_groups: dict[str, dict[str, Any]] | None  # group id -> DescribeSecurityGroups item
    default_security_group: dict[str, Any] | None = None  # the VPC's "default" group
    # ec2:DescribeFlowLogs of the VPC and the job subnets (GR-NET-10)
    flow_logs: list[dict[str, Any]] | None = None
    # What the network rules resolve (None: could not be read; the rule that needs it is UNKNOWN):
    # DescribeManagedPrefixLists/GetManagedPrefixListEntries for every prefix list a route or a group names
    prefix_lists: dict[str, list[str]] | None = None  # prefix list id -> its CIDRs
    # DescribeVpcEndpoints of every endpoint a route names (and the S3/KMS ones): id -> VpcEndpointType
    endpoint_types: dict[str, str] | None = None
    # DescribeSecurityGroups of the groups the job and endpoint groups reference: id -> {"OwnerId", "VpcId"}
    referenced_groups: dict[str, dict[str, Any]] | None = None


class RoleEvidence(_Evidence):
    arn: str
    trust: dict[str, Any] | None
    inline_policies: list[dict[str, Any]] | None
    attached_policy_arns: list[str] | None
    # iam:GetPolicy + GetPolicyVersion: each attached managed policy's default version (GR-IAM-04)
    attached_policies: dict[str, dict[str, Any]] | None = None
    # iam:SimulatePrincipalPolicy: [action, resource, EvalDecision] per probe (GR-IAM-03)
    simulation: list[tuple[str, str, str]] | None = None
    tags: dict[str, str] | None = None
    # accessanalyzer:CheckNoPublicAccess(resourceType=AWS::IAM::AssumeRolePolicyDocument) on the trust (GR-IAM-01)
    trust_public_access_check: dict[str, Any] | None = None
    # accessanalyzer:CheckAccessNotGranted on the inline policies: [action, resource, result] per
    # must-be-denied probe (GR-IAM-03); read for the service role only
    access_not_granted: list[tuple[str, str, str]] | None = None
    # accessanalyzer:ValidatePolicy(IDENTITY_POLICY) findings on the inline policies (GR-IAM-05);
    # read for the launcher role only
    policy_findings: list[dict[str, Any]] | None = None


class GraderEvidence(_Evidence):
    """Reinforcement fine-tuning's reward function (GR-RFT-01..03), read by ``adapters/grader_evidence.py``."""

    arn: str
    configuration: dict[str, Any] | None  # lambda:GetFunctionConfiguration (Role, KMSKeyArn, LoggingConfig, Environment keys)
    resource_policy: dict[str, Any] | None  # lambda:GetPolicy; {} = no resource-based policy
    role: RoleEvidence | None  # its execution role (trust, inline and attached policies)
    log_group: dict[str, Any] | None  # logs:DescribeLogGroups item of the group it logs to (kmsKeyId, retentionInDays)


class ValidatorEvidence(_Evidence):
    """What the validator's report of this run (reports/<run>/validation.json) says, as the rules judge it."""

    training_sha256: str  # of the version it validated
    error_codes: dict[str, int]  # every error code of its files and of the run as a whole -> how often


class Evidence(_Evidence):
    account: str
    region: str
    caller_account: str | None
    bucket_name: str  # the stack's data bucket
    event_bucket: str
    expected_key_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    object: ObjectEvidence
    bucket: BucketEvidence
    key: KeyEvidence
    network: NetworkEvidence
    service_role: RoleEvidence
    launcher_role: RoleEvidence | None  # the role that calls CreateModelCustomizationJob
    evaluation_role: RoleEvidence | None = None  # the role Bedrock assumes for evaluation jobs (GR-EVAL-01/02)
    foundation_model: dict[str, Any] | None  # GetFoundationModel.modelDetails
    customization_type: str
    validation: ValidatorEvidence | None  # None: the report is missing or unreadable
    dataset_sha256: str | None
    malware_scan_enabled: bool = False
    job_request: dict[str, Any] | None = None
    grader_lambda_arn: str | None = None  # the stack's RFT grader (GRADER_LAMBDA_ARN); None = none configured
    grader: GraderEvidence | None = None  # None with an ARN: it could not be read (UNKNOWN)
    deployment_mode: str | None = None  # provisioned-throughput | on-demand | none; None = not known (GR-CTX-03)
    # The one role that may use the run files through the S3 endpoint (GR-NET-05): the smoke-test function's when it
    # runs in the job subnets (PrivateInference); None: it does not, and no role may; not an ARN (e.g. why it could not
    # be read): UNKNOWN.
    smoke_test_role_arn: str | None = None

    @property
    def partition(self) -> str:
        """The ARN partition the stack's ARNs are in (``aws``, ``aws-us-gov``, ``aws-cn``...): the region's."""
        return partition(self.region, self.expected_key_arn)
