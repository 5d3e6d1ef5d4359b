"""Data bucket rules (GR-S3): default encryption, TLS, public access, ACLs, principals, and the bucket's hygiene."""

from __future__ import annotations

from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from .policy import KMS_ALGORITHMS, as_list, condition_values, matches, no_public_access, principals, statements


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
    if ev.bucket.policy is None:
        return UNKNOWN, "the bucket policy could not be read"
    bucket_arn = f"arn:aws:s3:::{ev.bucket.name}"
    for statement in statements(ev.bucket.policy):
        if statement.get("Effect") != "Deny" or "*" not in principals(statement):
            continue
        actions = as_list(statement.get("Action"))
        resources = as_list(statement.get("Resource"))
        secure = [v.lower() for v in condition_values(statement, "aws:SecureTransport")]
        covers = any(matches(r, bucket_arn) for r in resources) and any(matches(r, f"{bucket_arn}/x") for r in resources)
        if ("s3:*" in actions or "*" in actions) and covers and "false" in secure:
            return PASS, "a Deny on s3:* for bucket and objects when aws:SecureTransport is false"
    return FAIL, "no statement denies non-TLS requests to the bucket and its objects"


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
    if ev.bucket.policy is None:
        return UNKNOWN, "the bucket policy could not be read"
    for statement in statements(ev.bucket.policy):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if isinstance(principal, dict) and set(principal) == {"Service"}:
            if not condition_values(statement, "aws:SourceAccount") and not condition_values(statement, "aws:SourceArn"):
                return FAIL, "a service is allowed without aws:SourceAccount / aws:SourceArn"
            continue
        if "NotPrincipal" in statement:
            return FAIL, "an Allow with NotPrincipal names everyone else"
        for name in principals(statement):
            if name == "*" or (name != ev.account and f":{ev.account}:" not in name):
                return FAIL, "an Allow names a principal outside this account"
    return no_public_access(ev.bucket.public_access_check, "the bucket policy", "every Allow names this account or a service bound to it")


# ---------------------------------------------------------------- warnings (reported, never blocking)


def bucket_key(ev: Evidence) -> Verdict:
    if ev.bucket.encryption_rules is None:
        return UNKNOWN, "bucket encryption could not be read"
    on = any(rule.get("BucketKeyEnabled") for rule in ev.bucket.encryption_rules)
    return (PASS, "S3 Bucket Key on") if on else (FAIL, "S3 Bucket Key off (every object costs a KMS call)")


def pinned_key(ev: Evidence) -> Verdict:
    if ev.bucket.policy is None:
        return UNKNOWN, "the bucket policy could not be read"
    for statement in statements(ev.bucket.policy):
        denies_put = statement.get("Effect") == "Deny" and "s3:PutObject" in as_list(statement.get("Action"))
        if denies_put and ev.expected_key_arn in condition_values(statement, "s3:x-amz-server-side-encryption-aws-kms-key-id"):
            return PASS, "PUTs naming another key are denied"
    return FAIL, "no Deny on PUTs that name another key"


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
