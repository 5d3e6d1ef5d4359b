"""In-memory fakes of *our* ports (not of AWS services), for step-level unit tests.

Each fake implements a Protocol of ``secure_finetune.ports``; ``FakeDeps`` narrows the
``Dependencies`` attributes to the fakes, so mypy checks every fake against its port.
Bedrock state is kept in the shape its API returns (tests edit it as such) and handed out as
the adapter's own typed views.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from secure_finetune.adapters.bedrock import deployment, throughput, training_job
from secure_finetune.config import StackConfig
from secure_finetune.notifications import MilestoneEvent
from secure_finetune.ports import (
    ApprovalLinks,
    Deployment,
    EvaluationJob,
    InferenceRoute,
    ObjectVersion,
    SlotsView,
    Throughput,
    TrainingJob,
    Upload,
    Waiter,
)
from secure_finetune.runs import ENDED, ResourceKind, RunChanges, RunRecord, RunStatus, Step, run_pk
from secure_finetune.service_errors import NotFound, Throttled
from secure_finetune.wiring import Dependencies

# What template.yaml would give the functions (a handler imports with it: see load_handler).
STACK_ENVIRONMENT = {
    "EXPECTED_ACCOUNT": "111122223333",
    "AWS_REGION": "us-east-1",
    "DATA_BUCKET": "data-bucket",
    "DATA_KEY_ARN": "arn:aws:kms:us-east-1:111122223333:key/k1",
    "RUNS_TABLE": "runs",
    "NOTIFY_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:topic",
    "BEDROCK_SERVICE_ROLE_ARN": "arn:aws:iam::111122223333:role/s-bedrock-job",
    "JOB_SUBNET_IDS": "subnet-1,subnet-2",
    "JOB_SECURITY_GROUP_IDS": "sg-1",
    "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:111122223333:stateMachine:s-pipeline",
    "TEARDOWN_FUNCTION_ARN": "arn:aws:lambda:us-east-1:111122223333:function:s-teardown",
    "SCHEDULER_ROLE_ARN": "arn:aws:iam::111122223333:role/s-ttl-scheduler",
    "APPROVAL_BASE_URL": "https://abc123.execute-api.us-east-1.amazonaws.com/approve",
    "STACK_NAME": "s",
    "EVALUATION_ROLE_ARN": "arn:aws:iam::111122223333:role/s-bedrock-eval",
}
CONFIG = StackConfig.model_validate(STACK_ENVIRONMENT)


@dataclass
class FakeRuns:
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    runs: dict[str, dict[str, str]] = field(default_factory=dict)  # run id -> the record's attributes
    waiting_for: dict[tuple[str, str], float] = field(default_factory=dict)  # seconds each wait has lasted
    starts: set[str] = field(default_factory=set)  # runs whose START item a trigger delivery wrote

    def create_run(self, run_id: str, changes: RunChanges) -> bool:
        if run_id in self.runs:
            return False
        self.runs[run_id] = {"status": RunStatus.REGISTERED.value, **changes.attributes()}
        return True

    def record_start(self, run_id: str) -> bool:
        if run_id in self.starts:
            return False
        self.starts.add(run_id)
        return True

    def get_token(self, run_id: str, step: Step) -> str | None:
        return self.tokens.get((run_id, step.value))

    def put_token(self, run_id: str, step: Step, token: str) -> None:
        self.tokens[(run_id, step.value)] = token

    def delete_token(self, run_id: str, step: Step) -> None:
        self.tokens.pop((run_id, step.value), None)

    def waiting_since(self, step: Step, older_than_seconds: int) -> list[str]:
        # a wait the test did not age counts as old enough (the reconciler tests' default)
        return [
            run
            for (run, waiting) in self.tokens
            if waiting == step.value and self.waiting_for.get((run, waiting), float("inf")) >= older_than_seconds
        ]

    def get_run(self, run_id: str) -> RunRecord | None:
        attributes = self.runs.get(run_id)
        return None if attributes is None else RunRecord.from_attributes({**attributes, "pk": run_pk(run_id)})

    def set_status(self, run_id: str, status: RunStatus | None, changes: RunChanges | None = None) -> None:
        fields = changes.attributes() if changes else {}
        current = self.runs.setdefault(run_id, {})
        if status is not None and current.get("status") in ENDED and status not in ENDED:
            status = None  # a run that ended never walks back (RunTable.set_status's condition)
        current.update(fields if status is None else {"status": status.value, **fields})

    def unfinished_job_runs(self) -> list[RunRecord]:
        records = (self.get_run(run_id) for run_id in self.runs)
        return [r for r in records if r is not None and r.intent(ResourceKind.JOB) is not None and r.status not in ENDED]

    def deployed_runs(self) -> list[RunRecord]:
        records = (self.get_run(run_id) for run_id in self.runs)
        return [record for record in records if record is not None and record.bought]


@dataclass
class FakeMachine:
    answers: list[tuple[str, Any]] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)
    started: dict[str, dict[str, object]] = field(default_factory=dict)

    def start(self, name: str, document: dict[str, object]) -> bool:
        if name in self.started:
            return False
        self.started[name] = document
        return True

    def succeed(self, token: str, output: dict[str, object]) -> bool:
        if token in self.closed:
            return False
        self.closed.add(token)
        self.answers.append(("success", output))
        return True

    def fail(self, token: str, error: str, reason: str) -> bool:
        if token in self.closed:
            return False
        self.closed.add(token)
        self.answers.append(("failure", (error, reason)))
        return True


@dataclass
class FakeBedrock:
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> GetModelCustomizationJob response
    stopped: list[str] = field(default_factory=list)
    created_jobs: list[dict[str, Any]] = field(default_factory=list)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    throughputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # arn -> summary
    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    units_elsewhere: int = 0  # no-commitment units held by throughputs outside this fake
    refused_deletes: int = 0  # how many DeleteProvisionedModelThroughput calls answer ThrottlingException

    def create_job(self, request: dict[str, Any]) -> str:
        self.created_jobs.append(request)
        arn = f"arn:aws:bedrock:us-east-1:111122223333:model-customization-job/{request['jobName']}"
        self.jobs.setdefault(request["jobName"], {"jobArn": arn, "status": "InProgress"})
        return arn

    def get_job(self, name: str) -> TrainingJob:
        if name not in self.jobs:
            raise NotFound("ResourceNotFoundException", "GetModelCustomizationJob")
        return training_job(self.jobs[name])

    def stop_job(self, name: str) -> None:
        self.stopped.append(name)
        if self.jobs.get(name, {}).get("status") == "InProgress":  # as Bedrock: it ends Stopped
            self.jobs[name]["status"] = "Stopped"

    def get_custom_model(self, name: str) -> dict[str, Any] | None:
        return self.models.get(name)

    def find_throughput(self, model_arn: str, name: str) -> Throughput | None:
        found = (t for t in self.throughputs.values() if t["modelArn"] == model_arn and t.get("provisionedModelName") == name)
        return next((throughput(t) for t in found), None)

    def create_throughput(self, name: str, model_arn: str, model_units: int, tags: dict[str, str]) -> str:
        arn = f"arn:aws:bedrock:us-east-1:111122223333:provisioned-model/{name[-12:]}"
        self.throughputs[arn] = {
            "provisionedModelArn": arn,
            "provisionedModelName": name,
            "modelArn": model_arn,
            "modelUnits": model_units,
            "status": "Creating",
        }
        return arn

    def get_throughput(self, arn: str) -> Throughput:
        # By ARN or name, as GetProvisionedModelThroughput's provisionedModelId.
        return throughput(self.throughputs[_by_arn_or_name(self.throughputs, arn, "provisionedModelName")])

    def delete_throughput(self, arn: str) -> bool:
        if self.refused_deletes:
            self.refused_deletes -= 1
            raise Throttled("ThrottlingException", "DeleteProvisionedModelThroughput")
        arn = _by_arn_or_name(self.throughputs, arn, "provisionedModelName", missing_ok=True)
        self.deleted.append(arn)
        return self.throughputs.pop(arn, None) is not None

    def no_commitment_units_in_use(self) -> int:
        return self.units_elsewhere + sum(int(t["modelUnits"]) for t in self.throughputs.values())

    def create_deployment(self, name: str, model_arn: str, tags: dict[str, str]) -> str:
        arn = f"arn:aws:bedrock:us-east-1:111122223333:custom-model-deployment/{name[-12:]}"
        self.deployments[arn] = {"customModelDeploymentArn": arn, "modelDeploymentName": name, "modelArn": model_arn, "status": "Creating"}
        return arn

    def get_deployment(self, arn: str) -> Deployment:
        arn = _by_arn_or_name(self.deployments, arn, "modelDeploymentName")
        return deployment({"customModelDeploymentArn": arn, **self.deployments[arn]})

    def delete_deployment(self, arn: str) -> bool:
        arn = _by_arn_or_name(self.deployments, arn, "modelDeploymentName", missing_ok=True)
        self.deleted.append(arn)
        return self.deployments.pop(arn, None) is not None


def _by_arn_or_name(resources: dict[str, dict[str, Any]], identifier: str, name_field: str, *, missing_ok: bool = False) -> str:
    """The ARN of the resource ``identifier`` names (Bedrock takes an ARN or a name); NotFound like Bedrock."""
    if identifier in resources:
        return identifier
    found = next((arn for arn, item in resources.items() if item.get(name_field) == identifier), None)
    if found is None:
        if missing_ok:
            return identifier
        raise NotFound("ResourceNotFoundException")
    return found


@dataclass
class FakeRuntime:
    answer: str = "ready."
    error: Exception | None = None
    calls: list[str] = field(default_factory=list)

    asked: list[tuple[str, int, float | None]] = field(default_factory=list)  # (prompt, max tokens, temperature)
    unanswered: frozenset[str] = frozenset()  # prompts that get an error

    def converse(self, model_arn: str, prompt: str, max_tokens: int = 64, temperature: float | None = None) -> tuple[str, int]:
        self.calls.append(model_arn)
        self.asked.append((prompt, max_tokens, temperature))
        if self.error or prompt in self.unanswered:
            raise self.error or RuntimeError("emulated: no answer")
        return self.answer, 150

    # What the resolver answers where the fake runs (the smoke test's private path); unlisted names: nothing.
    resolved: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def route(self) -> InferenceRoute:
        hostname = "bedrock-runtime.us-east-1.amazonaws.com"
        return InferenceRoute(hostname, self.resolve(hostname))

    def resolve(self, hostname: str) -> tuple[str, ...]:
        return self.resolved.get(hostname, ())


@dataclass
class FakeScheduler:
    scheduled: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)
    retries: list[tuple[str, int, datetime, str]] = field(default_factory=list)

    def schedule_teardown(self, run_id: str, *, warn_at: datetime, delete_at: datetime) -> None:
        self.scheduled[run_id] = (warn_at, delete_at)

    def cancel_teardown(self, run_id: str) -> None:
        self.cancelled.append(run_id)

    def schedule_retry(self, run_id: str, attempt: int, at: datetime, why: str) -> None:
        self.retries.append((run_id, attempt, at, why))


@dataclass
class FakeUpload:
    bucket: FakeBucket
    key: str
    parts: list[bytes] = field(default_factory=list)

    def write(self, data: bytes) -> None:
        self.parts.append(data)

    def close(self) -> None:
        self.bucket.documents[self.key] = b"".join(self.parts)

    def abort(self) -> None:
        self.parts.clear()


@dataclass
class FakeBucket:
    """Reports and objects by key: JSON documents as values, text as str, objects as bytes."""

    documents: dict[str, Any] = field(default_factory=dict)
    tagged: dict[str, dict[str, str]] = field(default_factory=dict)

    def head(self, key: str, version_id: str | None = None) -> ObjectVersion | None:
        body = self.documents.get(key)
        if not isinstance(body, bytes):
            return None
        return ObjectVersion(key, version_id or "v1", f"etag-{len(body)}", len(body), "aws:kms", CONFIG.key_arn)

    def resolve_key(self, event_key: str, version_id: str, etag: str) -> ObjectVersion | None:
        return self.head(event_key, version_id)

    def peek(self, key: str, max_bytes: int) -> tuple[ObjectVersion, bytes] | None:
        found = self.head(key)
        return None if found is None else (found, self.documents[key][:max_bytes])

    def read_range(self, key: str, etag: str, start: int, length: int) -> bytes | None:
        body = self.documents.get(key)
        return body[start : start + length] if isinstance(body, bytes) else None

    def tags(self, key: str, version_id: str) -> dict[str, str]:
        return dict(self.tagged.get(key, {}))

    def stream(self, key: str, version_id: str) -> Iterator[bytes]:
        yield self.documents[key]

    def copy_version(self, key: str, version_id: str, target: str, tags: dict[str, str] | None = None) -> None:
        self.documents[target] = self.documents[key]
        self.tagged[target] = dict(tags or {})

    def upload(self, key: str) -> Upload:
        return FakeUpload(self, key)

    def put_json(self, key: str, document: Any) -> str:
        self.documents[key] = document
        return f"s3://data-bucket/{key}"

    def get_json(self, key: str) -> Any:
        return self.documents[key]

    def put_text(self, key: str, text: str, content_type: str) -> str:
        self.documents[key] = text
        return f"s3://data-bucket/{key}"

    def get_text(self, key: str) -> str | None:
        document = self.documents.get(key)
        return document if document is None or isinstance(document, str) else json.dumps(document)

    def first_lines(self, key: str, limit: int) -> list[bytes]:
        lines: list[bytes] = self.documents[key].split(b"\n")
        return lines[:limit]

    def uri(self, key: str) -> str:
        return f"s3://data-bucket/{key}"


@dataclass
class FakeNotifier:
    sent: list[Any] = field(default_factory=list)  # Any: tests read each milestone's own fields

    def send(self, event: MilestoneEvent) -> None:
        self.sent.append(event)


@dataclass
class FakeSlots:
    """The JobSlots port in memory (its DynamoDB adapter is tested against moto)."""

    limit: int = 2
    holders: dict[int, str] = field(default_factory=dict)
    waiters: dict[str, Waiter] = field(default_factory=dict)
    clock: int = 0

    def view(self) -> SlotsView:
        return SlotsView(dict(self.holders), sorted(self.waiters.values(), key=lambda w: w.enqueued_at_ms))

    def try_acquire(self, run_id: str) -> int | None:
        for number, holder in self.holders.items():
            if holder == run_id:
                return number
        free = [n for n in range(self.limit) if n not in self.holders]
        if not free:
            return None
        self.holders[free[0]] = run_id
        return free[0]

    def release(self, run_id: str) -> bool:
        for number, holder in list(self.holders.items()):
            if holder == run_id:
                del self.holders[number]
                return True
        return False

    def enqueue(self, run_id: str, task_token: str) -> None:
        self.clock += 1
        self.waiters[run_id] = Waiter(run_id, task_token, self.clock)

    def requeue(self, waiter: Waiter) -> None:
        self.waiters[waiter.run_id] = waiter

    def claim(self, run_id: str) -> bool:
        return self.waiters.pop(run_id, None) is not None

    def dequeue(self, run_id: str) -> None:
        self.waiters.pop(run_id, None)


@dataclass
class FakeEvaluationJobs:
    """Jobs by ARN in GetEvaluationJob's shape; ``results`` = each job name's output lines."""

    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, list[bytes]] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)

    def create_job(self, request: dict[str, Any]) -> str:
        found = self.find_job(request["jobName"])
        if found is not None:
            return found
        arn = f"arn:aws:bedrock:us-east-1:111122223333:evaluation-job/{len(self.jobs):012d}"
        self.requests.append(request)
        self.jobs[arn] = {
            "jobArn": arn,
            "jobName": request["jobName"],
            "status": "InProgress",
            "customerEncryptionKeyId": request["customerEncryptionKeyId"],
            "outputDataConfig": request["outputDataConfig"],
        }
        return arn

    def find_job(self, name: str) -> str | None:
        return next((arn for arn, job in self.jobs.items() if job["jobName"] == name), None)

    def get_job(self, arn: str) -> EvaluationJob:
        job = self.jobs[arn]
        return EvaluationJob(
            arn=arn,
            name=job["jobName"],
            status=job["status"],
            output_uri=job["outputDataConfig"]["s3Uri"],
            key_id=job.get("customerEncryptionKeyId"),
        )

    def stop_job(self, arn: str) -> None:
        self.stopped.append(arn)
        if arn in self.jobs:  # one this fake made (the janitor also stops jobs it only found listed)
            self.jobs[arn]["status"] = "Stopped"

    def result_lines(self, output_uri: str, job_name: str) -> list[bytes]:
        return self.results.get(job_name, [])


class FakeDeps(Dependencies):
    """``Dependencies`` with every port an in-memory fake unless a test passes its own."""

    bucket: FakeBucket
    runs: FakeRuns
    bedrock: FakeBedrock
    machine: FakeMachine
    notifier: FakeNotifier
    chat: FakeNotifier
    slots: FakeSlots
    runtime: FakeRuntime
    scheduler: FakeScheduler
    approvals: ApprovalLinks  # the approval tests set the real store (on moto)
    evaluations: FakeEvaluationJobs

    def __init__(self, config: StackConfig = CONFIG, **ports: object) -> None:
        told = FakeNotifier()
        fakes: dict[str, object] = {
            "bucket": FakeBucket(),
            "runs": FakeRuns(),
            "bedrock": FakeBedrock(),
            "machine": FakeMachine(),
            # One inbox for both: what the owners hear, whether through SNS+Slack or (a run's outcome) Slack
            # here and SNS from the state machine (the outcome's ``message``).
            "notifier": told,
            "chat": ports.get("notifier", told),
            "slots": FakeSlots(),
            "runtime": FakeRuntime(),
            "scheduler": FakeScheduler(),
            "evaluations": FakeEvaluationJobs(),
        }
        super().__init__(config, **{**fakes, **ports})
