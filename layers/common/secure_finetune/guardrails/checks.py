"""The guardrail catalogue as code: each entry declares id, title, severity, evidence, anchors,
a rule (a pure function of :class:`Evidence`) and the fix. Ids and rules follow
``shared/reference/security-guardrails.md`` section 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..notifications import CONTENT_FREE_FIELD
from ..runs import INCOMING_PREFIX, OUTPUT_PREFIX, VALIDATED_PREFIX, dataset_key_problem
from .evidence import Evidence


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a status, not a password
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    severity: Severity
    status: Status
    explanation: str
    fix: str | None = None
    evidence: str = ""
    anchors: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        return self.severity is Severity.BLOCK and self.status is not Status.PASS


Verdict = tuple[Status, str]
PASS, FAIL, UNKNOWN = Status.PASS, Status.FAIL, Status.UNKNOWN


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: Severity
    evidence: str  # the API calls and fields read
    anchors: tuple[str, ...]
    rule: Callable[[Any], Verdict]  # Evidence, or PurchaseEvidence for the purchase checks
    fix: str
    per_run: bool = False  # judges a run's own evidence (its object, validator report, job request)

    def __call__(self, ev: Any) -> Finding:
        try:
            status, why = self.rule(ev)
        except (KeyError, TypeError, ValueError, AttributeError) as err:  # malformed evidence is unknown evidence
            status, why = UNKNOWN, f"evidence could not be interpreted ({type(err).__name__})"
        return Finding(
            id=self.id,
            title=self.title,
            severity=self.severity,
            status=status,
            explanation=why,
            fix=None if status is PASS else self.fix,
            evidence=self.evidence,
            anchors=self.anchors,
        )


# ---------------------------------------------------------------- policy helpers


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(policy: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [s for s in _list((policy or {}).get("Statement")) if isinstance(s, dict)]


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [str(p) for values in principal.values() for p in _list(values)]
    return []


def _matches(pattern: str, value: str) -> bool:
    """IAM-style wildcard match (``*`` and ``?``)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def _condition_values(statement: dict[str, Any], key: str) -> list[str]:
    found: list[str] = []
    for operator_values in (statement.get("Condition") or {}).values():
        for name, values in operator_values.items():
            if name.lower() == key.lower():
                found += [str(v) for v in _list(values)]
    return found


def _key_id(arn_or_id: str | None) -> str | None:
    return arn_or_id.rsplit("/", 1)[-1] if arn_or_id else None


def _no_public_access(answer: dict[str, Any] | None, what: str, passed: str) -> Verdict:
    """Judge an IAM Access Analyzer ``CheckNoPublicAccess`` answer, after our own parse passed."""
    if answer is None:
        return UNKNOWN, f"IAM Access Analyzer CheckNoPublicAccess could not be run on {what}"
    if answer.get("result") == "FAIL":
        reasons = "; ".join(str(r["description"]) for r in answer.get("reasons", []) if r.get("description"))
        return FAIL, f"IAM Access Analyzer: {what} may grant public access" + (f" ({reasons})" if reasons else "")
    if answer.get("result") != "PASS":
        return UNKNOWN, f"IAM Access Analyzer answered {answer.get('result')!r} for {what}"
    return PASS, f"{passed}; IAM Access Analyzer finds no public access"


# ---------------------------------------------------------------- context (GR-CTX)


def _ctx_account_region(ev: Evidence) -> Verdict:
    if ev.caller_account is None:
        return UNKNOWN, "the caller identity could not be read"
    if ev.caller_account != ev.account:
        return FAIL, "running in another account than the stack's"
    if ev.event_bucket != ev.bucket_name:
        return FAIL, "the event names another bucket than the stack's data bucket"
    return PASS, "account and bucket are the stack's"


def _ctx_bucket_owner(ev: Evidence) -> Verdict:
    if ev.bucket.owned is None or ev.bucket.region is None:
        return UNKNOWN, "HeadBucket with ExpectedBucketOwner could not be read"
    if not ev.bucket.owned:
        return FAIL, "the bucket is owned by another account"
    if ev.bucket.region != ev.region:
        return FAIL, f"the bucket is in {ev.bucket.region}, the job in {ev.region}"
    return PASS, "the bucket is ours and in the job's region"


def _ctx_base_model(ev: Evidence) -> Verdict:
    details = ev.foundation_model
    if details is None:
        return UNKNOWN, "GetFoundationModel could not be read"
    if ev.customization_type not in details.get("customizationsSupported", []):
        return FAIL, f"the base model does not support {ev.customization_type} here"
    if details.get("modelLifecycle", {}).get("status") != "ACTIVE":
        return FAIL, "the base model is not ACTIVE"
    return PASS, f"the base model is ACTIVE and supports {ev.customization_type}"


# ---------------------------------------------------------------- dataset object (GR-OBJ)

_KMS_ALGORITHMS = {"aws:kms", "aws:kms:dsse"}


def _obj_key(ev: Evidence) -> Verdict:
    obj = ev.object
    if not obj.readable:
        return UNKNOWN, "the object version could not be read"
    if obj.sse not in _KMS_ALGORITHMS:
        return FAIL, f"object is encrypted with {obj.sse or 'nothing'}, not SSE-KMS"
    if obj.kms_key != ev.expected_key_arn:
        return FAIL, "object is SSE-KMS with another key"
    return PASS, "object is SSE-KMS with the expected key ARN"


def _obj_unchanged(ev: Evidence) -> Verdict:
    obj = ev.object
    if not obj.readable or obj.etag is None:
        return UNKNOWN, "the object version could not be read"
    if (obj.event_etag and obj.etag != obj.event_etag) or (obj.event_size and obj.size != obj.event_size):
        return FAIL, "the object version differs from the event (ETag or size)"
    validated = (ev.validation or {}).get("training", {}).get("sha256")
    if validated is None or validated != ev.dataset_sha256:
        return FAIL, "the validator's sha256 is not the one this run trains on"
    return PASS, "version, ETag, size and sha256 match what was validated"


def _obj_key_sanity(ev: Evidence) -> Verdict:
    problem = dataset_key_problem(ev.object.key)  # the trigger's own rule, checked again on the run
    return (FAIL, problem) if problem else (PASS, "the key is a dataset under incoming/")


def _validator_codes(ev: Evidence) -> dict[str, int] | None:
    if ev.validation is None:
        return None
    codes: dict[str, int] = {}
    for role in ("training", "validation"):
        for code, count in (ev.validation.get(role) or {}).get("errors_by_code", {}).items():
            codes[code] = codes.get(code, 0) + count
    for problem in ev.validation.get("runProblems", []):
        codes[problem["code"]] = codes.get(problem["code"], 0) + 1
    return codes


def _validator_rule(codes: Iterable[str], what: str) -> Callable[[Evidence], Verdict]:
    wanted = set(codes)

    def rule(ev: Evidence) -> Verdict:
        found = _validator_codes(ev)
        if found is None:
            return UNKNOWN, "the validator's report for this run is missing"
        hits = sorted(wanted & set(found))
        return (FAIL, f"the validator found {', '.join(hits)}") if hits else (PASS, f"the validator found no {what} problem")

    return rule


def _obj_malware(ev: Evidence) -> Verdict:
    if not ev.malware_scan_enabled:
        return PASS, "GuardDuty malware protection is not enabled for this stack (not applicable)"
    if ev.object.tags is None:
        return UNKNOWN, "the object's tags could not be read"
    status = ev.object.tags.get("GuardDutyMalwareScanStatus")
    if status is None:
        return UNKNOWN, "no malware scan result yet"
    return (PASS, "no threats found") if status == "NO_THREATS_FOUND" else (FAIL, f"malware scan: {status}")


# ---------------------------------------------------------------- bucket (GR-S3)


def _s3_default_key(ev: Evidence) -> Verdict:
    rules = ev.bucket.encryption_rules
    if rules is None:
        return UNKNOWN, "bucket encryption could not be read"
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") in _KMS_ALGORITHMS and default.get("KMSMasterKeyID") == ev.expected_key_arn:
            return PASS, "default encryption is SSE-KMS with the expected key ARN"
    return FAIL, "default encryption is not SSE-KMS with the expected key ARN (an alias or aws/s3 does not count)"


def _s3_tls_only(ev: Evidence) -> Verdict:
    if ev.bucket.policy is None:
        return UNKNOWN, "the bucket policy could not be read"
    bucket_arn = f"arn:aws:s3:::{ev.bucket.name}"
    for statement in _statements(ev.bucket.policy):
        if statement.get("Effect") != "Deny" or "*" not in _principals(statement):
            continue
        actions = _list(statement.get("Action"))
        resources = _list(statement.get("Resource"))
        secure = [v.lower() for v in _condition_values(statement, "aws:SecureTransport")]
        covers = any(_matches(r, bucket_arn) for r in resources) and any(_matches(r, f"{bucket_arn}/x") for r in resources)
        if ("s3:*" in actions or "*" in actions) and covers and "false" in secure:
            return PASS, "a Deny on s3:* for bucket and objects when aws:SecureTransport is false"
    return FAIL, "no statement denies non-TLS requests to the bucket and its objects"


def _s3_public_access(ev: Evidence) -> Verdict:
    block, public = ev.bucket.public_access_block, ev.bucket.policy_is_public
    if block is None or public is None:
        return UNKNOWN, "public access block or policy status could not be read"
    off = [name for name in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets") if not block.get(name)]
    if off:
        return FAIL, f"public access block off: {', '.join(off)}"
    return (FAIL, "the bucket policy is public") if public else (PASS, "all four public access blocks on; policy not public")


def _s3_acls_disabled(ev: Evidence) -> Verdict:
    if ev.bucket.ownership is None:
        return UNKNOWN, "ownership controls could not be read"
    return (PASS, "ACLs disabled") if ev.bucket.ownership == "BucketOwnerEnforced" else (FAIL, f"object ownership is {ev.bucket.ownership}")


def _s3_no_external_principals(ev: Evidence) -> Verdict:
    if ev.bucket.policy is None:
        return UNKNOWN, "the bucket policy could not be read"
    for statement in _statements(ev.bucket.policy):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if isinstance(principal, dict) and set(principal) == {"Service"}:
            if not _condition_values(statement, "aws:SourceAccount") and not _condition_values(statement, "aws:SourceArn"):
                return FAIL, "a service is allowed without aws:SourceAccount / aws:SourceArn"
            continue
        if "NotPrincipal" in statement:
            return FAIL, "an Allow with NotPrincipal names everyone else"
        for name in _principals(statement):
            if name == "*" or (name != ev.account and f":{ev.account}:" not in name):
                return FAIL, "an Allow names a principal outside this account"
    return _no_public_access(ev.bucket.public_access_check, "the bucket policy", "every Allow names this account or a service bound to it")


# ---------------------------------------------------------------- key (GR-KMS)


def _kms_customer_key(ev: Evidence) -> Verdict:
    meta = ev.key.metadata
    if meta is None:
        return UNKNOWN, "DescribeKey could not be read"
    problems = []
    if meta.get("KeyManager") != "CUSTOMER":
        problems.append("not customer-managed")
    if meta.get("KeyState") != "Enabled" or meta.get("DeletionDate"):
        problems.append("not enabled or scheduled for deletion")
    if meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or meta.get("KeyUsage") != "ENCRYPT_DECRYPT":
        problems.append("not a symmetric encrypt/decrypt key")
    if meta.get("AWSAccountId") != ev.account or f":{ev.region}:" not in str(meta.get("Arn")):
        problems.append("in another account or region")
    return (FAIL, "; ".join(problems)) if problems else (PASS, "customer-managed, enabled, symmetric, ours")


def _kms_rotation(ev: Evidence) -> Verdict:
    if ev.key.rotation_enabled is None:
        return UNKNOWN, "rotation status could not be read"
    return (PASS, "automatic rotation on") if ev.key.rotation_enabled else (FAIL, "automatic rotation off")


def _kms_no_wildcard(ev: Evidence) -> Verdict:
    if ev.key.policy is None:
        return UNKNOWN, "the key policy could not be read"
    for statement in _statements(ev.key.policy):
        wildcard = statement.get("Effect") == "Allow" and "*" in _principals(statement)
        if wildcard and ev.account not in _condition_values(statement, "kms:CallerAccount"):
            return FAIL, "an Allow has a wildcard principal"
        if statement.get("Effect") == "Allow" and "NotPrincipal" in statement:
            return FAIL, "an Allow with NotPrincipal names everyone else"
    return _no_public_access(ev.key.public_access_check, "the key policy", "no wildcard principal")


_ROLE_KMS_ACTIONS = {"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"}


def _names_role(statement: dict[str, Any], role_arn: str) -> bool:
    if role_arn in _principals(statement):
        return True
    return any(_matches(pattern, role_arn) for pattern in _condition_values(statement, "aws:PrincipalArn"))


def _kms_role_grants(ev: Evidence) -> Verdict:
    if ev.key.policy is None:
        return UNKNOWN, "the key policy could not be read"
    role = ev.service_role.arn
    allowed_services = {f"bedrock.{ev.region}.amazonaws.com", f"s3.{ev.region}.amazonaws.com"}
    granted: set[str] = set()
    for statement in _statements(ev.key.policy):
        if statement.get("Effect") != "Allow" or not _names_role(statement, role):
            continue
        if "*" in _principals(statement) or any(
            _matches(p, "arn:aws:iam::x:role/any") for p in _condition_values(statement, "aws:PrincipalArn")
        ):
            return FAIL, "a statement for the service role matches any role"
        actions = set(_list(statement.get("Action")))
        if not actions <= _ROLE_KMS_ACTIONS:
            return FAIL, "the service role gets more than Decrypt, GenerateDataKey, DescribeKey, CreateGrant"
        services = set(_condition_values(statement, "kms:ViaService"))
        if not services or not services <= allowed_services:
            return FAIL, "the service role's statement lacks kms:ViaService = bedrock/s3 of this region"
        granted |= actions
    missing = _ROLE_KMS_ACTIONS - granted
    return (
        (FAIL, f"the service role lacks {', '.join(sorted(missing))}")
        if missing
        else (PASS, "exactly the four actions, via Bedrock and S3")
    )


def _kms_one_key(ev: Evidence) -> Verdict:
    keys = {"object": ev.object.kms_key, "job": (ev.job_request or {}).get("customModelKmsKeyId")}
    for rule in ev.bucket.encryption_rules or []:
        keys["bucket"] = rule.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
    role_keys = {
        resource
        for policy in ev.service_role.inline_policies or []
        for statement in _statements(policy)
        if any(str(a).startswith("kms:") for a in _list(statement.get("Action")))
        for resource in _list(statement.get("Resource"))
    }
    if None in keys.values() or ev.service_role.inline_policies is None:
        return UNKNOWN, "a key reference could not be read"
    ids = {_key_id(v) for v in keys.values()} | {_key_id(r) for r in role_keys}
    return (
        (PASS, "bucket, object, job and role name one key") if ids == {_key_id(ev.expected_key_arn)} else (FAIL, "more than one key in use")
    )


# ---------------------------------------------------------------- network (GR-NET)


def _net_private_subnets(ev: Evidence) -> Verdict:
    net = ev.network
    if net.subnets is None or net.route_tables is None:
        return UNKNOWN, "subnets or route tables could not be read"
    found = {s["SubnetId"]: s for s in net.subnets}
    if set(ev.subnet_ids) - set(found):
        return FAIL, "a job subnet does not exist"
    if len({s["VpcId"] for s in net.subnets}) != 1:
        return FAIL, "the job subnets are in more than one VPC"
    for subnet_id in ev.subnet_ids:
        if found[subnet_id].get("MapPublicIpOnLaunch") or found[subnet_id].get("AssignIpv6AddressOnCreation"):
            return FAIL, "a job subnet assigns public addresses"
        table = net.route_tables.get(subnet_id)
        if table is None:
            return UNKNOWN, "a job subnet's route table could not be read"
        for route in table.get("Routes", []):
            default = route.get("DestinationCidrBlock") == "0.0.0.0/0" or route.get("DestinationIpv6CidrBlock") == "::/0"
            target = str(route.get("GatewayId") or route.get("NatGatewayId") or route.get("EgressOnlyInternetGatewayId") or "")
            if default and route.get("State", "active") == "active" and target.startswith(("igw-", "nat-", "eigw-")):
                return FAIL, "a job subnet routes to the internet (IGW, NAT or egress-only gateway)"
    return PASS, "private subnets in one VPC, no route to the internet"


def _net_s3_endpoint(ev: Evidence) -> Verdict:
    net = ev.network
    if net.s3_endpoints is None or net.route_tables is None:
        return UNKNOWN, "VPC endpoints or route tables could not be read"
    tables = {net.route_tables[s]["RouteTableId"] for s in ev.subnet_ids if s in net.route_tables}
    for endpoint in net.s3_endpoints:
        if endpoint.get("State", "").lower() == "available" and tables <= set(endpoint.get("RouteTableIds", [])):
            return PASS, "an available S3 gateway endpoint serves every job subnet"
    return FAIL, "no available S3 gateway endpoint on every job subnet's route table"


def _net_s3_endpoint_policy(ev: Evidence) -> Verdict:
    if not ev.network.s3_endpoints:
        return UNKNOWN, "no S3 endpoint to read"
    bucket_arn = f"arn:aws:s3:::{ev.bucket_name}"
    allowed = {bucket_arn, f"{bucket_arn}/{VALIDATED_PREFIX}*", f"{bucket_arn}/media/*", f"{bucket_arn}/{OUTPUT_PREFIX}*"}
    for endpoint in ev.network.s3_endpoints:
        for statement in _statements(endpoint.get("PolicyDocument")):
            if statement.get("Effect") != "Allow":
                continue
            actions = set(_list(statement.get("Action")))
            resources = set(_list(statement.get("Resource")))
            if not actions <= {"s3:GetObject", "s3:ListBucket", "s3:PutObject"} or not resources <= allowed:
                return FAIL, "the S3 endpoint policy allows more than the data bucket's training prefixes"
            if "s3:PutObject" in actions and resources - {f"{bucket_arn}/{OUTPUT_PREFIX}*"}:
                return FAIL, "the S3 endpoint policy allows writes outside output/"
    return PASS, "the S3 endpoint policy names only the data bucket's prefixes"


def _net_kms_endpoint(ev: Evidence) -> Verdict:
    net = ev.network
    if net.kms_endpoints is None or net.vpc is None or net.security_groups is None:
        return UNKNOWN, "the KMS endpoint, VPC attributes or security groups could not be read"
    if not net.vpc.get("EnableDnsSupport") or not net.vpc.get("EnableDnsHostnames"):
        return FAIL, "the VPC's DNS support or hostnames are off"
    for endpoint in net.kms_endpoints:
        if endpoint.get("State", "").lower() != "available" or not endpoint.get("PrivateDnsEnabled"):
            continue
        groups = [net.security_groups.get(g["GroupId"]) for g in endpoint.get("Groups", [])]
        if any(g is None for g in groups):
            return UNKNOWN, "the endpoint's security group could not be read"
        if all(_ingress_only_https_from(g, net.vpc.get("CidrBlock")) for g in groups if g):
            return PASS, "KMS interface endpoint with private DNS, HTTPS from the VPC only"
        return FAIL, "the KMS endpoint's security group allows more than HTTPS from the VPC"
    return FAIL, "no available KMS interface endpoint with private DNS"


def _ingress_only_https_from(group: dict[str, Any], cidr: str | None) -> bool:
    for permission in group.get("IpPermissions", []):
        if permission.get("IpProtocol") != "tcp" or permission.get("FromPort") != 443 or permission.get("ToPort") != 443:
            return False
        if any(r.get("CidrIp") != cidr for r in permission.get("IpRanges", [])) or permission.get("Ipv6Ranges"):
            return False
    return True


def _net_job_security_groups(ev: Evidence) -> Verdict:
    groups = ev.network.security_groups
    if groups is None or ev.network.subnets is None:
        return UNKNOWN, "security groups could not be read"
    vpcs = {s["VpcId"] for s in ev.network.subnets}
    for group_id in ev.security_group_ids:
        group = groups.get(group_id)
        if group is None:
            return FAIL, "a job security group does not exist"
        if group.get("VpcId") not in vpcs:
            return FAIL, "a job security group is in another VPC"
        for permission in group.get("IpPermissions", []):
            if any(r.get("CidrIp") == "0.0.0.0/0" for r in permission.get("IpRanges", [])) or any(
                r.get("CidrIpv6") == "::/0" for r in permission.get("Ipv6Ranges", [])
            ):
                return FAIL, "a job security group allows ingress from anywhere"
    return PASS, "job security groups in the job VPC, no ingress from anywhere"


# ---------------------------------------------------------------- identities (GR-IAM)


def _iam_trust(ev: Evidence) -> Verdict:
    trust = ev.service_role.trust
    if trust is None:
        return UNKNOWN, "the service role's trust policy could not be read"
    source_arn = f"arn:aws:bedrock:{ev.region}:{ev.account}:model-customization-job/*"
    allows = [s for s in _statements(trust) if s.get("Effect") == "Allow"]
    if not allows:
        return FAIL, "the trust policy allows nobody"
    for statement in allows:
        if statement.get("Principal") != {"Service": "bedrock.amazonaws.com"}:
            return FAIL, "a trust statement names a principal other than bedrock.amazonaws.com"
        if _condition_values(statement, "aws:SourceAccount") != [ev.account]:
            return FAIL, "a trust statement lacks StringEquals aws:SourceAccount = this account"
        if _condition_values(statement, "aws:SourceArn") != [source_arn]:
            return FAIL, "a trust statement lacks aws:SourceArn = this account's customization jobs"
    return _no_public_access(
        ev.service_role.trust_public_access_check,
        "the trust policy",
        "only Bedrock may assume the role, for this account's customization jobs",
    )


def _iam_least_privilege(ev: Evidence) -> Verdict:
    policies = ev.service_role.inline_policies
    if policies is None:
        return UNKNOWN, "the service role's policies could not be read"
    bucket_arn = f"arn:aws:s3:::{ev.bucket_name}"
    readable = {bucket_arn, f"{bucket_arn}/{VALIDATED_PREFIX}*", f"{bucket_arn}/media/*", f"{bucket_arn}/{OUTPUT_PREFIX}*"}
    for policy in policies:
        for statement in _statements(policy):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement or "NotResource" in statement:
                return FAIL, "an Allow with NotAction or NotResource grants everything it does not name"
            actions = [str(a) for a in _list(statement.get("Action"))]
            resources = [str(r) for r in _list(statement.get("Resource"))]
            if any(a in ("*", "s3:*", "kms:*", "iam:*") or a.startswith(("s3:Delete", "s3:PutBucket", "iam:")) for a in actions):
                return FAIL, "a broad or dangerous action (*, s3:*, kms:*, s3:Delete*, s3:PutBucket*, iam:*)"
            if any(a.startswith("s3:") for a in actions) and not set(resources) <= readable:
                return FAIL, "S3 access beyond the data bucket's training prefixes"
            if "s3:PutObject" in actions and set(resources) - {f"{bucket_arn}/{OUTPUT_PREFIX}*"}:
                return FAIL, "PutObject outside output/"
            if any(a.startswith("kms:") for a in actions) and {_key_id(r) for r in resources} != {_key_id(ev.expected_key_arn)}:
                return FAIL, "KMS access beyond the data key"
    return PASS, "S3 on the training prefixes, PutObject on output/, KMS on the data key only"


def access_probes(bucket: str, key_arn: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(must be allowed, must be denied) pairs of action and resource for the service role."""
    b = f"arn:aws:s3:::{bucket}"
    other_key = key_arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    allowed = [("s3:GetObject", f"{b}/{VALIDATED_PREFIX}x.jsonl"), ("s3:PutObject", f"{b}/{OUTPUT_PREFIX}x"), ("kms:Decrypt", key_arn)]
    denied = [
        ("s3:GetObject", "arn:aws:s3:::another-bucket/x"),
        ("s3:PutObject", f"{b}/{VALIDATED_PREFIX}x.jsonl"),
        ("s3:DeleteObject", f"{b}/{VALIDATED_PREFIX}x.jsonl"),
        ("s3:GetObject", f"{b}/{INCOMING_PREFIX}x.jsonl"),
        ("kms:Decrypt", other_key),
    ]
    return allowed, denied


def _iam_evaluated(ev: Evidence) -> Verdict:
    simulation = ev.service_role.simulation
    if simulation is None:
        return UNKNOWN, "iam:SimulatePrincipalPolicy could not be run"
    decisions = {(action, resource): decision for action, resource, decision in simulation}
    allowed, denied = access_probes(ev.bucket_name, ev.expected_key_arn)
    for probe in allowed:
        if decisions.get(probe) != "allowed":
            return FAIL, f"{probe[0]} on a needed resource is not allowed"
    for probe in denied:
        if decisions.get(probe) not in ("implicitDeny", "explicitDeny"):
            return FAIL, f"{probe[0]} is allowed where it must not be"
    if ev.service_role.access_not_granted is None:
        return UNKNOWN, "IAM Access Analyzer CheckAccessNotGranted could not be run"
    analyzed = {(action, resource): result for action, resource, result in ev.service_role.access_not_granted}
    for action, resource in denied:
        result = analyzed.get((action, resource))
        if result == "FAIL":
            return FAIL, f"IAM Access Analyzer: the role's policies may grant {action} on {resource}"
        if result != "PASS":
            return UNKNOWN, f"IAM Access Analyzer did not check {action} on {resource}"
    return PASS, "evaluation: the role reads validated/, writes output/, and nothing else probed; Access Analyzer agrees"


_BROAD_MANAGED = ("AdministratorAccess", "PowerUserAccess", "AmazonS3FullAccess", "AmazonBedrockFullAccess")


def _iam_no_broad_managed(ev: Evidence) -> Verdict:
    attached = ev.service_role.attached_policy_arns
    if attached is None:
        return UNKNOWN, "attached policies could not be read"
    broad = [arn for arn in attached if arn.rsplit("/", 1)[-1] in _BROAD_MANAGED]
    return (FAIL, f"broad managed policy attached: {', '.join(broad)}") if broad else (PASS, "no broad managed policy")


def _iam_pass_role(ev: Evidence) -> Verdict:
    """The service role goes only to Bedrock and only it goes to Bedrock; any other role the launcher
    may pass (e.g. a scheduler's) is named exactly and bound to its service."""
    launcher = ev.launcher_role
    if launcher is None or launcher.inline_policies is None:
        return UNKNOWN, "the launcher role's policies could not be read"
    passes = [
        statement
        for policy in launcher.inline_policies
        for statement in _statements(policy)
        if statement.get("Effect") == "Allow" and _grants_pass_role(statement)
    ]
    role, passes_service_role = ev.service_role.arn, False
    for statement in passes:
        resources = [str(r) for r in _list(statement.get("Resource"))]
        services = _condition_values(statement, "iam:PassedToService")
        if not resources or "NotResource" in statement or any("*" in r or "?" in r for r in resources):
            return FAIL, "iam:PassRole is not limited to named roles"
        if not services or any("*" in s or "?" in s for s in services):
            return FAIL, "iam:PassRole lacks iam:PassedToService"
        if role in resources and services != ["bedrock.amazonaws.com"]:
            return FAIL, "iam:PassRole lets the service role go to a service other than bedrock.amazonaws.com"
        if "bedrock.amazonaws.com" in services and resources != [role]:
            return FAIL, "iam:PassRole lets another role go to Bedrock"
        passes_service_role = passes_service_role or role in resources
    if not passes_service_role:
        return FAIL, "the launcher cannot pass the service role"
    if launcher.policy_findings is None:
        return UNKNOWN, "IAM Access Analyzer ValidatePolicy could not be run on the launcher's policies"
    pass_role = sorted({str(f.get("issueCode")) for f in launcher.policy_findings if str(f.get("issueCode", "")).startswith("PASS_ROLE_")})
    if pass_role:
        return FAIL, f"IAM Access Analyzer ValidatePolicy: {', '.join(pass_role)}"
    return PASS, "the service role goes only to Bedrock, no other role does; Access Analyzer raises no PassRole warning"


def _grants_pass_role(statement: dict[str, Any]) -> bool:
    if "NotAction" in statement:  # everything but the named actions
        return not any(_matches(str(a), "iam:PassRole") for a in _list(statement["NotAction"]))
    return any(_matches(str(a), "iam:PassRole") for a in _list(statement.get("Action")))


# ---------------------------------------------------------------- the job request (GR-JOB)


def _job_rule(check: Callable[[dict[str, Any], Evidence], Verdict]) -> Callable[[Evidence], Verdict]:
    def rule(ev: Evidence) -> Verdict:
        return (UNKNOWN, "no job request to check") if ev.job_request is None else check(ev.job_request, ev)

    return rule


def _job_key(request: dict[str, Any], ev: Evidence) -> Verdict:
    ok = request.get("customModelKmsKeyId") == ev.expected_key_arn
    return (PASS, "customModelKmsKeyId is the data key ARN") if ok else (FAIL, "customModelKmsKeyId is not the data key ARN")


def _job_vpc(request: dict[str, Any], ev: Evidence) -> Verdict:
    vpc = request.get("vpcConfig") or {}
    same = sorted(vpc.get("subnetIds", [])) == sorted(ev.subnet_ids) and sorted(vpc.get("securityGroupIds", [])) == sorted(
        ev.security_group_ids
    )
    return (PASS, "vpcConfig is exactly the checked subnets and groups") if same else (FAIL, "vpcConfig differs from the checked network")


def _job_uris(request: dict[str, Any], ev: Evidence) -> Verdict:
    prefix = f"s3://{ev.bucket_name}/"
    training = request.get("trainingDataConfig", {}).get("s3Uri", "")
    output = request.get("outputDataConfig", {}).get("s3Uri", "")
    validators = [v.get("s3Uri", "") for v in request.get("validationDataConfig", {}).get("validators", [])]
    if not training.startswith(f"{prefix}{VALIDATED_PREFIX}{ev.dataset_sha256}/"):
        return FAIL, "training data is not the immutable validated copy"
    if any(not v.startswith(f"{prefix}{VALIDATED_PREFIX}") for v in validators):
        return FAIL, "validation data is not a validated copy"
    if not output.startswith(f"{prefix}{OUTPUT_PREFIX}"):
        return FAIL, "output is not under the data bucket's output/"
    return PASS, "training from validated/<sha256>/, output to output/, same bucket"


def _job_role(request: dict[str, Any], ev: Evidence) -> Verdict:
    same = request.get("roleArn") == ev.service_role.arn
    return (PASS, "roleArn is the checked service role") if same else (FAIL, "roleArn is another role")


def _job_idempotency(request: dict[str, Any], ev: Evidence) -> Verdict:
    token, name = request.get("clientRequestToken"), request.get("jobName")
    if not token or token != name:
        return FAIL, "clientRequestToken is not the deterministic run id"
    tags = {t.get("key") for t in request.get("jobTags", [])}
    missing = {"run-id", "dataset-sha256", "source-version"} - tags
    return (FAIL, f"lineage tags missing: {', '.join(sorted(missing))}") if missing else (PASS, "deterministic token and lineage tags")


# ---------------------------------------------------------------- the catalogue

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


PRE_LAUNCH_CHECKS: tuple[Check, ...] = (
    _run_check("GR-CTX-01", "Right account and bucket", "sts:GetCallerIdentity; the event's bucket", ("own check",), _ctx_account_region,
           "Deploy and trigger the pipeline in the account that owns the data bucket."),
    _check("GR-CTX-02", "Bucket is ours and in the job's region", "HeadBucket(ExpectedBucketOwner)", ("SecurityHub S3.6",),
           _ctx_bucket_owner,
           "Use a bucket owned by this account, in the job's region."),
    _check("GR-CTX-03", "Base model is active and customizable", "bedrock:GetFoundationModel", ("Bedrock API reference",), _ctx_base_model,
           "Choose a base model and customization type offered in this region (finetune profiles)."),
    _run_check("GR-OBJ-01", "The dataset object itself is SSE-KMS with our key", "HeadObject(VersionId, ExpectedBucketOwner)",
           ("own check: no CSPM checks individual objects",), _obj_key,
           "Upload the dataset again without naming another key or algorithm (the bucket default applies)."),
    _run_check("GR-OBJ-02", "The object was not swapped (TOCTOU)", "HeadObject vs the event; the validator's sha256", ("own check",),
           _obj_unchanged, "Upload again; the run trains only the exact version it validated."),
    _run_check("GR-OBJ-03", "Key sanity", "the decoded object key", ("S3 event message structure",), _obj_key_sanity,
           "Put datasets under incoming/<profile>/<name>.jsonl."),
    _run_check("GR-OBJ-04", "Size within limits", _VALIDATOR, ("Bedrock quotas",),
           _validator_rule(("DATASET_EMPTY", "DATASET_TOO_LARGE"), "size"), "Split or trim the dataset to the model's file limits."),
    _run_check("GR-OBJ-05", "Not compressed or binary", _VALIDATOR, ("jsonlines.org",),
           _validator_rule(("DATASET_COMPRESSED_OR_BINARY", "DATASET_BOM", "DATASET_NOT_UTF8"), "encoding"),
           "Upload plain UTF-8 JSONL without a byte-order mark."),
    _run_check("GR-OBJ-06", "Record count and format within the model's quotas", _VALIDATOR, ("Bedrock prepare-data quotas",),
           _validator_rule(("TOO_MANY_RECORDS", "TOO_FEW_RECORDS", "SCHEMA_MISMATCH"), "count or format"),
           "Fix the records the validation report lists."),
    _run_check("GR-OBJ-07", "Malware scan result", "GetObjectTagging GuardDutyMalwareScanStatus", ("GuardDuty Malware Protection for S3",),
           _obj_malware, "Wait for the scan, or remove the infected file."),
    _run_check("GR-OBJ-08", "No blocking sensitive data", _VALIDATOR, ("Bedrock data protection", "SecurityHub Macie.1"),
           _validator_rule(("SENSITIVE_DATA",), "sensitive-data"), "Remove the secrets or PII the report lists by line."),
    _check("GR-S3-01", "Bucket default encryption is SSE-KMS with our key", "GetBucketEncryption", ("SecurityHub S3.17",),
           _s3_default_key, "Set the bucket's default encryption to SSE-KMS with the stack's key ARN (DatasetKey)."),
    _check("GR-S3-04", "Bucket policy denies non-TLS requests", "GetBucketPolicy", ("SecurityHub S3.5",), _s3_tls_only,
           "Add a Deny on s3:* for the bucket and bucket/* when aws:SecureTransport is false."),
    _check("GR-S3-06", "Public access blocked", "GetPublicAccessBlock; GetBucketPolicyStatus", ("SecurityHub S3.1", "S3.8"),
           _s3_public_access, "Turn on all four public access blocks; remove public statements."),
    _check("GR-S3-07", "ACLs disabled", "GetBucketOwnershipControls", ("SecurityHub S3.12",), _s3_acls_disabled,
           "Set object ownership to BucketOwnerEnforced."),
    _check("GR-S3-08", "No external principals in the bucket policy", "GetBucketPolicy; accessanalyzer:CheckNoPublicAccess",
           ("SecurityHub S3.6", "IAM Access Analyzer CheckNoPublicAccess"),
           _s3_no_external_principals, "Remove Allow statements for other accounts; bind service principals with aws:SourceAccount."),
    _check("GR-KMS-01", "Customer-managed, enabled, symmetric key of ours", "kms:DescribeKey", ("SecurityHub KMS.3",),
           _kms_customer_key, "Use the stack's enabled customer-managed key."),
    _check("GR-KMS-02", "Key rotation on", "kms:GetKeyRotationStatus", ("SecurityHub KMS.4",), _kms_rotation,
           "Enable automatic key rotation."),
    _check("GR-KMS-03", "No wildcard principal in the key policy", "kms:GetKeyPolicy; accessanalyzer:CheckNoPublicAccess",
           ("SecurityHub KMS.5", "IAM Access Analyzer CheckNoPublicAccess"), _kms_no_wildcard,
           "Name principals explicitly (or bind * with kms:CallerAccount)."),
    _check("GR-KMS-04", "Key policy gives the service role only what it needs", "kms:GetKeyPolicy", ("Bedrock encryption-custom-job",),
           _kms_role_grants, "Grant the service role Decrypt, GenerateDataKey, DescribeKey, CreateGrant via bedrock/s3 only."),
    _run_check("GR-KMS-05", "One key everywhere", "bucket, object, job request, role policy", ("own check",), _kms_one_key,
           "Use the data key for the bucket default, the object, the job and the role."),
    _check("GR-NET-01", "Job subnets private, one VPC", "ec2:DescribeSubnets; DescribeRouteTables", ("SecurityHub EC2.15",),
           _net_private_subnets, "Use private subnets without routes to an IGW, NAT or egress-only gateway."),
    _check("GR-NET-04", "S3 gateway endpoint on every job subnet", "ec2:DescribeVpcEndpoints; route tables", ("Bedrock vpc-s3",),
           _net_s3_endpoint, "Add an S3 gateway endpoint on the job subnets' route tables."),
    _check("GR-NET-05", "S3 endpoint policy limited to our bucket", "ec2:DescribeVpcEndpoints PolicyDocument",
           ("Bedrock RestrictAccessToTrainingBucket",), _net_s3_endpoint_policy,
           "Limit the endpoint policy to the data bucket's validated/, media/ and output/ prefixes."),
    _check("GR-NET-06", "KMS interface endpoint with private DNS", "ec2:DescribeVpcEndpoints; DescribeVpcAttribute; security groups",
           ("AWS blog: security best practices for fine-tuning",), _net_kms_endpoint,
           "Add a KMS interface endpoint with private DNS and HTTPS from the VPC only."),
    _check("GR-NET-07", "Job security groups without world ingress", "ec2:DescribeSecurityGroups", ("SecurityHub EC2.18",),
           _net_job_security_groups, "Remove 0.0.0.0/0 and ::/0 ingress from the job security groups."),
    _check("GR-IAM-01", "Service role trusts only Bedrock, with confused-deputy conditions",
           "iam:GetRole; accessanalyzer:CheckNoPublicAccess",
           ("prowler iam_role_cross_service_confused_deputy_prevention", "IAM Access Analyzer CheckNoPublicAccess"), _iam_trust,
           "Trust only bedrock.amazonaws.com with aws:SourceAccount and aws:SourceArn = this account's customization jobs."),
    _check("GR-IAM-02", "Service role least privilege", "iam:GetRolePolicy", ("SecurityHub IAM.1", "IAM.21"), _iam_least_privilege,
           "Limit S3 to the training prefixes, PutObject to output/, KMS to the data key."),
    _check("GR-IAM-03", "Least privilege proven by evaluation", "iam:SimulatePrincipalPolicy; accessanalyzer:CheckAccessNotGranted",
           ("IAM Access Analyzer custom policy checks",),
           _iam_evaluated, "Narrow the service role's policies until only the needed probes are allowed."),
    _check("GR-IAM-04", "No broad managed policies on the service role", "iam:ListAttachedRolePolicies",
           ("prowler iam_role_administratoraccess_policy",), _iam_no_broad_managed, "Detach the broad managed policies."),
    _check("GR-IAM-05", "Launcher passes only this role, only to Bedrock", "the launcher role's policies; accessanalyzer:ValidatePolicy",
           ("Access Analyzer PASS_ROLE_WITH_STAR_IN_RESOURCE",), _iam_pass_role,
           "Scope iam:PassRole to named roles with iam:PassedToService; the service role to bedrock.amazonaws.com only."),
    _run_check("GR-JOB-01", "Request uses the data key", "the request about to be sent", ("Trend Micro Bedrock-004",), _job_rule(_job_key),
           "Send customModelKmsKeyId = the data key ARN."),
    _run_check("GR-JOB-02", "Request runs in the checked VPC", "the request", ("CloudSploit customModelInVpc",), _job_rule(_job_vpc),
           "Send vpcConfig with the checked subnets and security groups."),
    _run_check("GR-JOB-03", "Request trains from the validated copy", "the request", ("own check",), _job_rule(_job_uris),
           "Train from validated/<sha256>/ and write to output/ of the data bucket."),
    _run_check("GR-JOB-04", "Request uses the checked role", "the request", ("own check",), _job_rule(_job_role),
           "Send roleArn = the checked service role."),
    _run_check("GR-JOB-05", "Idempotent request with lineage", "the request", ("Bedrock clientRequestToken",), _job_rule(_job_idempotency),
           "Send the run id as clientRequestToken and the lineage tags."),
)  # fmt: skip


# ---------------------------------------------------------------- warnings (reported, never blocking)


def _warn_bucket_key(ev: Evidence) -> Verdict:
    if ev.bucket.encryption_rules is None:
        return UNKNOWN, "bucket encryption could not be read"
    on = any(rule.get("BucketKeyEnabled") for rule in ev.bucket.encryption_rules)
    return (PASS, "S3 Bucket Key on") if on else (FAIL, "S3 Bucket Key off (every object costs a KMS call)")


def _warn_pinned_key(ev: Evidence) -> Verdict:
    if ev.bucket.policy is None:
        return UNKNOWN, "the bucket policy could not be read"
    for statement in _statements(ev.bucket.policy):
        denies_put = statement.get("Effect") == "Deny" and "s3:PutObject" in _list(statement.get("Action"))
        if denies_put and ev.expected_key_arn in _condition_values(statement, "s3:x-amz-server-side-encryption-aws-kms-key-id"):
            return PASS, "PUTs naming another key are denied"
    return FAIL, "no Deny on PUTs that name another key"


def _warn_versioning(ev: Evidence) -> Verdict:
    if ev.bucket.versioning is None:
        return UNKNOWN, "versioning could not be read"
    return (PASS, "versioning on") if ev.bucket.versioning == "Enabled" else (FAIL, "versioning off")


def _warn_access_logging(ev: Evidence) -> Verdict:
    if ev.bucket.logging_target is None:
        return UNKNOWN, "logging could not be read"
    if not ev.bucket.logging_target or ev.bucket.logging_target == ev.bucket.name:
        return FAIL, "server access logging off (or into the bucket itself)"
    return PASS, "server access logging to a separate bucket"


def _warn_lifecycle(ev: Evidence) -> Verdict:
    if ev.bucket.lifecycle_prefixes is None:
        return UNKNOWN, "lifecycle rules could not be read"
    missing = [p for p in ("quarantine/", "reports/") if p not in ev.bucket.lifecycle_prefixes]
    return (FAIL, f"no lifecycle rule for {', '.join(missing)}") if missing else (PASS, "quarantine/ and reports/ expire")


def _warn_single_region_key(ev: Evidence) -> Verdict:
    if ev.key.metadata is None:
        return UNKNOWN, "DescribeKey could not be read"
    return (FAIL, "the key is multi-Region") if ev.key.metadata.get("MultiRegion") else (PASS, "single-Region key")


def _warn_zones(ev: Evidence) -> Verdict:
    if ev.network.subnets is None:
        return UNKNOWN, "subnets could not be read"
    zones = {s.get("AvailabilityZone") for s in ev.network.subnets}
    return (PASS, f"subnets in {len(zones)} zones") if len(zones) >= 2 else (FAIL, "the job subnets are in one zone")


def _warn_free_addresses(ev: Evidence) -> Verdict:
    if ev.network.subnets is None:
        return UNKNOWN, "subnets could not be read"
    low = [s["SubnetId"] for s in ev.network.subnets if s.get("AvailableIpAddressCount", 0) < 16]
    return (FAIL, f"fewer than 16 free addresses in {', '.join(low)}") if low else (PASS, "enough free addresses")


def _warn_default_group(ev: Evidence) -> Verdict:
    default = ev.network.default_security_group
    if default is None:
        return UNKNOWN, "the default security group could not be read"
    if default.get("GroupId") in ev.security_group_ids:
        return FAIL, "the job uses the VPC's default security group"
    rules = default.get("IpPermissions", []) + default.get("IpPermissionsEgress", [])
    return (FAIL, "the default security group has rules") if rules else (PASS, "the default security group is unused and empty")


def _warn_dedicated_role(ev: Evidence) -> Verdict:
    if ev.service_role.tags is None:
        return UNKNOWN, "the role's tags could not be read"
    return (PASS, "tagged for this pipeline") if "pipeline" in ev.service_role.tags else (FAIL, "no pipeline tag: it may be shared")


def _warn(*args: Any) -> Check:
    """A catalogue row like ``_check``, reported but never blocking."""
    return replace(_check(*args), severity=Severity.WARN)


WARN_CHECKS: tuple[Check, ...] = (
    _warn("GR-S3-02", "S3 Bucket Key on", "GetBucketEncryption", ("S3 docs",), _warn_bucket_key, "Enable the S3 Bucket Key."),
    _warn("GR-S3-05", "PUTs naming another key are denied", "GetBucketPolicy", ("Config s3-bucket-server-side-encryption-enabled",),
          _warn_pinned_key, "Deny s3:PutObject when x-amz-server-side-encryption-aws-kms-key-id is not the data key."),
    _warn("GR-S3-09", "Versioning on", "GetBucketVersioning", ("SecurityHub S3.14",), _warn_versioning, "Enable versioning."),
    _warn("GR-S3-10", "Server access logging", "GetBucketLogging", ("SecurityHub S3.9",), _warn_access_logging,
          "Log to a separate bucket."),
    _warn("GR-S3-12", "Lifecycle on quarantine/ and reports/", "GetBucketLifecycleConfiguration", ("SecurityHub S3.13",),
          _warn_lifecycle, "Add expiry rules for quarantine/ and reports/."),
    _warn("GR-KMS-06", "Single-Region key", "kms:DescribeKey", ("prowler kms_cmk_not_multi_region",), _warn_single_region_key,
          "Use a single-Region key."),
    _warn("GR-NET-02", "Subnets in at least two zones", "ec2:DescribeSubnets", ("Bedrock: a subnet in each AZ",), _warn_zones,
          "Give the job a subnet in every Availability Zone."),
    _warn("GR-NET-03", "Enough free addresses", "ec2:DescribeSubnets", ("own check",), _warn_free_addresses,
          "Use subnets with at least 16 free addresses."),
    _warn("GR-NET-08", "Default security group unused and empty", "ec2:DescribeSecurityGroups", ("SecurityHub EC2.2",),
          _warn_default_group, "Use a dedicated group; remove the default group's rules."),
    _warn("GR-IAM-06", "Service role dedicated to the pipeline", "iam:GetRole Tags", ("prowler bedrock_agent_role_not_shared",),
          _warn_dedicated_role, "Tag the role pipeline=<stack> and use it for nothing else."),
)  # fmt: skip


# ---------------------------------------------------------------- before buying throughput (GR-JOB-07/08)


class PurchaseEvidence(BaseModel):
    model_config = ConfigDict(frozen=True)
    expected_key_arn: str
    job_arn: str
    custom_model: dict[str, Any] | None  # GetCustomModel
    model_units: int
    max_model_units: int
    commitment: str | None
    client_request_token: str
    run_id: str


def _job_model_key(ev: PurchaseEvidence) -> Verdict:
    if ev.custom_model is None:
        return UNKNOWN, "GetCustomModel could not be read"
    if ev.custom_model.get("modelKmsKeyArn") != ev.expected_key_arn:
        return FAIL, "the custom model is not encrypted with the data key"
    if ev.custom_model.get("jobArn") != ev.job_arn:
        return FAIL, "the custom model was not made by this run's job"
    return PASS, "the custom model is ours and encrypted with the data key"


def _job_purchase(ev: PurchaseEvidence) -> Verdict:
    if ev.model_units > ev.max_model_units:
        return FAIL, f"{ev.model_units} model units exceed the stack's cap of {ev.max_model_units}"
    if ev.commitment is not None:
        return FAIL, f"a {ev.commitment} commitment was asked for; only no-commitment throughput is bought"
    if ev.client_request_token != ev.run_id:
        return FAIL, "the request token is not the deterministic run id"
    return PASS, "within the model-unit cap, no commitment, idempotent"


PURCHASE_CHECKS: tuple[Check, ...] = (
    _check("GR-JOB-07", "The model is encrypted with our key before any purchase", "bedrock:GetCustomModel",
           ("prowler bedrock_custom_model_encrypted_with_cmk",), _job_model_key, "Retrain with customModelKmsKeyId = the data key."),
    _check("GR-JOB-08", "Throughput purchase within the cap, no commitment, idempotent", "the purchase request",
           ("own check",), _job_purchase, "Lower model units to the stack's MaxModelUnits; never send a commitment."),
)  # fmt: skip


# ---------------------------------------------------------------- pipeline plumbing (GR-OPS), audited by preflight


class StackEvidence(BaseModel):
    model_config = ConfigDict(frozen=True)
    account: str
    function_policies: dict[str, dict[str, Any] | None] | None  # function -> resource policy ({} = none)
    rules: dict[str, dict[str, Any]] | None  # rule -> {"pattern": ..., "targets": [...]}
    notification_fields: dict[str, tuple[str, ...]] | None = None  # milestone -> field names (GR-OPS-02)


def _ops_functions_not_public(ev: StackEvidence) -> Verdict:
    if ev.function_policies is None or any(policy is None for policy in ev.function_policies.values()):
        return UNKNOWN, "a function's resource policy could not be read"
    for policy in ev.function_policies.values():
        for statement in _statements(policy):
            if statement.get("Effect") != "Allow":
                continue
            if "*" in _principals(statement):
                return FAIL, "a function names a wildcard principal"
            service = isinstance(statement.get("Principal"), dict) and "Service" in statement["Principal"]
            if service and not _condition_values(statement, "AWS:SourceArn"):
                return FAIL, "a service may invoke a function without aws:SourceArn"
    return PASS, "no function is public; service invocations are bound to their source"


def _ops_completion_rule(ev: StackEvidence) -> Verdict:
    if ev.rules is None:
        return UNKNOWN, "the EventBridge rules could not be read"
    completion = [r for r in ev.rules.values() if r["pattern"].get("source") == ["aws.bedrock"]]
    if not completion:
        return FAIL, "no rule listens for Bedrock's job state changes"
    for rule in completion:
        pattern = rule["pattern"]
        if pattern.get("detail-type") != ["Model Customization Job State Change"] or pattern.get("account") != [ev.account]:
            return FAIL, "the completion rule does not pin detail-type and account"
        if "jobStatus" not in pattern.get("detail", {}):
            return FAIL, "the completion rule does not match on detail.jobStatus"
    for rule in ev.rules.values():
        if any("DeadLetterConfig" not in target for target in rule["targets"]):
            return FAIL, "a rule target has no dead-letter queue"
    return PASS, "the completion rule pins source, detail-type, account and jobStatus; every target has a DLQ"


def _ops_content_free_notifications(ev: StackEvidence) -> Verdict:
    if ev.notification_fields is None:
        return UNKNOWN, "the notification contract could not be read"
    loose = sorted(f"{m}.{f}" for m, fields in ev.notification_fields.items() for f in fields if not CONTENT_FREE_FIELD.match(f))
    if loose:
        return FAIL, f"fields that could carry content: {', '.join(loose)}"
    return PASS, "every milestone carries ids, counts, reason codes, ARNs, costs and links only"


OPS_CHECKS: tuple[Check, ...] = (
    _check("GR-OPS-02", "Notifications carry no dataset content", "the notification models' fields", ("own check",),
           _ops_content_free_notifications, "Carry ids, counts, codes, ARNs, costs or links; keep content in the encrypted report."),
    _check("GR-OPS-04", "Functions not public", "lambda:GetPolicy", ("SecurityHub Lambda.1",), _ops_functions_not_public,
           "Remove wildcard principals; bind service permissions with SourceArn."),
    _check("GR-OPS-08", "Completion rule pinned, targets with DLQ", "events:DescribeRule; ListTargetsByRule",
           ("prowler eventbridge_bus_exposed",), _ops_completion_rule,
           "Match source aws.bedrock, the detail-type, this account and detail.jobStatus; give every target a DLQ."),
)  # fmt: skip


def evaluate(ev: Any, checks: Iterable[Check] = PRE_LAUNCH_CHECKS) -> list[Finding]:
    return [check(ev) for check in checks]
