"""The questions guardrails ask, quantified over principals, actions or source contexts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .conditions import evaluate_block, parse_operator
from .core import (
    ABSENT,
    FRESH,
    Matching,
    SomeAccount,
    SomeArn,
    Tri,
    arn_glob,
    arn_parts,
    as_list,
    glob_contains,
    glob_intersects,
    glob_match,
    has_wildcard,
    instances,
    is_variable,
)
from .evaluate import ANONYMOUS, Principal, RequestContext, Target, _principal, allows, denies, element, statements

UNNAMED_SERVICE = f"{FRESH}.amazonaws.com"  # stands for every service the policy does not name


@dataclass(frozen=True)
class Answer:
    """A three-valued answer with the reason a guardrail can print (for TRUE/FALSE, usually a witness)."""

    tri: Tri
    reason: str


@dataclass(frozen=True)
class Candidate:
    """One class of requesters: a principal and the context keys it brings. ``outside``: not the account's."""

    description: str
    principal: Principal
    keys: dict[str, Any] = field(default_factory=dict)
    outside: bool = True


def _walk(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    elif isinstance(value, str | int) and not isinstance(value, bool):
        yield str(value)


def accounts_in(policy: Any) -> set[str]:
    """Every 12-digit account id written anywhere in the document."""
    return set(re.findall(r"(?<![0-9])[0-9]{12}(?![0-9])", json.dumps(policy, default=str)))


def principals_named(policy: Any, kind: str) -> list[str]:
    """Every ``kind`` (AWS, Service, Federated, CanonicalUser) value of a Principal or NotPrincipal element."""
    return _named(policy, kind)


def _named(policy: Any, kind: str) -> list[str]:
    names: dict[str, None] = {}
    for statement in statements(policy) or []:
        if isinstance(statement, Mapping):
            for element_name in ("Principal", "NotPrincipal"):
                value = statement.get(element_name)
                if isinstance(value, Mapping):
                    names.update(dict.fromkeys(v for v in as_list(value.get(kind)) if isinstance(v, str)))
    return list(names)


def condition_values(policy: Any, key: str) -> list[str]:
    """Every value any operator compares ``key`` with."""
    found: dict[str, None] = {}
    for statement in statements(policy) or []:
        condition = statement.get("Condition") if isinstance(statement, Mapping) else None
        for block in condition.values() if isinstance(condition, Mapping) else []:
            for name, values in block.items() if isinstance(block, Mapping) else []:
                if str(name).lower() == key.lower():
                    found.update(dict.fromkeys(_walk(values)))
    return list(found)


def fresh_account(taken: set[str]) -> str:
    """A concrete account id the policy does not name: a real witness for "some other account"."""
    return next(f"{n:012d}" for n in range(999_999_999_999, 0, -1) if f"{n:012d}" not in taken)


def _with_account(pattern: str, account: str) -> str | None:
    parts = arn_parts(pattern)
    if parts is None:
        return None
    parts[4] = account
    return instances(":".join(parts))[0]


def _arn_account(arn: Any) -> Any:
    if isinstance(arn, SomeArn):
        return arn.account
    parts = arn_parts(arn) if isinstance(arn, str) else None
    return parts[4] if parts else ABSENT


_SOURCE = ("aws:SourceAccount", "aws:SourceArn")
_NOBODY = {"aws:PrincipalAccount": ABSENT, "aws:PrincipalArn": ABSENT, "kms:CallerAccount": ABSENT}


def principal_candidates(policy: Any, account: str | None) -> list[Candidate]:
    """Requesters that, between them, stand for everyone: IAM principals of every account the policy names,
    of "some other account" (symbolic), the named principals, anonymous, and each named (and one unnamed)
    service principal with aws:SourceAccount/aws:SourceArn absent, ours, named or foreign."""
    named_accounts = accounts_in(policy) | ({account} if account else set())
    owners: list[str | SomeAccount] = [*sorted(named_accounts - {account} if account else named_accounts)]
    owners += [fresh_account(named_accounts), SomeAccount(frozenset(named_accounts))]
    if account:
        owners.append(account)
    out: list[Candidate] = []
    for owner in owners:
        arn = SomeArn(owner)
        keys: dict[str, Any] = {"aws:PrincipalAccount": owner, "aws:PrincipalArn": arn, "kms:CallerAccount": owner}
        direct = {**keys, "aws:PrincipalIsAWSService": "false", _SOURCE[0]: ABSENT, _SOURCE[1]: ABSENT}
        out.append(Candidate(f"any IAM principal in account {owner}", Principal.aws(arn), direct, owner != account))
    for value in _named(policy, "AWS"):
        parts = arn_parts(value)
        if parts and parts[5] != "root" and not has_wildcard(value) and not is_variable(value):
            ids = {"aws:PrincipalAccount": parts[4], "aws:PrincipalArn": value, "kms:CallerAccount": parts[4]}
            direct = {**ids, "aws:PrincipalIsAWSService": "false", _SOURCE[0]: ABSENT, _SOURCE[1]: ABSENT}
            out.append(Candidate(f"{value}", Principal.aws(value), direct, parts[4] != account))
    anonymous = {**_NOBODY, "aws:PrincipalIsAWSService": "false", _SOURCE[0]: ABSENT, _SOURCE[1]: ABSENT}
    out.append(Candidate("an anonymous principal", ANONYMOUS, anonymous))
    for kind in ("Federated", "CanonicalUser"):
        out.extend(Candidate(f"{kind} principal {v}", Principal(kind, v), dict(anonymous)) for v in _named(policy, kind))
    patterns = condition_values(policy, "aws:SourceArn")
    for service in [*_named(policy, "Service"), UNNAMED_SERVICE]:
        base: dict[str, Any] = {"aws:PrincipalIsAWSService": "true"}
        if service != UNNAMED_SERVICE:
            base["aws:PrincipalServiceName"] = service
        for source_account, source_arn in _source_options(owners, patterns):
            ours = account is not None and account in (source_account, _arn_account(source_arn))
            description = f"service {service} with aws:SourceAccount={source_account} and aws:SourceArn={source_arn}"
            source = {_SOURCE[0]: source_account, _SOURCE[1]: source_arn}
            for caller in (ABSENT, SomeAccount(frozenset({account} if account else ()))):  # a service is never in our account
                own = {"aws:PrincipalAccount": caller, "kms:CallerAccount": caller}
                out.append(Candidate(description, Principal.service(service), {**base, **source, **own}, not ours))
    return out


def _source_options(owners: Sequence[str | SomeAccount], patterns: Sequence[str]) -> list[tuple[Any, Any]]:
    options: list[tuple[Any, Any]] = [(ABSENT, ABSENT)]
    for owner in owners:
        arns: list[Any] = [SomeArn(owner)]
        if isinstance(owner, str):
            arns += [a for a in (_with_account(p, owner) for p in patterns) if a] + [f"arn:aws:{FRESH}:{FRESH}:{owner}:{FRESH}"]
        options += [(owner, ABSENT), *((owner, a) for a in arns), *((ABSENT, a) for a in arns)]
    return list(dict.fromkeys(options))


def outside_access(policy: Any, action: Target, resource: Target, account: str, context: RequestContext | None = None) -> Answer:
    """May any principal outside ``account`` be allowed ``action`` on ``resource`` by this (resource) policy?"""
    context, unsure = context or RequestContext(), None
    for candidate in principal_candidates(policy, account):
        if not candidate.outside:
            continue
        verdict = allows(policy, action, resource, context.with_keys(candidate.principal, candidate.keys))
        if verdict is Tri.TRUE:
            return Answer(Tri.TRUE, f"{candidate.description} is allowed {_name(action)} on {_name(resource)}")
        unsure = unsure or (candidate if verdict is Tri.UNKNOWN else None)
    if unsure:
        return Answer(Tri.UNKNOWN, f"cannot rule out that {unsure.description} is allowed {_name(action)}")
    return Answer(Tri.FALSE, f"no principal outside {account} is allowed {_name(action)} on {_name(resource)}")


def denies_everyone(policy: Any, action: Target, resource: Target, account: str, context: RequestContext | None = None) -> Answer:
    """Does an explicit Deny apply to every requester (ours, foreign, anonymous, services) for this request?"""
    context, unsure = context or RequestContext(), None
    for candidate in principal_candidates(policy, account):
        verdict = denies(policy, action, resource, context.with_keys(candidate.principal, candidate.keys))
        if verdict is Tri.FALSE:
            return Answer(Tri.FALSE, f"no Deny applies to {candidate.description} for {_name(action)} on {_name(resource)}")
        unsure = unsure or (candidate if verdict is Tri.UNKNOWN else None)
    if unsure:
        return Answer(Tri.UNKNOWN, f"cannot prove a Deny applies to {unsure.description} for {_name(action)}")
    return Answer(Tri.TRUE, f"every requester is denied {_name(action)} on {_name(resource)}")


def _name(target: Target) -> str:
    return f"every {target.glob}" if isinstance(target, Matching) else target


def _in(value: str, include: Sequence[str], exclude: Sequence[str], ignore_case: bool) -> bool:
    hit = any(glob_match(i, value, ignore_case) for i in include)
    return hit and not any(glob_match(e, value, ignore_case) for e in exclude)


def _overlap(statement: Mapping[str, Any], names: tuple[str, str], include: Sequence[str], exclude: Sequence[str], ic: bool) -> Tri:
    """Can the statement's Action (Resource) set meet ``include`` minus ``exclude``? FALSE only when proven."""
    positive, negative = names
    if positive not in statement and negative not in statement and positive == "Resource":
        return Tri.TRUE
    patterns = [str(p) for p in as_list(statement.get(positive, statement.get(negative)))]
    if (positive in statement) == (negative in statement) or not patterns or any(is_variable(p) for p in patterns):
        return Tri.UNKNOWN
    if positive in statement:
        for pattern in patterns:
            for wanted in include:
                if glob_intersects(pattern, wanted, ic) and not any(
                    glob_contains(e, pattern, ic) or glob_contains(e, wanted, ic) for e in exclude
                ):
                    return Tri.UNKNOWN
        return Tri.FALSE
    covered = all(any(glob_contains(x, wanted, ic) for x in [*patterns, *exclude]) for wanted in include)
    return Tri.FALSE if covered else Tri.UNKNOWN


def grants(
    policy: Any,
    actions: Sequence[str],
    *,
    excluding_actions: Sequence[str] = (),
    resources: Sequence[str] = ("*",),
    excluding_resources: Sequence[str] = (),
    account: str | None = None,
    context: RequestContext | None = None,
) -> Answer:
    """Does the policy Allow SOME action matching ``actions`` but none of ``excluding_actions``, on some resource
    matching ``resources`` but none of ``excluding_resources``? (e.g. actions=["*"], excluding_actions=["s3:*",
    "kms:*"]: anything outside S3 and KMS). With no principal in ``context``, for any principal at all."""
    context = context or RequestContext()
    found = statements(policy)
    if found is None:
        return Answer(Tri.UNKNOWN, "the policy document is malformed")
    reach = Tri.FALSE
    for st in found:
        if not isinstance(st, Mapping):
            reach = Tri.UNKNOWN
            continue
        if st.get("Effect") == "Deny":
            continue
        who = _principal(st, context.principal) if context.principal else Tri.TRUE
        open_principal = context.principal is None and ("Principal" in st or "NotPrincipal" in st)
        cond = Tri.UNKNOWN if open_principal else evaluate_block(st.get("Condition"), context.lookup)
        reach |= (
            _overlap(st, ("Action", "NotAction"), actions, excluding_actions, True)
            & _overlap(st, ("Resource", "NotResource"), resources, excluding_resources, False)
            & who
            & cond
        )
    wanted = f"{'/'.join(actions)}" + (f" except {'/'.join(excluding_actions)}" if excluding_actions else "")
    if reach is Tri.FALSE:
        return Answer(Tri.FALSE, f"no statement allows {wanted}")
    requesters: list[Candidate | None] = [None]
    if context.principal is None and any(isinstance(s, Mapping) and ("Principal" in s or "NotPrincipal" in s) for s in found):
        requesters = list(principal_candidates(policy, account))
    action_ws = _witnesses(policy, actions, ("Action", "NotAction"), excluding_actions, True)
    resource_ws = _witnesses(policy, resources, ("Resource", "NotResource"), excluding_resources, False)
    for action in action_ws:
        for resource in resource_ws:
            for who_ in requesters:
                ctx = context.with_keys(who_.principal, who_.keys) if who_ else context
                if allows(policy, action, resource, ctx) is Tri.TRUE:
                    by = f" to {who_.description}" if who_ else ""
                    return Answer(Tri.TRUE, f"the policy allows {action} on {resource}{by} ({wanted})")
    return Answer(Tri.UNKNOWN, f"cannot rule out that the policy allows {wanted}")


def _witnesses(policy: Any, include: Sequence[str], names: tuple[str, str], exclude: Sequence[str], ic: bool) -> list[str]:
    globs = list(include)
    for st in statements(policy) or []:
        if isinstance(st, Mapping):
            globs += [str(p) for name in names for p in as_list(st.get(name))]
    fresh = [f"{FRESH}:{FRESH}"]
    for glob in globs:
        parts = arn_parts(glob)
        if parts:
            fresh.append(":".join([*parts[:5], FRESH]))
    found = dict.fromkeys(w for g in [*fresh, *globs] for w in instances(g) if _in(w, include, exclude, ic))
    return sorted(found, key=lambda w: (not w.startswith("arn:"), ":" not in w))  # ARN/action-shaped ones read better


_EVERY_RESOURCE = Matching("*")
_BINDING_OPERATORS = {"StringEquals", "StringLike", "ArnEquals", "ArnLike"}


def _implied(condition: Any, key: str, proves: Any) -> bool:
    """Does some clause force ``key`` present and every allowed value to satisfy ``proves(operator, value)``?"""
    for operator, block in condition.items() if isinstance(condition, Mapping) else []:
        parsed = parse_operator(str(operator))
        if parsed is None or parsed[2] or parsed[0] == "ForAllValues" or parsed[1] not in _BINDING_OPERATORS:
            continue
        for name, raw in block.items() if isinstance(block, Mapping) else []:
            values = list(_walk(raw)) if not isinstance(raw, Mapping) else []
            if str(name).lower() == key.lower() and values and all(proves(parsed[1], v) for v in values):
                return True
    return False


def _within(pattern: str) -> Any:
    def proves(operator: str, value: str) -> bool:
        want, have = arn_parts(pattern), arn_parts(value)
        if is_variable(value) or want is None:
            return False
        if operator.startswith("Arn"):
            return have is not None and all(glob_contains(w, h) for w, h in zip(want, have, strict=True))
        return not any(has_wildcard(w) for w in want[:5]) and glob_contains(pattern, value)

    return proves


def service_bound(
    policy: Any,
    service: str,
    account: str,
    source_arn: str,
    *,
    action: str = "sts:AssumeRole",
    resource: Target = _EVERY_RESOURCE,
    context: RequestContext | None = None,
) -> Answer:
    """Is every Allow path for ``service`` to ``action`` bound to aws:SourceAccount == ``account`` AND
    aws:SourceArn within the ARN pattern ``source_arn`` (the confused-deputy conditions)?
    TRUE is a proof; FALSE comes with a request that gets through; UNKNOWN otherwise."""
    context = context or RequestContext()
    who = Principal.service(service)
    found = statements(policy)
    proven = found is not None
    for st in found or []:
        if not isinstance(st, Mapping) or st.get("Effect") not in ("Allow", "Deny"):
            proven = False
            continue
        reachable = _principal(st, who) & element(st, "Action", "NotAction", lambda p: Tri.of(glob_match(p, action, True)), True)
        if st["Effect"] == "Deny" or reachable is Tri.FALSE:
            continue
        condition = st.get("Condition")
        if not (_implied(condition, _SOURCE[0], lambda _op, v: v == account) and _implied(condition, _SOURCE[1], _within(source_arn))):
            proven = False
    if proven:
        needs = f"aws:SourceAccount={account} and aws:SourceArn like {source_arn}"
        return Answer(Tri.TRUE, f"every path for {service} to {action} needs {needs}")
    named = sorted(accounts_in(policy) - {account})
    owners: list[str | SomeAccount] = [account, *named, fresh_account({*named, account}), SomeAccount(frozenset([*named, account]))]
    patterns = [*condition_values(policy, _SOURCE[1]), source_arn]
    for source_account, arn in _source_options(owners, patterns):
        good = source_account == account and isinstance(arn, str) and arn_glob(source_arn, arn, segmentwise=True) is Tri.TRUE
        keys = {"aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": service, _SOURCE[0]: source_account, _SOURCE[1]: arn}
        if not good and allows(policy, action, resource, context.with_keys(who, keys)) is Tri.TRUE:
            return Answer(Tri.FALSE, f"{service} may {action} with aws:SourceAccount={source_account} and aws:SourceArn={arn}")
    return Answer(Tri.UNKNOWN, f"cannot prove every path for {service} to {action} is bound to {account} and {source_arn}")
