"""One request against one policy document: statements, Not* elements, principals, Allow/Deny precedence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .conditions import UNSET, evaluate_block
from .core import (
    ABSENT,
    ACCOUNT_RE,
    Matching,
    SomeAccount,
    SomeArn,
    Tri,
    any_of,
    arn_glob,
    arn_parts,
    as_list,
    equals_symbolic,
    glob_contains,
    glob_intersects,
    glob_match,
    is_variable,
)


@dataclass(frozen=True)
class Principal:
    """Who makes the request. ``kind``: AWS, Service, Federated, CanonicalUser or Anonymous."""

    kind: str
    id: str | SomeArn = ""
    account: str | SomeAccount | None = None

    @staticmethod
    def aws(arn: str | SomeArn) -> Principal:
        """An IAM principal by ARN (a role, a user, an account root), or every principal of a symbolic ARN."""
        if isinstance(arn, SomeArn):
            return Principal("AWS", arn, arn.account)
        parts = arn_parts(arn)
        return Principal("AWS", arn, parts[4] if parts else None)

    @staticmethod
    def service(name: str) -> Principal:
        return Principal("Service", name)

    def __str__(self) -> str:
        return f"{self.kind} principal {self.id}".rstrip()


ANONYMOUS = Principal("Anonymous")


@dataclass(frozen=True)
class RequestContext:
    """The request's principal and condition keys (names case-insensitive).

    A key's value is a string/bool/number/bytes, a list (multivalued key), a symbolic value, or ABSENT. A key
    that is not listed is UNSET (nothing about it can be proven) unless ``complete`` says the listing is the
    whole request context, as in the IAM policy simulator; then it is absent.
    """

    principal: Principal | None = None
    keys: Mapping[str, Any] = field(default_factory=dict)
    complete: bool = False

    def lookup(self, key: str) -> Any:
        for name, value in self.keys.items():
            if name.lower() == key.lower():
                return value
        return ABSENT if self.complete else UNSET

    def with_keys(self, principal: Principal | None, keys: Mapping[str, Any]) -> RequestContext:
        merged = {k: v for k, v in self.keys.items() if k.lower() not in {n.lower() for n in keys}}
        return RequestContext(principal, {**merged, **keys}, self.complete)


Target = str | Matching  # one action/resource, or every one a glob matches


def statements(policy: Any) -> list[Any] | None:
    """The statements, or None when the document is malformed."""
    if not isinstance(policy, Mapping):
        return None
    found = policy.get("Statement")
    return None if found is not None and not isinstance(found, Mapping | list) else as_list(found)


def _patterns(statement: Mapping[str, Any], name: str) -> list[str] | None:
    values = as_list(statement.get(name))
    return values if values and all(isinstance(v, str) for v in values) else None


def element(statement: Mapping[str, Any], positive: str, negative: str, match: Any, required: bool) -> Tri:
    """Action/NotAction or Resource/NotResource: exactly one present; Not* matches what its list does not."""
    has_pos, has_neg = positive in statement, negative in statement
    if has_pos and has_neg:
        return Tri.UNKNOWN
    if not has_pos and not has_neg:
        return Tri.UNKNOWN if required else Tri.TRUE
    patterns = _patterns(statement, positive if has_pos else negative)
    if patterns is None:
        return Tri.UNKNOWN
    hit = any_of(match(p) for p in patterns)
    return hit if has_pos else ~hit


def action_match(pattern: str, action: Target) -> Tri:
    """Actions match case-insensitively, the whole ``service:name`` string with wildcards."""
    if is_variable(pattern) or (pattern != "*" and ":" not in pattern):
        return Tri.UNKNOWN
    if isinstance(action, Matching):
        return _set_match(pattern, action.glob, ignore_case=True)
    return Tri.of(glob_match(pattern, action, ignore_case=True))


def resource_match(pattern: str, resource: Target) -> Tri:
    """Resources match case-sensitively; a glob whose '*' could span ARN fields either way is UNKNOWN."""
    if is_variable(pattern):
        return Tri.UNKNOWN
    if isinstance(resource, Matching):
        return _set_match(pattern, resource.glob, ignore_case=False)
    return arn_glob(pattern, resource, segmentwise=False)


def _set_match(pattern: str, glob: str, ignore_case: bool) -> Tri:
    if glob_contains(pattern, glob, ignore_case):
        return Tri.TRUE
    return Tri.UNKNOWN if glob_intersects(pattern, glob, ignore_case) else Tri.FALSE


def principal_match(value: Any, who: Principal) -> Tri:
    """A Principal (or NotPrincipal) element against the requester."""
    if value == "*":
        return Tri.TRUE
    if not isinstance(value, Mapping) or not value:
        return Tri.UNKNOWN
    return any_of(_one_principal(str(kind), v, who) for kind, values in value.items() for v in as_list(values))


def _one_principal(kind: str, value: Any, who: Principal) -> Tri:
    if not isinstance(value, str) or is_variable(value):
        return Tri.UNKNOWN
    if kind == "AWS":
        if value == "*":
            return Tri.TRUE  # "AWS": "*" is the same as "*"
        if who.kind != "AWS":
            return Tri.FALSE
        parts = arn_parts(value)
        account = value if ACCOUNT_RE.fullmatch(value) else (parts[4] if parts and parts[5] == "root" else None)
        if account is not None:  # the account: every principal in it
            if who.account is None:
                return Tri.FALSE
            return Tri.of(account == who.account) if isinstance(who.account, str) else equals_symbolic(account, who.account)
        if parts is None or "*" in value or "?" in value:
            return Tri.UNKNOWN  # AWS rejects wildcards in principal ARNs
        return Tri.of(value == who.id) if isinstance(who.id, str) else equals_symbolic(value, who.id)
    if kind in ("Service", "Federated", "CanonicalUser"):
        if who.kind != kind or not isinstance(who.id, str):
            return Tri.FALSE
        if value == who.id:
            return Tri.TRUE
        return Tri.UNKNOWN if value.lower() == who.id.lower() else Tri.FALSE
    return Tri.UNKNOWN


def _principal(statement: Mapping[str, Any], who: Principal | None) -> Tri:
    has_pos, has_neg = "Principal" in statement, "NotPrincipal" in statement
    if has_pos and has_neg:
        return Tri.UNKNOWN
    if not has_pos and not has_neg:
        return Tri.TRUE  # an identity policy: it applies to whoever it is attached to
    if who is None:
        return Tri.UNKNOWN
    hit = principal_match(statement["Principal" if has_pos else "NotPrincipal"], who)
    return hit if has_pos else ~hit


def applies(statement: Any, action: Target, resource: Target, context: RequestContext) -> Tri:
    """Whether a statement's principal, action, resource and conditions all match the request."""
    if not isinstance(statement, Mapping):
        return Tri.UNKNOWN
    result = element(statement, "Action", "NotAction", lambda p: action_match(p, action), required=True)
    if result is not Tri.FALSE:
        result &= element(statement, "Resource", "NotResource", lambda p: resource_match(p, resource), required=False)
    if result is not Tri.FALSE:
        result &= _principal(statement, context.principal)
    if result is not Tri.FALSE:
        result &= evaluate_block(statement.get("Condition"), context.lookup)
    return result


def decide(policy: Any, action: Target, resource: Target, context: RequestContext | None = None) -> tuple[Tri, Tri]:
    """(allowed, explicitly denied) for one request: an explicit Deny wins; no Allow is an implicit deny."""
    context = context or RequestContext()
    found = statements(policy)
    if found is None:
        return Tri.UNKNOWN, Tri.UNKNOWN
    allow = deny = Tri.FALSE
    for statement in found:
        hit = applies(statement, action, resource, context)
        effect = statement.get("Effect") if isinstance(statement, Mapping) else None
        if effect == "Allow":
            allow |= hit
        elif effect == "Deny":
            deny |= hit
        else:  # a malformed effect could be either
            allow, deny = allow | (hit & Tri.UNKNOWN), deny | (hit & Tri.UNKNOWN)
    return allow & ~deny, deny


def allows(policy: Any, action: Target, resource: Target, context: RequestContext | None = None) -> Tri:
    """Is the request allowed by this policy alone (some Allow applies and no Deny does)?"""
    return decide(policy, action, resource, context)[0]


def denies(policy: Any, action: Target, resource: Target, context: RequestContext | None = None) -> Tri:
    """Does some Deny statement apply to the request?"""
    return decide(policy, action, resource, context)[1]
