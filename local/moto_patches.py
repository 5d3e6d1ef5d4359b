"""Emulator stand-in: ten small fixes to moto 5.2.5 so the real stack runs in-process.

1. Lambda invoke (``use_docker: False``) runs our Python handler instead of echoing.
2. ``SendTaskFailure`` keeps its ``cause`` (moto drops it).
3. EventBridge rules deliver matched events to Lambda targets (moto raises NotImplementedError,
   and the S3 path swallows it); disabled rules stay silent; S3 events carry ``etag`` as AWS's do.
4. A CloudFormation ``AWS::StepFunctions::StateMachine`` lands in the executing backend,
   with ``DefinitionSubstitutions`` applied (moto ignores them).
5. Bucket policies are stored but not enforced: moto judges their conditions without the
   request's context (``aws:SecureTransport``, the SSE headers), so the template's correct
   TLS-only and key-pinning denies would refuse every in-process write. The guardrails read the
   real policy; ``tests/template`` checks it on the translated template.
6. A CloudFormation ``AWS::ApiGateway::RestApi`` keeps its OpenAPI ``Body`` (moto drops it, so
   SAM's routes and the deployment of the approval API would be missing).
7. ``StopExecution`` ends the execution as ABORTED at once, as AWS does: moto's interpreter keeps
   a ``waitForTaskToken`` task waiting until its own timeout (hours for a training wait), and the
   interrupted task then finishes the execution as FAILED.
8. An execution that ends sends AWS's "Step Functions Execution Status Change" event to the
   default bus (moto sends none), so the rule on ABORTED runs sees a cancelled run.
9. A policy given to CloudFormation as an object (a role's inline ``Policies``, a VPC endpoint's
   ``PolicyDocument``) is stored as JSON, as IAM and EC2 store it: moto keeps the object, so
   ``GetRolePolicy`` and ``DescribeVpcEndpoints`` answer its Python repr. The statements an
   ``Fn::If`` left out (``AWS::NoValue``, which moto resolves to None) are dropped, as
   CloudFormation drops them.
10. ``AWS::NoValue`` inside any list (an ``Fn::If`` that leaves a subnet out of ``SubnetIds`` or ``Fn::Join``) is
   dropped, as CloudFormation drops it: moto keeps it as None, i.e. a ``None`` subnet or the text "None".
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Callable
from typing import Any, cast

from moto.apigateway.models import RestAPI, apigateway_backends
from moto.awslambda.utils import get_backend as lambda_backend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.cloudformation import parsing as cfn_parsing
from moto.core.responses import EmptyResult
from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
from moto.ec2.models.vpcs import VPCEndPoint
from moto.events.models import Rule, events_backends
from moto.events.utils import EventMessageType
from moto.iam.access_control import PermissionResult
from moto.iam.models import Role
from moto.s3.models import FakeBucket
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
from moto.stepfunctions.parser.backend.execution import Execution as ParserExecution
from moto.stepfunctions.responses import StepFunctionResponse
from moto.stepfunctions.responses import get_backend as sfn_backend
from moto.stepfunctions.utils import cfn_to_api_tags

Invoker = Callable[[Any, dict[str, Any]], Any]  # (moto function, event) -> result

_invoker: Invoker | None = None
event_delivery_errors: list[dict[str, Any]] = []
_installed = threading.Lock()
_done = False
_original_invoke = LambdaSimpleBackend.invoke
_original_send = Rule.send_to_targets
_original_rest_api_from_cfn = RestAPI.create_from_cloudformation_json
_original_stop = ParserExecution.stop
_original_terminated = BaseExecutionWorkerCommunication.terminated
_original_put_role_policy = Role.put_policy
_original_endpoint_from_cfn = VPCEndPoint.create_from_cloudformation_json
_original_clean_json = cfn_parsing.clean_json


def set_invoker(invoker: Invoker | None) -> None:
    global _invoker
    _invoker = invoker


Deliverer = Callable[[dict[str, Any], dict[str, Any]], None]  # (rule target, event) -> None
_deliverer: Deliverer | None = None  # None: deliver in the caller's thread (the serial emulator)


def set_deliverer(deliverer: Deliverer | None) -> None:
    """Hand Lambda-target deliveries to ``deliverer`` (``async_delivery``: a pool, retries, dead-letter queues)."""
    global _deliverer
    _deliverer = deliverer


def _invoke(
    self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: dict[str, str]
) -> str | bytes | None:
    function = self.get_function(function_name, qualifier)
    if _invoker is None:
        return _original_invoke(self, function_name, qualifier, body, headers, response_headers)
    try:
        payload = json.dumps(_invoker(function, json.loads(body) if body else {}))
    except Exception as err:  # the Python Lambda runtime's error shape
        response_headers["x-amz-function-error"] = "Unhandled"
        payload = json.dumps(
            {"errorMessage": str(err), "errorType": type(err).__name__, "stackTrace": traceback.format_tb(err.__traceback__)}
        )
    return payload.encode()


def _send_task_failure(self: Any) -> Any:
    self.stepfunction_backend.send_task_failure(
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return EmptyResult()


def _send_to_targets(self: Any, event: dict[str, Any], transform_input: bool = True) -> None:
    if self.state == "DISABLED":
        return
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        # A schedule-only rule matches no event (moto's empty pattern matches every one: the reconciler and the
        # janitor ran on each S3 and Step Functions event). Its targets run on its schedule: the tests invoke them.
        return
    ours = [t for t in self.targets if t["Arn"].split(":")[2] == "lambda"]
    if not ours:
        _original_send(self, cast(EventMessageType, event), transform_input)
        return
    if not self.event_pattern.matches_event(event):
        return
    others = [t for t in self.targets if t not in ours]
    if others:
        saved, self.targets = self.targets, others
        try:
            _original_send(self, cast(EventMessageType, event), transform_input)
        finally:
            self.targets = saved
    delivered = {k: v for k, v in event.items() if k != "ingestion-time"}
    obj = delivered.get("detail", {}).get("object") if delivered.get("source") == "aws.s3" else None
    if isinstance(obj, dict) and "eTag" in obj:  # moto writes eTag where AWS's S3 events write etag
        delivered = json.loads(json.dumps(delivered))
        delivered["detail"]["object"]["etag"] = delivered["detail"]["object"].pop("eTag")
    if isinstance(delivered.get("time"), int | float):
        delivered["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(delivered["time"]))
    for target in ours:
        payload = json.loads(target["Input"]) if "Input" in target else delivered
        if _deliverer is not None:
            _deliverer(target, payload)
            continue
        _, _, _, region, account, *_ = target["Arn"].split(":")
        response_headers: dict[str, str] = {}
        try:
            out = lambda_backend(account, region).invoke(target["Arn"], None, json.dumps(payload), {}, response_headers)
            if "x-amz-function-error" in response_headers:
                event_delivery_errors.append(json.loads(cast("str | bytes", out)))
        except Exception as err:
            event_delivery_errors.append({"errorType": type(err).__name__, "errorMessage": str(err)})


@classmethod  # type: ignore[misc]
def _state_machine_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **_: Any
) -> Any:
    props = cloudformation_json["Properties"]
    definition = props.get("DefinitionString") or json.dumps(props.get("Definition", {}))
    for name, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + name + "}", str(value))
    return sfn_backend(account_id, region_name).create_state_machine(
        props.get("StateMachineName", resource_name),
        definition,
        props.get("RoleArn", ""),
        tags=cfn_to_api_tags(props.get("Tags", [])),
    )


@classmethod  # type: ignore[misc]
def _rest_api_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
) -> Any:
    # moto drops a RestApi's Body (SAM puts every route there); import it as the service would.
    api = _original_rest_api_from_cfn(resource_name, cloudformation_json, account_id, region_name, **kwargs)
    body = cloudformation_json["Properties"].get("Body")
    if body:
        apigateway_backends[account_id][region_name].put_rest_api(api.id, body, fail_on_warnings=False, mode="overwrite")
    return api


def _stop_wakes_task_token_waits(self: Any, *args: Any, **kwargs: Any) -> None:
    self.stop_requested = True
    _original_stop(self, *args, **kwargs)
    worker = self.exec_worker
    if worker is not None and worker.env is not None:
        for endpoint in list(worker.env.callback_pool_manager._pool.values()):
            endpoint.interrupt_all()


def _terminated_as_aws_ends_it(self: Any) -> None:
    _original_terminated(self)
    execution = self.execution
    if getattr(execution, "stop_requested", False):
        execution.exec_status = ExecutionStatus.ABORTED
        execution.error = execution.cause = None
    described = execution.to_describe_output()
    detail = {
        "executionArn": described["executionArn"],
        "stateMachineArn": described["stateMachineArn"],
        "name": described["name"],
        "status": described["status"].value,
        "startDate": int(described["startDate"].timestamp() * 1000),
        "stopDate": int(described["stopDate"].timestamp() * 1000),
        "input": described["input"],
        "output": described.get("output"),
    }
    events_backends[execution.account_id][execution.region_name].put_events(
        [
            {
                "Source": "aws.states",
                "DetailType": "Step Functions Execution Status Change",
                "Detail": json.dumps(detail),
                "Resources": [detail["executionArn"]],
            }
        ]
    )


def _bucket_policy_not_enforced(self: Any, action: str, resource: str) -> Any:
    return PermissionResult.NEUTRAL


def _policy_as_json(document: Any) -> Any:
    """An object policy (only CloudFormation passes one; the APIs pass JSON text) as JSON text."""
    if not isinstance(document, dict):
        return document
    statements = document.get("Statement")
    if isinstance(statements, list):
        document = {**document, "Statement": [statement for statement in statements if statement is not None]}
    return json.dumps(document)


def _role_policy_as_json(self: Any, policy_name: str, policy_json: Any) -> None:
    _original_put_role_policy(self, policy_name, _policy_as_json(policy_json))


@classmethod  # type: ignore[misc]
def _endpoint_from_cfn(
    cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
) -> Any:
    properties = cloudformation_json["Properties"]
    if "PolicyDocument" in properties:
        properties = {**properties, "PolicyDocument": _policy_as_json(properties["PolicyDocument"])}
    return _original_endpoint_from_cfn(resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name, **kwargs)


def _clean_json_without_novalue(resource_json: Any, resources_map: Any) -> Any:
    cleaned = _original_clean_json(resource_json, resources_map)
    if isinstance(resource_json, list) and isinstance(cleaned, list):
        return [value for value, raw in zip(cleaned, resource_json, strict=True) if not (value is None and _may_be_novalue(raw))]
    return cleaned


def _may_be_novalue(raw: Any) -> bool:
    return isinstance(raw, dict) and ("Fn::If" in raw or raw.get("Ref") == "AWS::NoValue")


def install() -> None:
    """Patch moto's classes once per process (mock_aws still resets their data)."""
    global _done
    with _installed:
        if _done:
            return
        # moto's classes are typed; patching their methods is deliberately outside those types.
        cast(Any, LambdaSimpleBackend).invoke = _invoke
        cast(Any, StepFunctionResponse).send_task_failure = _send_task_failure
        cast(Any, Rule).send_to_targets = _send_to_targets
        cast(Any, sfn_models.StateMachine).create_from_cloudformation_json = _state_machine_from_cfn
        cast(Any, FakeBucket).get_permission = _bucket_policy_not_enforced
        cast(Any, RestAPI).create_from_cloudformation_json = _rest_api_from_cfn
        cast(Any, ParserExecution).stop = _stop_wakes_task_token_waits
        cast(Any, BaseExecutionWorkerCommunication).terminated = _terminated_as_aws_ends_it
        cast(Any, Role).put_policy = _role_policy_as_json
        cast(Any, VPCEndPoint).create_from_cloudformation_json = _endpoint_from_cfn
        cfn_parsing.clean_json = _clean_json_without_novalue  # its recursion looks the name up in the module
        _done = True
