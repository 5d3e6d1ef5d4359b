"""The Bedrock adapter's one retry loop for creates, seen at the HTTP layer (botocore's ``before-send``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.awsrequest import AWSResponse

from secure_finetune.adapters.bedrock import Bedrock

REQUEST = {
    "jobName": "support-0123456789abcdef0123",
    "customModelName": "support-0123456789abcdef0123",
    "roleArn": "arn:aws:iam::111122223333:role/finetune/bedrock",
    "baseModelIdentifier": "meta.llama3-1-8b-instruct-v1:0:128k",
    "trainingDataConfig": {"s3Uri": "s3://data/validated/x.jsonl"},
    "outputDataConfig": {"s3Uri": "s3://data/output/"},
    "hyperParameters": {},
    "clientRequestToken": "support-0123456789abcdef0123",
}
JOB_ARN = "arn:aws:bedrock:us-east-1:111122223333:model-customization-job/abc"


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self._body


class Wire:
    """Answers every CreateModelCustomizationJob sent on the wire: ``throttled`` 429s, then the job."""

    def __init__(self, throttled: int) -> None:
        self.throttled = throttled
        self.sent: list[str] = []

    def __call__(self, request: object, **_: object) -> AWSResponse:
        self.sent.append(json.loads(request.body)["clientRequestToken"])  # type: ignore[attr-defined]
        if len(self.sent) <= self.throttled:
            headers = {"x-amzn-ErrorType": "ThrottlingException", "Content-Type": "application/json"}
            return AWSResponse("https://bedrock", 429, headers, _Body(b'{"message": "Rate exceeded"}'))
        return AWSResponse("https://bedrock", 201, {"Content-Type": "application/json"}, _Body(json.dumps({"jobArn": JOB_ARN}).encode()))


@pytest.fixture
def bedrock(offline_aws: None) -> Bedrock:
    return Bedrock(attempts=4, base_delay_seconds=0.001)


def test_one_adapter_attempt_is_one_send_botocore_retries_nothing_under_it(offline_aws: None) -> None:
    once = Bedrock(attempts=1)
    wire = Wire(throttled=1)
    once._creates.meta.events.register("before-send.bedrock.CreateModelCustomizationJob", wire)
    with pytest.raises(Exception, match="ThrottlingException"):
        once.create_job(REQUEST)
    assert len(wire.sent) == 1  # with botocore's retries on, its second send would have succeeded


def test_a_throttled_create_is_sent_again_with_the_same_token(bedrock: Bedrock) -> None:
    wire = Wire(throttled=2)
    bedrock._creates.meta.events.register("before-send.bedrock.CreateModelCustomizationJob", wire)
    assert bedrock.create_job(REQUEST) == JOB_ARN
    assert wire.sent == [REQUEST["clientRequestToken"]] * 3  # the same token: at most one job


def test_throttling_past_the_last_attempt_is_raised_after_exactly_that_many_sends(bedrock: Bedrock) -> None:
    wire = Wire(throttled=99)
    bedrock._creates.meta.events.register("before-send.bedrock.CreateModelCustomizationJob", wire)
    with pytest.raises(Exception, match="ThrottlingException"):
        bedrock.create_job(REQUEST)
    assert len(wire.sent) == 4


def test_our_throughput_is_found_by_its_exact_name_on_any_page(bedrock: Bedrock) -> None:
    from botocore.stub import Stubber

    model = "arn:aws:bedrock:us-east-1:111122223333:custom-model/meta.llama3-1-8b-instruct-v1:0:128k/abcdefghijkl"
    name = "support-0123456789abcdef0123"

    def summary(arn: str, named: str) -> dict[str, object]:  # a ProvisionedModelSummary, every required member
        from datetime import UTC, datetime

        when = datetime(2026, 12, 3, tzinfo=UTC)
        base = "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-8b-instruct-v1:0:128k"
        return {
            **{"provisionedModelName": named, "provisionedModelArn": arn, "modelArn": model, "desiredModelArn": model},
            **{"foundationModelArn": base, "modelUnits": 1, "desiredModelUnits": 1, "status": "InService"},
            **{"creationTime": when, "lastModifiedTime": when},
        }

    ours = "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/ours00000000"
    first = {
        "provisionedModelSummaries": [summary("arn:aws:bedrock:us-east-1:111122223333:provisioned-model/theirs000000", f"{name}-theirs")]
    }
    with Stubber(bedrock._bedrock) as stub:  # a look-alike (our name inside theirs) on page 1, ours on page 2
        asked = {"modelArnEquals": model, "nameContains": name}
        stub.add_response("list_provisioned_model_throughputs", {**first, "nextToken": "t1"}, asked)
        stub.add_response(
            "list_provisioned_model_throughputs", {"provisionedModelSummaries": [summary(ours, name)]}, {**asked, "nextToken": "t1"}
        )
        found = bedrock.find_throughput(model, name)
        stub.assert_no_pending_responses()
    assert found is not None and found.arn == ours
