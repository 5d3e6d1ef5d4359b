"""Emulator stand-in for what moto's Bedrock lacks.

* Job lifecycle: moto keeps jobs InProgress forever and invents ``outputModelKmsKeyArn``.
  Here a job records the key we asked for, and shortly after creation a "trainer" thread
  writes the metrics CSV into the job's output prefix, moves the job to its final status
  and puts Bedrock's "Model Customization Job State Change" event on the default bus
  (delivered to the rule's target by ``moto_patches``).
* Provisioned throughput (create/get/list): not in moto; kept in memory here, answered through
  botocore's ``before-call`` hook on the default session (the one our adapters use).
* GetFoundationModel: not in moto; answered from our model registry (the single source of truth).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import boto3
from moto.bedrock.models import bedrock_backends

from secure_finetune.models import UnknownModel, find_model

ACCOUNT = "123456789012"


@dataclass
class Scenario:
    """What the emulated Bedrock does with the next jobs (the demo's --scenario)."""

    job_outcome: str = "Completed"  # Completed | Failed | Stopped | Lost (no event)
    training_seconds: float = 0.5
    throughput_polls_until_ready: int = 2
    job_records_our_key: bool = True  # False: Bedrock records another key (GR-JOB-06 drift)
    model_uses_our_key: bool = True  # False: the custom model's key differs (GR-JOB-07)
    throttled_creates: int = 0  # how many CreateModelCustomizationJob calls answer ThrottlingException first
    losses: tuple[float, ...] = (2.31, 1.87, 1.42, 1.15, 0.98, 0.91)


@dataclass
class _Throughput:
    arn: str
    name: str
    model_arn: str
    model_units: int
    token: str | None
    polls: int = 0
    tags: list[dict[str, str]] = field(default_factory=list)


class _Response:
    def __init__(self, status_code: int = 200) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}


_STOOD_IN = ("CreateProvisionedModelThroughput", "GetProvisionedModelThroughput", "ListProvisionedModelThroughputs", "GetFoundationModel")


class BedrockStandIn:
    # Guardrail checks whose evidence this stand-in answers (GetFoundationModel -> GR-CTX-03).
    emulated_checks = frozenset({"GR-CTX-03"})

    def __init__(self, region: str, scenario: Scenario | None = None) -> None:
        self.region = region
        self.scenario = scenario or Scenario()
        self.throughputs: dict[str, _Throughput] = {}
        self.jobs_created: list[dict[str, Any]] = []
        self.events_sent: list[dict[str, Any]] = []
        self.throttled = 0
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ wiring
    def _hooks(self) -> list[tuple[str, Any]]:
        hooks: list[tuple[str, Any]] = [
            ("before-call.bedrock.CreateModelCustomizationJob", self._maybe_throttle),
            ("before-parameter-build.bedrock.CreateModelCustomizationJob", self._remember_job_request),
            ("after-call.bedrock.CreateModelCustomizationJob", self._job_created),
        ]
        return hooks + [(f"before-call.bedrock.{operation}", getattr(self, f"_{operation}")) for operation in _STOOD_IN]

    def install(self) -> None:
        events = boto3._get_default_session().events  # type: ignore[attr-defined]
        for name, hook in self._hooks():
            events.register(name, hook)

    def uninstall(self) -> None:
        events = boto3._get_default_session().events  # type: ignore[attr-defined]
        for name, hook in self._hooks():
            events.unregister(name, hook)

    def join(self, timeout: float = 30) -> None:
        for thread in self._threads:
            thread.join(timeout)

    # ------------------------------------------------------------------ jobs
    def _maybe_throttle(self, **_: Any) -> tuple[_Response, dict[str, Any]] | None:
        if self.scenario.throttled_creates > self.throttled:
            self.throttled += 1
            self.jobs_created.pop()  # this attempt never reached Bedrock
            return _Response(400), {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
        return None

    def _remember_job_request(self, params: dict[str, Any], **_: Any) -> None:
        self.jobs_created.append(json.loads(json.dumps(params)))

    def _job_created(self, parsed: dict[str, Any], http_response: Any, **_: Any) -> None:
        if http_response.status_code >= 300:
            return
        request = self.jobs_created[-1]
        backend = bedrock_backends[ACCOUNT][self.region]
        job = backend.model_customization_jobs[request["jobName"]]
        model = backend.custom_models[request["customModelName"]]
        # moto invents a key ARN; Bedrock records the key we asked for (normalised to an ARN).
        if self.scenario.job_records_our_key:
            job.output_model_kms_key_arn = request.get("customModelKmsKeyId")
        if self.scenario.model_uses_our_key:
            model.model_kms_key_arn = request.get("customModelKmsKeyId")
        job.output_model_arn = model.model_arn
        thread = threading.Thread(target=self._train, args=(request, job), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _train(self, request: dict[str, Any], job: Any) -> None:
        time.sleep(self.scenario.training_seconds)
        outcome = self.scenario.job_outcome
        output = request["outputDataConfig"]["s3Uri"].removeprefix("s3://")
        bucket, _, prefix = output.partition("/")
        if outcome in ("Completed", "Lost"):  # "Lost": the job completes, only its event goes missing
            rows = ["step_number,epoch_number,training_loss,perplexity"]
            rows += [f"{i},{i // 3},{loss},{round(2.718**loss, 3)}" for i, loss in enumerate(self.scenario.losses)]
            key = f"{prefix}model-customization-job-{request['jobName']}/training_artifacts/step_wise_training_metrics.csv"
            boto3.client("s3", region_name=self.region).put_object(Bucket=bucket, Key=key, Body="\n".join(rows).encode())
        job.status = "Completed" if outcome == "Lost" else outcome
        job.failure_message = "Emulated failure: the training job failed." if outcome == "Failed" else None
        if outcome == "Lost":
            return  # Bedrock's events are best effort: this one never arrives
        detail = {
            "version": "0.0",
            "jobName": request["jobName"],
            "jobArn": job.job_arn,
            "outputModelName": job.output_model_name,
            "outputModelArn": job.output_model_arn,
            "roleArn": request["roleArn"],
            "jobStatus": job.status,
            "creationTime": "2026-11-24T10:11:12Z",
        }
        if job.failure_message:
            detail["failureMessage"] = job.failure_message
        entry = {
            "Source": "aws.bedrock",
            "DetailType": "Model Customization Job State Change",
            "Detail": json.dumps(detail),
            "Resources": [job.job_arn],
        }
        self.events_sent.append(entry)
        boto3.client("events", region_name=self.region).put_events(Entries=[entry])

    # ------------------------------------------------------------------ throughput
    def _CreateProvisionedModelThroughput(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        body = json.loads(params["body"])
        token = body.get("clientRequestToken")
        for existing in self.throughputs.values():
            if token and existing.token == token:  # idempotent retry
                return _Response(), {"provisionedModelArn": existing.arn}
        arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT}:provisioned-model/{uuid.uuid4().hex[:12]}"
        self.throughputs[arn] = _Throughput(
            arn, body["provisionedModelName"], body["modelId"], body["modelUnits"], token, tags=body.get("tags", [])
        )
        return _Response(), {"provisionedModelArn": arn}

    def _GetProvisionedModelThroughput(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        arn = unquote(params["url_path"].rsplit("/provisioned-model-throughput/", 1)[-1])
        throughput = self.throughputs[arn]
        throughput.polls += 1
        status = "InService" if throughput.polls >= self.scenario.throughput_polls_until_ready else "Creating"
        return _Response(), self._describe(throughput, status)

    def _ListProvisionedModelThroughputs(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        wanted = params.get("query_string", {}).get("modelArnEquals")
        summaries = [
            self._describe(t, "InService" if t.polls >= self.scenario.throughput_polls_until_ready else "Creating")
            for t in self.throughputs.values()
            if wanted in (None, t.model_arn)
        ]
        return _Response(), {"provisionedModelSummaries": summaries}

    def _GetFoundationModel(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        identifier = unquote(params["url_path"].rsplit("/foundation-models/", 1)[-1])
        try:
            model = find_model(identifier)
        except UnknownModel:
            error = {"Error": {"Code": "ResourceNotFoundException", "Message": f"model {identifier} not found"}}
            return _Response(404), error
        details = {
            "modelArn": f"arn:aws:bedrock:{self.region}::foundation-model/{model.model_id}",
            "modelId": model.model_id,
            "modelName": model.name,
            "providerName": model.model_id.split(".", 1)[0],
            "customizationsSupported": sorted(model.formats),
            "inferenceTypesSupported": ["PROVISIONED"] if model.provisioned_throughput else [],
            "modelLifecycle": {"status": "ACTIVE"},
        }
        return _Response(), {"modelDetails": details}

    @staticmethod
    def _describe(throughput: _Throughput, status: str) -> dict[str, Any]:
        return {
            "provisionedModelArn": throughput.arn,
            "provisionedModelName": throughput.name,
            "modelArn": throughput.model_arn,
            "modelUnits": throughput.model_units,
            "desiredModelUnits": throughput.model_units,
            "status": status,
        }
