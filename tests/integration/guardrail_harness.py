"""The harness for breaking guardrails in the emulated stack: one deployed stack, runs judged step by step."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from local import access_analyzer_standin
from local.emulator import LocalPipeline

from secure_finetune.adapters.clients import reset_clients
from secure_finetune.guardrails import Severity
from secure_finetune.reports import GuardrailsReport, Report, ValidationDocument
from secure_finetune.runs import Step, report_key, run_id, validated_key
from secure_finetune.state import DatasetResult

DATASET = (Path(__file__).resolve().parents[2] / "events" / "sample-dataset.jsonl").read_bytes()
BASE_MODEL = "meta.llama3-1-8b-instruct-v1:0"
ACCOUNT = "123456789012"  # moto's
WORLD = "0.0.0.0/0"
R = TypeVar("R", bound=Report)


class _Accepted:
    status_code = 200
    headers: dict[str, str] = {}


# ---------------------------------------------------------------- the harness


@dataclass
class Judged:
    statuses: dict[str, str]  # blocking id -> PASS | FAIL | UNKNOWN, from reports/<run>/guardrails.json
    error_type: str | None
    error: str | None

    @property
    def not_passing(self) -> set[str]:
        return {check_id for check_id, status in self.statuses.items() if status != "PASS"}


@dataclass
class Stack:
    pipeline: LocalPipeline
    started: dict[str, dict[str, Any]] = field(default_factory=dict)  # execution name -> input
    baseline: dict[str, Any] = field(default_factory=dict)  # a good run's state, ready for VerifyGuardrails
    other_key: str = ""  # a second customer-managed key in the same account
    trained: dict[str, Any] = field(default_factory=dict)  # a run whose job made a custom model

    # ---- handles
    @property
    def bucket(self) -> str:
        return self.pipeline.bucket

    @property
    def key_arn(self) -> str:
        return self.pipeline.stack.outputs["DatasetKeyArn"]

    @property
    def key_id(self) -> str:
        return self.key_arn.rsplit("/", 1)[-1]  # moto's DisableKey & co. take the id only, not the ARN

    @property
    def service_role(self) -> str:
        return self.pipeline.stack.outputs["BedrockServiceRoleArn"].rsplit("/", 1)[-1]

    @property
    def launcher_role(self) -> str:
        return self.pipeline.stack.physical_ids["StartTrainingJobRole"]

    @property
    def job_group(self) -> str:
        return self.pipeline.stack.outputs["JobSecurityGroupIds"]

    @property
    def subnets(self) -> list[str]:
        return self.pipeline.stack.outputs["JobSubnetIds"].split(",")

    @property
    def route_table(self) -> str:
        return self.pipeline.stack.physical_ids["PrivateRouteTable"]

    @property
    def vpc(self) -> str:
        return self.pipeline.stack.physical_ids["Vpc"]

    def endpoint(self, service: str) -> dict[str, Any]:
        [found] = [
            e
            for e in boto3.client("ec2").describe_vpc_endpoints()["VpcEndpoints"]
            if e["ServiceName"] == f"com.amazonaws.us-east-1.{service}"
        ]
        return dict(found)

    def function(self, logical_id: str) -> str:
        return self.pipeline.stack.physical_ids[logical_id]

    # ---- Step Functions is left out: record what the trigger would start
    def record_start(self, params: dict[str, Any], **_: Any) -> tuple[_Accepted, dict[str, Any]]:
        body = json.loads(params["body"])
        self.started[body["name"]] = json.loads(body["input"])
        arn = body["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{body['name']}"
        return _Accepted(), {"executionArn": arn, "startDate": datetime.now(UTC)}

    # ---- the pipeline's steps, as Lambda runs them
    def invoke(self, logical_id: str, payload: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
        answer = boto3.client("lambda").invoke(FunctionName=self.function(logical_id), Payload=json.dumps(payload).encode())
        body = json.loads(answer["Payload"].read())
        return (None, body) if answer.get("FunctionError") else (body, None)

    def upload(self, key: str, body: bytes, **put: Any) -> dict[str, Any]:
        """Put a dataset; the real trigger (S3 -> EventBridge -> Lambda) builds the run's input."""
        put = {"Bucket": self.bucket, "Key": key, "Body": body, **put}
        answer = boto3.client("s3").put_object(**put)
        return self.started.pop(run_id(self.bucket, key, answer["VersionId"]))

    def prepare(self, first: dict[str, Any]) -> dict[str, Any]:
        """RegisterRun and ValidateDataset on a run's input: the state VerifyGuardrails receives.

        A dataset the validator rejects never reaches the guardrails in the pipeline; here its run
        goes on as if that verdict had been lost, to show the guardrail re-reads the report.
        """
        registered, error = self.invoke("RegisterRunFunction", first)
        assert error is None, error
        state = {**first, "registered": registered}
        dataset, error = self.invoke("ValidateDatasetFunction", state)
        if error is not None:
            assert error["errorType"] == "DatasetInvalid", error
            run = first["run"]
            training = self.report(run["runId"], ValidationDocument).training
            dataset = DatasetResult(
                sha256=training.sha256,
                records=training.records,
                training_uri=f"s3://{self.bucket}/{validated_key(training.sha256, run['key'])}",
                report=f"s3://{self.bucket}/{report_key(run['runId'], Step.VALIDATION)}",
            ).wire()
        return {**state, "dataset": dataset}

    def run_of(self, key: str, body: bytes, **put: Any) -> dict[str, Any]:
        return self.prepare(self.upload(key, body, **put))

    def report(self, run: str, model: type[R]) -> R:
        body = boto3.client("s3").get_object(Bucket=self.bucket, Key=report_key(run, model.step))["Body"]
        return model.model_validate_json(body.read())

    def judge(self, state: dict[str, Any]) -> Judged:
        """The VerifyGuardrails step on ``state``: its error and the statuses it reported."""
        boto3.client("s3").delete_object(Bucket=self.bucket, Key=report_key(state["run"]["runId"], Step.GUARDRAILS))
        _, error = self.invoke("VerifyGuardrailsFunction", state)
        findings = self.report(state["run"]["runId"], GuardrailsReport).findings
        return Judged(
            statuses={f.id: f.status.value for f in findings if f.severity is Severity.BLOCK},
            error_type=error["errorType"] if error else None,
            error=error["errorMessage"] if error else None,
        )

    def set_environment(self, logical_id: str, **values: str) -> dict[str, str]:
        """Change a function's environment (what a stack parameter feeds); returns the old one."""
        lam = boto3.client("lambda")
        old = dict(lam.get_function_configuration(FunctionName=self.function(logical_id))["Environment"]["Variables"])
        new = {k: str(v) for k, v in {**old, **values}.items()}
        lam.update_function_configuration(FunctionName=self.function(logical_id), Environment={"Variables": new})
        return {k: str(v) for k, v in old.items()}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with LocalPipeline(stack_name="finetune-breaks") as pipeline:
        harness = Stack(pipeline)
        session_events = boto3._get_default_session().events
        session_events.register("before-call.sfn.StartExecution", harness.record_start)
        access_analyzer_standin.install()  # idempotent: a no-op twice if the emulator installs it too
        reset_clients()  # clients copy the session's hooks when created
        try:
            harness.other_key = boto3.client("kms").create_key(Description="another customer key")["KeyMetadata"]["Arn"]
            harness.baseline = harness.run_of("incoming/baseline.jsonl", DATASET)
            yield harness
        finally:
            session_events.unregister("before-call.sfn.StartExecution", harness.record_start)
            access_analyzer_standin.uninstall()


# ---------------------------------------------------------------- breaking one control at a time

Breaker = Callable[[Stack], Any]  # a context manager: break on enter (yielding the state to judge), undo on exit


def _restored(read: Callable[[Stack], Any], write: Callable[[Stack, Any], Any]) -> Callable[[Callable[[Stack, Any], None]], Breaker]:
    """``@_restored(read, write)`` over ``change(h, copy_of_setting)``: read the setting, change it,
    judge the baseline run, write the saved setting back."""

    def decorate(change: Callable[[Stack, Any], None]) -> Breaker:
        @contextmanager
        def breaker(h: Stack) -> Iterator[dict[str, Any]]:
            saved = read(h)
            change(h, copy.deepcopy(saved))
            try:
                yield h.baseline
            finally:
                write(h, saved)

        breaker.__name__ = change.__name__
        return breaker

    return decorate


def s3() -> Any:
    return boto3.client("s3")


def ec2() -> Any:
    return boto3.client("ec2")


def kms() -> Any:
    return boto3.client("kms")


def iam() -> Any:
    return boto3.client("iam")
