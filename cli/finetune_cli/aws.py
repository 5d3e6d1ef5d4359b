"""The CLI's own AWS calls: the only module of ``finetune_cli`` that imports boto3 or botocore.

Small reads and writes with the caller's IAM rights, on the pipeline's own adapters where they
exist (``secure_finetune.adapters``). Their exceptions stay in here: an error answer from AWS
(botocore's ``ClientError``, or the domain's ``ServiceError`` that ``adapters.clients`` raises for
it) leaves as ``ServiceError`` with its error code; no answer at all (no credentials, no endpoint,
a timeout) as ``AwsUnreachable`` with botocore's message. ``explain`` turns any of them (and botocore's
own exceptions, raised by the shared adapters the CLI reuses) into the one line a person reads.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from secure_finetune.adapters.clients import client, reset_clients
from secure_finetune.adapters.errors import service_error
from secure_finetune.adapters.evidence import EvidenceReader, policy_document
from secure_finetune.adapters.runs_table import flatten
from secure_finetune.adapters.s3 import DataBucket
from secure_finetune.adapters.stepfunctions import StateMachine
from secure_finetune.runs import RUN_SK, run_pk
from secure_finetune.service_errors import ServiceError

T = TypeVar("T")


class AwsUnreachable(Exception):
    """No answer from AWS (no credentials, no endpoint, a timeout); the message is botocore's."""


class EndpointDown(AwsUnreachable):
    """Nothing listens at ``--endpoint-url``; the message is the whole line for the user."""


@contextmanager
def _answers() -> Iterator[None]:
    try:
        yield
    except ClientError as err:  # a client made here, not by adapters.clients: the same one translator
        raise service_error(err, err.operation_name) from err
    except BotoCoreError as err:
        raise AwsUnreachable(str(err)) from err


def use_endpoint(url: str | None) -> None:
    """``--endpoint-url`` (e.g. a moto server): every client made from here on goes there.

    A dead endpoint is reported at once: botocore would retry a refused connection with backoff
    (the adapters' six attempts) before saying anything."""
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EndpointDown(f"--endpoint-url {url} is not an http(s) URL (e.g. http://127.0.0.1:4566)")
        try:
            socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)), timeout=3).close()
        except OSError as err:
            raise EndpointDown(f"nothing answers at {url} ({err.strerror or err}): start it (`make up`) or fix --endpoint-url") from None
        os.environ["AWS_ENDPOINT_URL"] = url
        reset_clients()  # a client cached earlier would still point at AWS


def _where() -> str:
    return os.environ.get("AWS_ENDPOINT_URL") or f"AWS ({boto3.session.Session().region_name or 'no region'})"


def explain(err: BaseException) -> str | None:
    """One line for a failed AWS call: what went wrong and what to do; None when ``err`` is not one."""
    if isinstance(err, ClientError):
        err = service_error(err, err.operation_name)
    if isinstance(err, EndpointDown):
        return str(err)
    if isinstance(err, NoCredentialsError):
        return "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values for `make up`)"
    if isinstance(err, NoRegionError):
        return "no AWS region: set AWS_DEFAULT_REGION (us-east-1 for `make up`)"
    if isinstance(err, AwsUnreachable | BotoCoreError):
        return f"cannot reach {_where()}: {err}. Check the network, or --endpoint-url (`make up` serves http://127.0.0.1:4566)"
    if isinstance(err, ServiceError):
        return _service_hint(err)
    if isinstance(err, json.JSONDecodeError):
        return f"{_where()} answered something that is not JSON: is --endpoint-url an AWS endpoint (or `make up`)?"
    return None


def _service_hint(err: ServiceError) -> str:
    code, operation = err.code, err.operation or "the call"
    if operation == "DescribeStacks" and code == "ValidationError":
        return f"no such stack in {_where()}: check --stack (and the region, or --endpoint-url)"
    if code in ("ExecutionDoesNotExist", "StateMachineDoesNotExist"):
        return f"no such run in {_where()}: `finetune runs --stack STACK` lists the runs"
    if (code.isdigit() and int(code) >= 500) or code in ("InternalError", "InternalFailure", "ServiceUnavailable"):
        return f"{_where()} failed on {operation} (HTTP {code}): retry; an emulator may not implement it, check --endpoint-url"
    if "AccessDenied" in code or code in ("UnauthorizedOperation", "UnrecognizedClientException", "InvalidClientTokenId"):
        return f"{operation} was refused ({code}): your identity needs that permission (README, 'Operating runs')"
    if code.isdigit():
        return f"{_where()} answered HTTP {code} to {operation}: check --endpoint-url and the names given"
    return f"{operation} failed: {code}"


# ---------------------------------------------------------------- S3
def read_object(bucket: str, key: str, chunk_size: int) -> tuple[Iterator[bytes], int]:
    """(chunks, size) of an object, read with the caller's rights."""
    with _answers():
        body = boto3.client("s3").get_object(Bucket=bucket, Key=key)

    def chunks() -> Iterator[bytes]:
        with _answers():
            yield from body["Body"].iter_chunks(chunk_size)

    return chunks(), int(body["ContentLength"])


def read_own_bucket(bucket: str, read: Callable[[DataBucket], T]) -> T:
    """``read(DataBucket)`` on a bucket of the caller's account, as the pipeline reads it (the
    caller's account as expected owner; read-only: no key needed). Errors inside ``read`` too
    leave as ``ServiceError``/``AwsUnreachable``."""
    with _answers():
        owner = str(client("sts").get_caller_identity()["Account"])
        return read(DataBucket(bucket, owner, key_arn=""))


def upload(path: str, bucket: str, key: str) -> str:
    """Upload a local file as the data scientist would (the bucket's default encryption applies);
    returns the new object version."""
    with _answers(), open(path, "rb") as body:
        answer = client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    return str(answer.get("VersionId") or "null")


def object_bytes(bucket: str, key: str) -> bytes:
    with _answers():
        body = client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    data: bytes = body.read()
    return data


# ---------------------------------------------------------------- the account and the stack
def evidence_reader() -> EvidenceReader:
    """The pipeline's read-only evidence gatherer for the caller's account and region (its reads
    never raise: an unreadable piece is None, judged UNKNOWN)."""
    with _answers():
        account = str(client("sts").get_caller_identity()["Account"])
        return EvidenceReader(account, client("sts").meta.region_name)


def stack_outputs(stack_name: str) -> dict[str, str]:
    with _answers():
        stack = client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def stack_resources(stack_name: str) -> list[dict[str, Any]]:
    with _answers():
        resources: list[dict[str, Any]] = client("cloudformation").describe_stack_resources(StackName=stack_name)["StackResources"]
    return resources


def role_arn(role_name: str) -> str:
    with _answers():
        return str(client("iam").get_role(RoleName=role_name)["Role"]["Arn"])


def function_role(function_name: str) -> str:
    """The role the function runs as (its live configuration)."""
    with _answers():
        return str(client("lambda").get_function_configuration(FunctionName=function_name)["Role"])


def function_policy(function_name: str) -> dict[str, Any]:
    """The function's resource policy (``ResourceNotFoundException`` when it has none)."""
    with _answers():
        policy = client("lambda").get_policy(FunctionName=function_name)["Policy"]
    return policy_document(policy)


def rule_pattern(rule_name: str) -> str | None:
    """An EventBridge rule's event pattern (JSON text); None for a schedule."""
    with _answers():
        pattern: str | None = client("events").describe_rule(Name=rule_name).get("EventPattern")
    return pattern


def rule_targets(rule_name: str) -> list[dict[str, Any]]:
    with _answers():
        targets: list[dict[str, Any]] = client("events").list_targets_by_rule(Rule=rule_name)["Targets"]
    return targets


# ---------------------------------------------------------------- runs
def list_executions(state_machine_arn: str, limit: int) -> list[dict[str, Any]]:
    with _answers():
        executions: list[dict[str, Any]] = client("stepfunctions").list_executions(stateMachineArn=state_machine_arn, maxResults=limit)[
            "executions"
        ]
    return executions


def describe_execution(execution_arn: str) -> dict[str, Any]:
    with _answers():
        execution: dict[str, Any] = client("stepfunctions").describe_execution(executionArn=execution_arn)
    return execution


def execution_history(execution_arn: str, max_results: int = 1000) -> list[dict[str, Any]]:
    with _answers():
        events: list[dict[str, Any]] = client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=max_results)[
            "events"
        ]
    return events


def stop_execution(execution_arn: str, cause: str) -> None:
    with _answers():
        client("stepfunctions").stop_execution(executionArn=execution_arn, cause=cause)


def start_execution(state_machine_arn: str, name: str, document: dict[str, Any]) -> bool:
    """Start an execution under ``name``; False when that name already ran."""
    with _answers():
        return StateMachine(state_machine_arn).start(name, document)


def run_record(table: str, run_id: str) -> dict[str, str] | None:
    """The run record's attributes as stored (string values, ``pk``/``sk`` included), or None."""
    with _answers():
        item = client("dynamodb").get_item(TableName=table, Key={"pk": {"S": run_pk(run_id)}, "sk": {"S": RUN_SK}}, ConsistentRead=True)
    found = item.get("Item")
    return None if found is None else flatten(found)


def invoke(function_name: str, payload: dict[str, Any]) -> tuple[Any, str | None]:
    """(the function's JSON answer, its ``FunctionError`` or None) of a synchronous invoke."""
    with _answers():
        response = client("lambda").invoke(FunctionName=function_name, Payload=json.dumps(payload).encode())
        answer = response["Payload"].read()
    try:
        return json.loads(answer), response.get("FunctionError")
    except ValueError:  # an emulator's error page, or an empty answer
        return {"errorType": "unreadable answer"}, response.get("FunctionError") or "Unhandled"
