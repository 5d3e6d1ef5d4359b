"""Identity rules (GR-IAM): the service role's trust and least privilege, the launcher's PassRole.

Each rule asks the policy engine (``guardrails.policy_engine``) semantic questions; see ``rules/policy.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...runs import INCOMING_PREFIX, OUTPUT_PREFIX, VALIDATED_PREFIX
from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from ..partitions import of_arn
from ..policy.core import FRESH, arn_parts, has_wildcard
from ..policy.questions import condition_values
from ..policy_engine import ABSENT, Answer, Principal, RequestContext, Tri, allows, grants, principal_candidates, service_bound
from .policy import as_list, blocking, first_problem, no_public_access, union

BEDROCK = "bedrock.amazonaws.com"
_ASSUME = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")

# What a customization job's role needs (Bedrock user guide: "Create a service role for model customization" and
# "Protect your model customization jobs using a VPC"): S3 on the training prefixes, the data key, and the ENI
# management Bedrock does in the job's VPC. Everything else (sts:AssumeRole, ec2:*, secretsmanager:*, iam:*, ...) fails.
ROLE_S3 = ("s3:GetObject", "s3:ListBucket", "s3:PutObject")
ROLE_KMS = ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant")
ROLE_GRADER = "lambda:InvokeFunction"  # https://docs.aws.amazon.com/bedrock/latest/userguide/rft-access-security.html
ROLE_EC2 = (
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:CreateTags",
)


def role_trust(ev: Evidence) -> Verdict:
    """Only Bedrock may assume the role, and only for this account's customization jobs: every path for Bedrock is
    bound to aws:SourceAccount and aws:SourceArn (``service_bound``), Bedrock does get in with them, and no other
    principal (IAM, anonymous, federated, another service) is allowed any sts:AssumeRole* action."""
    trust = ev.service_role.trust
    if trust is None:
        return UNKNOWN, "the service role's trust policy could not be read"
    jobs = f"arn:{ev.partition}:bedrock:{ev.region}:{ev.account}:model-customization-job/*"
    found = bedrock_only_trust_problem(trust, ev.service_role.arn, ev.account, jobs, what="the role", kind="customization jobs")
    return found or no_public_access(
        ev.service_role.trust_public_access_check,
        "the trust policy",
        "only Bedrock may assume the role, for this account's customization jobs",
    )


def bedrock_only_trust_problem(trust: dict[str, Any], role: str, account: str, jobs: str, *, what: str, kind: str) -> Verdict | None:
    """Why ``trust`` lets someone other than Bedrock acting for ``jobs`` (an ARN pattern of this account's ``kind``)
    assume ``role``, or None: the confused-deputy question, shared by the training and the evaluation roles."""
    bedrock_keys = {
        "aws:PrincipalIsAWSService": "true",
        "aws:PrincipalServiceName": BEDROCK,
        "aws:SourceAccount": account,
        "aws:SourceArn": jobs.replace("*", FRESH),
    }
    return first_problem(
        lambda: blocking(service_bound(trust, BEDROCK, account, jobs), Tri.TRUE, f"Bedrock's way in is not bound to this account's {kind}"),
        lambda: blocking(
            Answer(
                allows(trust, "sts:AssumeRole", role, RequestContext(Principal.service(BEDROCK), bedrock_keys)), f"not for one of {kind}"
            ),
            Tri.TRUE,
            f"Bedrock cannot assume {what}",
        ),
        lambda: blocking(_anyone_else_assumes(trust, account, role), Tri.FALSE, f"a principal other than Bedrock may assume {what}"),
    )


def _anyone_else_assumes(trust: dict[str, Any], account: str, role: str) -> Answer:
    unsure = ""
    for candidate in principal_candidates(trust, account):
        if candidate.principal == Principal.service(BEDROCK):
            continue
        context = RequestContext(candidate.principal, candidate.keys)
        for action in _ASSUME:
            verdict = allows(trust, action, role, context)
            if verdict is Tri.TRUE:
                return Answer(Tri.TRUE, f"{candidate.description} is allowed {action}")
            if verdict is Tri.UNKNOWN and not unsure:
                unsure = f"cannot rule out that {candidate.description} is allowed {action}"
    return Answer(Tri.UNKNOWN, unsure) if unsure else Answer(Tri.FALSE, "nobody but Bedrock")


def identity_problem(policy: dict[str, Any] | None, ev: Evidence, what: str) -> Verdict | None:
    """The service role's identity policy (inline union, or one managed policy) grants only what the job needs."""
    if policy is None:
        return UNKNOWN, f"{what} is malformed"
    bucket = f"arn:{ev.partition}:s3:::{ev.bucket_name}"
    training = (bucket, f"{bucket}/{VALIDATED_PREFIX}*", f"{bucket}/media/*", f"{bucket}/{OUTPUT_PREFIX}*")
    questions: tuple[tuple[Callable[[], Answer], str], ...] = (
        (lambda: grants(policy, ["*"], excluding_actions=(*ROLE_S3, *ROLE_KMS, *ROLE_EC2, ROLE_GRADER)), "an action the job does not need"),
        # RFT: Bedrock invokes the reward function as this role [UG rft-access-security]; that function only.
        (
            lambda: grants(policy, [ROLE_GRADER], excluding_resources=[ev.grader_lambda_arn] if ev.grader_lambda_arn else ()),
            "invoking a Lambda other than the stack's grader",
        ),
        (lambda: grants(policy, ["s3:*"], excluding_resources=training), "S3 beyond the training prefixes"),
        (lambda: grants(policy, ["s3:PutObject"], excluding_resources=[f"{bucket}/{OUTPUT_PREFIX}*"]), "PutObject outside output/"),
        (lambda: grants(policy, ["kms:*"], excluding_resources=[ev.expected_key_arn]), "KMS beyond the data key"),
    )
    for ask, wrong in questions:
        found = blocking(ask(), Tri.FALSE, f"{what} allows {wrong}")
        if found:
            return found
    return None


def least_privilege(ev: Evidence) -> Verdict:
    policies = ev.service_role.inline_policies
    if policies is None:
        return UNKNOWN, "the service role's policies could not be read"
    found = identity_problem(union(policies), ev, "the service role's inline policy")
    return found or (
        PASS,
        "S3 on the training prefixes, PutObject on output/, KMS on the data key, the job's ENIs, the grader, nothing else",
    )


def access_probes(bucket: str, key_arn: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(must be allowed, must be denied) pairs of action and resource for the service role."""
    arn = f"arn:{of_arn(key_arn)}"  # the stack's partition, as its key's ARN says
    b = f"{arn}:s3:::{bucket}"
    other_key = key_arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    allowed = [("s3:GetObject", f"{b}/{VALIDATED_PREFIX}x.jsonl"), ("s3:PutObject", f"{b}/{OUTPUT_PREFIX}x"), ("kms:Decrypt", key_arn)]
    denied = [
        ("s3:GetObject", f"{arn}:s3:::another-bucket/x"),
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
    """No attached managed policy may grant more than the job needs: the four known-broad ones by name, every other
    one judged by its document like the inline policy (GR-IAM-02's questions); a document not read is UNKNOWN."""
    attached = ev.service_role.attached_policy_arns
    if attached is None:
        return UNKNOWN, "attached policies could not be read"
    broad = [arn for arn in attached if arn.rsplit("/", 1)[-1] in _BROAD_MANAGED]
    if broad:
        return FAIL, f"broad managed policy attached: {', '.join(broad)}"
    documents = ev.service_role.attached_policies or {}
    for arn in attached:
        if arn not in documents:
            return UNKNOWN, f"the document of the attached policy {arn} could not be read"
        found = identity_problem(union([documents[arn]]), ev, f"the attached policy {arn}")
        if found:
            return found
    return PASS, "no attached managed policy grants more than the job needs" if attached else "no managed policy attached"


def launcher_pass_role(ev: Evidence) -> Verdict:
    """The service role goes only to Bedrock and only it goes to Bedrock; any other role the launcher may pass is
    named exactly and bound to one named service (iam:PassedToService)."""
    launcher = ev.launcher_role
    if launcher is None or launcher.inline_policies is None:
        return UNKNOWN, "the launcher role's policies could not be read"
    policy = union(launcher.inline_policies)
    if policy is None:
        return UNKNOWN, "the launcher's policy is malformed"
    found = _pass_role_problem(policy, ev.service_role.arn)
    if found:
        return found
    if launcher.policy_findings is None:
        return UNKNOWN, "IAM Access Analyzer ValidatePolicy could not be run on the launcher's policies"
    pass_role = sorted({str(f.get("issueCode")) for f in launcher.policy_findings if str(f.get("issueCode", "")).startswith("PASS_ROLE_")})
    if pass_role:
        return FAIL, f"IAM Access Analyzer ValidatePolicy: {', '.join(pass_role)}"
    return PASS, "the service role goes only to Bedrock, no other role does; Access Analyzer raises no PassRole warning"


def _passed_to(service: Any) -> RequestContext:
    return RequestContext(keys={"iam:PassedToService": service})


def _pass_role_problem(policy: dict[str, Any], role: str) -> Verdict | None:
    services = condition_values(policy, "iam:PassedToService")
    loose = [s for s in services if has_wildcard(s)]
    # every role ARN the policy writes exactly: passing anything else (a glob, NotResource, "*") is not "named"
    named_roles = sorted(
        {
            r
            for s in as_list(policy["Statement"])
            if isinstance(s, dict)
            for r in as_list(s.get("Resource"))
            if isinstance(r, str) and not has_wildcard(r) and (arn_parts(r) or [""] * 6)[5].startswith("role/")
        }
    )
    elsewhere: list[Any] = [ABSENT, f"{FRESH}.amazonaws.com", *(s for s in services if s != BEDROCK and s not in loose)]
    unbound: list[Any] = [ABSENT, f"{FRESH}.amazonaws.com"]

    def service_role_elsewhere() -> Verdict | None:
        for service in elsewhere:
            answer = Answer(allows(policy, "iam:PassRole", role, _passed_to(service)), f"iam:PassedToService={service}")
            found = blocking(answer, Tri.FALSE, "iam:PassRole lets the service role go to a service other than Bedrock")
            if found:
                return found
        return None

    def without_service() -> Verdict | None:
        for service in unbound:
            answer = grants(policy, ["iam:PassRole"], context=_passed_to(service))
            found = blocking(answer, Tri.FALSE, "iam:PassRole lacks iam:PassedToService")
            if found:
                return found
        return None

    to_bedrock = Answer(allows(policy, "iam:PassRole", role, _passed_to(BEDROCK)), "no Allow reaches it")
    return first_problem(
        lambda: blocking(to_bedrock, Tri.TRUE, "the launcher cannot pass the service role to Bedrock"),
        service_role_elsewhere,
        lambda: blocking(
            grants(policy, ["iam:PassRole"], excluding_resources=[role], context=_passed_to(BEDROCK)),
            Tri.FALSE,
            "iam:PassRole lets another role go to Bedrock",
        ),
        lambda: blocking(
            grants(policy, ["iam:PassRole"], excluding_resources=named_roles), Tri.FALSE, "iam:PassRole is not limited to named roles"
        ),
        lambda: (FAIL, f"iam:PassedToService names no single service: {', '.join(loose)}") if loose else None,
        without_service,
    )


# ---------------------------------------------------------------- warnings (reported, never blocking)


def dedicated_role(ev: Evidence) -> Verdict:
    if ev.service_role.tags is None:
        return UNKNOWN, "the role's tags could not be read"
    return (PASS, "tagged for this pipeline") if "pipeline" in ev.service_role.tags else (FAIL, "no pipeline tag: it may be shared")
