"""Data bucket rules (GR-S3): default encryption, TLS, public access, ACLs, principals, and the bucket's hygiene."""

from __future__ import annotations

from typing import Any

from ...runs import VALIDATED_PREFIX
from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from ..policy.core import FRESH
from ..policy.questions import condition_values
from ..policy_engine import ABSENT, Matching, Principal, RequestContext, Tri, denies, denies_everyone
from .policy import KMS_ALGORITHMS, blocking, may_outside, no_public_access


def default_key(ev: Evidence) -> Verdict:
    rules = ev.bucket.encryption_rules
    if rules is None:
        return UNKNOWN, "bucket encryption could not be read"
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") in KMS_ALGORITHMS and default.get("KMSMasterKeyID") == ev.expected_key_arn:
            return PASS, "default encryption is SSE-KMS with the expected key ARN"
    return FAIL, "default encryption is not SSE-KMS with the expected key ARN (an alias or aws/s3 does not count)"


def tls_only(ev: Evidence) -> Verdict:
    """An explicit Deny covers every requester (ours, foreign, anonymous, services) for every S3 action on the bucket
    and every object when aws:SecureTransport is false (``denies_everyone``)."""
    if ev.bucket.policy is None:
        return UNKNOWN, "the bucket policy could not be read"
    bucket_arn = f"arn:{ev.partition}:s3:::{ev.bucket.name}"
    plain = RequestContext(keys={"aws:SecureTransport": False})
    for resource in (bucket_arn, Matching(f"{bucket_arn}/*")):
        answer = denies_everyone(ev.bucket.policy, Matching("s3:*"), resource, ev.account, plain)
        found = blocking(answer, Tri.TRUE, "non-TLS requests are not denied to everyone")
        if found:
            return found
    return PASS, "every requester is denied every S3 action on the bucket and its objects without TLS"


def public_access(ev: Evidence) -> Verdict:
    block, public = ev.bucket.public_access_block, ev.bucket.policy_is_public
    if block is None or public is None:
        return UNKNOWN, "public access block or policy status could not be read"
    off = [name for name in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets") if not block.get(name)]
    if off:
        return FAIL, f"public access block off: {', '.join(off)}"
    return (FAIL, "the bucket policy is public") if public else (PASS, "all four public access blocks on; policy not public")


def acls_disabled(ev: Evidence) -> Verdict:
    if ev.bucket.ownership is None:
        return UNKNOWN, "ownership controls could not be read"
    return (PASS, "ACLs disabled") if ev.bucket.ownership == "BucketOwnerEnforced" else (FAIL, f"object ownership is {ev.bucket.ownership}")


def no_external_principals(ev: Evidence) -> Verdict:
    """No principal outside this account (another account's, anonymous, federated, a service acting for another
    account) may do any S3 action on the bucket or an object (``outside_access``, over TLS as an attacker would);
    CheckNoPublicAccess has the last word."""
    if ev.bucket.policy is None:
        return UNKNOWN, "the bucket policy could not be read"
    bucket_arn = f"arn:{ev.partition}:s3:::{ev.bucket.name}"
    witnesses = [bucket_arn, f"{bucket_arn}/{FRESH}", f"{bucket_arn}/incoming/{FRESH}", f"{bucket_arn}/validated/{FRESH}"]
    answer = may_outside(
        ev.bucket.policy, ev.account, "*", [bucket_arn, Matching(f"{bucket_arn}/*")], witnesses, keys={"aws:SecureTransport": True}
    )
    found = blocking(answer, Tri.FALSE, "the bucket policy lets a principal outside this account in")
    return found or no_public_access(ev.bucket.public_access_check, "the bucket policy", "no principal outside this account is allowed in")


# ---------------------------------------------------------------- warnings (reported, never blocking)


def bucket_key(ev: Evidence) -> Verdict:
    if ev.bucket.encryption_rules is None:
        return UNKNOWN, "bucket encryption could not be read"
    on = any(rule.get("BucketKeyEnabled") for rule in ev.bucket.encryption_rules)
    return (PASS, "S3 Bucket Key on") if on else (FAIL, "S3 Bucket Key off (every object costs a KMS call)")


def pinned_key(ev: Evidence) -> Verdict:
    if ev.bucket.policy is None:
        return UNKNOWN, "the bucket policy could not be read"
    region_key = ev.expected_key_arn.rsplit("/", 1)[0]
    for other in (f"{region_key}/{FRESH}", f"arn:{ev.partition}:kms:{ev.region}:000000000000:key/{FRESH}"):
        keys = {"s3:x-amz-server-side-encryption-aws-kms-key-id": other, "s3:x-amz-server-side-encryption": "aws:kms"}
        naming = RequestContext(keys=keys)
        answer = denies_everyone(
            ev.bucket.policy, "s3:PutObject", Matching(f"arn:{ev.partition}:s3:::{ev.bucket.name}/*"), ev.account, naming
        )
        found = blocking(answer, Tri.TRUE, "a PUT naming another key is not denied to everyone")
        if found:
            return found
    return PASS, "PUTs naming another key are denied"


def versioning(ev: Evidence) -> Verdict:
    if ev.bucket.versioning is None:
        return UNKNOWN, "versioning could not be read"
    return (PASS, "versioning on") if ev.bucket.versioning == "Enabled" else (FAIL, "versioning off")


def access_logging(ev: Evidence) -> Verdict:
    if ev.bucket.logging_target is None:
        return UNKNOWN, "logging could not be read"
    if not ev.bucket.logging_target or ev.bucket.logging_target == ev.bucket.name:
        return FAIL, "server access logging off (or into the bucket itself)"
    return PASS, "server access logging to a separate bucket"


def lifecycle(ev: Evidence) -> Verdict:
    if ev.bucket.lifecycle_prefixes is None:
        return UNKNOWN, "lifecycle rules could not be read"
    missing = [p for p in ("quarantine/", "reports/") if p not in ev.bucket.lifecycle_prefixes]
    return (FAIL, f"no lifecycle rule for {', '.join(missing)}") if missing else (PASS, "quarantine/ and reports/ expire")


# ---------------------------------------------------------------- GR-S3-13: the service role reads training data on the VPC path only


def service_role_on_the_vpc_path(ev: Evidence) -> Verdict:
    """The bucket policy denies the Bedrock service role ``s3:GetObject`` on every object under validated/ and media/
    for every request that does not come from the job VPC: from no VPC at all (no aws:SourceVpc/aws:SourceVpce), from
    an unnamed VPC or endpoint, from any other VPC the policy names, or through an S3 endpoint the policy names that is
    not the job VPC's. So a job started without vpcConfig, or anything else holding the role, cannot read the data
    (Bedrock User Guide, "(Example) Restrict data access to your Amazon S3 data using VPC": its bucket policy conditions
    on aws:sourceVpc, https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-s3.html). A Deny narrowed by any other
    condition, another principal or fewer objects fails."""
    if ev.bucket.policy is None:
        return UNKNOWN, "the bucket policy could not be read"
    subnets, endpoints = ev.network.subnets, ev.network.s3_endpoints
    vpcs = {str(s.get("VpcId")) for s in subnets or []}
    if subnets is None or len(vpcs) != 1:
        return UNKNOWN, "the job VPC could not be read"
    job_vpc = vpcs.pop()
    ours = {str(e.get("VpcEndpointId")) for e in endpoints or []}
    role = ev.service_role.arn
    base = {"aws:PrincipalArn": role, "aws:PrincipalAccount": ev.account, "aws:SecureTransport": True}
    origins: list[tuple[str, dict[str, Any]]] = [
        ("from no VPC", {"aws:SourceVpc": ABSENT, "aws:SourceVpce": ABSENT}),
        ("from another VPC", {"aws:SourceVpc": f"vpc-{FRESH}", "aws:SourceVpce": f"vpce-{FRESH}"}),
    ]
    policy = ev.bucket.policy
    if endpoints is None and condition_values(policy, "aws:SourceVpce"):
        return UNKNOWN, "the job VPC's S3 endpoints could not be read (the bucket policy names endpoints)"
    origins += [(f"from {v}", {"aws:SourceVpc": v, "aws:SourceVpce": f"vpce-{FRESH}"}) for v in _named(policy, "aws:SourceVpc", job_vpc)]
    origins += [(f"through {e}", {"aws:SourceVpc": f"vpc-{FRESH}", "aws:SourceVpce": e}) for e in _named(policy, "aws:SourceVpce", *ours)]
    bucket = f"arn:{ev.partition}:s3:::{ev.bucket_name}"
    for prefix in (VALIDATED_PREFIX, "media/"):
        for origin, keys in origins:
            context = RequestContext(Principal.aws(role), {**base, **keys})
            answer = denies(policy, "s3:GetObject", Matching(f"{bucket}/{prefix}*"), context)
            if answer is not Tri.TRUE:
                verdict = UNKNOWN if answer is Tri.UNKNOWN else FAIL
                return verdict, f"the bucket policy does not deny the service role s3:GetObject on {prefix} {origin}"
    return PASS, f"the service role is denied s3:GetObject on {VALIDATED_PREFIX} and media/ unless the request comes from {job_vpc}"


def _named(policy: dict[str, Any], key: str, *ours: str) -> list[str]:
    """The values the policy compares ``key`` with, other than ours (each a place a request might come from)."""
    return [v for v in condition_values(policy, key) if v not in ours]
