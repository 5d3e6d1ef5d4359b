"""`make up`'s own parts that need no server: the emulated clock, rate expressions, the stand-in gateway's routing."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import boto3
import pytest
from local.standin_gateway import _operation, _uri_pattern, answer
from local.up import Clock, banner, rate_period


@pytest.mark.parametrize(
    ("expression", "period"),
    [("rate(15 minutes)", timedelta(minutes=15)), ("rate(1 hour)", timedelta(hours=1)), ("rate(2 days)", timedelta(days=2))],
)
def test_rate_expressions_are_periods(expression: str, period: timedelta) -> None:
    assert rate_period(expression) == period


@pytest.mark.parametrize("expression", ["cron(0 12 * * ? *)", "", "rate(5 fortnights)"])
def test_other_expressions_are_not_emulated(expression: str) -> None:
    assert rate_period(expression) is None


def test_the_clock_runs_speed_times_as_fast() -> None:
    clock = Clock(3600)
    before = clock.now()
    time.sleep(0.05)
    assert timedelta(minutes=2) < clock.now() - before < timedelta(minutes=30)


def test_uri_templates_match_whole_paths_only() -> None:
    assert _uri_pattern("/foundation-models/{modelIdentifier}").match("/foundation-models/meta.llama3-1-8b-instruct-v1%3A0")
    assert not _uri_pattern("/foundation-models/{modelIdentifier}").match("/foundation-models/a/b")
    assert _uri_pattern("/provisioned-model-throughput/{provisionedModelId}").match("/provisioned-model-throughput/arn%3Aaws%3A")


def _signed(service: str, method: str, path: str) -> dict[str, str]:
    scope = f"AWS4-HMAC-SHA256 Credential=testing/20261202/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x"
    return {"HTTP_AUTHORIZATION": scope, "REQUEST_METHOD": method, "PATH_INFO": path}


def test_the_gateway_takes_only_stood_in_operations() -> None:
    assert _operation(_signed("bedrock", "GET", "/foundation-models/meta.llama3-1-8b-instruct-v1:0"), b"") == (
        "bedrock",
        "GetFoundationModel",
    )
    assert _operation(_signed("bedrock", "POST", "/model/some-model/converse"), b"{}") == ("bedrock-runtime", "Converse")
    assert _operation(_signed("iam", "POST", "/"), b"Action=SimulatePrincipalPolicy&Version=2010-05-08") == (
        "iam",
        "SimulatePrincipalPolicy",
    )
    # moto's own operations pass through untouched
    assert _operation(_signed("bedrock", "GET", "/custom-models"), b"") is None
    assert _operation(_signed("iam", "POST", "/"), b"Action=GetRole&RoleName=x") is None
    assert _operation(_signed("s3", "PUT", "/bucket/key"), b"data") is None
    assert _operation({"REQUEST_METHOD": "GET", "PATH_INFO": "/foundation-models/x"}, b"") is None  # unsigned


def test_the_banner_has_a_copy_paste_upload_command() -> None:
    text = banner("http://127.0.0.1:4566", "the-bucket", 100, 1)
    assert "aws --endpoint-url http://127.0.0.1:4566 s3 cp events/sample-dataset.jsonl s3://the-bucket/incoming/x.jsonl" in text


def test_a_stand_in_that_breaks_answers_an_aws_shaped_error_not_a_html_page() -> None:
    # Given a stand-in hook that raises (a bug of ours, or a request it was never written for)
    def broken(**_: Any) -> None:
        raise KeyError("never issued")

    events = boto3._get_default_session().events
    events.register("before-call.bedrock.GetFoundationModel", broken, unique_id="test-broken-standin")
    try:
        status, headers, body = answer("bedrock", "GetFoundationModel", _signed("bedrock", "GET", "/foundation-models/x"), b"") or (
            0,
            {},
            "",
        )
    finally:
        events.unregister("before-call.bedrock.GetFoundationModel", unique_id="test-broken-standin")
    # Then the client reads an AWS error (botocore parses x-amzn-ErrorType) that names the failure, not its data
    assert (status, headers["x-amzn-ErrorType"]) == (500, "InternalFailure")
    assert json.loads(body) == {"message": "emulator stand-in failed: KeyError"}
