"""An in-memory fake of the ``EvaluationService`` port, and a run state that reached the evaluation step."""

from __future__ import annotations

import json
from dataclasses import dataclass

from secure_finetune.ports import EvaluationService
from secure_finetune.settings import ProfileCatalog, StackLimits, resolve_settings
from secure_finetune.state import DatasetResult, DeploymentPlan, DeploymentResult, PipelineState, Registered, SmokeResult
from tests.unit.fakes import CONFIG, FakeBucket, FakeDeps, FakeEvaluationJobs
from tests.unit.test_training import RUN
from tests.unit.test_training import state as training_state

THROUGHPUT = "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abcdef012345"
DEPLOYMENT = "arn:aws:bedrock:us-east-1:111122223333:custom-model-deployment/abcdef012345"
VALIDATION_KEY = f"validated/{'a' * 64}/support.validation.jsonl"


@dataclass
class FakeEvaluations(FakeEvaluationJobs):
    """The port's fake, with a way to complete its jobs with chosen scores."""

    def complete(self, bucket: FakeBucket, scores: dict[str, dict[str, list[float]]]) -> None:
        """Complete every job with ``scores[side][metric]`` per prompt (side = the job name's suffix)."""
        prompts = [json.loads(line) for line in bucket.documents[f"reports/{RUN}/evaluation/prompts.jsonl"].splitlines()]
        for job in self.jobs.values():
            side = job["jobName"].rsplit("-", 1)[-1]
            job["status"] = "Completed"
            self.results[job["jobName"]] = [
                json.dumps(
                    {
                        "automatedEvaluationResult": {
                            "scores": [{"metricName": m.removeprefix("Builtin."), "result": v[i]} for m, v in scores[side].items()]
                        },
                        "inputRecord": record,
                        "modelResponses": [{"response": "r", "modelIdentifier": "m"}],
                    }
                ).encode()
                for i, record in reversed(list(enumerate(prompts)))  # output order is not promised
            ]


def held_out(n: int = 5) -> bytes:
    return b"\n".join(json.dumps({"prompt": f"question {i}?", "completion": f"answer {i}."}).encode() for i in range(n)) + b"\n"


def evaluated_state(mode: str = "provisioned-throughput", validation: bool = True, **evaluation: object) -> PipelineState:
    profile: dict[str, object] = {"base_model": "meta.llama3-1-8b-instruct-v1:0", "hyperparameters": {"epochCount": "2"}}
    if evaluation:
        profile["evaluation"] = evaluation
    catalog = ProfileCatalog.model_validate({"version": "v", "profiles": {"default": profile}})
    settings = resolve_settings(catalog, None, {}, StackLimits())
    return training_state().model_copy(
        update={
            "registered": Registered(settings=settings),
            "dataset": DatasetResult(
                sha256="a" * 64,
                records=50,
                training_uri="s3://data-bucket/validated/x/support.jsonl",
                validation_uri=f"s3://data-bucket/{VALIDATION_KEY}" if validation else None,
                report="s3://data-bucket/reports/x/validation.json",
            ),
            "plan": DeploymentPlan(
                mode=mode, model_arn="arn:m", model_units=1, ttl_hours=4, approval_required=False, report="s3://data-bucket/r"
            ),
            "deployment": DeploymentResult(arn=DEPLOYMENT if mode == "on-demand" else THROUGHPUT, mode=mode, status="Ready", polls=2),
            "smoke": SmokeResult(passed=True, prompts=1, slowest_ms=5),
        }
    )


def evaluation_deps(prompts: int = 5) -> tuple[FakeDeps, FakeEvaluations]:
    evaluations = FakeEvaluations()
    deps = FakeDeps(config=CONFIG, evaluations=evaluations)
    deps.bucket.documents[VALIDATION_KEY] = held_out(prompts)
    return deps, evaluations


def _conforms(service: EvaluationService) -> EvaluationService:
    return service  # mypy checks the fake against the port here


_conforms(FakeEvaluations())
