"""Reads reinforcement fine-tuning's grader for GR-RFT-01..03: its configuration, its resource-based policy, its
execution role and its log group. Read-only; anything unreadable is None (the rule is UNKNOWN)."""

from __future__ import annotations

import json
from typing import Any

from ..guardrails import GraderEvidence
from ..service_errors import NotFound
from .clients import client
from .evidence import EvidenceReader, read_evidence


def read_grader(reader: EvidenceReader, arn: str) -> GraderEvidence:
    lam = client("lambda")
    configuration = read_evidence("GetFunctionConfiguration", lambda: _configuration(lam.get_function_configuration(FunctionName=arn)))
    role_arn = configuration.get("Role") if configuration else None
    group_name = _log_group_name(configuration) if configuration else None
    return GraderEvidence(
        arn=arn,
        configuration=configuration,
        resource_policy=read_evidence("GetPolicy", lambda: _resource_policy(lam, arn)),
        role=reader.role(str(role_arn)) if role_arn else None,
        log_group=read_evidence("DescribeLogGroups", lambda: _log_group(str(group_name))) if group_name else None,
    )


def _configuration(answer: dict[str, Any]) -> dict[str, Any]:
    """What the rules read; environment variable *names* only (their values may be secrets)."""
    variables = (answer.get("Environment") or {}).get("Variables") or {}
    return {
        "Role": answer.get("Role"),
        "KMSKeyArn": answer.get("KMSKeyArn"),
        "LoggingConfig": answer.get("LoggingConfig") or {},
        "FunctionName": answer.get("FunctionName"),
        "EnvironmentKeys": sorted(variables),
    }


def _log_group_name(configuration: dict[str, Any]) -> str:
    # Lambda logs to /aws/lambda/<function name> unless LoggingConfig.LogGroup names another group.
    return str(configuration["LoggingConfig"].get("LogGroup") or f"/aws/lambda/{configuration['FunctionName']}")


def _resource_policy(lam: Any, arn: str) -> dict[str, Any]:
    try:
        return dict(json.loads(lam.get_policy(FunctionName=arn)["Policy"]))
    except NotFound:  # ResourceNotFoundException: no resource-based policy at all (a missing function fails before)
        return {}


def _log_group(name: str) -> dict[str, Any]:
    groups = client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    [group] = [g for g in groups if g.get("logGroupName") == name]  # none or several: ValueError -> unknown
    return {k: group.get(k) for k in ("logGroupName", "kmsKeyId", "retentionInDays")}
