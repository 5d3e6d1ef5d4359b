"""Emulator stand-in for what moto's Bedrock lacks.

* Job lifecycle: moto keeps jobs InProgress forever and invents ``outputModelKmsKeyArn``.
  Here a job records the key we asked for, and shortly after creation a "trainer" thread
  writes the metrics CSV into the job's output prefix, moves the job to its final status
  and puts Bedrock's "Model Customization Job State Change" event on the default bus
  (delivered to the rule's target by ``moto_patches``).
* Provisioned throughput (create/get/list): not in moto; kept in memory here, answered through
  botocore's ``before-call`` hook on the default session (the one our adapters use).
* GetFoundationModel: not in moto; answered from our model registry (the single source of truth).
* Reinforcement fine-tuning: the job's grader Lambda is invoked on sample answers (``rft_standin``); a grader
  error fails the job.
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

from secure_finetune.lifecycles import EOL_MESSAGE, documented_lifecycle
from secure_finetune.models import UnknownModel, find_model

from .rft_standin import GraderFailed, grade_epochs

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
    refused_deletes: int = 0  # how many DeleteProvisionedModelThroughput calls answer AccessDeniedException first
    job_quota: int = 2  # concurrent jobs in progress; one more answers ServiceQuotaExceededException
    duplicate_events: bool = False  # EventBridge delivers at least once: send each completion event twice
    deployment_outcome: str = "ready"  # ready | Failed (the throughput or deployment ends Failed)
    smoke_answer: str = "ready."  # what Converse answers on the deployed model ("" = an empty answer)
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


STOOD_IN = (  # control-plane operations these hooks answer (local/standin_gateway.py serves the same over HTTP)
    "CreateProvisionedModelThroughput",
    "GetProvisionedModelThroughput",
    "ListProvisionedModelThroughputs",
    "DeleteProvisionedModelThroughput",
    "CreateCustomModelDeployment",
    "GetCustomModelDeployment",
    "DeleteCustomModelDeployment",
    "ListCustomModelDeployments",
    "ListTagsForResource",  # for its throughputs and deployments; anything else falls through to moto
    "GetFoundationModel",
)


class BedrockStandIn:
    # Guardrail checks whose evidence this stand-in answers (GetFoundationModel -> GR-CTX-03).
    emulated_checks = frozenset({"GR-CTX-03"})

    def __init__(self, region: str, scenario: Scenario | None = None) -> None:
        self.region = region
        self.scenario = scenario or Scenario()
        self.throughputs: dict[str, _Throughput] = {}
        self.deleted: list[str] = []  # throughput and deployment ARNs deleted, in order
        self.deployments: dict[str, _Throughput] = {}
        self.conversations: list[str] = []  # model ids Converse was called on (prompts are not kept)
        self.jobs_created: list[dict[str, Any]] = []
        self.events_sent: list[dict[str, Any]] = []
        self.throttled = 0
        self.refused = 0
        self.in_progress: set[str] = set()
        self.most_in_progress = 0  # the peak of concurrent jobs, for the burst test
        self.grader_batches = 0  # RFT: batches the grader scored
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ wiring
    def _hooks(self) -> list[tuple[str, Any]]:
        hooks: list[tuple[str, Any]] = [
            ("before-call.bedrock.CreateModelCustomizationJob", self._maybe_throttle),
            ("before-parameter-build.bedrock.CreateModelCustomizationJob", self._remember_job_request),
            ("after-call.bedrock.CreateModelCustomizationJob", self._job_created),
            ("before-call.bedrock.StopModelCustomizationJob", self._stop_job),
        ]
        hooks.append(("before-call.bedrock-runtime.Converse", self._Converse))
        return hooks + [(f"before-call.bedrock.{operation}", getattr(self, f"_{operation}")) for operation in STOOD_IN]

    def install(self) -> None:
        events = boto3._get_default_session().events
        for name, hook in self._hooks():
            events.register(name, hook)

    def uninstall(self) -> None:
        events = boto3._get_default_session().events
        for name, hook in self._hooks():
            events.unregister(name, hook)

    def join(self, timeout: float = 30) -> None:
        for thread in self._threads:
            thread.join(timeout)

    # ------------------------------------------------------------------ jobs
    def _remember_job_request(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["standin_request"] = json.loads(json.dumps(params))  # per call: creates run concurrently

    def _maybe_throttle(self, context: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]] | None:
        name = context["standin_request"]["jobName"]
        with self._lock:
            if self.scenario.throttled_creates > self.throttled:
                self.throttled += 1
                return _Response(400), {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
            if name not in self.in_progress and len(self.in_progress) >= self.scenario.job_quota:
                error = {"Code": "ServiceQuotaExceededException", "Message": "concurrent customization jobs quota reached"}
                return _Response(400), {"Error": error}
            self.in_progress.add(name)  # reserved now, so two concurrent creates cannot both pass
            self.most_in_progress = max(self.most_in_progress, len(self.in_progress))
        return None

    def _job_created(self, parsed: dict[str, Any], http_response: Any, context: dict[str, Any], **_: Any) -> None:
        request = context["standin_request"]
        backend = bedrock_backends[ACCOUNT][self.region]
        if http_response.status_code >= 300:
            with self._lock:  # refused: drop the reservation unless the job already existed
                if request["jobName"] not in backend.model_customization_jobs:
                    self.in_progress.discard(request["jobName"])
            return
        self.jobs_created.append(request)
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

    def _grade(self, request: dict[str, Any], outcome: str) -> tuple[list[float], str | None]:
        """RFT (emulator stand-in): the job's grader scores sample answers once per epoch; its error fails the job."""
        if outcome not in ("Completed", "Lost") or request.get("customizationType") != "REINFORCEMENT_FINE_TUNING":
            return [], None
        try:
            rewards = grade_epochs(request, self.region, epochs=len({i // 3 for i in range(len(self.scenario.losses))}))
        except GraderFailed as err:
            return [], str(err)
        self.grader_batches += len(rewards)
        return rewards, None

    def _stop_job(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]] | None:
        """Only an active job stops (moto would mark any job Stopped, even a completed one); the trainer then
        ends it Stopped and sends its state-change event, as Bedrock does."""
        name = unquote(params["url_path"].split("/model-customization-jobs/", 1)[-1].rsplit("/stop", 1)[0])
        job = bedrock_backends[ACCOUNT][self.region].model_customization_jobs.get(name)
        if job is not None and job.status != "InProgress":
            return _Response(400), {"Error": {"Code": "ValidationException", "Message": f"job is {job.status}"}}
        with self._lock:
            self.in_progress.discard(name)
        return None  # moto marks it Stopped

    def _train(self, request: dict[str, Any], job: Any) -> None:
        time.sleep(self.scenario.training_seconds)
        outcome = "Stopped" if job.status == "Stopped" else self.scenario.job_outcome  # stopped while it trained
        output = request["outputDataConfig"]["s3Uri"].removeprefix("s3://")
        bucket, _, prefix = output.partition("/")
        rewards, failure = self._grade(request, outcome)  # RFT only (local/rft_standin.py)
        outcome = "Failed" if failure else outcome
        if outcome in ("Completed", "Lost"):  # "Lost": the job completes, only its event goes missing
            rows = ["step_number,epoch_number,training_loss,perplexity" + (",mean_reward" if rewards else "")]
            rows += [
                f"{i},{i // 3},{loss},{round(2.718**loss, 3)}" + (f",{rewards[i // 3]}" if rewards else "")
                for i, loss in enumerate(self.scenario.losses)
            ]
            key = f"{prefix}model-customization-job-{request['jobName']}/training_artifacts/step_wise_training_metrics.csv"
            s3 = boto3.client("s3", region_name=self.region)
            s3.put_object(Bucket=bucket, Key=key, Body="\n".join(rows).encode())
            if request.get("validationDataConfig"):  # one validation pass per epoch, as Bedrock writes it
                rows = ["step_number,epoch_number,validation_loss,perplexity"]
                rows += [f"{i},{i},{loss + 0.1},{round(2.718 ** (loss + 0.1), 3)}" for i, loss in enumerate(self.scenario.losses[::3])]
                key = key.replace(
                    "training_artifacts/step_wise_training_metrics.csv",
                    "validation_artifacts/post_fine_tuning_validation/validation/validation_metrics.csv",
                )
                s3.put_object(Bucket=bucket, Key=key, Body="\n".join(rows).encode())
        job.status = "Completed" if outcome == "Lost" else outcome
        with self._lock:
            self.in_progress.discard(request["jobName"])
        job.failure_message = f"Emulated failure: {failure or 'the training job failed'}." if outcome == "Failed" else None
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
        events = boto3.client("events", region_name=self.region)
        for _ in range(2 if self.scenario.duplicate_events else 1):
            self.events_sent.append(entry)
            events.put_events(Entries=[entry])

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
        arn = _named(self.throughputs, unquote(params["url_path"].rsplit("/provisioned-model-throughput/", 1)[-1]))
        if arn not in self.throughputs:
            return _Response(404), {"Error": {"Code": "ResourceNotFoundException", "Message": "no such throughput"}}
        throughput = self.throughputs[arn]
        throughput.polls += 1
        return _Response(), self._describe(throughput, self._status(throughput, "InService"))

    def _DeleteProvisionedModelThroughput(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        arn = _named(self.throughputs, unquote(params["url_path"].rsplit("/provisioned-model-throughput/", 1)[-1]))
        with self._lock:
            if self.scenario.refused_deletes > self.refused:  # e.g. an SCP denies the delete for a while
                self.refused += 1
                return _Response(403), {"Error": {"Code": "AccessDeniedException", "Message": "denied by policy"}}
        if self.throughputs.pop(arn, None) is None:
            return _Response(404), {"Error": {"Code": "ResourceNotFoundException", "Message": "no such throughput"}}
        self.deleted.append(arn)
        return _Response(), {}

    def _CreateCustomModelDeployment(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        body = json.loads(params["body"])
        for existing in self.deployments.values():
            if existing.token == body.get("clientRequestToken"):
                return _Response(202), {"customModelDeploymentArn": existing.arn}
        arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT}:custom-model-deployment/{uuid.uuid4().hex[:12]}"
        self.deployments[arn] = _Throughput(
            arn, body["modelDeploymentName"], body["modelArn"], 0, body.get("clientRequestToken"), tags=body.get("tags", [])
        )
        return _Response(202), {"customModelDeploymentArn": arn}

    def _GetCustomModelDeployment(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        arn = _named(self.deployments, unquote(params["url_path"].rsplit("/custom-model-deployments/", 1)[-1]))
        if arn not in self.deployments:
            return _Response(404), {"Error": {"Code": "ResourceNotFoundException", "Message": "no such deployment"}}
        deployment = self.deployments[arn]
        deployment.polls += 1
        return _Response(), {
            "customModelDeploymentArn": arn,
            "modelDeploymentName": deployment.name,
            "modelArn": deployment.model_arn,
            "status": self._status(deployment, "Active"),
        }

    def _DeleteCustomModelDeployment(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        arn = _named(self.deployments, unquote(params["url_path"].rsplit("/custom-model-deployments/", 1)[-1]))
        if self.deployments.pop(arn, None) is None:
            return _Response(404), {"Error": {"Code": "ResourceNotFoundException", "Message": "no such deployment"}}
        self.deleted.append(arn)
        return _Response(), {}

    def _ListCustomModelDeployments(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        summaries = [
            {
                "customModelDeploymentArn": d.arn,
                "customModelDeploymentName": d.name,
                "modelArn": d.model_arn,
                "status": self._status(d, "Active") if d.polls else "Creating",
            }
            for d in self.deployments.values()
        ]
        return _Response(), {"modelDeploymentSummaries": summaries}

    def _ListTagsForResource(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]] | None:
        arn = json.loads(params["body"]).get("resourceARN", "")
        found = self.throughputs.get(arn) or self.deployments.get(arn)
        return None if found is None else (_Response(), {"tags": list(found.tags)})

    def _Converse(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        started = time.perf_counter()
        model_id = unquote(params["url_path"].split("/model/", 1)[-1].rsplit("/converse", 1)[0])
        self.conversations.append(model_id)
        answer = self.scenario.smoke_answer
        return _Response(), {
            "output": {"message": {"role": "assistant", "content": [{"text": answer}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 8, "outputTokens": len(answer.split()), "totalTokens": 8 + len(answer.split())},
            "metrics": {"latencyMs": round((time.perf_counter() - started) * 1000)},  # the stand-in's own time
        }

    def _status(self, resource: _Throughput, ready: str) -> str:
        if resource.polls < self.scenario.throughput_polls_until_ready:
            return "Creating"
        return "Failed" if self.scenario.deployment_outcome == "Failed" else ready

    def _ListProvisionedModelThroughputs(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        query = params.get("query_string", {})
        wanted, named = query.get("modelArnEquals"), query.get("nameContains", "")
        summaries = [
            self._describe(t, "InService" if t.polls >= self.scenario.throughput_polls_until_ready else "Creating")
            for t in self.throughputs.values()
            if wanted in (None, t.model_arn) and named in t.name
        ]
        return _Response(), {"provisionedModelSummaries": summaries}

    def _GetFoundationModel(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        identifier = unquote(params["url_path"].rsplit("/foundation-models/", 1)[-1])
        try:
            model = find_model(identifier)
        except UnknownModel:
            error = {"Error": {"Code": "ResourceNotFoundException", "Message": f"model {identifier} not found"}}
            return _Response(404), error
        # Emulator stand-in: the documented lifecycle (secure_finetune.lifecycles) in this region, as Bedrock
        # answers it: past EOL -> ResourceNotFoundException "reached the end of its life"; LEGACY -> its dates.
        documented = documented_lifecycle(model.model_id)
        status = documented.status_in(self.region) if documented else "ACTIVE"
        if status == "EOL":
            error = {"Error": {"Code": "ResourceNotFoundException", "Message": f"This model version has {EOL_MESSAGE}."}}
            return _Response(404), error
        lifecycle: dict[str, Any] = {"status": status}
        if documented and status == "LEGACY" and documented.end_of_life_date:
            lifecycle["endOfLifeTime"] = documented.end_of_life_date.isoformat() + "T00:00:00Z"
        details = {
            "modelArn": f"arn:aws:bedrock:{self.region}::foundation-model/{model.model_id}",
            "modelId": model.model_id,
            "modelName": model.name,
            "providerName": model.model_id.split(".", 1)[0],
            "customizationsSupported": sorted(model.formats),
            "inferenceTypesSupported": ["PROVISIONED"] if model.provisioned_throughput else [],
            "modelLifecycle": lifecycle,
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


def _named(resources: dict[str, _Throughput], identifier: str) -> str:
    """The ARN ``identifier`` stands for: Bedrock takes a throughput's or deployment's ARN or its name."""
    if identifier in resources:
        return identifier
    return next((arn for arn, resource in resources.items() if resource.name == identifier), identifier)
