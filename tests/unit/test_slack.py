"""Slack: Block Kit payload per milestone within Slack's limits, and a webhook post that never fails a step."""

import json
import logging
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Self

import boto3
import pytest
from local.loopback_tls import LoopbackHTTPSServer
from moto import mock_aws
from pydantic import create_model

from secure_finetune.fanout import FanOutNotifier
from secure_finetune.notifications import (
    ApprovalNeeded,
    DatasetRejected,
    FailedCheck,
    GuardrailsBlocked,
    JobFailed,
    JobFinished,
    JobStarted,
    LineError,
    Milestone,
    MilestoneEvent,
    ModelReady,
    RunCancelled,
    RunFailed,
    Swept,
    TeardownFailed,
    TornDown,
    TtlWarning,
    render,
)
from secure_finetune.slack import slack_message

if TYPE_CHECKING:
    from secure_finetune.adapters.slack import SlackNotifier

RUN = {
    "run_id": "x-0123456789abcdef0123",
    "profile": "support-bot",
    "dataset": "s3://data-bucket/incoming/support-bot/x.jsonl?versionId=v1",
}
JOB = "arn:aws:bedrock:us-east-1:111122223333:model-customization-job/abc"
MODEL = "arn:aws:bedrock:us-east-1:111122223333:custom-model/m"
THROUGHPUT = "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/p"
EXAMPLES = [
    DatasetRejected(
        **RUN,
        reason="DATASET_INVALID:LINE_BLANK",
        error_count=2,
        first_errors=(LineError(line=3, code="LINE_BLANK"), LineError(line=9, code="LINE_INVALID_JSON")),
        report="s3://data-bucket/reports/x/validation.json",
    ),
    GuardrailsBlocked(
        **RUN, reason="GUARDRAIL_FAILED:GR-S3-01", failed=(FailedCheck(id="GR-S3-01", fix="Turn on versioning"),), report="s3://b/r"
    ),
    JobStarted(**RUN, job_arn=JOB, base_model="amazon.nova-micro-v1:0", customization_type="FINE_TUNING"),
    JobFinished(**RUN, job_arn=JOB, output_model_arn=MODEL, final_training_loss=0.4217),
    JobFailed(**RUN, reason="JOB_FAILED", job_arn=None),
    ApprovalNeeded(**RUN, estimated_hourly_cost_usd=21.184, approve_link="https://approve.example.com/a?t=1&u=2"),
    ModelReady(**RUN, model_arn=THROUGHPUT, model_units=1, ttl_hours=24.0),
    TtlWarning(**RUN, model_arn=THROUGHPUT, delete_at="2026-11-02T10:00:00Z"),
    TornDown(**RUN, model_arn=THROUGHPUT),
    TeardownFailed(
        **RUN,
        model_arn=THROUGHPUT,
        why="time-to-live reached",
        error="ThrottlingException",
        retry_at="2026-11-02T10:15:00Z",
        delete_by_hand=f"aws bedrock delete-provisioned-model-throughput --region us-east-1 --provisioned-model-id {THROUGHPUT}",
    ),
    RunFailed(**RUN, reason="SETTINGS_INVALID", step="RegisterRun"),
    RunCancelled(**RUN, reason="JOB_CANCELLED:owner", stopped_by="owner", job_arn=None),
    Swept(
        run_id="sweep-2026-11-02",
        profile="*",
        dataset="none",
        why="SweepPolicy=delete-orphans",
        deleted=(f"provisioned-model-throughput {THROUGHPUT} (RUN_TERMINAL)",),
        retained=(f"custom-model {MODEL}",),
        estimated_storage_per_month_usd=1.95,
    ),
]
HOOK_PATH = "/services/T000/B000/secret-token"


def texts(payload: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """Every text a person could see in the payload, with the limit that applies to it."""
    yield payload["text"], 40_000
    for block in payload["blocks"]:
        if block["type"] == "header":
            yield block["text"]["text"], 150
        elif block["type"] == "section":
            if "text" in block:
                yield block["text"]["text"], 3000
            for field in block.get("fields", []):
                yield field["text"], 2000
        else:
            for element in block["elements"]:
                yield element["text"], 3000


def assert_within_limits(payload: dict[str, Any]) -> None:
    assert len(payload["blocks"]) <= 50
    assert all(len(block.get("fields", [])) <= 10 for block in payload["blocks"])
    for text, limit in texts(payload):
        assert 0 < len(text) <= limit


# --- bad input first -------------------------------------------------------------------------------


def test_user_influenced_strings_are_escaped_so_they_cannot_mention_or_link() -> None:
    # Given a profile and a reason an uploader can influence, carrying Slack control sequences
    event = RunFailed(**{**RUN, "profile": "a&b<!channel>"}, reason="<https://evil.example|click> & more", step="RegisterRun")

    # When it is rendered
    payload = slack_message(event)

    # Then & < > reach Slack only as entities
    rendered = json.dumps(payload)
    assert "<!channel>" not in rendered and "<https://evil" not in rendered
    assert "a&amp;b&lt;!channel&gt;" in rendered
    assert "&lt;https://evil.example|click&gt; &amp; more" in rendered
    assert payload["text"] == render(event).subject.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize(
    "link",
    [
        "http://approve.example.com/a",  # not https
        "https://approve.example.com/a|<!here>",  # would break out of <url|label>
        "https://approve.example.com/a b",
        "javascript:alert(1)",
        "https://" + "a" * 3000 + ".example.com/",  # too long to link safely
    ],
)
def test_a_value_that_is_not_a_safe_https_url_is_shown_escaped_never_as_a_link(link: str) -> None:
    payload = slack_message(ApprovalNeeded(**RUN, estimated_hourly_cost_usd=1, approve_link=link))
    approve = next(b["text"]["text"] for b in payload["blocks"] if b.get("text", {}).get("text", "").startswith("*Approve link*"))
    value = approve.split("\n", 1)[1]
    assert value.startswith("`") and value.endswith("`") and "<" not in value
    assert_within_limits(payload)


def test_an_s3_value_with_odd_characters_links_to_the_console_with_an_encoded_key() -> None:
    event = RunFailed(**{**RUN, "dataset": "s3://data-bucket/incoming/a|b>c&d.jsonl?versionId=v1"}, reason="X", step="s")
    dataset = slack_message(event)["blocks"][1]["fields"][2]["text"]
    assert dataset.startswith("*Dataset*\n<https://s3.console.aws.amazon.com/s3/object/data-bucket?prefix=incoming/a%7Cb%3Ec%26d.jsonl|")
    assert dataset.endswith("|s3://data-bucket/incoming/a¦b&gt;c&amp;d.jsonl?versionId=v1>")  # "|" would end the label


def test_an_s3_value_with_an_invalid_bucket_name_is_not_linked() -> None:
    event = RunFailed(**{**RUN, "dataset": "s3://Not_A>Bucket/k"}, reason="X", step="s")
    assert slack_message(event)["blocks"][1]["fields"][2]["text"] == "*Dataset*\n`s3://Not_A&gt;Bucket/k`"


def test_long_values_and_long_lists_are_truncated_with_an_ellipsis_within_block_kit_limits() -> None:
    # Given huge, escape-heavy values and far more errors than a message can show
    event = DatasetRejected(
        **{**RUN, "run_id": "&" * 5000, "profile": "<" * 5000, "dataset": "s3://b/" + "&" * 5000},
        reason="&" * 5000,
        error_count=10_000,
        first_errors=tuple(LineError(line=n, code="&" * 500) for n in range(1, 10_001)),
        report="x" * 5000,
    )

    # When it is rendered
    payload = slack_message(event)

    # Then every text fits, and what was cut says so
    assert_within_limits(payload)
    errors = next(b["text"]["text"] for b in payload["blocks"] if b.get("text", {}).get("text", "").startswith("*First errors*"))
    assert errors.endswith("more")
    assert "…" in errors.split("\n")[-1]
    assert "…" in payload["blocks"][1]["fields"][0]["text"]


def test_an_event_with_more_facts_than_blocks_keeps_within_fifty_blocks_and_says_how_many_were_left_out() -> None:
    facts: dict[str, Any] = {f"fact_{n:02}": (int, n) for n in range(80)}
    many = create_model("Many", __base__=MilestoneEvent, **facts)
    payload = slack_message(many(milestone=Milestone.RUN_FAILED, **RUN))
    assert len(payload["blocks"]) == 50
    assert_within_limits(payload)
    assert any("more facts" in text for text, _ in texts(payload))


# --- shape per milestone ---------------------------------------------------------------------------


def test_there_is_one_example_per_milestone() -> None:
    assert {event.milestone for event in EXAMPLES} == set(Milestone)


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.milestone.value)
def test_every_milestone_renders_header_run_fields_one_section_per_fact_and_a_context_line(event: MilestoneEvent) -> None:
    payload = slack_message(event)

    assert payload["text"] == render(event).subject
    assert payload["unfurl_links"] is False and payload["unfurl_media"] is False  # no link prefetch by previews
    header, fields, *facts, context = payload["blocks"]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert [f["text"].split("\n")[0] for f in fields["fields"]] == ["*Run*", "*Profile*", "*Dataset*"]
    assert f"`{event.run_id}`" in fields["fields"][0]["text"]
    assert len(facts) == len(event.facts())
    assert all(f["type"] == "section" and f["text"]["type"] == "mrkdwn" for f in facts)
    assert event.milestone.value in context["elements"][0]["text"]
    assert_within_limits(payload)


def test_the_payload_carries_only_the_event_fields_no_dataset_content() -> None:
    # The event is the only input: each fact section is one of the event's fields, nothing else.
    for event in EXAMPLES:
        payload = slack_message(event)
        assert set(payload) == {"text", "blocks", "unfurl_links", "unfurl_media"}
        assert len(payload["blocks"]) == 3 + len(event.facts())


def test_lists_are_bullets_costs_are_dollars_and_links_are_slack_links() -> None:
    rejected = slack_message(EXAMPLES[0])["blocks"]
    assert "*First errors*\n• line=3, code=LINE_BLANK\n• line=9, code=LINE_INVALID_JSON" in [
        b.get("text", {}).get("text") for b in rejected
    ]
    assert any(
        b.get("text", {})
        .get("text", "")
        .startswith("*Report*\n<https://s3.console.aws.amazon.com/s3/object/data-bucket?prefix=reports/x/validation.json|")
        for b in rejected
    )

    approval = [b.get("text", {}).get("text") for b in slack_message(EXAMPLES[5])["blocks"]]
    assert "*Estimated hourly cost (USD)*\n$21.18" in approval
    assert "*Approve link*\n<https://approve.example.com/a?t=1&amp;u=2|approve.example.com/a>" in approval

    failed = [b.get("text", {}).get("text") for b in slack_message(EXAMPLES[4])["blocks"]]
    assert "*Job ARN*\n_none_" in failed


# --- posting to a real HTTPS server on loopback ----------------------------------------------------


class Hook:
    """A loopback https webhook (local/loopback_tls.py): answers with the queued statuses, records what it received."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, dict[str, str], float]] = []  # (status, headers, delay seconds)
        self.received: list[tuple[str, str, bytes]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((self.path, self.headers["Content-Type"], body))
                status, headers, delay = hook.replies.pop(0) if hook.replies else (200, {}, 0)
                time.sleep(delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = LoopbackHTTPSServer(Handler)
        self.url = f"{self.server.base_url}{HOOK_PATH}"

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


@pytest.fixture
def aws(offline_aws: None) -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager")


@pytest.fixture
def hook(trusted_loopback: None) -> Iterator[Hook]:
    with Hook() as server:
        yield server


def notifier_for(secrets: Any, secret_value: str, **options: Any) -> "SlackNotifier":
    from secure_finetune.adapters.slack import SlackNotifier

    arn = secrets.create_secret(Name="finetune/slack-webhook", SecretString=secret_value)["ARN"]
    return SlackNotifier(arn, **{"sleep": lambda s: None, **options})


def test_a_plain_http_webhook_is_refused_even_to_loopback(aws: Any, hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    notifier = notifier_for(aws, hook.url.replace("https://", "http://"))
    with caplog.at_level(logging.WARNING):
        notifier.send(EXAMPLES[2])
    assert hook.received == []
    assert notifier.failures == 1
    assert "not https" in caplog.text
    assert HOOK_PATH not in caplog.text


def test_a_webhook_whose_certificate_is_not_trusted_is_refused(
    aws: Any, hook: Hook, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the loopback server's throwaway CA no longer trusted (the system's CAs only)
    monkeypatch.delenv("SSL_CERT_FILE")
    notifier = notifier_for(aws, hook.url)

    with caplog.at_level(logging.WARNING):
        notifier.send(EXAMPLES[2])

    # Then the handshake fails: nothing is posted, and the failure is a counted warning
    assert hook.received == []
    assert notifier.failures == 1
    assert "network error: SSLCertVerificationError" in caplog.text


def test_only_https_urls_with_a_host_are_allowed() -> None:
    from secure_finetune.urls import url_allowed

    assert url_allowed("https://hooks.slack.com/services/T/B/x")
    assert url_allowed("https://127.0.0.1:8443/x")  # https is https, wherever it points
    assert not url_allowed("http://localhost:8080/x")
    assert not url_allowed("http://127.0.0.1:8080/x")
    assert not url_allowed("http://[::1]:8080/x")
    assert not url_allowed("http://hooks.slack.com/services/T/B/x")
    assert not url_allowed("http://127.0.0.1.evil.example/x")
    assert not url_allowed("file:///etc/passwd")
    assert not url_allowed("https:///no-host")


def test_a_missing_secret_is_a_counted_warning_not_an_error(aws: Any, caplog: pytest.LogCaptureFixture) -> None:
    from secure_finetune.adapters.slack import SlackNotifier

    notifier = SlackNotifier("arn:aws:secretsmanager:us-east-1:111122223333:secret:nope-AbCdEf")
    with caplog.at_level(logging.WARNING):
        notifier.send(EXAMPLES[2])
    assert notifier.failures == 1
    assert "slack notification not sent" in caplog.text


def test_the_webhook_url_is_read_from_secrets_manager_and_the_json_payload_posted(aws: Any, hook: Hook) -> None:
    # Given the webhook URL kept in a Secrets Manager secret
    notifier = notifier_for(aws, hook.url)

    # When a milestone is sent
    notifier.send(EXAMPLES[0])

    # Then the loopback server got the Block Kit JSON at the secret's URL
    [(path, content_type, body)] = hook.received
    assert path == HOOK_PATH
    assert content_type == "application/json"
    assert json.loads(body) == slack_message(EXAMPLES[0])
    assert notifier.failures == 0


def test_a_json_secret_with_a_url_key_is_accepted_and_the_secret_is_cached(aws: Any, hook: Hook) -> None:
    notifier = notifier_for(aws, json.dumps({"url": hook.url}))
    notifier.send(EXAMPLES[2])
    aws.put_secret_value(SecretId="finetune/slack-webhook", SecretString="https://elsewhere.invalid/")
    notifier.send(EXAMPLES[3])
    assert [path for path, _, _ in hook.received] == [HOOK_PATH, HOOK_PATH]


def test_a_500_is_retried_once_after_retry_after_capped(aws: Any, hook: Hook) -> None:
    waits: list[float] = []
    hook.replies = [(500, {"Retry-After": "30"}, 0), (200, {}, 0)]
    notifier = notifier_for(aws, hook.url, sleep=waits.append, max_retry_wait_seconds=2.0)

    notifier.send(EXAMPLES[2])

    assert len(hook.received) == 2
    assert waits == [2.0]
    assert notifier.failures == 0


def test_a_429_twice_gives_up_after_one_retry_with_a_warning(aws: Any, hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    waits: list[float] = []
    hook.replies = [(429, {"Retry-After": "1"}, 0), (429, {}, 0), (200, {}, 0)]
    notifier = notifier_for(aws, hook.url, sleep=waits.append)

    with caplog.at_level(logging.WARNING):
        notifier.send(EXAMPLES[2])

    assert len(hook.received) == 2
    assert waits == [1.0]
    assert notifier.failures == 1
    assert "HTTP 429" in caplog.text


def test_a_404_is_swallowed_with_a_warning_that_never_shows_the_webhook_url(aws: Any, hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    hook.replies = [(404, {}, 0)]
    notifier = notifier_for(aws, hook.url)

    with caplog.at_level(logging.DEBUG, logger="secure_finetune"):  # botocore's own DEBUG prints secrets: keep it off
        notifier.send(EXAMPLES[2])

    assert len(hook.received) == 1  # a 404 is not retried
    assert notifier.failures == 1
    assert "HTTP 404" in caplog.text
    assert HOOK_PATH not in caplog.text and "secret-token" not in caplog.text
    assert all(HOOK_PATH not in str(record.__dict__) for record in caplog.records)


def test_a_redirect_is_not_followed(aws: Any, hook: Hook) -> None:
    hook.replies = [(302, {"Location": hook.url + "/moved"}, 0)]
    notifier = notifier_for(aws, hook.url)
    notifier.send(EXAMPLES[2])
    assert len(hook.received) == 1
    assert notifier.failures == 1


def test_a_slow_webhook_times_out_without_failing_the_step(aws: Any, hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    hook.replies = [(200, {}, 1.0)]
    notifier = notifier_for(aws, hook.url, timeout_seconds=0.2)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        notifier.send(EXAMPLES[2])

    assert time.monotonic() - started < 0.9
    assert notifier.failures == 1
    assert "timed out" in caplog.text


# --- fan-out ---------------------------------------------------------------------------------------


class Recorder:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[MilestoneEvent] = []
        self.error = error

    def send(self, event: MilestoneEvent) -> None:
        self.sent.append(event)
        if self.error:
            raise self.error


def test_fan_out_sends_to_every_notifier() -> None:
    first, second = Recorder(), Recorder()
    FanOutNotifier(first, second).send(EXAMPLES[2])
    assert first.sent == second.sent == [EXAMPLES[2]]


def test_fan_out_still_tells_the_others_then_raises_the_system_of_record_failure() -> None:
    sns, slack = Recorder(error=RuntimeError("sns down")), Recorder()
    with pytest.raises(RuntimeError, match="sns down"):
        FanOutNotifier(sns, slack).send(EXAMPLES[2])
    assert slack.sent == [EXAMPLES[2]]


def test_fan_out_with_a_failing_slack_webhook_does_not_raise(aws: Any, hook: Hook) -> None:
    hook.replies = [(500, {}, 0), (500, {}, 0)]
    sns, slack = Recorder(), notifier_for(aws, hook.url)
    FanOutNotifier(sns, slack).send(EXAMPLES[2])
    assert sns.sent == [EXAMPLES[2]] and slack.failures == 1


def test_a_small_or_unknown_cost_reads_the_same_in_slack_as_in_the_e_mail() -> None:
    from secure_finetune.notifications import JobStarted, render

    common = {"run_id": "r", "profile": "p", "dataset": "s3://b/k?versionId=v", "job_arn": "arn:j", "base_model": "m"}
    for cost, shown in ((0.0012, "$0.0012"), (None, "no public price")):
        event = JobStarted(**common, customization_type="FINE_TUNING", estimated_training_cost_usd=cost)
        texts = [block.get("text", {}).get("text", "") for block in slack_message(event)["blocks"] if isinstance(block.get("text"), dict)]
        assert any(shown in text for text in texts) and f"Estimated training cost (USD): {shown}" in render(event).body


def test_every_fact_reads_the_same_in_slack_the_e_mail_and_the_report() -> None:
    # one formatter (notifications.shown): e-mail said "2.0" and "True" where Slack said "2" and "yes"
    from secure_finetune.notifications import ApprovalNeeded, label, render, shown
    from secure_finetune.report_html import _value as report_cell

    event = ApprovalNeeded(
        run_id="r", profile="p", dataset="s3://b/k?versionId=v", model_units=1200, ttl_hours=2.0,
        estimated_hourly_cost_usd=60.5, estimated_cost_over_ttl_usd=None, approve_link="https://x/approve/s",
    )  # fmt: skip
    texts = " ".join(str(block) for block in slack_message(event)["blocks"])
    for name, expected in (("model_units", "1,200"), ("ttl_hours", "2"), ("estimated_hourly_cost_usd", "$60.50")):
        assert shown(name, getattr(event, name)) == expected
        assert f"{label(name)}: {expected}\n" in render(event).body and f"*{label(name)}*" in texts and expected in texts
        assert report_cell(getattr(event, name), name) == expected
    assert shown("passed", True) == "yes" and report_cell(True) == "yes"
