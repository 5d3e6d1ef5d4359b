"""Data key rules (GR-KMS): a customer-managed rotating key, its policy, one key everywhere.

The key policy is judged by the policy engine (``rules/policy.py``). KMS's own rule that a statement for the account
principal (``arn:aws:iam::<account>:root``) does not grant by itself but lets IAM policies grant ("enable IAM policies")
is modelled here: such a statement reaches the service role only as far as the role's own policies also allow.
"""

from __future__ import annotations

from typing import Any

from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from ..partitions import of_arn
from ..policy.core import FRESH
from ..policy.questions import condition_values
from ..policy_engine import ABSENT, Answer, Matching, Principal, RequestContext, Tri, allows, grants
from .iam import ROLE_KMS
from .policy import action_witnesses, as_list, blocking, first_problem, key_id, may_outside, no_public_access, only, union


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
    """No principal outside this account (another account's, anonymous, a service acting for another account) may
    use or manage the key: ``outside_access`` for every KMS action; CheckNoPublicAccess has the last word."""
    if ev.key.policy is None:
        return UNKNOWN, "the key policy could not be read"
    key = ev.expected_key_arn
    answer = may_outside(ev.key.policy, ev.account, "kms:*", [key], [key], keys={"aws:SecureTransport": True})
    found = blocking(answer, Tri.FALSE, "the key policy lets a principal outside this account use the key")
    return found or no_public_access(ev.key.public_access_check, "the key policy", "no principal outside this account may use the key")


_OTHER_ROLE = f"role/{FRESH}"


def _role_context(principal: Principal, arn: str, account: str, **keys: Any) -> RequestContext:
    ids = {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account, "kms:CallerAccount": account, "aws:PrincipalIsAWSService": "false"}
    return RequestContext(principal, {**ids, **keys})


def _delegates(statement: Any, role: str, account: str) -> bool:
    """Does the statement reach the role only as a principal of the account, and reach any other role of the account
    just the same? Then it is the account's "enable IAM policies" statement, bounded by the role's own policies."""
    document = only(statement)
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return False
    by_name = grants(document, ["kms:*"], context=_role_context(Principal("AWS", role, None), role, account)).tri
    other = f"arn:{of_arn(role)}:iam::{account}:{_OTHER_ROLE}"
    anyone = grants(document, ["kms:*"], context=_role_context(Principal.aws(other), other, account)).tri
    return by_name is Tri.FALSE and anyone is Tri.TRUE


def role_grants(ev: Evidence) -> Verdict:
    """What the key lets the service role do: the four actions it needs, nothing more, and only through S3 or Bedrock
    (kms:ViaService). Statements for the role (by ARN, by aws:PrincipalArn, or for everyone) are judged as written; the
    account's delegation statement grants the role only what the role's IAM policies also grant.

    Not modelled (reported): the ViaService limit binds the statements for the role, not the delegation path; the
    role's own policy must carry kms:ViaService too for a role session not to call KMS directly."""
    policy = ev.key.policy
    if policy is None:
        return UNKNOWN, "the key policy could not be read"
    role, account, key = ev.service_role.arn, ev.account, ev.expected_key_arn
    statements = as_list(policy.get("Statement"))
    own = {**policy, "Statement": [s for s in statements if not _delegates(s, role, account)]}
    identity = union(ev.service_role.inline_policies) if ev.service_role.inline_policies is not None else None
    services = [f"bedrock.{ev.region}.amazonaws.com", f"s3.{ev.region}.amazonaws.com"]
    member = Principal.aws(role)

    def beyond_through_delegation() -> Verdict | None:
        through_key = grants(policy, ["kms:*"], excluding_actions=ROLE_KMS, resources=[key], context=_role_context(member, role, account))
        if through_key.tri is Tri.FALSE:
            return None
        if identity is None:
            return UNKNOWN, "the role's own policies could not be read to bound the key's account statement"
        through_iam = grants(identity, ["kms:*"], excluding_actions=ROLE_KMS, resources=[key])
        if through_iam.tri is Tri.FALSE:
            return None
        both = Tri.TRUE if through_key.tri is Tri.TRUE and through_iam.tri is Tri.TRUE else Tri.UNKNOWN
        answer = Answer(both, f"{through_key.reason}; {through_iam.reason}")
        return blocking(answer, Tri.FALSE, "the key's account statement and the role's policy together give the role more")

    def lacks() -> Verdict | None:
        for action in ROLE_KMS:
            verdict = Tri.FALSE
            for service in services:
                via = {"kms:ViaService": service}
                if action.lower() == "kms:creategrant":  # the grants Bedrock needs are for its own resources
                    via["kms:GrantIsForAWSResource"] = "true"
                in_key = allows(policy, action, key, _role_context(member, role, account, **via))
                by_name = allows(policy, action, key, _role_context(Principal("AWS", role, None), role, account, **via))
                by_iam = allows(identity, action, key, RequestContext(keys=via)) if identity is not None else Tri.UNKNOWN
                verdict |= in_key & (by_name | by_iam)
            answer = Answer(verdict, f"{action} through {' or '.join(services)}")
            found = blocking(answer, Tri.TRUE, "the service role lacks a needed action")
            if found:
                return found
        return None

    def other_ways() -> Verdict | None:
        elsewhere: list[Any] = [ABSENT, f"{FRESH}.{ev.region}.amazonaws.com"]
        elsewhere += [s for s in condition_values(policy, "kms:ViaService") if s not in services]
        unsure: Verdict | None = None
        for service in elsewhere:
            context = _role_context(member, role, account, **{"kms:ViaService": service})
            whole = allows(own, Matching("kms:*"), key, context)
            if whole is Tri.FALSE:
                continue
            hit = next((a for a in action_witnesses(policy, "kms:*") if allows(own, a, key, context) is Tri.TRUE), None)
            if whole is Tri.TRUE or hit:
                shown = hit or "every KMS action"
                return FAIL, f"the role may use the key other than via S3/Bedrock: {shown} with kms:ViaService={service}"
            unsure = unsure or (UNKNOWN, f"cannot rule out that the role uses the key with kms:ViaService={service}")
        return unsure

    def beyond() -> Verdict | None:
        """More than the four through S3, through Bedrock, or called directly (another service: ``other_ways``)."""
        unsure: Verdict | None = None
        for service in [*services, ABSENT]:
            context = _role_context(member, role, account, **{"kms:ViaService": service})
            answer = grants(own, ["kms:*"], excluding_actions=ROLE_KMS, resources=[key], context=context)
            found = blocking(
                answer, Tri.FALSE, "the key policy gives the service role more than Decrypt, GenerateDataKey, DescribeKey, CreateGrant"
            )
            if found and found[0] is FAIL:
                return found
            unsure = unsure or found
        return unsure

    found = first_problem(
        beyond,
        beyond_through_delegation,
        other_ways,
        lacks,
    )
    return found or (
        PASS,
        "the four actions through S3 and Bedrock only, nothing more (the account statement bounded by the role's policy)",
    )


def one_key(ev: Evidence) -> Verdict:
    keys = {"object": ev.object.kms_key, "job": (ev.job_request or {}).get("customModelKmsKeyId")}
    for rule in ev.bucket.encryption_rules or []:
        keys["bucket"] = rule.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
    if None in keys.values() or ev.service_role.inline_policies is None:
        return UNKNOWN, "a key reference could not be read"
    if {key_id(v) for v in keys.values()} != {key_id(ev.expected_key_arn)}:
        return FAIL, "more than one key in use"
    role = grants(union(ev.service_role.inline_policies), ["kms:*"], excluding_resources=[ev.expected_key_arn])
    found = blocking(role, Tri.FALSE, "the role may use another key")
    return found or (PASS, "bucket, object, job and role name one key")


# ---------------------------------------------------------------- warnings (reported, never blocking)


def single_region_key(ev: Evidence) -> Verdict:
    if ev.key.metadata is None:
        return UNKNOWN, "DescribeKey could not be read"
    return (FAIL, "the key is multi-Region") if ev.key.metadata.get("MultiRegion") else (PASS, "single-Region key")
