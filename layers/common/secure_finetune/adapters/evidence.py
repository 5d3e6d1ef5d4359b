"""Reads the live evidence the guardrail rules judge. Any error -> None (the check is UNKNOWN).

For the semantic rules (issue 11) it also resolves what a policy, a route or a group only names: the managed prefix
lists routes and group rules use, the type of every endpoint a route leads to, the owner and VPC of referenced
groups, every CIDR of the VPC, each attached managed policy's document, and (when malware scanning is on) the GuardDuty
Malware Protection plan of the bucket.

Every S3 call names the expected bucket owner. Read-only: the same gatherer serves the pipeline's
guardrail step and ``finetune preflight``. IAM Access Analyzer's policy checks (CheckNoPublicAccess,
CheckAccessNotGranted, ValidatePolicy) judge the policies read here; they read no resource, only
the policy text sent to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError

from ..guardrails import (
    BucketEvidence,
    Evidence,
    GraderEvidence,
    KeyEvidence,
    NetworkEvidence,
    ObjectEvidence,
    RoleEvidence,
    ValidatorEvidence,
    access_probes,
)
from ..observability import logger
from ..ports import EvidenceRequest
from ..reports import ValidationDocument, parse_report
from ..service_errors import ServiceError, error_code
from .clients import client

T = TypeVar("T")
_EVIDENCE_ERRORS = (ServiceError, BotoCoreError, KeyError, ValueError, TypeError)


def read_evidence(what: str, call: Callable[[], T]) -> T | None:
    try:
        return call()
    except _EVIDENCE_ERRORS as err:
        logger.warning("evidence unavailable", evidence=what, error=error_code(err))
        return None


def policy_document(value: Any) -> dict[str, Any]:
    """A policy as boto3 returns it: a dict (IAM's, decoded by botocore), JSON (S3, KMS, EC2) or
    URL-encoded JSON (IAM's, where botocore left it as text). Anything else raises ValueError."""
    if isinstance(value, dict):
        return value
    return dict(json.loads(unquote(str(value))))  # json.JSONDecodeError is a ValueError


def _unless_absent(call: Callable[[], T], absent: str, meaning: T) -> Callable[[], T]:
    """A read whose "not configured" error is an answer (e.g. no public access block = all off), not unknown."""

    def read() -> T:
        try:
            return call()
        except ServiceError as err:
            if err.code == absent:
                return meaning
            raise

    return read


_NO_PUBLIC_ACCESS_BLOCK = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), False)


def _analyzer_answer(response: dict[str, Any]) -> dict[str, Any]:
    """A CheckNoPublicAccess / CheckAccessNotGranted response without its metadata."""
    return {"result": response["result"], "message": response.get("message", ""), "reasons": list(response.get("reasons", []))}


def no_public_access(policy: dict[str, Any] | None, resource_type: str) -> dict[str, Any] | None:
    """accessanalyzer:CheckNoPublicAccess on a resource policy; None when the policy is unknown or the call fails."""
    if policy is None:
        return None
    if not policy.get("Statement"):  # no policy at all (a bucket without one): nothing can be granted
        return {"result": "PASS", "message": "no policy statements to analyze", "reasons": []}
    return read_evidence(
        f"CheckNoPublicAccess({resource_type})",
        lambda: _analyzer_answer(
            client("accessanalyzer").check_no_public_access(policyDocument=json.dumps(policy), resourceType=resource_type)
        ),
    )


def _identity_document(policies: list[dict[str, Any]]) -> str:
    """A role's inline policies as one identity policy (their union; Sids dropped, they may repeat)."""
    statements: list[dict[str, Any]] = []
    for policy in policies:
        found = policy.get("Statement")
        for statement in found if isinstance(found, list) else [found]:
            if isinstance(statement, dict):
                statements.append({k: v for k, v in statement.items() if k != "Sid"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _lifecycle_prefixes(s3: Any, owner: dict[str, str]) -> list[str]:
    try:
        rules = s3.get_bucket_lifecycle_configuration(**owner)["Rules"]
    except ServiceError as err:
        if err.code == "NoSuchLifecycleConfiguration":
            return []
        raise
    return [rule.get("Filter", {}).get("Prefix", rule.get("Prefix", "")) for rule in rules if rule.get("Status") == "Enabled"]


def _associated(association: dict[str, Any], state: str) -> bool:
    return str(association.get(state, {}).get("State", "associated")) == "associated"


def prefix_lists(ec2: Any, routes: list[dict[str, Any]], permissions: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Every prefix list a route or a group rule names -> its CIDRs (ec2:GetManagedPrefixListEntries, all pages)."""
    wanted = {str(r["DestinationPrefixListId"]) for r in routes if r.get("DestinationPrefixListId")}
    wanted |= {str(e["PrefixListId"]) for p in permissions for e in p.get("PrefixListIds", [])}
    found: dict[str, list[str]] = {}
    for list_id in sorted(wanted):
        pages = ec2.get_paginator("get_managed_prefix_list_entries").paginate(PrefixListId=list_id)
        found[list_id] = [str(entry["Cidr"]) for page in pages for entry in page.get("Entries", [])]
    return found


def vpc_endpoints(ec2: Any, region: str, vpc_id: str, service: str, kind: str | None = None) -> list[dict[str, Any]]:
    """The VPC's endpoints for ``service`` (of ``kind`` if given), each with its policy as a document."""
    filters = [
        {"Name": "vpc-id", "Values": [vpc_id]},
        {"Name": "service-name", "Values": [f"com.amazonaws.{region}.{service}"]},
    ] + ([{"Name": "vpc-endpoint-type", "Values": [kind]}] if kind else [])
    found = ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]
    return [{**e, "PolicyDocument": policy_document(e.get("PolicyDocument") or "{}")} for e in found]


def vpc_facts(ec2: Any, vpc_id: str) -> dict[str, Any]:
    """The VPC's address ranges (every associated IPv4/IPv6 block) and its two DNS attributes."""
    described = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    support = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"]
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
    blocks = [a["CidrBlock"] for a in described.get("CidrBlockAssociationSet", []) if _associated(a, "CidrBlockState")]
    blocks += [a["Ipv6CidrBlock"] for a in described.get("Ipv6CidrBlockAssociationSet", []) if _associated(a, "Ipv6CidrBlockState")]
    cidrs = list(dict.fromkeys([described["CidrBlock"], *blocks]))
    return {"CidrBlock": described["CidrBlock"], "CidrBlocks": cidrs, "EnableDnsSupport": support, "EnableDnsHostnames": hostnames}


def _endpoint_types(ec2: Any, routes: list[dict[str, Any]], *known: list[dict[str, Any]] | None) -> dict[str, str]:
    """VPC endpoint id -> VpcEndpointType, for the endpoints read already and every endpoint a route leads to."""
    types = {str(e["VpcEndpointId"]): str(e.get("VpcEndpointType", "")) for group in known for e in group or [] if e.get("VpcEndpointId")}
    targets = {str(r.get("GatewayId")) for r in routes if str(r.get("GatewayId", "")).startswith("vpce-")} - set(types)
    if targets:
        for endpoint in ec2.describe_vpc_endpoints(VpcEndpointIds=sorted(targets))["VpcEndpoints"]:
            types[str(endpoint["VpcEndpointId"])] = str(endpoint.get("VpcEndpointType", ""))
    return types


def referenced_groups(
    ec2: Any, account: str, permissions: list[dict[str, Any]], known: dict[str, dict[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Groups of this account the rules reference that were not read already -> their owner and VPC. A reference to
    another account's group names that account (UserId): the rule refuses it without reading it."""
    pairs = [pair for p in permissions for pair in p.get("UserIdGroupPairs", []) if pair.get("GroupId")]
    wanted = {str(pair["GroupId"]) for pair in pairs if pair.get("UserId", account) == account}
    wanted -= set(known or {})
    if not wanted:
        return {}
    described = ec2.describe_security_groups(GroupIds=sorted(wanted))["SecurityGroups"]
    return {str(g["GroupId"]): {"OwnerId": g.get("OwnerId"), "VpcId": g.get("VpcId")} for g in described}


class EvidenceReader:
    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region

    def gather(self, request: EvidenceRequest) -> Evidence:
        return gather_evidence(self, request)

    # ---------------------------------------------------------------- pieces
    def caller_account(self) -> str | None:
        return read_evidence("GetCallerIdentity", lambda: str(client("sts").get_caller_identity()["Account"]))

    def object(self, bucket: str, key: str, version_id: str, event_etag: str, event_size: int) -> ObjectEvidence:
        s3 = client("s3")
        head = read_evidence(
            "HeadObject", lambda: s3.head_object(Bucket=bucket, Key=key, VersionId=version_id, ExpectedBucketOwner=self.account)
        )
        tags = read_evidence(
            "GetObjectTagging",
            lambda: {
                t["Key"]: t["Value"]
                for t in s3.get_object_tagging(Bucket=bucket, Key=key, VersionId=version_id, ExpectedBucketOwner=self.account)["TagSet"]
            },
        )
        return ObjectEvidence(
            key=key,
            version_id=version_id,
            event_etag=event_etag,
            event_size=event_size,
            readable=head is not None,
            etag=head["ETag"].strip('"') if head else None,
            size=head["ContentLength"] if head else None,
            sse=head.get("ServerSideEncryption") if head else None,
            kms_key=head.get("SSEKMSKeyId") if head else None,
            tags=tags,
        )

    def bucket(self, name: str) -> BucketEvidence:
        s3 = client("s3")
        owner = {"Bucket": name, "ExpectedBucketOwner": self.account}
        owned: bool | None = None
        try:
            head = s3.head_bucket(**owner)
            owned = True
        except ServiceError as err:
            head = None
            # 403 with ExpectedBucketOwner: another account owns the bucket (or we may not look): block
            owned = False if err.code in ("403", "AccessDenied") else None
            logger.warning("evidence unavailable", evidence="HeadBucket", error=err.code)
        region = None
        if head is not None:
            region = head.get("BucketRegion") or head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region")
            region = region or read_evidence(
                "GetBucketLocation", lambda: s3.get_bucket_location(**owner).get("LocationConstraint") or "us-east-1"
            )

        def policy() -> dict[str, Any]:
            try:
                return policy_document(s3.get_bucket_policy(**owner)["Policy"])
            except ServiceError as err:
                if err.code == "NoSuchBucketPolicy":
                    return {}
                raise

        encryption_rules: list[dict[str, Any]] | None = read_evidence(
            "GetBucketEncryption",
            _unless_absent(
                lambda: list(s3.get_bucket_encryption(**owner)["ServerSideEncryptionConfiguration"]["Rules"]),
                "ServerSideEncryptionConfigurationNotFoundError",
                [],
            ),
        )
        bucket_policy = read_evidence("GetBucketPolicy", policy)
        return BucketEvidence(
            name=name,
            owned=owned,
            region=region,
            encryption_rules=encryption_rules,
            policy=bucket_policy,
            public_access_check=no_public_access(bucket_policy, "AWS::S3::Bucket"),
            public_access_block=read_evidence(
                "GetPublicAccessBlock",
                _unless_absent(
                    lambda: dict(s3.get_public_access_block(**owner)["PublicAccessBlockConfiguration"]),
                    "NoSuchPublicAccessBlockConfiguration",
                    _NO_PUBLIC_ACCESS_BLOCK,
                ),
            ),
            policy_is_public=read_evidence(
                "GetBucketPolicyStatus",
                _unless_absent(lambda: bool(s3.get_bucket_policy_status(**owner)["PolicyStatus"]["IsPublic"]), "NoSuchBucketPolicy", False),
            ),
            versioning=read_evidence("GetBucketVersioning", lambda: str(s3.get_bucket_versioning(**owner).get("Status", "Off"))),
            logging_target=read_evidence(
                "GetBucketLogging", lambda: str(s3.get_bucket_logging(**owner).get("LoggingEnabled", {}).get("TargetBucket", ""))
            ),
            lifecycle_prefixes=read_evidence("GetBucketLifecycleConfiguration", lambda: _lifecycle_prefixes(s3, owner)),
            ownership=read_evidence(
                "GetBucketOwnershipControls",
                _unless_absent(
                    lambda: str(s3.get_bucket_ownership_controls(**owner)["OwnershipControls"]["Rules"][0]["ObjectOwnership"]),
                    "OwnershipControlsNotFoundError",
                    "not set (ACLs apply)",
                ),
            ),
        )

    def key(self, key_arn: str) -> KeyEvidence:
        kms = client("kms")
        metadata = read_evidence("DescribeKey", lambda: dict(kms.describe_key(KeyId=key_arn)["KeyMetadata"]))
        rotation = read_evidence("GetKeyRotationStatus", lambda: bool(kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"]))
        key_policy = read_evidence(
            "GetKeyPolicy", lambda: policy_document(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
        )
        return KeyEvidence(
            metadata=metadata,
            rotation_enabled=rotation,
            policy=key_policy,
            public_access_check=no_public_access(key_policy, "AWS::KMS::Key"),
        )

    def network(self, subnet_ids: tuple[str, ...], group_ids: tuple[str, ...]) -> NetworkEvidence:
        ec2 = client("ec2")
        subnets = read_evidence("DescribeSubnets", lambda: list(ec2.describe_subnets(SubnetIds=list(subnet_ids))["Subnets"]))
        vpc_ids = sorted({s["VpcId"] for s in subnets or []})
        vpc_id = vpc_ids[0] if len(vpc_ids) == 1 else None

        def route_tables() -> dict[str, dict[str, Any]]:
            tables: dict[str, dict[str, Any]] = {}
            for subnet_id in subnet_ids:
                found = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["RouteTables"]
                if not found and vpc_id:  # no explicit association: the VPC's main table
                    found = ec2.describe_route_tables(
                        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}]
                    )["RouteTables"]
                tables[subnet_id] = found[0]
            return tables

        def endpoints(service: str, kind: str | None) -> list[dict[str, Any]]:
            return vpc_endpoints(ec2, self.region, str(vpc_id), service, kind)

        def vpc() -> dict[str, Any]:
            return vpc_facts(ec2, str(vpc_id))

        def groups() -> dict[str, dict[str, Any]]:
            kms_groups = [g["GroupId"] for e in kms_endpoints or [] for g in e.get("Groups", [])]
            wanted = sorted(set(group_ids) | set(kms_groups))
            return {g["GroupId"]: g for g in ec2.describe_security_groups(GroupIds=wanted)["SecurityGroups"]}

        def default_group() -> dict[str, Any]:
            filters = [{"Name": "vpc-id", "Values": [str(vpc_id)]}, {"Name": "group-name", "Values": ["default"]}]
            found = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
            if len(found) != 1:  # every VPC has exactly one: anything else is unreadable evidence (GR-NET-08 UNKNOWN)
                raise KeyError("the VPC's default security group")
            return dict(found[0])

        def flow_logs() -> list[dict[str, Any]]:
            resources = [str(vpc_id), *(s["SubnetId"] for s in subnets or [])]
            pages = ec2.get_paginator("describe_flow_logs").paginate(Filters=[{"Name": "resource-id", "Values": resources}])
            return [log for page in pages for log in page.get("FlowLogs", [])]

        kms_endpoints = read_evidence("DescribeVpcEndpoints(kms)", lambda: endpoints("kms", "Interface")) if vpc_id else None
        s3_endpoints = read_evidence("DescribeVpcEndpoints(s3)", lambda: endpoints("s3", None)) if vpc_id else None
        tables = read_evidence("DescribeRouteTables", route_tables)
        security_groups = read_evidence("DescribeSecurityGroups", groups)
        routes = [r for t in (tables or {}).values() for r in t.get("Routes", [])]
        permissions = [p for g in (security_groups or {}).values() for p in g.get("IpPermissions", [])]
        endpoint_types = read_evidence(
            "DescribeVpcEndpoints(route targets)", lambda: _endpoint_types(ec2, routes, s3_endpoints, kms_endpoints)
        )
        # a gateway endpoint's route needs no address list (its target decides); every other prefix list is resolved
        gateways = {k for k, v in (endpoint_types or {}).items() if v.lower() == "gateway"}
        open_routes = [r for r in routes if str(r.get("GatewayId")) not in gateways]
        return NetworkEvidence(
            subnets=subnets,
            route_tables=tables,
            vpc=read_evidence("DescribeVpcs", vpc) if vpc_id else None,
            s3_endpoints=s3_endpoints,
            kms_endpoints=kms_endpoints,
            security_groups=security_groups,
            default_security_group=read_evidence("DescribeSecurityGroups(default)", default_group) if vpc_id else None,
            flow_logs=read_evidence("DescribeFlowLogs", flow_logs) if vpc_id else None,
            prefix_lists=read_evidence("GetManagedPrefixListEntries", lambda: prefix_lists(ec2, open_routes, permissions)),
            endpoint_types=endpoint_types,
            referenced_groups=read_evidence(
                "DescribeSecurityGroups(referenced)", lambda: referenced_groups(ec2, self.account, permissions, security_groups)
            ),
        )

    def simulate(self, role_arn: str, probes: list[tuple[str, str]]) -> list[tuple[str, str, str]] | None:
        def run() -> list[tuple[str, str, str]]:
            iam = client("iam")
            results = []
            for action, resource in probes:
                answer = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=[resource])
                results += [
                    (r["EvalActionName"], r.get("EvalResourceName", resource), r["EvalDecision"]) for r in answer["EvaluationResults"]
                ]
            return results

        return read_evidence("SimulatePrincipalPolicy", run)

    def access_not_granted(self, policies: list[dict[str, Any]] | None, denied: list[tuple[str, str]]) -> list[tuple[str, str, str]] | None:
        """accessanalyzer:CheckAccessNotGranted: may these identity policies grant each (action, resource)?"""
        if policies is None:
            return None

        def run() -> list[tuple[str, str, str]]:
            analyzer, document = client("accessanalyzer"), _identity_document(policies)
            results = []
            for action, resource in denied:
                answer = analyzer.check_access_not_granted(
                    policyDocument=document, access=[{"actions": [action], "resources": [resource]}], policyType="IDENTITY_POLICY"
                )
                results.append((action, resource, str(answer["result"])))
            return results

        return read_evidence("CheckAccessNotGranted", run)

    def policy_findings(self, policies: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        """accessanalyzer:ValidatePolicy on each identity policy: its findings, any type."""
        if policies is None:
            return None

        def run() -> list[dict[str, Any]]:
            paginator = client("accessanalyzer").get_paginator("validate_policy")
            findings = []
            for index, policy in enumerate(policies):
                for page in paginator.paginate(policyDocument=json.dumps(policy), policyType="IDENTITY_POLICY"):
                    findings += [
                        {"policy": index, **{k: f.get(k) for k in ("findingType", "issueCode", "findingDetails")}} for f in page["findings"]
                    ]
            return findings

        return read_evidence("ValidatePolicy", run)

    def role(
        self, role_arn: str, access: tuple[list[tuple[str, str]], list[tuple[str, str]]] | None = None, *, validate: bool = False
    ) -> RoleEvidence:
        """A role's trust and inline policies. ``access`` = (must be allowed, must be denied) probes:
        simulated, and the denied ones checked by Access Analyzer. ``validate``: ValidatePolicy findings."""
        iam = client("iam")
        name = role_arn.rsplit("/", 1)[-1]

        def inline() -> list[dict[str, Any]]:
            names = iam.list_role_policies(RoleName=name)["PolicyNames"]
            return [policy_document(iam.get_role_policy(RoleName=name, PolicyName=n)["PolicyDocument"]) for n in names]

        def managed(arns: list[str]) -> dict[str, dict[str, Any]]:
            """Each attached managed policy's default version, as IAM evaluates it."""
            documents = {}
            for arn in arns:
                version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                documents[arn] = policy_document(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])
            return documents

        trust = read_evidence("GetRole", lambda: policy_document(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]))
        inline_policies = read_evidence("GetRolePolicy", inline)
        attached = read_evidence(
            "ListAttachedRolePolicies", lambda: [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
        )
        return RoleEvidence(
            arn=role_arn,
            trust=trust,
            inline_policies=inline_policies,
            attached_policy_arns=attached,
            attached_policies=read_evidence("GetPolicyVersion", lambda: managed(attached)) if attached is not None else None,
            simulation=self.simulate(role_arn, access[0] + access[1]) if access else None,
            tags=read_evidence(
                "GetRole(Tags)", lambda: {t["Key"]: t["Value"] for t in iam.get_role(RoleName=name)["Role"].get("Tags", [])}
            ),
            trust_public_access_check=no_public_access(trust, "AWS::IAM::AssumeRolePolicyDocument"),
            access_not_granted=self.access_not_granted(inline_policies, access[1]) if access else None,
            policy_findings=self.policy_findings(inline_policies) if validate else None,
        )

    def malware_protection(self, bucket: str) -> dict[str, Any] | None:
        """The GuardDuty Malware Protection plan that protects ``bucket`` (guardduty:ListMalwareProtectionPlans,
        GetMalwareProtectionPlan): the role it tags with, whether it tags, which prefixes it scans. {} = no plan."""

        def read() -> dict[str, Any]:
            guardduty = client("guardduty")
            token: dict[str, str] = {}
            while True:
                page = guardduty.list_malware_protection_plans(**token)
                for summary in page.get("MalwareProtectionPlans", []):
                    plan = guardduty.get_malware_protection_plan(MalwareProtectionPlanId=summary["MalwareProtectionPlanId"])
                    protected = plan.get("ProtectedResource", {}).get("S3Bucket", {})
                    if protected.get("BucketName") == bucket:
                        return {
                            "Role": plan.get("Role"),
                            "Tagging": plan.get("Actions", {}).get("Tagging", {}).get("Status"),
                            "Status": plan.get("Status"),
                            "ObjectPrefixes": list(protected.get("ObjectPrefixes", [])),
                        }
                if not page.get("NextToken"):
                    return {}
                token = {"NextToken": page["NextToken"]}

        return read_evidence("GetMalwareProtectionPlan", read)

    def foundation_model(self, model_id: str) -> dict[str, Any] | None:
        """modelDetails, or {"modelId", "offered": False} when the region answers ResourceNotFoundException: the
        model is not offered here or is past its end of life here (GR-CTX-03 says which, with the date)."""
        return read_evidence(
            "GetFoundationModel",
            _unless_absent(
                lambda: dict(client("bedrock").get_foundation_model(modelIdentifier=model_id)["modelDetails"]),
                "ResourceNotFoundException",
                {"modelId": model_id, "offered": False},
            ),
        )

    def validator_report(self, bucket: str, key: str) -> ValidatorEvidence | None:
        """The validator's report of the run, read through its model (None: missing, unreadable or malformed)."""

        def read() -> ValidationDocument | None:
            body = client("s3").get_object(Bucket=bucket, Key=key, ExpectedBucketOwner=self.account)["Body"]
            return parse_report(ValidationDocument, body.read())

        document = read_evidence("GetObject(report)", read)
        return None if document is None else ValidatorEvidence(training_sha256=document.training.sha256, error_codes=document.error_codes())


def _with_malware_plan(reader: EvidenceReader, evidence: BucketEvidence, scanning: bool) -> BucketEvidence:
    """The plan is read only when the stack says malware scanning is on (GR-OBJ-07 is not applicable otherwise)."""
    return evidence.model_copy(update={"malware_protection": reader.malware_protection(evidence.name)}) if scanning else evidence


def gather_evidence(reader: EvidenceReader, request: EvidenceRequest) -> Evidence:
    """The pre-launch evidence for one run (``EvidenceReader.gather``, the port the step calls)."""
    r = request
    return Evidence(
        account=reader.account,
        region=reader.region,
        caller_account=reader.caller_account(),
        bucket_name=r.bucket,
        event_bucket=r.event_bucket,
        expected_key_arn=r.key_arn,
        subnet_ids=r.subnet_ids,
        security_group_ids=r.security_group_ids,
        object=reader.object(r.bucket, r.object_key, r.version_id, r.event_etag, r.event_size),
        bucket=_with_malware_plan(reader, reader.bucket(r.bucket), r.malware_scan_enabled),
        key=reader.key(r.key_arn),
        network=reader.network(r.subnet_ids, r.security_group_ids),
        service_role=reader.role(r.service_role_arn, access_probes(r.bucket, r.key_arn)),
        launcher_role=reader.role(r.launcher_role_arn, validate=True) if r.launcher_role_arn else None,
        evaluation_role=reader.role(r.evaluation_role_arn) if r.evaluation_role_arn else None,
        foundation_model=reader.foundation_model(r.base_model),
        customization_type=r.customization_type,
        validation=reader.validator_report(r.bucket, r.validation_report_key) if r.validation_report_key else None,
        dataset_sha256=r.dataset_sha256,
        malware_scan_enabled=r.malware_scan_enabled,
        job_request=r.job_request,
        grader_lambda_arn=r.grader_lambda_arn,
        grader=_grader(reader, r.grader_lambda_arn),
        deployment_mode=r.deployment_mode,
        smoke_test_role_arn=r.smoke_test_role_arn,
    )


def _grader(reader: EvidenceReader, arn: str | None) -> GraderEvidence | None:
    from .grader_evidence import read_grader  # here: it imports this module

    return read_grader(reader, arn) if arn else None
