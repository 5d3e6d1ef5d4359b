"""GR-KMS-07 (issue 14, ExistingKmsKeyArn): the key-policy needs ``finetune preflight`` checks are exactly what the
template's own key policy grants, the template's policy meets them, and a brought key's policy without one fails.

The template's key policy is resolved here as CloudFormation would (Sub/Ref with this test's stack, account and
region; the optional uploaders' statement left out) and judged by the policy engine, not compared as text.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from local.stack import translated_template

from secure_finetune.guardrails.catalogue import KEY_POLICY_CHECKS, evaluate
from secure_finetune.guardrails.framework import Status
from secure_finetune.guardrails.key_needs import KeyPolicyEvidence, stack_key_needs

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION, STACK = "111122223333", "eu-west-1", "finetune"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-0000-4000-8000-0123456789ab"
OPTIONAL = {"UploadersEncryptThroughS3"}  # only with UploaderPrincipalArns; not a need of the stack's own roles


def _resolved(value: Any) -> Any:
    if isinstance(value, list):
        return [v for v in (_resolved(item) for item in value) if v is not None]
    if not isinstance(value, dict):
        return value
    if "Fn::Sub" in value:
        text = value["Fn::Sub"]
        for name, real in (("AWS::Partition", "aws"), ("AWS::Region", REGION), ("AWS::AccountId", ACCOUNT), ("AWS::StackName", STACK)):
            text = text.replace("${" + name + "}", real)
        assert not re.search(r"\$\{", text), text
        return text
    if value == {"Ref": "AWS::AccountId"}:
        return ACCOUNT
    if "Fn::If" in value:
        return None  # HasUploaders: off
    return {k: _resolved(v) for k, v in value.items()}


@pytest.fixture(scope="module")
def template_policy() -> dict[str, Any]:
    policy: dict[str, Any] = _resolved(translated_template(ROOT)["Resources"]["DatasetKey"]["Properties"]["KeyPolicy"])
    return policy


def judged(policy: dict[str, Any] | None) -> tuple[Status, str]:
    [finding] = evaluate(KeyPolicyEvidence(account=ACCOUNT, region=REGION, stack=STACK, key_arn=KEY, policy=policy), KEY_POLICY_CHECKS)
    return finding.status, finding.explanation


def without(policy: dict[str, Any], *sids: str) -> dict[str, Any]:
    changed = copy.deepcopy(policy)
    changed["Statement"] = [s for s in changed["Statement"] if s.get("Sid") not in sids]
    return changed


def test_the_needs_are_the_templates_key_policy_statements(template_policy: dict[str, Any]) -> None:
    written = {s["Sid"] for s in template_policy["Statement"]} - {"AccountAdministers"}
    assert {n.sid for n in stack_key_needs(ACCOUNT, REGION, STACK)} == written - OPTIONAL


def test_the_templates_own_key_policy_meets_every_need(template_policy: dict[str, Any]) -> None:
    assert judged(template_policy)[0] is Status.PASS, judged(template_policy)


def test_the_templates_key_policy_meets_every_need_in_govcloud_too(template_policy: dict[str, Any]) -> None:
    # the stack's ${AWS::Partition} ARNs, judged in that partition (not against arn:aws:... needs)
    gov = json.loads(json.dumps(template_policy).replace("arn:aws:", "arn:aws-us-gov:").replace(REGION, "us-gov-west-1"))
    key = KEY.replace("arn:aws:", "arn:aws-us-gov:").replace(REGION, "us-gov-west-1")
    [finding] = evaluate(
        KeyPolicyEvidence(account=ACCOUNT, region="us-gov-west-1", stack=STACK, key_arn=key, policy=gov), KEY_POLICY_CHECKS
    )
    assert finding.status is Status.PASS, finding.explanation


@pytest.mark.parametrize("sid", sorted({n.sid for n in stack_key_needs(ACCOUNT, REGION, STACK)}))
def test_a_brought_key_without_one_statement_fails_naming_it(template_policy: dict[str, Any], sid: str) -> None:
    # Given a key whose policy does not let IAM decide (no account-root kms:*), as many banks' keys are written
    status, why = judged(without(template_policy, "AccountAdministers", sid))
    assert status is Status.FAIL and sid in why


def test_a_key_with_only_the_default_iam_statement_misses_every_service(template_policy: dict[str, Any]) -> None:
    default = {"Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                              "Action": "kms:*", "Resource": "*"}]}  # fmt: skip
    status, why = judged(default)
    assert status is Status.FAIL
    for sid in ("ServicesWriteToEncryptedTargets", "CloudWatchLogsEncryptsThisStacksLogGroups", "BedrockUsesKeyForCustomModelThroughput"):
        assert sid in why
    assert "PipelineRolesUseKeyThroughServices" not in why  # the roles' own IAM policies decide under that statement


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda st: st.update(Condition={"StringEquals": {"aws:SourceAccount": "999999999999"}}), "another account's events"),
        (lambda st: st.update(Effect="Deny"), "a Deny"),
        (lambda st: st.update(Action=["kms:Decrypt"]), "decrypt only"),
    ],
    ids=["foreign source account", "deny", "fewer actions"],
)
def test_a_narrowed_service_statement_fails(template_policy: dict[str, Any], change: Any, why: str) -> None:
    policy = without(template_policy, "AccountAdministers")
    change(next(s for s in policy["Statement"] if s["Sid"] == "ServicesWriteToEncryptedTargets"))
    assert judged(policy)[0] is Status.FAIL, why


def test_a_deny_anywhere_that_covers_a_need_fails_even_with_the_root_statement(template_policy: dict[str, Any]) -> None:
    policy = copy.deepcopy(template_policy)
    policy["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "kms:CreateGrant", "Resource": "*"})
    status, why = judged(policy)
    assert status is Status.FAIL and "BedrockServiceRoleGrantsToBedrockOnly" in why


def test_an_unreadable_or_unprovable_policy_is_unknown(template_policy: dict[str, Any]) -> None:
    assert judged(None)[0] is Status.UNKNOWN
    policy = without(template_policy, "AccountAdministers")
    statement = next(s for s in policy["Statement"] if s["Sid"] == "BedrockUsesKeyForCustomModelThroughput")
    statement["Condition"] = {"StringEqualsSometimes": {"aws:SourceAccount": ACCOUNT}}  # an operator KMS would reject
    assert judged(policy)[0] is Status.UNKNOWN


def test_the_readme_lists_every_statement_a_brought_key_needs() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Bring your own KMS key", 1)[1].split("\n## ", 1)[0]
    for sid in {n.sid for n in stack_key_needs(ACCOUNT, REGION, STACK)}:
        assert f"`{sid}`" in section, sid
