"""Emulator stand-in for Bedrock model evaluation jobs (moto has none).

Labelled stand-in, local only. ``CreateEvaluationJob`` / ``GetEvaluationJob`` / ``ListEvaluationJobs`` /
``StopEvaluationJob`` (and ``ListTagsForResource`` of an evaluation job) are answered through botocore's
``before-call`` hook on the default session (the one our adapters use). A job reads the prompt dataset it was
given from (moto's) S3 and, after a few polls, writes one result line per prompt in the documented output layout
(``<output>/<job-name>/<job-uuid>/models/<model-id>/taskTypes/<task>/datasets/<dataset>/<uuid>_output.jsonl``,
https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-report-s3.html), with scores the
scenario sets per metric for the base model and for the custom model (a provisioned model it "invokes", or the
answers an on-demand model gave, brought with ``precomputedInferenceSource``: those records must each carry one
response under the request's label, or the job fails). No model is invoked and no judge reads anything: the scores
are the scenario's, not a judgement.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import boto3

ACCOUNT = "123456789012"


@dataclass
class EvaluationScenario:
    """Mean scores per metric (0..1) the emulated judge gives each model; per-prompt values vary around them."""

    base: dict[str, float] = field(default_factory=lambda: {"Correctness": 0.62, "Completeness": 0.58})
    custom: dict[str, float] = field(default_factory=lambda: {"Correctness": 0.81, "Completeness": 0.77})
    outcome: str = "Completed"  # Completed | Failed
    polls_until_done: int = 2


@dataclass
class _Job:
    arn: str
    request: dict[str, Any]
    polls: int = 0
    status: str = "InProgress"
    failure: str | None = None


class _Response:
    def __init__(self, status_code: int = 200) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}


_OPERATIONS = ("CreateEvaluationJob", "GetEvaluationJob", "ListEvaluationJobs", "StopEvaluationJob", "ListTagsForResource")


class EvaluationStandIn:
    def __init__(self, region: str, scenario: EvaluationScenario | None = None) -> None:
        self.region = region
        self.scenario = scenario or EvaluationScenario()
        self.jobs: dict[str, _Job] = {}  # by ARN
        self.requests: list[dict[str, Any]] = []  # every CreateEvaluationJob body, as sent
        self.stopped: list[str] = []
        self._lock = threading.Lock()

    def install(self) -> None:
        events = boto3._get_default_session().events
        for operation in _OPERATIONS:
            events.register(f"before-call.bedrock.{operation}", getattr(self, f"_{operation}"))

    def uninstall(self) -> None:
        events = boto3._get_default_session().events
        for operation in _OPERATIONS:
            events.unregister(f"before-call.bedrock.{operation}", getattr(self, f"_{operation}"))

    # ------------------------------------------------------------------ API
    def _CreateEvaluationJob(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        body = json.loads(params["body"])
        with self._lock:
            for job in self.jobs.values():
                if job.request["jobName"] == body["jobName"]:
                    if job.request.get("clientRequestToken") == body.get("clientRequestToken"):
                        return _Response(), {"jobArn": job.arn}  # idempotent retry
                    return _Response(409), {"Error": {"Code": "ConflictException", "Message": "name in use"}}
            arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT}:evaluation-job/{uuid.uuid4().hex[:12]}"
            self.jobs[arn] = _Job(arn, body)
            self.requests.append(body)
        return _Response(), {"jobArn": arn}

    def _GetEvaluationJob(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        arn = unquote(params["url_path"].rsplit("/evaluation-jobs/", 1)[-1])
        job = self.jobs.get(arn)
        if job is None:
            return _Response(404), {"Error": {"Code": "ResourceNotFoundException", "Message": "no such job"}}
        with self._lock:
            job.polls += 1
            if job.status == "InProgress" and job.polls >= self.scenario.polls_until_done:
                self._finish(job)
        request = job.request
        answer = {
            "jobName": request["jobName"],
            "jobArn": job.arn,
            "status": job.status,
            "roleArn": request["roleArn"],
            "customerEncryptionKeyId": request.get("customerEncryptionKeyId"),
            "jobType": "Automated",
            "applicationType": "ModelEvaluation",
            "evaluationConfig": request["evaluationConfig"],
            "inferenceConfig": request["inferenceConfig"],
            "outputDataConfig": request["outputDataConfig"],
            "creationTime": "2026-11-24T10:11:12Z",
        }
        if job.failure:
            answer["failureMessages"] = [job.failure]
        return _Response(), answer

    def _ListEvaluationJobs(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        query = params.get("query_string") or {}
        wanted, status = query.get("nameContains", ""), query.get("statusEquals")
        summaries = [
            {
                "jobArn": j.arn,
                "jobName": j.request["jobName"],
                "status": j.status,
                "creationTime": "2026-11-24T10:11:12Z",
                "jobType": "Automated",
            }
            for j in self.jobs.values()
            if wanted in j.request["jobName"] and status in (None, j.status)
        ]
        return _Response(), {"jobSummaries": summaries}

    def _StopEvaluationJob(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]]:
        arn = unquote(params["url_path"].rsplit("/evaluation-job/", 1)[-1].removesuffix("/stop"))
        job = self.jobs.get(arn)
        if job is None:
            return _Response(404), {"Error": {"Code": "ResourceNotFoundException", "Message": "no such job"}}
        if job.status != "InProgress":
            return _Response(400), {"Error": {"Code": "ValidationException", "Message": "job is not in progress"}}
        job.status = "Stopped"
        self.stopped.append(arn)
        return _Response(), {}

    def _ListTagsForResource(self, params: dict[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]] | None:
        """An evaluation job's tags (its request's ``jobTags``); any other resource's: moto's answer (None here)."""
        job = self.jobs.get(json.loads(params["body"] or "{}").get("resourceARN", ""))
        return None if job is None else (_Response(), {"tags": job.request.get("jobTags", [])})

    # ------------------------------------------------------------------ the "judge"
    def _finish(self, job: _Job) -> None:
        if self.scenario.outcome == "Failed":
            job.status, job.failure = "Failed", "Emulated failure: the evaluation job failed."
            return
        request = job.request
        config = request["evaluationConfig"]["automated"]["datasetMetricConfigs"][0]
        generator = request["inferenceConfig"]["models"][0]
        s3 = boto3.client("s3", region_name=self.region)
        bucket, _, key = config["dataset"]["datasetLocation"]["s3Uri"].removeprefix("s3://").partition("/")
        records = [json.loads(line) for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines() if line.strip()]
        if "precomputedInferenceSource" in generator:
            # Answers brought to the job (an on-demand custom model's, collected by the pipeline): each record must
            # carry exactly one, under the label the request names (UG model-evaluation-prompt-datasets-judge).
            model, side = generator["precomputedInferenceSource"]["inferenceSourceIdentifier"], self.scenario.custom
            wrong = [n for n, r in enumerate(records, 1) if [m.get("modelIdentifier") for m in r.get("modelResponses") or []] != [model]]
            if wrong or not records:
                job.status, job.failure = "Failed", f"Emulated validation: record {wrong[:1] or 0} has no single response labelled {model}."
                return
        else:
            model = generator["bedrockModel"]["modelIdentifier"]
            side = self.scenario.custom if ":provisioned-model/" in model else self.scenario.base
        lines = []
        for index, record in enumerate(records):
            scores = []
            for metric in config["metricNames"]:
                name = metric.removeprefix("Builtin.")
                mean = side.get(name, 0.5)
                value = min(1.0, max(0.0, round(mean + ((index * 7) % 5 - 2) * 0.05, 4)))  # mean-preserving per 5 prompts
                scores.append(
                    {"metricName": name, "result": value, "evaluatorDetails": [{"modelIdentifier": "judge", "explanation": "emulated"}]}
                )
            lines.append(
                json.dumps(
                    {
                        "automatedEvaluationResult": {"scores": scores},
                        "inputRecord": record,
                        "modelResponses": record.pop("modelResponses", None)
                        or [{"response": "(emulated: no model was invoked)", "modelIdentifier": model}],
                    }
                )
            )
        out_bucket, _, prefix = request["outputDataConfig"]["s3Uri"].removeprefix("s3://").partition("/")
        model_segment = re.sub(r"[^A-Za-z0-9.:-]", "-", model.rsplit("/", 1)[-1])
        out_key = (
            f"{prefix.rstrip('/')}/{request['jobName']}/{uuid.uuid4()}/models/{model_segment}/taskTypes/{config['taskType']}"
            f"/datasets/{config['dataset']['name']}/{uuid.uuid4()}_output.jsonl"
        )
        s3.put_object(
            Bucket=out_bucket,
            Key=out_key,
            Body="\n".join(lines).encode(),
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=request.get("customerEncryptionKeyId") or "",
        )
        job.status = "Completed"
