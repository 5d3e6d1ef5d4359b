"""Identity rules (GR-IAM): the service role's trust and least privilege, the launcher's PassRole."""

from __future__ import annotations

from typing import Any

from ...runs import INCOMING_PREFIX, OUTPUT_PREFIX, VALIDATED_PREFIX
from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from .policy import as_list, condition_values, key_id, matches, no_public_access, statements


def role_trust(ev: Evidence) -> Verdict:
    trust = ev.service_role.trust
    if trust is None:
        return UNKNOWN, "the service role's trust policy could not be read"
    source_arn = f"arn:aws:bedrock:{ev.region}:{ev.account}:model-customization-job/*"
    allows = [s for s in statements(trust) if s.get("Effect") == "Allow"]
    if not allows:
        return FAIL, "the trust policy allows nobody"
    for statement in allows:
        if statement.get("Principal") != {"Service": "bedrock.amazonaws.com"}:
            return FAIL, "a trust statement names a principal other than bedrock.amazonaws.com"
        if condition_values(statement, "aws:SourceAccount") != [ev.account]:
            return FAIL, "a trust statement lacks StringEquals aws:SourceAccount = this account"
        if condition_values(statement, "aws:SourceArn") != [source_arn]:
            return FAIL, "a trust statement lacks aws:SourceArn = this account's customization jobs"
    return no_public_access(
        ev.service_role.trust_public_access_check,
        "the trust policy",
        "only Bedrock may assume the role, for this account's customization jobs",
    )


def least_privilege(ev: Evidence) -> Verdict:
    policies = ev.service_role.inline_policies
    if policies is None:
        return UNKNOWN, "the service role's policies could not be read"
    bucket_arn = f"arn:aws:s3:::{ev.bucket_name}"
    readable = {bucket_arn, f"{bucket_arn}/{VALIDATED_PREFIX}*", f"{bucket_arn}/media/*", f"{bucket_arn}/{OUTPUT_PREFIX}*"}
    for policy in policies:
        for statement in statements(policy):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement or "NotResource" in statement:
                return FAIL, "an Allow with NotAction or NotResource grants everything it does not name"
            actions = [str(a) for a in as_list(statement.get("Action"))]
            resources = [str(r) for r in as_list(statement.get("Resource"))]
            if any(a in ("*", "s3:*", "kms:*", "iam:*") or a.startswith(("s3:Delete", "s3:PutBucket", "iam:")) for a in actions):
                return FAIL, "a broad or dangerous action (*, s3:*, kms:*, s3:Delete*, s3:PutBucket*, iam:*)"
            if any(a.startswith("s3:") for a in actions) and not set(resources) <= readable:
                return FAIL, "S3 access beyond the data bucket's training prefixes"
            if "s3:PutObject" in actions and set(resources) - {f"{bucket_arn}/{OUTPUT_PREFIX}*"}:
                return FAIL, "PutObject outside output/"
            if any(a.startswith("kms:") for a in actions) and {key_id(r) for r in resources} != {key_id(ev.expected_key_arn)}:
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


def evaluated(ev: Evidence) -> Verdict:
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


def no_broad_managed(ev: Evidence) -> Verdict:
    attached = ev.service_role.attached_policy_arns
    if attached is None:
        return UNKNOWN, "attached policies could not be read"
    broad = [arn for arn in attached if arn.rsplit("/", 1)[-1] in _BROAD_MANAGED]
    return (FAIL, f"broad managed policy attached: {', '.join(broad)}") if broad else (PASS, "no broad managed policy")


def launcher_pass_role(ev: Evidence) -> Verdict:
    """The service role goes only to Bedrock and only it goes to Bedrock; any other role the launcher
    may pass (e.g. a scheduler's) is named exactly and bound to its service."""
    launcher = ev.launcher_role
    if launcher is None or launcher.inline_policies is None:
        return UNKNOWN, "the launcher role's policies could not be read"
    passes = [
        statement
        for policy in launcher.inline_policies
        for statement in statements(policy)
        if statement.get("Effect") == "Allow" and _grants_pass_role(statement)
    ]
    role, passes_service_role = ev.service_role.arn, False
    for statement in passes:
        resources = [str(r) for r in as_list(statement.get("Resource"))]
        services = condition_values(statement, "iam:PassedToService")
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
        return not any(matches(str(a), "iam:PassRole") for a in as_list(statement["NotAction"]))
    return any(matches(str(a), "iam:PassRole") for a in as_list(statement.get("Action")))


# ---------------------------------------------------------------- warnings (reported, never blocking)


def dedicated_role(ev: Evidence) -> Verdict:
    if ev.service_role.tags is None:
        return UNKNOWN, "the role's tags could not be read"
    return (PASS, "tagged for this pipeline") if "pipeline" in ev.service_role.tags else (FAIL, "no pipeline tag: it may be shared")
