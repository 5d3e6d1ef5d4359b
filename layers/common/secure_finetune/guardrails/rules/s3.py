"""Data bucket rules (GR-S3): default encryption, TLS, public access, ACLs, principals, and the bucket's hygiene."""

from __future__ import annotations

from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from ..policy.core import FRESH
from ..policy_engine import Matching, RequestContext, Tri, denies_everyone
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
    bucket_arn = f"arn:aws:s3:::{ev.bucket.name}"
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
    bucket_arn = f"arn:aws:s3:::{ev.bucket.name}"
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
    for other in (f"{region_key}/{FRESH}", f"arn:aws:kms:{ev.region}:000000000000:key/{FRESH}"):
        keys = {"s3:x-amz-server-side-encryption-aws-kms-key-id": other, "s3:x-amz-server-side-encryption": "aws:kms"}
        naming = RequestContext(keys=keys)
        answer = denies_everyone(ev.bucket.policy, "s3:PutObject", Matching(f"arn:aws:s3:::{ev.bucket.name}/*"), ev.account, naming)
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
