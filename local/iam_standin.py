"""Emulator stand-in for iam:SimulatePrincipalPolicy (moto has none).

Evaluates the role's *inline* policies as moto stores them with moto's own policy evaluator
(``IAMPolicy.is_action_permitted``): real policies, simplified evaluation (no conditions, no
attached managed policies, no permission boundaries). Answered through botocore's ``before-call``
hook on the default session, like the Bedrock stand-in.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.models import iam_backends

from secure_finetune.adapters.evidence import policy_document

ACCOUNT = "123456789012"
EVENT = "before-call.iam.SimulatePrincipalPolicy"
# Guardrail checks whose evidence this stand-in answers.
EMULATED_CHECKS = frozenset({"GR-IAM-03"})


class _Response:
    status_code = 200
    headers: dict[str, str] = {}


def _members(body: dict[str, str], name: str) -> list[str]:
    return [value for key, value in sorted(body.items(), key=lambda kv: kv[0]) if key.startswith(f"{name}.member.")]


def _simulate(params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
    body = params["body"]
    role = iam_backends[ACCOUNT]["global"].get_role(body["PolicySourceArn"].rsplit("/", 1)[-1])
    policies = [json.dumps(policy_document(document)) for document in role.policies.values()]
    results = []
    for action in _members(body, "ActionNames"):
        for resource in _members(body, "ResourceArns") or ["*"]:
            verdicts = [IAMPolicy(policy).is_action_permitted(action, resource) for policy in policies]
            if PermissionResult.DENIED in verdicts:
                decision = "explicitDeny"
            elif PermissionResult.PERMITTED in verdicts:
                decision = "allowed"
            else:
                decision = "implicitDeny"
            results.append({"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision})
    return _Response(), {"EvaluationResults": results, "IsTruncated": False}


def install() -> None:
    boto3._get_default_session().events.register(EVENT, _simulate)


def uninstall() -> None:
    boto3._get_default_session().events.unregister(EVENT, _simulate)
