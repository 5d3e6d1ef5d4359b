"""Data key rules (GR-KMS): a customer-managed rotating key, its policy, one key everywhere."""

from __future__ import annotations

from typing import Any

from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from .policy import as_list, condition_values, key_id, matches, no_public_access, principals, statements


def customer_key(ev: Evidence) -> Verdict:
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


def rotation(ev: Evidence) -> Verdict:
    if ev.key.rotation_enabled is None:
        return UNKNOWN, "rotation status could not be read"
    return (PASS, "automatic rotation on") if ev.key.rotation_enabled else (FAIL, "automatic rotation off")


def no_wildcard(ev: Evidence) -> Verdict:
    if ev.key.policy is None:
        return UNKNOWN, "the key policy could not be read"
    for statement in statements(ev.key.policy):
        wildcard = statement.get("Effect") == "Allow" and "*" in principals(statement)
        if wildcard and ev.account not in condition_values(statement, "kms:CallerAccount"):
            return FAIL, "an Allow has a wildcard principal"
        if statement.get("Effect") == "Allow" and "NotPrincipal" in statement:
            return FAIL, "an Allow with NotPrincipal names everyone else"
    return no_public_access(ev.key.public_access_check, "the key policy", "no wildcard principal")


_ROLE_KMS_ACTIONS = {"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"}


def _names_role(statement: dict[str, Any], role_arn: str) -> bool:
    if role_arn in principals(statement):
        return True
    return any(matches(pattern, role_arn) for pattern in condition_values(statement, "aws:PrincipalArn"))


def role_grants(ev: Evidence) -> Verdict:
    if ev.key.policy is None:
        return UNKNOWN, "the key policy could not be read"
    role = ev.service_role.arn
    allowed_services = {f"bedrock.{ev.region}.amazonaws.com", f"s3.{ev.region}.amazonaws.com"}
    granted: set[str] = set()
    for statement in statements(ev.key.policy):
        if statement.get("Effect") != "Allow" or not _names_role(statement, role):
            continue
        if "*" in principals(statement) or any(
            matches(p, "arn:aws:iam::x:role/any") for p in condition_values(statement, "aws:PrincipalArn")
        ):
            return FAIL, "a statement for the service role matches any role"
        actions = set(as_list(statement.get("Action")))
        if not actions <= _ROLE_KMS_ACTIONS:
            return FAIL, "the service role gets more than Decrypt, GenerateDataKey, DescribeKey, CreateGrant"
        services = set(condition_values(statement, "kms:ViaService"))
        if not services or not services <= allowed_services:
            return FAIL, "the service role's statement lacks kms:ViaService = bedrock/s3 of this region"
        granted |= actions
    missing = _ROLE_KMS_ACTIONS - granted
    return (
        (FAIL, f"the service role lacks {', '.join(sorted(missing))}")
        if missing
        else (PASS, "exactly the four actions, via Bedrock and S3")
    )


def one_key(ev: Evidence) -> Verdict:
    keys = {"object": ev.object.kms_key, "job": (ev.job_request or {}).get("customModelKmsKeyId")}
    for rule in ev.bucket.encryption_rules or []:
        keys["bucket"] = rule.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
    role_keys = {
        resource
        for policy in ev.service_role.inline_policies or []
        for statement in statements(policy)
        if any(str(a).startswith("kms:") for a in as_list(statement.get("Action")))
        for resource in as_list(statement.get("Resource"))
    }
    if None in keys.values() or ev.service_role.inline_policies is None:
        return UNKNOWN, "a key reference could not be read"
    ids = {key_id(v) for v in keys.values()} | {key_id(r) for r in role_keys}
    return (
        (PASS, "bucket, object, job and role name one key") if ids == {key_id(ev.expected_key_arn)} else (FAIL, "more than one key in use")
    )


# ---------------------------------------------------------------- warnings (reported, never blocking)


def single_region_key(ev: Evidence) -> Verdict:
    if ev.key.metadata is None:
        return UNKNOWN, "DescribeKey could not be read"
    return (FAIL, "the key is multi-Region") if ev.key.metadata.get("MultiRegion") else (PASS, "single-Region key")
