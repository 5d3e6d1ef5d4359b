"""The stack's plumbing (GR-OPS), audited by preflight: the secure stack passes, each break fails its check."""

from __future__ import annotations

from typing import Any

import pytest

from secure_finetune.guardrails import Status, evaluate
from tests.unit.test_guardrails import ACCOUNT, REGION, broken


def ops_good() -> dict[str, Any]:
    from secure_finetune.notifications import milestone_fields

    return {
        "account": ACCOUNT,
        "notification_fields": milestone_fields(),
        "function_policies": {
            "trigger": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "lambda:InvokeFunction",
                        "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/r1"}},
                    }
                ]
            },
            "notify": {},
        },
        "rules": {
            "r1": {
                "pattern": {
                    "source": ["aws.bedrock"],
                    "detail-type": ["Model Customization Job State Change"],
                    "account": [ACCOUNT],
                    "detail": {"jobStatus": ["Completed", "Failed", "Stopped"]},
                },
                "targets": [{"Arn": "x", "DeadLetterConfig": {"Arn": "dlq"}}],
            }
        },
    }


def ops_failing(data: dict[str, Any]) -> set[str]:
    from secure_finetune.guardrails import OPS_CHECKS, StackEvidence

    return {f.id for f in evaluate(StackEvidence.model_validate(data), OPS_CHECKS) if f.status is not Status.PASS}


def test_the_stacks_plumbing_passes_the_ops_checks() -> None:
    assert ops_failing(ops_good()) == set()


@pytest.mark.parametrize(
    ("check_id", "path", "value"),
    [
        # "*" bound to our own rule's aws:SourceArn only lets EventBridge in for that rule (no IAM principal can send
        # aws:SourceArn): what makes a wildcard principal public is a binding that reaches other accounts
        (
            "GR-OPS-04",
            "function_policies.trigger.Statement.0",
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "lambda:InvokeFunction",
                "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:events:*:*:rule/*"}},
            },
        ),
        (
            "GR-OPS-04",
            "function_policies.trigger.Statement.0.Condition",
            {"ArnLike": {"AWS:SourceArn": f"arn:aws:events:{REGION}:*:rule/r1"}},
        ),
        ("GR-OPS-04", "function_policies.trigger.Statement.0.Condition", {}),
        ("GR-OPS-04", "function_policies.notify", None),
        ("GR-OPS-08", "rules.r1.pattern.detail", {"status": ["Completed"]}),
        ("GR-OPS-08", "rules.r1.pattern.account", None),
        ("GR-OPS-08", "rules.r1.targets", [{"Arn": "x"}]),
    ],
)
def test_breaking_the_plumbing_fails_its_ops_check(check_id: str, path: str, value: object) -> None:
    data = broken(path, value, ops_good())
    assert ops_failing(data) == {check_id}
