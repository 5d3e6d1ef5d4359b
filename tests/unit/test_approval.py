"""Approval links: single-use, expiring, unforgeable; GET shows, POST decides (moto's DynamoDB, our fakes)."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from local.emulator import approval_request
from local.lambda_runtime import load_handler

from secure_finetune.adapters.approvals import ApprovalStore, approval_pk
from secure_finetune.approval import (
    ApprovalStatus,
    Decision,
    approval_link,
    clean_summary,
    decision_from_form,
    new_secret,
    review_page,
    secret_digest,
)
from secure_finetune.approval.decisions import request_approval
from secure_finetune.notifications import ApprovalNeeded
from secure_finetune.service_errors import Throttled
from secure_finetune.state import DeploymentPlan, PipelineState, TrainingResult
from tests.unit.fakes import CONFIG, STACK_ENVIRONMENT, FakeDeps, FakeMachine
from tests.unit.test_training import JOB_ARN, RUN
from tests.unit.test_training import state as training_state

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = "https://abc123defg.execute-api.us-east-1.amazonaws.com/Prod"
TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAX-task-token-secret-part"
MODEL_ARN = f"arn:aws:bedrock:us-east-1:111122223333:custom-model/{RUN}"
PLAN = DeploymentPlan(
    mode="provisioned-throughput",
    model_arn=MODEL_ARN,
    model_units=1,
    ttl_hours=4,
    approval_required=True,
    estimated_hourly_cost_usd=60.5,
    estimated_cost_over_ttl_usd=242.0,
    report=f"s3://data-bucket/reports/{RUN}/deployment.json",
)
CONFIG_WITH_API = CONFIG.model_copy(update={"approval_base_url": BASE_URL})
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


REQUEST_APPROVAL = load_handler(ROOT / "functions" / "request_approval", STACK_ENVIRONMENT)
APPROVAL_API = load_handler(ROOT / "functions" / "approval_api", STACK_ENVIRONMENT)


@dataclass
class Context:
    function_name: str = "approval"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:111122223333:function:approval"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


@pytest.fixture
def store(moto_runs_table: str) -> ApprovalStore:
    return ApprovalStore(moto_runs_table)


def new_deps(**ports: Any) -> FakeDeps:
    return FakeDeps(config=CONFIG_WITH_API, **ports)


def trained_state(plan: DeploymentPlan | None = PLAN) -> dict[str, Any]:
    training = TrainingResult(job_arn=JOB_ARN, status="Completed", output_model_arn=MODEL_ARN, output_uri="s3://o")
    return training_state().model_copy(update={"training": training, "plan": plan}).wire()


def issue(store: ApprovalStore, deps: FakeDeps, plan: DeploymentPlan | None = PLAN) -> str:
    """Run the RequestApproval handler; returns the secret, as the approver receives it."""
    deps.approvals = store
    REQUEST_APPROVAL({"state": trained_state(plan), "taskToken": TOKEN}, Context(), deps=deps)
    return link_secret(deps)


def issue_expired(store: ApprovalStore, deps: FakeDeps) -> str:
    state = PipelineState.model_validate(trained_state())
    # issued long enough ago that its deadline has passed
    deps.approvals = store
    request_approval(state, TOKEN, deps, now=time.time() - state.timing.approval_timeout_seconds - 1)
    return link_secret(deps)


def status_of(store: ApprovalStore, secret: str) -> ApprovalStatus | None:
    record = store.get(secret_digest(secret))
    return None if record is None else record.status


def link_secret(deps: FakeDeps) -> str:
    message = deps.notifier.sent[-1]
    assert isinstance(message, ApprovalNeeded)
    return message.approve_link.rsplit("/", 1)[-1]


def call(store: ApprovalStore, deps: FakeDeps, method: str, secret: str, body: str | None = None, **kwargs: Any) -> dict[str, Any]:
    deps.approvals = store
    response: dict[str, Any] = APPROVAL_API(approval_request(method, secret, body, **kwargs), Context(), deps=deps)
    return response


def get(store: ApprovalStore, deps: FakeDeps, secret: str) -> dict[str, Any]:
    return call(store, deps, "GET", secret)


def post(store: ApprovalStore, deps: FakeDeps, secret: str, decision: str = "approve") -> dict[str, Any]:
    return call(store, deps, "POST", secret, f"decision={decision}")


class BrokenMachine(FakeMachine):
    def succeed(self, token: str, output: Any) -> bool:
        raise Throttled("ThrottlingException", "SendTaskSuccess")


# ---------------------------------------------------------------- bad input first


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(new_secret(), id="well-formed-but-never-issued"),
        pytest.param("x", id="too-short"),
        pytest.param("A" * 44, id="too-long"),
        pytest.param("%2e%2e", id="encoded-dots"),
        pytest.param("digest", id="the-stored-digest"),  # a leaked table row is not a link
    ],
)
def test_a_forged_or_unknown_secret_gets_404_and_decides_nothing(store: ApprovalStore, forged: str) -> None:
    deps = new_deps()
    secret = issue(store, deps)
    if forged == "digest":
        forged = secret_digest(secret)

    assert get(store, deps, forged)["statusCode"] == 404
    assert post(store, deps, forged)["statusCode"] == 404
    assert deps.machine.answers == []
    assert get(store, deps, secret)["statusCode"] == 200  # the real link still works


def test_a_replayed_post_gets_409_showing_the_first_decision_and_answers_nothing_more(store: ApprovalStore) -> None:
    deps = new_deps()
    secret = issue(store, deps)
    assert post(store, deps, secret, "approve")["statusCode"] == 200

    replay = post(store, deps, secret, "reject")

    assert replay["statusCode"] == 409
    assert "already used: approved" in replay["body"]
    assert len(deps.machine.answers) == 1
    assert get(store, deps, secret)["statusCode"] == 409  # the page shows it is spent


def test_a_post_after_the_deadline_gets_410_and_answers_nothing(store: ApprovalStore) -> None:
    deps = new_deps()
    secret = issue_expired(store, deps)

    assert get(store, deps, secret)["statusCode"] == 410
    response = post(store, deps, secret, "approve")

    assert response["statusCode"] == 410
    assert "Link expired" in response["body"]
    assert deps.machine.answers == []
    assert status_of(store, secret) is ApprovalStatus.PENDING


def test_opening_the_link_decides_nothing_however_often_it_is_opened(store: ApprovalStore) -> None:
    deps = new_deps()
    secret = issue(store, deps)

    first, second = get(store, deps, secret), get(store, deps, secret)

    assert first["statusCode"] == second["statusCode"] == 200
    assert deps.machine.answers == []
    assert status_of(store, secret) is ApprovalStatus.PENDING
    assert post(store, deps, secret, "approve")["statusCode"] == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("decision=maybe", "application/x-www-form-urlencoded"),
        ("decision=APPROVE", "application/x-www-form-urlencoded"),
        ("", "application/x-www-form-urlencoded"),
        ("decision=approve&decision=reject", "application/x-www-form-urlencoded"),
        ("decision=approve&" + "x=1&" * 600, "application/x-www-form-urlencoded"),
        ('{"decision": "approve"}', "application/json"),
        ("decision=approve", "text/plain"),
    ],
)
def test_an_invalid_decision_is_400_and_leaves_the_link_usable(store: ApprovalStore, body: str, content_type: str) -> None:
    deps = new_deps()
    secret = issue(store, deps)

    response = call(store, deps, "POST", secret, body, content_type=content_type)

    assert response["statusCode"] == 400
    assert deps.machine.answers == []
    assert post(store, deps, secret, "reject")["statusCode"] == 200


@pytest.mark.parametrize(
    "raw_body",
    [
        "decision=approve",  # flagged base64 but plain text (a "=" that is not padding)
        "ZGVjaXNpb249YXBwcm92ZQ",  # base64 of decision=approve without its padding: not strict base64
        "/w==",  # base64 of 0xFF: not UTF-8
        "ZGVjaXNpb249YXBwcm92ZQ==!",  # a stray character after the padding
        "A" * 10_000,  # too large to be our form
    ],
)
def test_an_undecodable_body_is_400_not_500_and_leaves_the_link_usable(store: ApprovalStore, raw_body: str) -> None:
    # Given a body API Gateway flags as base64 that is not (or is not UTF-8)
    deps = new_deps()
    secret = issue(store, deps)
    event = approval_request("POST", secret, "decision=approve")
    event.update(body=raw_body, isBase64Encoded=True)
    deps.approvals = store

    response = APPROVAL_API(event, Context(), deps=deps)

    assert response["statusCode"] == 400
    assert deps.machine.answers == []
    assert post(store, deps, secret, "reject")["statusCode"] == 200


def test_request_body_decodes_strict_base64_utf8_and_passes_plain_text_through() -> None:
    from secure_finetune.approval import request_body

    assert request_body("ZGVjaXNpb249YXBwcm92ZQ==", is_base64=True) == "decision=approve"
    assert request_body("decision=approve", is_base64=False) == "decision=approve"
    assert request_body(None, is_base64=True) == ""
    assert request_body("w6k=", is_base64=True) == "\u00e9"  # UTF-8 beyond ASCII is fine
    assert request_body("/w==", is_base64=True) is None


@pytest.mark.parametrize("method", ["HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_methods_other_than_get_and_post_get_405_and_decide_nothing(store: ApprovalStore, method: str) -> None:
    deps = new_deps()
    secret = issue(store, deps)

    response = call(store, deps, method, secret, "decision=approve")

    assert response["statusCode"] == 405
    assert response["multiValueHeaders"]["Allow"] == ["GET, POST"]
    assert deps.machine.answers == []
    assert status_of(store, secret) is ApprovalStatus.PENDING


def test_no_secret_task_token_or_digest_in_any_page_or_log(store: ApprovalStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="secure-finetune")  # whatever POWERTOOLS_LOG_LEVEL says
    deps = new_deps()
    secret = issue(store, deps)
    responses = [
        get(store, deps, secret),
        call(store, deps, "POST", secret, "decision=nope"),
        call(store, deps, "HEAD", secret),
        call(store, deps, "GET", secret, path=f"/approvals/{secret}/extra"),
        post(store, deps, secret, "approve"),
        post(store, deps, secret, "reject"),
        get(store, deps, secret),
    ]
    logged = [(f"{record.name}:{record.levelname}", f"{record.getMessage()} {vars(record)}") for record in caplog.records]

    assert logged, "the handlers log something"
    for needle in (secret, TOKEN, secret_digest(secret)):
        assert [source for source, text in logged if needle in text] == []  # which logger leaked
        assert all(needle not in response["body"] for response in responses)
    assert any(secret_digest(secret)[:12] in text for _, text in logged)  # the digest prefix is how a log line names a link


def test_every_response_carries_the_security_headers(store: ApprovalStore) -> None:
    deps = new_deps()
    secret = issue(store, deps)
    responses = [
        get(store, deps, secret),
        call(store, deps, "PUT", secret),
        get(store, deps, new_secret()),
        call(store, deps, "GET", secret, path="/elsewhere"),
        post(store, deps, secret),
    ]
    for response in responses:
        headers = {name: values[0] for name, values in response["multiValueHeaders"].items()}
        assert SECURITY_HEADERS.items() <= headers.items()
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "form-action 'self'" in headers["Content-Security-Policy"]
        assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_only_the_digest_of_the_secret_is_stored_and_the_item_is_purged_after_30_days(store: ApprovalStore) -> None:
    deps = new_deps()
    secret = issue(store, deps)

    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName="runs")["Items"]

    assert [item["pk"]["S"] for item in items] == [approval_pk(hashlib.sha256(secret.encode()).hexdigest())]
    assert secret not in str(items)
    item = items[0]
    assert int(item["expiresAt"]["N"]) == int(item["decideBy"]["N"]) + 30 * 24 * 3600
    assert item["status"]["S"] == "PENDING"


def test_a_failed_answer_to_the_pipeline_reopens_the_link_for_a_retry(store: ApprovalStore) -> None:
    deps = new_deps()
    secret = issue(store, deps)
    broken = new_deps(machine=BrokenMachine())

    assert post(store, broken, secret, "approve")["statusCode"] == 500
    assert status_of(store, secret) is ApprovalStatus.PENDING
    assert post(store, deps, secret, "approve")["statusCode"] == 200
    assert deps.machine.answers[0][0] == "success"


def test_a_decision_after_the_run_stopped_waiting_says_it_changed_nothing(store: ApprovalStore) -> None:
    deps = new_deps()
    secret = issue(store, deps)
    deps.machine.closed.add(TOKEN)  # the wait timed out or the execution was aborted

    response = post(store, deps, secret, "approve")

    assert response["statusCode"] == 409
    assert "no longer waiting" in response["body"]
    assert "Approved" not in response["body"]


def test_the_summary_keeps_known_ids_and_finite_numbers_only() -> None:
    raw = {
        "modelUnits": 2,
        "ttlHours": float("nan"),
        "estimatedHourlyCostUsd": True,
        "estimatedCostOverTtlUsd": "242",
        "modelArn": "<script>alert(1)</script>",
        "mode": "provisioned",
        "prompt": "What is our Q3 revenue?",
    }
    assert clean_summary(raw) == {"modelUnits": 2, "mode": "provisioned"}


def test_the_review_page_escapes_everything_and_loads_nothing_from_elsewhere() -> None:
    page = review_page({"runId": '"><script>x()</script>', "modelUnits": 1}, decide_by=2_000_000_000, now=1_999_996_400)

    assert "<script>" not in page.html
    assert "&lt;script&gt;" in page.html
    assert "src=" not in page.html and "href=" not in page.html and "http" not in page.html
    assert '<form method="post">' in page.html  # no action: it posts back to its own URL


@pytest.mark.parametrize(
    "base_url",
    [
        "http://abc.execute-api.us-east-1.amazonaws.com/Prod",
        "https://x.example/Prod?next=evil",
        "https://x.example/Prod#fragment",
        "http://127.0.0.1:3000",
        "http://localhost:3000/Prod",
        "https:///Prod",
    ],
)
def test_an_approval_link_is_https_only_plain_http_is_refused_even_to_loopback(base_url: str) -> None:
    with pytest.raises(ValueError, match="https"):
        approval_link(base_url, "s")


def test_an_approval_link_appends_the_secret_to_the_https_base_url() -> None:
    base = "https://abc.execute-api.us-east-1.amazonaws.com/approve/"
    assert approval_link(base, "s") == "https://abc.execute-api.us-east-1.amazonaws.com/approve/approvals/s"


def test_a_form_decision_is_exactly_approve_or_reject() -> None:
    form = "application/x-www-form-urlencoded; charset=UTF-8"
    assert decision_from_form("decision=approve", form) is Decision.APPROVE
    assert decision_from_form("decision=reject", form) is Decision.REJECT
    assert decision_from_form("decision=approve%00", form) is None


# ---------------------------------------------------------------- happy paths


def test_requesting_approval_stores_the_link_and_tells_the_owners_what_would_be_bought(store: ApprovalStore) -> None:
    deps = new_deps()

    deps.approvals = store
    result = REQUEST_APPROVAL({"state": trained_state(), "taskToken": TOKEN}, Context(), deps=deps)

    (message,) = deps.notifier.sent
    assert isinstance(message, ApprovalNeeded)
    secret = link_secret(deps)
    record = store.get(secret_digest(secret))
    assert record is not None and record.task_token == TOKEN and record.run_id == RUN
    assert result == {"approval": secret_digest(secret)[:12]}
    assert message.approve_link == f"{BASE_URL}/approvals/{secret}" and len(secret) == 43
    assert (message.model_units, message.ttl_hours, message.estimated_hourly_cost_usd, message.estimated_cost_over_ttl_usd) == (
        1,
        4,
        60.5,
        242.0,
    )
    assert message.expires_at.endswith("Z")
    assert 86400 - 5 <= record.decide_by - int(time.time()) <= 86400
    assert record.summary["modelArn"] == MODEL_ARN and record.summary["baseModel"] == "meta.llama3-1-8b-instruct-v1:0"


def test_the_review_page_shows_what_would_be_bought_and_until_when(store: ApprovalStore) -> None:
    deps = new_deps()
    secret = issue(store, deps)

    body = get(store, deps, secret)["body"]
    message = deps.notifier.sent[0]
    assert isinstance(message, ApprovalNeeded)

    for shown in (RUN, "default", MODEL_ARN, "Model units", "4 hours, then deleted", "$60.50", "$242.00", message.expires_at):
        assert shown in body
    assert 'name="decision" value="approve"' in body and 'name="decision" value="reject"' in body


def test_a_run_without_a_deployment_plan_still_gets_a_link_with_the_profiles_figures(store: ApprovalStore) -> None:
    deps = new_deps()

    secret = issue(store, deps, plan=None)

    message = deps.notifier.sent[0]
    assert isinstance(message, ApprovalNeeded)
    assert message.estimated_hourly_cost_usd is None
    assert "no public price" in get(store, deps, secret)["body"]


def test_approve_answers_the_wait_with_success_once_and_records_where_it_came_from(store: ApprovalStore) -> None:
    deps = new_deps()
    secret = issue(store, deps)

    response = call(store, deps, "POST", secret, "decision=approve", base64_body=True)

    assert response["statusCode"] == 200 and "Approved" in response["body"]
    ((kind, output),) = deps.machine.answers
    assert kind == "success" and output["approved"] is True and output["decidedAt"].endswith("Z")
    record = store.get(secret_digest(secret))
    assert record is not None and record.status is ApprovalStatus.APPROVED
    assert record.decided_by == {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}


def test_reject_fails_the_wait_with_approval_rejected(store: ApprovalStore) -> None:
    deps = new_deps()
    secret = issue(store, deps)

    response = post(store, deps, secret, "reject")

    assert response["statusCode"] == 200 and "Rejected" in response["body"]
    assert deps.machine.answers == [("failure", ("DeploymentFailed", "APPROVAL_REJECTED"))]
    assert status_of(store, secret) is ApprovalStatus.REJECTED
