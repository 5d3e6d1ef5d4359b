"""Pipeline plumbing rules (GR-OPS), audited by preflight: notifications, function policies, the completion rule."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from ...notifications import CONTENT_FREE_FIELD
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from ..policy.core import FRESH, instances
from ..policy_engine import Tri
from .policy import as_list, blocking, may_outside


class StackEvidence(BaseModel):
    model_config = ConfigDict(frozen=True)
    account: str
    function_policies: dict[str, dict[str, Any] | None] | None  # function -> resource policy ({} = none)
    rules: dict[str, dict[str, Any]] | None  # rule -> {"pattern": ..., "targets": [...]}
    notification_fields: dict[str, tuple[str, ...]] | None = None  # milestone -> field names (GR-OPS-02)


def functions_not_public(ev: StackEvidence) -> Verdict:
    """No principal outside the account (anyone, another account, a service acting for another account) may call a
    function: ``outside_access`` on each function policy, for any action, on the function(s) it names."""
    if ev.function_policies is None or any(policy is None for policy in ev.function_policies.values()):
        return UNKNOWN, "a function's resource policy could not be read"
    for function, policy in ev.function_policies.items():
        if not policy:
            continue
        named = [
            w
            for s in as_list(policy.get("Statement"))
            if isinstance(s, dict)
            for r in as_list(s.get("Resource"))
            if isinstance(r, str)
            for w in instances(r)
        ]
        resources = list(dict.fromkeys(named)) or [f"arn:aws:lambda:{FRESH}:{ev.account}:function:{FRESH}"]
        answer = may_outside(policy, ev.account, "*", resources, resources, keys={"aws:SecureTransport": True})
        found = blocking(answer, Tri.FALSE, f"{function} may be called from outside the account")
        if found:
            return found
    return PASS, "no function may be called from outside the account; service invocations are bound to it"


def completion_rule(ev: StackEvidence) -> Verdict:
    if ev.rules is None:
        return UNKNOWN, "the EventBridge rules could not be read"
    completion = [r for r in ev.rules.values() if r["pattern"].get("source") == ["aws.bedrock"]]
    if not completion:
        return FAIL, "no rule listens for Bedrock's job state changes"
    for rule in completion:
        pattern = rule["pattern"]
        if pattern.get("detail-type") != ["Model Customization Job State Change"] or pattern.get("account") != [ev.account]:
            return FAIL, "the completion rule does not pin detail-type and account"
        if "jobStatus" not in pattern.get("detail", {}):
            return FAIL, "the completion rule does not match on detail.jobStatus"
    for rule in ev.rules.values():
        if any("DeadLetterConfig" not in target for target in rule["targets"]):
            return FAIL, "a rule target has no dead-letter queue"
    return PASS, "the completion rule pins source, detail-type, account and jobStatus; every target has a DLQ"


def content_free_notifications(ev: StackEvidence) -> Verdict:
    if ev.notification_fields is None:
        return UNKNOWN, "the notification contract could not be read"
    loose = sorted(f"{m}.{f}" for m, fields in ev.notification_fields.items() for f in fields if not CONTENT_FREE_FIELD.match(f))
    if loose:
        return FAIL, f"fields that could carry content: {', '.join(loose)}"
    return PASS, "every milestone carries ids, counts, reason codes, ARNs, costs and links only"
