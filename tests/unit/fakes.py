"""In-memory fakes of *our* ports (not of AWS services), for step-level unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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

    def get_token(self, run_id, step):
        return self.tokens.get((run_id, step.value))

    def put_token(self, run_id, step, token):
        self.tokens[(run_id, step.value)] = token

    def delete_token(self, run_id, step):
        self.tokens.pop((run_id, step.value), None)

    def waiting_since(self, step, older_than_seconds):
        return [run for (run, waiting), _ in self.tokens.items() if waiting == step.value]

    def get_run(self, run_id):
        return self.runs.get(run_id)

    def set_status(self, run_id, status, **fields):
        self.runs.setdefault(run_id, {}).update(status=status.value, **fields)


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

    def get_job(self, name):
        return self.jobs[name]

    def stop_job(self, name):
        self.stopped.append(name)


@dataclass
class FakeBucket:
    documents: dict[str, Any] = field(default_factory=dict)

    def put_json(self, key, document):
        self.documents[key] = document
        return f"s3://data-bucket/{key}"

    def get_json(self, key):
        return self.documents[key]

    def uri(self, key):
        return f"s3://data-bucket/{key}"


@dataclass
class FakeNotifier:
    sent: list[Any] = field(default_factory=list)

    def send(self, event):
        self.sent.append(event)


@dataclass
class FakeDeps:
    config: StackConfig = CONFIG
    bucket: FakeBucket = field(default_factory=FakeBucket)
    runs: FakeRuns = field(default_factory=FakeRuns)
    bedrock: FakeBedrock = field(default_factory=FakeBedrock)
    machine: FakeMachine = field(default_factory=FakeMachine)
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
