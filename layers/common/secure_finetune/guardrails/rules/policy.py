"""What the rule families share: the policy engine's answers as verdicts, and the quantifiers over requesters the
engine does not offer on its own.

Every rule that reads an IAM, key, bucket, endpoint or function policy asks ``guardrails.policy_engine`` a semantic
question and never matches the policy's text. The engine answers TRUE, FALSE or UNKNOWN; :func:`blocking` turns the
answer a control does not want into FAIL (a definite witness) or UNKNOWN (nothing proves the control), both blocking.

Quantifiers added here (each documented where defined):
- :func:`outside` / :func:`may_outside`: the engine's ``outside_access`` over several actions and resources, with the
  context a *service* sets itself for the account it acts for (CloudWatch Logs' ``kms:EncryptionContext:aws:logs:arn``
  names the log group, so a foreign account's log group carries a foreign ARN);
- :func:`denied_to_all_but`: an explicit Deny reaches every requester except one role and its sessions (GR-OBJ-07).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..framework import FAIL, PASS, UNKNOWN, Verdict
from ..partitions import of_arn
from ..policy.core import FRESH, arn_parts, glob_intersects, glob_match, instances
from ..policy.questions import accounts_in, condition_values
from ..policy_engine import ABSENT, Answer, Candidate, Matching, Principal, RequestContext, SomeAccount, SomeArn, Tri, allows, denies
from ..policy_engine import principal_candidates as engine_candidates

KMS_ALGORITHMS = {"aws:kms", "aws:kms:dsse"}
Target = str | Matching


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def key_id(arn_or_id: str | None) -> str | None:
    return arn_or_id.rsplit("/", 1)[-1] if arn_or_id else None


def blocking(answer: Answer, wanted: Tri, what: str) -> Verdict | None:
    """None when the engine gave the answer the control needs; else FAIL (a definite answer the other way, with its
    witness) or UNKNOWN (nothing proves the control), both of which block."""
    if answer.tri is wanted:
        return None
    return (UNKNOWN if answer.tri is Tri.UNKNOWN else FAIL), f"{what}: {answer.reason}"


def first_problem(*questions: Callable[[], Verdict | None]) -> Verdict | None:
    """Ask the questions in order; the first blocking verdict wins (cheap questions first)."""
    for question in questions:
        found = question()
        if found is not None:
            return found
    return None


def union(policies: Iterable[Any]) -> dict[str, Any] | None:
    """Identity policies of one principal as one document (an Allow in any of them allows, a Deny in any denies);
    None when one of them is malformed."""
    found: list[Any] = []
    for policy in policies:
        if not isinstance(policy, Mapping):
            return None
        statement = policy.get("Statement")
        if statement is not None and not isinstance(statement, Mapping | list):
            return None
        found += as_list(statement)
    return {"Version": "2012-10-17", "Statement": found}


def only(statement: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [statement]}


def name(target: Target) -> str:
    return f"every {target.glob}" if isinstance(target, Matching) else target


# ---------------------------------------------------------------- outside access


_LOGS = re.compile(r"logs(\.[a-z0-9-]+)?\.amazonaws\.com")


def _service_context(candidate: Candidate, account: str, named: frozenset[str]) -> dict[str, Any]:
    """Keys a service principal sets itself for the account it acts for, never the caller's choice: CloudWatch Logs
    names the log group in ``kms:EncryptionContext:aws:logs:arn``. A requester outside the account acts for a
    foreign account, so its log group's ARN is foreign (the account its aws:SourceAccount names, else any other)."""
    who = candidate.principal
    if who.kind != "Service" or not isinstance(who.id, str) or not _LOGS.fullmatch(who.id):
        return {}
    source = candidate.keys.get("aws:SourceAccount")
    foreign = source if isinstance(source, SomeAccount) or (isinstance(source, str) and source != account) else SomeAccount(named)
    return {"kms:EncryptionContext:aws:logs:arn": SomeArn(foreign)}


def outside(
    policy: Any, account: str, actions: Sequence[Target], resources: Sequence[Target], keys: Mapping[str, Any] | None = None
) -> Answer:
    """May a principal outside ``account`` be allowed some action on some resource listed? (``outside_access`` over
    lists, with :func:`_service_context`.) ``keys``: request keys an attacker chooses (e.g. TLS on)."""
    named = frozenset(accounts_in(policy) | {account})
    unsure = ""
    for candidate in engine_candidates(policy, account):
        if not candidate.outside:
            continue
        context = RequestContext(candidate.principal, {**(keys or {}), **candidate.keys, **_service_context(candidate, account, named)})
        for action in actions:
            for resource in resources:
                verdict = allows(policy, action, resource, context)
                if verdict is Tri.TRUE:
                    return Answer(Tri.TRUE, f"{candidate.description} is allowed {name(action)} on {name(resource)}")
                if verdict is Tri.UNKNOWN and not unsure:
                    unsure = f"cannot rule out that {candidate.description} is allowed {name(action)} on {name(resource)}"
    if unsure:
        return Answer(Tri.UNKNOWN, unsure)
    return Answer(Tri.FALSE, f"no principal outside {account} is allowed {', '.join(map(name, actions))}")


def action_witnesses(policy: Any, glob: str) -> list[str]:
    """Concrete actions within ``glob``: instances of every Action/NotAction pattern the policy writes that meets it,
    of the glob itself, and a fresh one (for what no pattern names)."""
    patterns = [glob, f"{glob.split(':', 1)[0]}:{FRESH}" if ":" in glob else f"{FRESH}:{FRESH}"]
    for statement in as_list(policy.get("Statement") if isinstance(policy, Mapping) else None):
        if isinstance(statement, Mapping):
            patterns += [str(p) for element in ("Action", "NotAction") for p in as_list(statement.get(element))]
    found = (w for p in patterns if glob_intersects(p, glob, ignore_case=True) for w in instances(p))
    return [w for w in dict.fromkeys(found) if glob_match(glob, w, ignore_case=True)]


def may_outside(
    policy: Any,
    account: str,
    action_glob: str,
    resources: Sequence[Target],
    witnesses: Sequence[str],
    *,
    keys: Mapping[str, Any] | None = None,
) -> Answer:
    """May anyone outside ``account`` do any action in ``action_glob`` on the resources? First for the whole set
    (FALSE is a proof for every action and resource); when that is UNKNOWN, concrete actions and ``witnesses``
    resources look for a request that gets through (TRUE); otherwise the answer stays UNKNOWN."""
    whole = outside(policy, account, [Matching(action_glob)], resources, keys)
    if whole.tri is not Tri.UNKNOWN:
        return whole
    found = outside(policy, account, action_witnesses(policy, action_glob), witnesses, keys)
    return found if found.tri is Tri.TRUE else whole


# ---------------------------------------------------------------- a Deny for everyone but one role


def _own_principals(policy: Any, account: str, partition: str = "aws") -> list[tuple[str, Principal, str]]:
    """Concrete IAM principals of ``account``: the root, a fresh role with a session, a fresh user, and every ARN of the
    account the policy writes (principals, aws:PrincipalArn values, each glob instantiated), a role with a session.
    Each is (description, principal, its aws:PrincipalArn: a session's is its role's), in ``partition``."""
    prefix = f"arn:{partition}"
    found: dict[str, None] = dict.fromkeys(
        [f"{prefix}:iam::{account}:root", f"{prefix}:iam::{account}:role/{FRESH}", f"{prefix}:iam::{account}:user/{FRESH}"]
    )
    statements = as_list(policy.get("Statement") if isinstance(policy, Mapping) else None)
    written = [
        str(v)
        for s in statements
        if isinstance(s, Mapping)
        for element in ("Principal", "NotPrincipal")
        if isinstance(s.get(element), Mapping)
        for v in as_list(s[element].get("AWS"))
    ]
    written += condition_values(policy, "aws:PrincipalArn")
    for value in written:
        parts = arn_parts(value)
        if parts and parts[4] == account:
            found.update(dict.fromkeys(instances(value)))
    out: list[tuple[str, Principal, str]] = []
    for arn in found:
        parts = arn_parts(arn) or ["", "", "", "", account, ""]
        resource = parts[5]
        if resource.startswith("role/"):
            role_name = resource.rsplit("/", 1)[-1]
            out.append((arn, Principal("AWS", arn, account), arn))
            session = f"{prefix}:sts::{account}:assumed-role/{role_name}/{FRESH}"
            out.append((f"a session of {arn}", Principal("AWS", session, account), arn))
        elif resource.startswith("assumed-role/"):
            role = f"{prefix}:iam::{account}:role/{resource.split('/')[1]}" if resource.count("/") >= 2 else arn
            out.append((arn, Principal("AWS", arn, account), role))
        else:
            out.append((arn, Principal("AWS", arn, account), arn))
    return out


def _is_role_or_session(principal: Principal, principal_arn: Any, role_arn: str) -> bool:
    if role_arn in (principal_arn, principal.id):
        return True
    role, session = arn_parts(role_arn), arn_parts(principal.id) if isinstance(principal.id, str) else None
    if not role or not session or session[2] != "sts" or session[4] != role[4]:
        return False
    kind, _, rest = session[5].partition("/")
    return kind == "assumed-role" and rest.split("/", 1)[0] == role[5].rsplit("/", 1)[-1]


def denied_to_all_but(policy: Any, account: str, role_arn: str, request: tuple[str, str], keys: Mapping[str, Any]) -> Answer:
    """Does an explicit Deny apply to every requester but ``role_arn`` and its sessions, for this request?
    ``request``: (action, resource). Requesters: the engine's foreign, anonymous, named and service classes; instead of
    its symbolic "any principal of the account" (which could be the role itself) the concrete ones of
    :func:`_own_principals`."""
    action, resource = request
    base = {"aws:PrincipalIsAWSService": "false", "aws:SourceAccount": ABSENT, "aws:SourceArn": ABSENT}
    requesters = [
        (c.description, c.principal, c.keys)
        for c in engine_candidates(policy, account)
        if not (c.principal.kind == "AWS" and isinstance(c.principal.id, SomeArn) and c.principal.account == account)
    ]
    for description, principal, principal_arn in _own_principals(policy, account, of_arn(role_arn)):
        ids = {"aws:PrincipalAccount": account, "aws:PrincipalArn": principal_arn, "kms:CallerAccount": account}
        requesters.append((description, principal, {**base, **ids}))
    unsure = ""
    for description, principal, candidate_keys in requesters:
        if _is_role_or_session(principal, candidate_keys.get("aws:PrincipalArn"), role_arn):
            continue
        context = RequestContext(principal, {**keys, **candidate_keys})
        if not _of_account(principal, account) and allows(policy, action, resource, context) is Tri.FALSE:
            # Another account, a service or anyone anonymous gets in only through this policy (S3 cross-account
            # and service access need the bucket policy's grant; ACLs are off, GR-S3-07): no grant, no way in.
            continue
        verdict = denies(policy, action, resource, context)
        if verdict is Tri.FALSE:
            return Answer(Tri.FALSE, f"no Deny stops {description} from {action}")
        if verdict is Tri.UNKNOWN and not unsure:
            unsure = f"cannot prove a Deny stops {description} from {action}"
    if unsure:
        return Answer(Tri.UNKNOWN, unsure)
    return Answer(Tri.TRUE, f"every requester but {role_arn} is denied {action}")


# ---------------------------------------------------------------- IAM Access Analyzer


def _of_account(principal: Principal, account: str) -> bool:
    return principal.kind == "AWS" and principal.account == account


def no_public_access(answer: dict[str, Any] | None, what: str, passed: str) -> Verdict:
    """Judge an IAM Access Analyzer ``CheckNoPublicAccess`` answer, after our own evaluation passed."""
    if answer is None:
        return UNKNOWN, f"IAM Access Analyzer CheckNoPublicAccess could not be run on {what}"
    if answer.get("result") == "FAIL":
        reasons = "; ".join(str(r["description"]) for r in answer.get("reasons", []) if r.get("description"))
        return FAIL, f"IAM Access Analyzer: {what} may grant public access" + (f" ({reasons})" if reasons else "")
    if answer.get("result") != "PASS":
        return UNKNOWN, f"IAM Access Analyzer answered {answer.get('result')!r} for {what}"
    return PASS, f"{passed}; IAM Access Analyzer finds no public access"
