"""In-memory fakes of *our* ports (not of AWS services), for step-level unit tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from secure_finetune.adapters.job_slots import SlotsView, Waiter
from secure_finetune.config import StackConfig

CONFIG = StackConfig(
    EXPECTED_ACCOUNT="111122223333",
    AWS_REGION="us-east-1",
    DATA_BUCKET="data-bucket",
    DATA_KEY_ARN="arn:aws:kms:us-east-1:111122223333:key/k1",
    RUNS_TABLE="runs",
    NOTIFY_TOPIC_ARN="arn:aws:sns:us-east-1:111122223333:topic",
    BEDROCK_SERVICE_ROLE_ARN="arn:aws:iam::111122223333:role/s-bedrock-job",
    JOB_SUBNET_IDS="subnet-1,subnet-2",
    JOB_SECURITY_GROUP_IDS="sg-1",
)


@dataclass
class FakeRuns:
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    runs: dict[str, dict[str, str]] = field(default_factory=dict)
    waiting_for: dict[tuple[str, str], float] = field(default_factory=dict)  # seconds each wait has lasted

    def get_token(self, run_id, step):
        return self.tokens.get((run_id, step.value))

    def put_token(self, run_id, step, token):
        self.tokens[(run_id, step.value)] = token

    def delete_token(self, run_id, step):
        self.tokens.pop((run_id, step.value), None)

    def waiting_since(self, step, older_than_seconds):
        # a wait the test did not age counts as old enough (the reconciler tests' default)
        return [
            run
            for (run, waiting) in self.tokens
            if waiting == step.value and self.waiting_for.get((run, waiting), float("inf")) >= older_than_seconds
        ]

    def get_run(self, run_id):
        return self.runs.get(run_id)

    def set_status(self, run_id, status, **fields):
        self.runs.setdefault(run_id, {}).update(fields if status is None else {"status": status.value, **fields})


@dataclass
class FakeMachine:
    answers: list[tuple[str, Any]] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)

    def succeed(self, token, output):
        if token in self.closed:
            return False
        self.closed.add(token)
        self.answers.append(("success", output))
        return True

    def fail(self, token, error, reason):
        if token in self.closed:
            return False
        self.closed.add(token)
        self.answers.append(("failure", (error, reason)))
        return True


@dataclass
class FakeBedrock:
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    throughputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # arn -> summary
    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    units_elsewhere: int = 0  # no-commitment units held by throughputs outside this fake
    refused_deletes: int = 0  # how many DeleteProvisionedModelThroughput calls answer ThrottlingException

    def get_job(self, name):
        return self.jobs[name]

    def stop_job(self, name):
        self.stopped.append(name)

    def get_custom_model(self, name):
        return self.models.get(name)

    def find_throughput(self, model_arn):
        return next((t for t in self.throughputs.values() if t["modelArn"] == model_arn), None)

    def create_throughput(self, name, model_arn, model_units, tags):
        arn = f"arn:aws:bedrock:us-east-1:111122223333:provisioned-model/{name[-12:]}"
        self.throughputs[arn] = {"provisionedModelArn": arn, "modelArn": model_arn, "modelUnits": model_units, "status": "Creating"}
        return arn

    def get_throughput(self, arn):
        return self.throughputs[arn]

    def delete_throughput(self, arn):
        if self.refused_deletes:
            self.refused_deletes -= 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "DeleteProvisionedModelThroughput")
        self.deleted.append(arn)
        return self.throughputs.pop(arn, None) is not None

    def no_commitment_units_in_use(self):
        return self.units_elsewhere + sum(t["modelUnits"] for t in self.throughputs.values())

    def create_deployment(self, name, model_arn, tags):
        arn = f"arn:aws:bedrock:us-east-1:111122223333:custom-model-deployment/{name[-12:]}"
        self.deployments[arn] = {"modelArn": model_arn, "status": "Creating"}
        return arn

    def get_deployment(self, arn):
        return self.deployments[arn]

    def delete_deployment(self, arn):
        self.deleted.append(arn)
        return self.deployments.pop(arn, None) is not None


@dataclass
class FakeRuntime:
    answer: str = "ready."
    error: Exception | None = None
    calls: list[str] = field(default_factory=list)

    def converse(self, model_arn, prompt, max_tokens=64):
        self.calls.append(model_arn)
        if self.error:
            raise self.error
        return self.answer, 150


@dataclass
class FakeScheduler:
    scheduled: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)
    retries: list[tuple[str, int, Any, str]] = field(default_factory=list)

    def schedule_teardown(self, run_id, *, warn_at, delete_at):
        self.scheduled[run_id] = (warn_at, delete_at)

    def cancel_teardown(self, run_id):
        self.cancelled.append(run_id)

    def schedule_retry(self, run_id, attempt, at, why):
        self.retries.append((run_id, attempt, at, why))


@dataclass
class FakeBucket:
    documents: dict[str, Any] = field(default_factory=dict)

    def put_json(self, key, document):
        self.documents[key] = document
        return f"s3://data-bucket/{key}"

    def get_json(self, key):
        return self.documents[key]

    def put_text(self, key, text, content_type):
        self.documents[key] = text
        return f"s3://data-bucket/{key}"

    def get_text(self, key):
        document = self.documents.get(key)
        return document if document is None or isinstance(document, str) else json.dumps(document)

    def first_lines(self, key, limit):
        return self.documents[key].split(b"\n")[:limit]

    def uri(self, key):
        return f"s3://data-bucket/{key}"


@dataclass
class FakeNotifier:
    sent: list[Any] = field(default_factory=list)

    def send(self, event):
        self.sent.append(event)


@dataclass
class FakeSlots:
    """The JobSlots port in memory (its DynamoDB adapter is tested against moto)."""

    limit: int = 2
    holders: dict[int, str] = field(default_factory=dict)
    waiters: dict[str, Waiter] = field(default_factory=dict)
    clock: int = 0

    def view(self):
        return SlotsView(dict(self.holders), sorted(self.waiters.values(), key=lambda w: w.enqueued_at_ms))

    def try_acquire(self, run_id):
        for number, holder in self.holders.items():
            if holder == run_id:
                return number
        free = [n for n in range(self.limit) if n not in self.holders]
        if not free:
            return None
        self.holders[free[0]] = run_id
        return free[0]

    def release(self, run_id):
        for number, holder in list(self.holders.items()):
            if holder == run_id:
                del self.holders[number]
                return True
        return False

    def enqueue(self, run_id, task_token):
        self.clock += 1
        self.waiters[run_id] = Waiter(run_id, task_token, self.clock)

    def requeue(self, waiter):
        self.waiters[waiter.run_id] = waiter

    def claim(self, run_id):
        return self.waiters.pop(run_id, None) is not None

    def dequeue(self, run_id):
        self.waiters.pop(run_id, None)


@dataclass
class FakeDeps:
    config: StackConfig = CONFIG
    bucket: FakeBucket = field(default_factory=FakeBucket)
    runs: FakeRuns = field(default_factory=FakeRuns)
    bedrock: FakeBedrock = field(default_factory=FakeBedrock)
    machine: FakeMachine = field(default_factory=FakeMachine)
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
    slots: FakeSlots = field(default_factory=FakeSlots)
    runtime: FakeRuntime = field(default_factory=FakeRuntime)
    scheduler: FakeScheduler = field(default_factory=FakeScheduler)
