"""Emulator stand-in for IAM Access Analyzer's policy checks (moto 5.2.5 has no accessanalyzer).

Answers ``CheckNoPublicAccess``, ``CheckAccessNotGranted`` and ``ValidatePolicy`` through
botocore's ``before-call`` hook on the default session, like the IAM and Bedrock stand-ins, in
the response shapes of the real API. The reasoning is a labelled simplification of AWS's
automated reasoning:

* CheckNoPublicAccess: FAIL when an ``Allow`` names everyone (``"*"``, ``{"AWS": "*"}``, any
  ``NotPrincipal``) without a condition that binds the caller to an account, organisation,
  source ARN or network (``aws:SourceAccount``, ``aws:PrincipalAccount``, ``kms:CallerAccount``, ...).
* CheckAccessNotGranted: moto's own policy evaluator (``IAMPolicy.is_action_permitted``) on each
  listed action and resource, conditions not evaluated (as in ``iam_standin``).
* ValidatePolicy: only the ``PASS_ROLE_WITH_STAR_IN_RESOURCE`` / ``..._IN_ACTION_AND_RESOURCE``
  security warnings (``iam:PassRole`` on a wildcard resource without ``iam:PassedToService``);
  no other finding of the real check set.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
from moto.iam.access_control import IAMPolicy, PermissionResult

# Guardrail checks whose evidence includes this stand-in's answers.
EMULATED_CHECKS = frozenset({"GR-S3-08", "GR-KMS-03", "GR-IAM-01", "GR-IAM-03", "GR-IAM-05"})

# Condition keys that stop a wildcard principal from meaning "anyone" (Access Analyzer's notion).
_BINDING_KEYS = {
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:resourceaccount",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
    "kms:calleraccount",
}
_LEARN_MORE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"


class _Response:
    status_code = 200
    headers: dict[str, str] = {}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _list(document.get("Statement")) if isinstance(s, dict)]


def _wildcard(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE) is not None


def _condition_keys(statement: dict[str, Any]) -> set[str]:
    return {key.lower() for values in (statement.get("Condition") or {}).values() for key in values}


def _everyone(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _list(principal.get("AWS"))


def _check_no_public_access(params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
    body = json.loads(params["body"])
    document = json.loads(body["policyDocument"])
    reasons = [
        {
            "description": "One or more statements grants public access",
            "statementIndex": index,
            **({"statementId": s["Sid"]} if "Sid" in s else {}),
        }
        for index, s in enumerate(_statements(document))
        if s.get("Effect") == "Allow" and _everyone(s) and not _condition_keys(s) & _BINDING_KEYS
    ]
    if reasons:
        return _Response(), {
            "result": "FAIL",
            "message": "The resource policy grants public access for the given resource type.",
            "reasons": reasons,
        }
    return _Response(), {
        "result": "PASS",
        "message": "The resource policy does not grant public access for the given resource type.",
        "reasons": [],
    }


def _check_access_not_granted(params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
    body = json.loads(params["body"])
    document = json.loads(body["policyDocument"])
    policy = IAMPolicy(json.dumps({**document, "Statement": _statements(document)}))
    reasons = []
    for access in body.get("access", []):
        for action in access.get("actions") or ["*"]:
            for resource in access.get("resources") or ["*"]:
                if policy.is_action_permitted(action, resource) is PermissionResult.PERMITTED:
                    reasons.append({"description": f"The policy grants {action} on {resource}."})
    if reasons:
        message = "The policy document grants access to perform one or more of the listed actions or resources."
        return _Response(), {"result": "FAIL", "message": message, "reasons": reasons[:1]}
    message = "The policy document does not grant access to perform one or more of the listed actions or resources."
    return _Response(), {"result": "PASS", "message": message, "reasons": []}


def _validate_policy(params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
    body = json.loads(params["body"])
    document = json.loads(body["policyDocument"])
    findings = []
    for index, statement in enumerate(_statements(document)):
        actions = [str(a) for a in _list(statement.get("Action"))]
        resources = [str(r) for r in _list(statement.get("Resource"))]
        passes = statement.get("Effect") == "Allow" and any(_wildcard(a, "iam:PassRole") for a in actions)
        if not passes or not any("*" in r for r in resources) or "iam:passedtoservice" in _condition_keys(statement):
            continue
        star_action = any("*" in a for a in actions)
        code = "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE" if star_action else "PASS_ROLE_WITH_STAR_IN_RESOURCE"
        findings.append(
            {
                "findingType": "SECURITY_WARNING",
                "issueCode": code,
                "findingDetails": "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive "
                "because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource "
                "ARNs or add the iam:PassedToService condition key to your statement.",
                "learnMoreLink": f"{_LEARN_MORE}#access-analyzer-reference-policy-checks-security-warning-{code.lower().replace('_', '-')}",
                "locations": [{"path": [{"value": "Statement"}, {"index": index}, {"value": "Resource"}], "span": _span()}],
            }
        )
    return _Response(), {"findings": findings}


def _span() -> dict[str, Any]:
    position = {"line": 1, "column": 0, "offset": 0}
    return {"start": position, "end": position}


_HOOKS = (
    ("before-call.accessanalyzer.CheckNoPublicAccess", _check_no_public_access),
    ("before-call.accessanalyzer.CheckAccessNotGranted", _check_access_not_granted),
    ("before-call.accessanalyzer.ValidatePolicy", _validate_policy),
)


def install() -> None:
    events = boto3._get_default_session().events
    for name, hook in _HOOKS:
        events.unregister(name, hook)  # idempotent: installing twice answers once
        events.register(name, hook)


def uninstall() -> None:
    events = boto3._get_default_session().events
    for name, hook in _HOOKS:
        events.unregister(name, hook)
