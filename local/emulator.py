"""The whole pipeline on an embedded AWS emulator: deploy template.yaml into moto, run it.

Used by ``make demo`` (local/demo.py) and the emulator tests. Labelled stand-ins:
``moto_patches`` (Lambda/EventBridge/Step Functions glue), ``lambda_runtime`` (handlers
in-process), ``bedrock_standin`` (job lifecycle, provisioned throughput), ``evaluation_standin`` (evaluation
jobs and their scores), ``private_link_standin``
(the VPC's resolver, security groups, the bedrock-runtime endpoint's policy and aws:SourceVpce), ``stack``
(deploying the real template), ``slack_inbox`` on ``loopback_tls`` (Slack's webhook, https on
loopback with a certificate this process trusts).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
from moto import mock_aws

from secure_finetune.adapters.clients import reset_clients
from secure_finetune.reports import Report
from secure_finetune.runs import report_key, run_id

from . import access_analyzer_standin, iam_standin, loopback_tls, moto_concurrency, moto_patches, scheduler_standin
from .async_delivery import AsyncDelivery, function_dead_letters
from .bedrock_standin import BedrockStandIn, Scenario
from .evaluation_standin import EvaluationScenario, EvaluationStandIn
from .lambda_runtime import InProcessLambdas
from .private_link_standin import PrivateLinkStandIn
from .slack_inbox import SlackInbox
from .stack import DeployedStack, deploy

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
R = TypeVar("R", bound=Report)
# Short waits so a run takes seconds; they reach the state machine through the template's
# parameters -> function environment -> execution input, like any deployment's would.
# PriceSource: the emulator has no AWS Price List (moto answers 404): the cited snapshot prices the runs.
FAST_PARAMETERS = {
    "TrainingTimeoutSeconds": "60",
    "JobSlotTimeoutSeconds": "120",
    "ThroughputPollSeconds": "1",
    "ThroughputMaxPolls": "10",
    "PriceSource": "snapshot",
}
FAST_PARAMETERS["EvaluationPollSeconds"] = "1"  # the evaluation jobs' poll loop (evaluation_standin)


@dataclass
class StateRecord:
    name: str
    outcome: str
    seconds: float
    output: dict[str, Any] | None = None  # the state's output (the run's state: ids and counts)


class LocalPipeline:
    def __init__(
        self,
        scenario: Scenario | None = None,
        parameters: dict[str, str] | None = None,
        stack_name: str = "finetune-local",
        root: Path = ROOT,
        evaluation: EvaluationScenario | None = None,
        concurrency: int = 1,
    ) -> None:
        self.root = root
        # >1: up to that many Lambda invocations at once, events delivered asynchronously (async_delivery)
        self.concurrency = concurrency
        self.delivery: AsyncDelivery | None = None
        self.scenario = scenario or Scenario()
        self.parameters = {**FAST_PARAMETERS, **(parameters or {})}
        self.stack_name = stack_name
        self.stack: DeployedStack
        self.lambdas: InProcessLambdas
        self.bedrock = BedrockStandIn(REGION, self.scenario)
        self.evaluation = EvaluationStandIn(REGION, evaluation)  # Bedrock evaluation jobs (moto has none)
        self.private_link = PrivateLinkStandIn(REGION)  # the VPC's resolver, PrivateLink and IAM on in-VPC model calls
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})
        self._opt = tempfile.mkdtemp(prefix="finetune-opt-")
        self._saved_env: dict[str, str] = {}

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalPipeline:
        self._saved_env = dict(os.environ)
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "SecureFinetuneLocal",
                "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
                # Metrics are CloudWatch EMF lines on stdout; the emulator has no log sink to read them.
                "POWERTOOLS_METRICS_DISABLED": "true",
                # The Slack inbox serves https with a throwaway CA: this process trusts it (loopback_tls).
                **loopback_tls.trusted_environment(),
            }
        )
        moto_patches.install()
        moto_concurrency.install()
        self._mock.start()
        reset_clients()
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        self.slack = SlackInbox().start()
        secret = boto3.client("secretsmanager").create_secret(Name="local/slack-webhook", SecretString=self.slack.url)
        self.parameters.setdefault("SlackWebhookSecretArn", secret["ARN"])
        self.stack = deploy(self.root, self.stack_name, REGION, self.parameters)
        for content in self.stack.layer_content.values():
            shutil.copytree(content, self._opt, dirs_exist_ok=True)
        self.lambdas = InProcessLambdas(Path(self._opt), self.concurrency)
        functions = boto3.client("lambda")
        for logical_id, code in self.stack.function_code.items():
            if logical_id not in self.stack.physical_ids:
                continue  # a function whose condition is false (e.g. GraderFunction without CreateGrader)
            physical = self.stack.physical_ids[logical_id]
            environment = functions.get_function_configuration(FunctionName=physical).get("Environment", {}).get("Variables", {})
            self.lambdas.register(physical, logical_id, code, environment)
        moto_patches.set_invoker(self.private_link.track(self.lambdas))
        if self.concurrency > 1:
            self.delivery = AsyncDelivery(function_dead_letters(self.stack.translated, self.stack.physical_ids, REGION))
            moto_patches.set_deliverer(self.delivery)
        self.bedrock.install()
        self.evaluation.install()
        self.private_link.install()  # after the Bedrock stand-in: it judges a Converse call before it is answered
        iam_standin.install()
        access_analyzer_standin.install()
        self._observe_notifications()

    def __exit__(self, *exc: object) -> None:
        if hasattr(self, "slack"):
            self.slack.stop()
        if self.delivery is not None:
            moto_patches.set_deliverer(None)
            self.delivery.shutdown()
        self.bedrock.join()
        self.bedrock.uninstall()
        self.evaluation.uninstall()
        self.private_link.uninstall()
        iam_standin.uninstall()
        access_analyzer_standin.uninstall()
        moto_patches.set_invoker(None)
        self._mock.stop()
        reset_clients()
        shutil.rmtree(self._opt, ignore_errors=True)
        os.environ.clear()
        os.environ.update(self._saved_env)

    # ------------------------------------------------------------------ driving
    @property
    def emulated_checks(self) -> frozenset[str]:
        """Guardrail ids whose evidence comes from a stand-in here, not from AWS's own answer."""
        return self.bedrock.emulated_checks | iam_standin.EMULATED_CHECKS | access_analyzer_standin.EMULATED_CHECKS

    @property
    def bucket(self) -> str:
        return self.stack.outputs["DataBucketName"]

    @property
    def state_machine_arn(self) -> str:
        return self.stack.outputs["StateMachineArn"]

    def upload(self, key: str, body: bytes, tags: dict[str, str] | None = None) -> str:
        """Upload like a data scientist would (bucket default encryption applies)."""
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": body}
        if tags:
            args["Tagging"] = "&".join(f"{k}={v}" for k, v in tags.items())
        return str(boto3.client("s3").put_object(**args)["VersionId"])

    def execution_arn(self, key: str, version_id: str) -> str:
        name = run_id(self.bucket, key, version_id)
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"

    def executions(self) -> list[dict[str, Any]]:
        return list(boto3.client("stepfunctions").list_executions(stateMachineArn=self.state_machine_arn)["executions"])

    def wait(self, execution_arn: str, timeout: float = 60) -> dict[str, Any]:
        sfn = boto3.client("stepfunctions")
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            except sfn.exceptions.ExecutionDoesNotExist:
                described = {"status": "PENDING"}
            if described["status"] not in ("RUNNING", "PENDING"):
                return described
            time.sleep(0.05)
        raise TimeoutError(f"{execution_arn} still running after {timeout}s")

    def timeline(self, execution_arn: str) -> list[StateRecord]:
        events = boto3.client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        records: list[StateRecord] = []
        entered: dict[str, Any] = {}
        failed = False
        for event in events:
            kind = event["type"]
            if kind.endswith("StateEntered"):
                entered[event["stateEnteredEventDetails"]["name"]] = event["timestamp"]
            elif kind.endswith("Failed") or kind.endswith("TimedOut"):
                failed = True
            elif kind.endswith("StateExited"):
                details = event["stateExitedEventDetails"]
                name = details["name"]
                seconds = (event["timestamp"] - entered.pop(name, event["timestamp"])).total_seconds()
                output = json.loads(details["output"]) if details.get("output") else None
                records.append(StateRecord(name, "caught" if failed else "ok", seconds, output))
                failed = False
        for name in entered:  # a Fail state enters and never exits
            records.append(StateRecord(name, "failed", 0.0))
        return records

    def state_transitions(self, execution_arn: str) -> int:
        events = boto3.client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        return sum(event["type"].endswith("StateEntered") for event in events)

    def notifications(self) -> list[dict[str, Any]]:
        """Messages the SNS topic delivered (through the observer queue), oldest first."""
        sqs = boto3.client("sqs")
        messages = []
        while True:
            batch = sqs.receive_message(QueueUrl=self._observer, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                envelope = json.loads(message["Body"])
                messages.append(
                    {
                        "subject": envelope.get("Subject"),
                        "body": envelope["Message"],
                        "milestone": envelope.get("MessageAttributes", {}).get("milestone", {}).get("Value"),
                    }
                )
                sqs.delete_message(QueueUrl=self._observer, ReceiptHandle=message["ReceiptHandle"])
        self._seen.extend(messages)
        return list(self._seen)

    def wait_for_job(self, status: str | None = None, timeout: float = 30) -> dict[str, Any]:
        """The first customization job once it exists (and, if given, has reached ``status``)."""
        bedrock, deadline = boto3.client("bedrock"), time.time() + timeout
        while time.time() < deadline:
            jobs = bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"]
            if jobs and status in (None, jobs[0]["status"]):
                return dict(jobs[0])
            time.sleep(0.05)
        raise TimeoutError(f"no customization job {status or 'created'} after {timeout}s")

    def run_reconciler(self) -> dict[str, Any]:
        """Invoke the reconciler as its 15-minute schedule would (moto delivers no schedules)."""
        return self.invoke("ReconcileTrainingFunction", {})

    def approval_link(self, timeout: float = 30) -> str:
        """The approve link of the latest APPROVAL_NEEDED message (as the owner's inbox shows it)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for message in reversed(self.notifications()):
                found = re.search(r"Approve link: (\S+)", message["body"]) if message["milestone"] == "APPROVAL_NEEDED" else None
                if found:
                    return found[1]
            time.sleep(0.1)
        raise TimeoutError("no APPROVAL_NEEDED message")

    def open_approval(self, method: str, link: str, decision: str | None = None) -> dict[str, Any]:
        """Open ``link`` as a browser would: the approval function gets API Gateway's proxy event."""
        path = urlsplit(link).path.removeprefix("/approve")
        body = f"decision={decision}" if decision else None
        event = approval_request(method, path.rsplit("/", 1)[-1], body, base64_body=True, path=path)
        return self.invoke("ApprovalApiFunction", event)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Invoke one of the stack's functions by its logical id, as its trigger would."""
        function = self.stack.physical_ids[logical_id]
        answer = boto3.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
        return dict(json.loads(answer["Payload"].read()))

    def fire_schedules(self, now: datetime) -> list[dict[str, Any]]:
        """Run the TTL schedules due at ``now`` (moto stores schedules but has no clock)."""
        return scheduler_standin.fire_due(REGION, now)

    def report(self, run: str, model: type[R]) -> R:
        """The run's report document of ``model``'s step, read through the model (as the pipeline reads it)."""
        body = boto3.client("s3").get_object(Bucket=self.bucket, Key=report_key(run, model.step))["Body"]
        return model.model_validate_json(body.read())

    def keys(self, prefix: str) -> list[str]:
        listed = boto3.client("s3").list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for item in listed.get("Contents", [])]

    def _observe_notifications(self) -> None:
        # The emulator's "owner inbox": an SQS queue subscribed to the real topic.
        sqs = boto3.client("sqs")
        self._observer = sqs.create_queue(QueueName="local-owner-inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self._observer, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        boto3.client("sns").subscribe(TopicArn=self.stack.outputs["NotificationTopicArn"], Protocol="sqs", Endpoint=arn)
        self._seen: list[dict[str, Any]] = []


def approval_request(
    method: str,
    secret: str,
    body: str | None = None,
    content_type: str = "application/x-www-form-urlencoded",
    *,
    base64_body: bool = False,
    path: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event as the ``/approvals/{secret}`` ANY method delivers it.

    Emulator stand-in for API Gateway's data plane (moto keeps the API but serves no requests);
    the unit tests build their requests with it too."""
    path = path or f"/approvals/{secret}"
    headers = {
        "Accept": "text/html,application/xhtml+xml",
        "Host": "abc123defg.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
    }
    if body is not None:
        headers["Content-Type"] = content_type
        headers["Origin"] = "https://abc123defg.execute-api.us-east-1.amazonaws.com"
    if base64_body and body is not None:
        body = base64.b64encode(body.encode()).decode()
    return {
        "resource": "/approvals/{secret}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"secret": path.rsplit("/", 1)[-1]},
        "stageVariables": None,
        "requestContext": {
            "accountId": "111122223333",
            "apiId": "abc123defg",
            "domainName": "abc123defg.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123defg",
            "extendedRequestId": "LgLSnFqVIAMFZ1g=",
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoIdentityId": None,
                "sourceIp": "203.0.113.7",
                "user": None,
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                "userArn": None,
            },
            "path": f"/Prod{path}",
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTime": "24/Nov/2026:12:00:00 +0000",
            "requestTimeEpoch": 1795521600000,
            "resourceId": "r3pmxh",
            "resourcePath": "/approvals/{secret}",
            "stage": "Prod",
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }
