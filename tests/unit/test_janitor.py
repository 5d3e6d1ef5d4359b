"""The janitor's rules (issue 12, item 5): only what all three proofs call ours is deleted, and only when nothing wants it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from secure_finetune.config import SweepPolicy
from secure_finetune.janitor.rules import Action, Why
from secure_finetune.janitor.sweep import sweep, sweep_message
from secure_finetune.notifications import Swept, render
from secure_finetune.ports import BilledKind, BilledResource
from secure_finetune.runs import Intent, ResourceKind, RunChanges, RunStatus
from tests.unit.fakes import CONFIG, FakeDeps

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
ACCOUNT_REGION = "us-east-1:111122223333"
BASE = "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-8b-instruct-v1:0:128k"


def run_name(n: int) -> str:
    return f"support-{n:020x}"


@dataclass
class FakeInventory:
    listed: dict[BilledKind, list[BilledResource]] = field(default_factory=lambda: {kind: [] for kind in BilledKind})
    tagged: dict[str, dict[str, str]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def resources(self, kind: BilledKind) -> list[BilledResource]:
        return [r for r in self.listed[kind] if r.arn not in self.deleted]

    def tags(self, arn: str) -> dict[str, str] | None:
        return self.tagged.get(arn)

    def delete(self, resource: BilledResource) -> bool:
        if resource.arn in self.refuse:
            raise PermissionError("AccessDeniedException")
        self.deleted.append(resource.arn)
        return True

    def add(self, kind: BilledKind, name: str, *, stack: str | None = "s", status: str = "InService", **more: object) -> BilledResource:
        path = {
            BilledKind.JOB: "model-customization-job",
            BilledKind.THROUGHPUT: "provisioned-model",
            BilledKind.DEPLOYMENT: "custom-model-deployment",
            BilledKind.CUSTOM_MODEL: "custom-model",
            BilledKind.EVALUATION_JOB: "evaluation-job",
        }
        resource = BilledResource(kind, f"arn:aws:bedrock:{ACCOUNT_REGION}:{path[kind]}/{name}", name, status, **more)  # type: ignore[arg-type]
        self.listed[kind].append(resource)
        if stack is not None:
            self.tagged[resource.arn] = {"pipeline": stack, "run-id": name}
        return resource


def deps_with(policy: SweepPolicy = SweepPolicy.DELETE_ORPHANS) -> tuple[FakeDeps, FakeInventory]:
    inventory = FakeInventory()
    return FakeDeps(CONFIG.model_copy(update={"sweep_policy": policy, "model_retention_days": 30}), inventory=inventory), inventory


def record(deps: FakeDeps, name: str, status: RunStatus, *kinds: ResourceKind, updated: datetime | None = None, **changes: str) -> None:
    deps.runs.create_run(name, RunChanges(bucket="b", object_key="incoming/x.jsonl", version_id="v"))
    for kind in kinds:
        deps.runs.set_status(name, None, Intent.of(kind, name, NOW - timedelta(days=3)).changes())
    deps.runs.set_status(name, status, RunChanges(**changes) if changes else None)
    deps.runs.runs[name]["updatedAt"] = str(int((updated or NOW - timedelta(days=2)).timestamp()))


def action_of(result: object, arn: str) -> tuple[Action, Why]:
    decision = next(d for d in result.decisions if d.resource.arn == arn)  # type: ignore[attr-defined]
    return decision.action, decision.why


def test_an_orphaned_throughput_deployment_and_failed_runs_old_model_are_deleted_and_the_owners_told() -> None:
    # Given a failed run that bought a throughput, another whose deployment outlived it, a failed gate's model past retention
    deps, inventory = deps_with()
    record(deps, run_name(1), RunStatus.FAILED, ResourceKind.JOB, ResourceKind.THROUGHPUT)
    record(deps, run_name(2), RunStatus.CANCELLED, ResourceKind.JOB, ResourceKind.DEPLOYMENT)
    record(deps, run_name(3), RunStatus.FAILED, ResourceKind.JOB)
    throughput = inventory.add(BilledKind.THROUGHPUT, run_name(1))
    deployment = inventory.add(BilledKind.DEPLOYMENT, run_name(2), status="Active")
    model = inventory.add(BilledKind.CUSTOM_MODEL, run_name(3), status="Active", created=NOW - timedelta(days=31), model_arn=BASE)
    # When the janitor sweeps with deletes allowed
    result = sweep(deps, delete=True, now=NOW)
    # Then all three are deleted, each with its reason
    assert inventory.deleted == [throughput.arn, deployment.arn, model.arn]
    assert action_of(result, throughput.arn) == (Action.DELETE, Why.RUN_ENDED)
    assert action_of(result, model.arn) == (Action.DELETE, Why.PAST_RETENTION)
    message = sweep_message(result, deps.config, NOW)  # type: ignore[arg-type]
    assert isinstance(message, Swept) and len(message.deleted) == 3 and message.not_ours == ()
    assert "delete-orphans" in render(message).body


@pytest.mark.parametrize(
    ("stack", "has_record", "name", "missing"),
    [
        ("s", False, run_name(9), "record"),  # our name and tag, but no write-ahead intent: never ours
        ("other-stack", True, run_name(9), "tag"),  # another stack's tag on our name and record
        (None, True, run_name(9), "tag"),  # no tags at all
        ("s", False, "my-team-throughput", "name,record"),  # our tag copied onto someone's resource
    ],
)
def test_a_partial_match_is_reported_never_deleted(stack: str | None, has_record: bool, name: str, missing: str) -> None:
    deps, inventory = deps_with()
    if has_record:
        record(deps, name, RunStatus.FAILED, ResourceKind.THROUGHPUT)
    foreign = inventory.add(BilledKind.THROUGHPUT, name, stack=stack)
    result = sweep(deps, delete=True, now=NOW)
    assert inventory.deleted == []
    decision = result.decisions[0]
    assert (decision.action, decision.proof.missing) == (Action.NOT_OURS, missing)
    message = sweep_message(result, deps.config, NOW)  # type: ignore[arg-type]
    assert message is not None and message.not_ours == (f"throughput {foreign.arn} (NOT_ALL_PROOFS) missing: {missing}",)


def test_an_intent_for_another_kind_does_not_prove_a_throughput() -> None:
    # the run meant to create a deployment, not a throughput of that name
    deps, inventory = deps_with()
    record(deps, run_name(4), RunStatus.FAILED, ResourceKind.DEPLOYMENT)
    inventory.add(BilledKind.THROUGHPUT, run_name(4))
    assert sweep(deps, delete=True, now=NOW).decisions[0].action is Action.NOT_OURS
    assert inventory.deleted == []


def test_a_resource_with_no_proof_at_all_is_not_even_mentioned() -> None:
    deps, inventory = deps_with()
    inventory.add(BilledKind.THROUGHPUT, "someone-elses", stack=None)
    result = sweep(deps, delete=True, now=NOW)
    assert result.answer()["resources"] == [] and sweep_message(result, deps.config, NOW) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "changes", "updated", "expected"),
    [
        (RunStatus.DEPLOYING, {}, None, (Action.KEEP, Why.RUN_LIVE)),
        (RunStatus.SUCCEEDED, {"delete_at": "2026-12-02T20:00:00Z"}, None, (Action.KEEP, Why.TTL_AHEAD)),
        (RunStatus.SUCCEEDED, {"delete_at": "never"}, None, (Action.KEEP, Why.NO_TTL)),
        (RunStatus.SUCCEEDED, {"delete_at": "2026-12-02T10:00:00Z"}, None, (Action.DELETE, Why.PAST_TTL)),
        (RunStatus.SUCCEEDED, {"delete_at": "2026-12-02T11:30:00Z"}, None, (Action.KEEP, Why.TTL_AHEAD)),  # within the grace
        (RunStatus.SUCCEEDED, {"torn_down_at": "2026-12-01T00:00:00Z"}, None, (Action.DELETE, Why.TORN_DOWN_BUT_ALIVE)),
        (RunStatus.FAILED, {}, NOW - timedelta(minutes=5), (Action.KEEP, Why.RUN_JUST_ENDED)),
        (RunStatus.FAILED, {}, None, (Action.DELETE, Why.RUN_ENDED)),
    ],
)
def test_a_purchase_of_ours_goes_only_when_nothing_wants_it(
    status: RunStatus, changes: dict[str, str], updated: datetime | None, expected: tuple[Action, Why]
) -> None:
    deps, inventory = deps_with()
    record(deps, run_name(5), status, ResourceKind.THROUGHPUT, updated=updated, **changes)
    throughput = inventory.add(BilledKind.THROUGHPUT, run_name(5))
    result = sweep(deps, delete=True, now=NOW)
    assert action_of(result, throughput.arn) == expected
    assert (throughput.arn in inventory.deleted) is (expected[0] is Action.DELETE)


def test_models_follow_the_retention_a_products_model_is_reported_with_its_cost_and_a_served_one_is_kept() -> None:
    deps, inventory = deps_with()
    for n, status in ((6, RunStatus.SUCCEEDED), (7, RunStatus.FAILED), (8, RunStatus.FAILED), (10, RunStatus.SUCCEEDED)):
        record(deps, run_name(n), status, ResourceKind.JOB, ResourceKind.THROUGHPUT, delete_at="never")
    product = inventory.add(BilledKind.CUSTOM_MODEL, run_name(6), created=NOW - timedelta(days=40), model_arn=BASE)
    inspected = inventory.add(BilledKind.CUSTOM_MODEL, run_name(7), created=NOW - timedelta(days=10), model_arn=BASE)
    served = inventory.add(BilledKind.CUSTOM_MODEL, run_name(8), created=NOW - timedelta(days=90), model_arn=BASE)
    inventory.add(BilledKind.THROUGHPUT, run_name(10), model_arn=served.arn)  # a live purchase of another run serves it
    result = sweep(deps, delete=True, now=NOW)
    assert action_of(result, product.arn) == (Action.REPORT, Why.PAST_RETENTION)
    assert action_of(result, inspected.arn) == (Action.KEEP, Why.WITHIN_RETENTION)
    assert action_of(result, served.arn) == (Action.KEEP, Why.MODEL_IN_USE)
    assert inventory.deleted == []
    message = sweep_message(result, deps.config, NOW)  # type: ignore[arg-type]
    assert message is not None and message.retained == (f"custom-model {product.arn} (PAST_RETENTION) 40 days",)
    storage = next(d for d in result.decisions if d.resource.arn == product.arn).storage_per_month_usd
    assert message.estimated_storage_per_month_usd == storage


def test_dry_run_and_report_only_delete_nothing() -> None:
    for policy, delete in ((SweepPolicy.DELETE_ORPHANS, False), (SweepPolicy.REPORT_ONLY, True)):
        deps, inventory = deps_with(policy)
        record(deps, run_name(1), RunStatus.FAILED, ResourceKind.THROUGHPUT)
        throughput = inventory.add(BilledKind.THROUGHPUT, run_name(1))
        result = sweep(deps, delete=delete, now=NOW)
        assert inventory.deleted == [] and result.deletes_allowed is False
        expected = Action.REPORT if policy is SweepPolicy.REPORT_ONLY else Action.DELETE  # a dry run shows what it would do
        assert action_of(result, throughput.arn)[0] is expected


def test_a_refused_delete_is_reported_and_the_pass_goes_on() -> None:
    deps, inventory = deps_with()
    for n in (1, 2):
        record(deps, run_name(n), RunStatus.FAILED, ResourceKind.THROUGHPUT)
    refused, other = inventory.add(BilledKind.THROUGHPUT, run_name(1)), inventory.add(BilledKind.THROUGHPUT, run_name(2))
    inventory.refuse.add(refused.arn)
    result = sweep(deps, delete=True, now=NOW)
    assert result.deleted == (other.arn,) and result.failed == ((refused.arn, "PermissionError"),)
    message = sweep_message(result, deps.config, NOW)  # type: ignore[arg-type]
    assert message is not None and refused.arn in message.why


# ---------------------------------------------------------------- customization jobs left training (issue 12, item 1)


def training_job(deps: FakeDeps, inventory: FakeInventory, name: str, *, stack: str | None = "s") -> BilledResource:
    """A job Bedrock lists InProgress (the inventory's ListModelCustomizationJobs) and answers for by name."""
    job = inventory.add(BilledKind.JOB, name, stack=stack, status="InProgress", model_arn=BASE)
    deps.bedrock.jobs[name] = {"jobArn": job.arn, "status": "InProgress"}
    return job


@pytest.mark.parametrize(
    ("status", "updated", "changes", "expected"),
    [
        (RunStatus.FAILED, None, {}, (Action.STOP, Why.RUN_ENDED)),
        (RunStatus.CANCELLED, None, {}, (Action.STOP, Why.RUN_ENDED)),
        (RunStatus.SUCCEEDED, None, {}, (Action.STOP, Why.RUN_ENDED)),  # its job completed: one training is an anomaly
        (RunStatus.FAILED, NOW - timedelta(minutes=5), {}, (Action.KEEP, Why.RUN_JUST_ENDED)),  # NotifyFailure may be at it
        # ...unless the owners were told: the failure path stops the job before that message, it is over
        (RunStatus.FAILED, NOW - timedelta(minutes=5), {"notified_at": "2026-12-02T11:55:00Z"}, (Action.STOP, Why.RUN_ENDED)),
        (RunStatus.TRAINING, None, {}, (Action.KEEP, Why.RUN_LIVE)),
        (RunStatus.TRAINED, None, {}, (Action.KEEP, Why.RUN_LIVE)),
    ],
)
def test_a_job_of_ours_is_stopped_once_its_run_has_ended_and_kept_while_it_is_live(
    status: RunStatus, updated: datetime | None, changes: dict[str, str], expected: tuple[Action, Why]
) -> None:
    deps, inventory = deps_with()
    record(deps, run_name(11), status, ResourceKind.JOB, updated=updated, **changes)
    job = training_job(deps, inventory, run_name(11))
    result = sweep(deps, delete=True, now=NOW)
    assert action_of(result, job.arn) == expected
    stopped = expected[0] is Action.STOP
    assert (deps.bedrock.stopped == [run_name(11)]) is stopped and (result.stopped == (job.arn,)) is stopped
    assert inventory.deleted == []  # a job is never deleted
    # the pipeline's own stop, written before it: the job's Stopped event must not read as an owner's cancel
    assert (deps.runs.get_run(run_name(11)).stopped_by == "pipeline") is stopped  # type: ignore[union-attr]


def test_a_stopped_job_is_listed_in_the_swept_message_and_the_answer() -> None:
    deps, inventory = deps_with()
    record(deps, run_name(12), RunStatus.FAILED, ResourceKind.JOB)
    job = training_job(deps, inventory, run_name(12))
    result = sweep(deps, delete=True, now=NOW)
    assert result.answer()["stopped"] == [job.arn] and result.answer()["deleted"] == []
    rows = result.answer()["resources"]
    assert isinstance(rows, list) and [(r["kind"], r["action"]) for r in rows] == [("customization-job", "STOP")]
    message = sweep_message(result, deps.config, NOW)  # type: ignore[arg-type]
    assert message is not None and message.deleted == (f"customization-job {job.arn} (RUN_ENDED) stopped",)
    assert job.arn in render(message).body


@pytest.mark.parametrize(
    ("stack", "has_record", "name", "missing"),
    [
        ("s", False, run_name(13), "record"),  # our tag and name, no run record: never stopped
        ("other-stack", True, run_name(13), "tag"),  # our name and a record, another stack's tag
        (None, True, run_name(13), "tag"),  # our name and a record, no tags at all (or unreadable)
        ("s", False, "their-job", "name,record"),  # our tag copied onto someone's job
    ],
)
def test_a_job_without_every_proof_is_reported_never_stopped(stack: str | None, has_record: bool, name: str, missing: str) -> None:
    deps, inventory = deps_with()
    if has_record:
        record(deps, name, RunStatus.FAILED, ResourceKind.JOB)
    job = training_job(deps, inventory, name, stack=stack)
    result = sweep(deps, delete=True, now=NOW)
    assert deps.bedrock.stopped == [] and result.stopped == ()
    assert (result.decisions[0].action, result.decisions[0].proof.missing) == (Action.NOT_OURS, missing)
    message = sweep_message(result, deps.config, NOW)  # type: ignore[arg-type]
    assert message is not None and message.deleted == ()
    assert message.not_ours == (f"customization-job {job.arn} (NOT_ALL_PROOFS) missing: {missing}",)


def test_a_job_is_proven_by_the_runs_job_intent_only() -> None:
    # the run meant to buy a throughput of that name, never to start a job: the job is not proven ours
    deps, inventory = deps_with()
    record(deps, run_name(14), RunStatus.FAILED, ResourceKind.THROUGHPUT)
    training_job(deps, inventory, run_name(14))
    assert sweep(deps, delete=True, now=NOW).decisions[0].action is Action.NOT_OURS
    assert deps.bedrock.stopped == []


def test_a_foreign_job_with_no_proof_is_not_even_mentioned() -> None:
    deps, inventory = deps_with()
    training_job(deps, inventory, "someone-elses-job", stack=None)
    result = sweep(deps, delete=True, now=NOW)
    assert result.answer()["resources"] == [] and deps.bedrock.stopped == []
    assert sweep_message(result, deps.config, NOW) is None  # type: ignore[arg-type]


def test_report_only_and_a_dry_run_stop_no_job() -> None:
    for policy, delete, expected in (
        (SweepPolicy.REPORT_ONLY, True, Action.REPORT),
        (SweepPolicy.DELETE_ORPHANS, False, Action.STOP),  # a dry run shows what it would do
    ):
        deps, inventory = deps_with(policy)
        record(deps, run_name(15), RunStatus.FAILED, ResourceKind.JOB)
        job = training_job(deps, inventory, run_name(15))
        result = sweep(deps, delete=delete, now=NOW)
        assert action_of(result, job.arn) == (expected, Why.RUN_ENDED)
        assert deps.bedrock.stopped == [] and result.stopped == ()
        assert deps.runs.get_run(run_name(15)).stopped_by is None  # type: ignore[union-attr]


def test_report_only_reports_the_job_to_the_owners() -> None:
    deps, inventory = deps_with(SweepPolicy.REPORT_ONLY)
    record(deps, run_name(16), RunStatus.CANCELLED, ResourceKind.JOB)
    job = training_job(deps, inventory, run_name(16))
    message = sweep_message(sweep(deps, delete=True, now=NOW), deps.config, NOW)  # type: ignore[arg-type]
    assert message is not None and message.deleted == () and message.retained == (f"customization-job {job.arn} (RUN_ENDED)",)


def test_a_job_that_ended_between_the_listing_and_the_stop_is_not_counted_as_stopped() -> None:
    deps, inventory = deps_with()
    record(deps, run_name(17), RunStatus.FAILED, ResourceKind.JOB)
    training_job(deps, inventory, run_name(17))
    deps.bedrock.jobs[run_name(17)]["status"] = "Failed"  # Bedrock's answer by name is newer than its listing
    result = sweep(deps, delete=True, now=NOW)
    assert result.stopped == () and result.failed == () and deps.bedrock.stopped == []


def test_a_refused_stop_is_reported_and_the_pass_goes_on() -> None:
    deps, inventory = deps_with()
    record(deps, run_name(18), RunStatus.FAILED, ResourceKind.JOB, ResourceKind.THROUGHPUT)
    training_job(deps, inventory, run_name(18))
    throughput = inventory.add(BilledKind.THROUGHPUT, run_name(18))

    def refuse(name: str) -> None:
        raise PermissionError("AccessDeniedException")

    deps.bedrock.stop_job = refuse  # type: ignore[method-assign]
    result = sweep(deps, delete=True, now=NOW)
    assert result.stopped == () and [arn for arn, _ in result.failed] == [inventory.listed[BilledKind.JOB][0].arn]
    assert result.deleted == (throughput.arn,)


# ---------------------------------------------------------------- evaluation jobs left judging (their tokens billed)


def evaluation_job(inventory: FakeInventory, name: str, *, stack: str | None = "s") -> BilledResource:
    """An evaluation job Bedrock lists InProgress (ListEvaluationJobs), named ``<run id>-eval-<side>``."""
    return inventory.add(BilledKind.EVALUATION_JOB, name, stack=stack, status="InProgress")


@pytest.mark.parametrize(
    ("status", "updated", "expected"),
    [
        (RunStatus.FAILED, None, (Action.STOP, Why.RUN_ENDED)),
        (RunStatus.CANCELLED, None, (Action.STOP, Why.RUN_ENDED)),
        (RunStatus.FAILED, NOW - timedelta(minutes=5), (Action.KEEP, Why.RUN_JUST_ENDED)),  # NotifyFailure may be at it
        (RunStatus.DEPLOYING, None, (Action.KEEP, Why.RUN_LIVE)),  # the gate is still waiting for it
    ],
)
def test_an_evaluation_job_of_an_ended_run_is_stopped_and_one_of_a_live_run_kept(
    status: RunStatus, updated: datetime | None, expected: tuple[Action, Why]
) -> None:
    deps, inventory = deps_with()
    record(deps, run_name(40), status, ResourceKind.JOB, ResourceKind.EVALUATION, updated=updated)
    base, custom = (evaluation_job(inventory, f"{run_name(40)}-eval-{side}") for side in ("base", "custom"))
    result = sweep(deps, delete=True, now=NOW)
    assert {action_of(result, job.arn) for job in (base, custom)} == {expected}
    stopped = [base.arn, custom.arn] if expected[0] is Action.STOP else []
    assert deps.evaluations.stopped == stopped and list(result.stopped) == stopped
    assert inventory.deleted == [] and deps.bedrock.stopped == []  # stopped by ARN, never deleted; no customization job touched


@pytest.mark.parametrize(
    ("stack", "intent", "name", "missing"),
    [
        ("s", False, f"{run_name(41)}-eval-base", "record"),  # the run never meant to evaluate: no evaluation intent
        ("other-stack", True, f"{run_name(41)}-eval-base", "tag"),
        ("s", True, f"{run_name(41)}-eval-judge", "name,record"),  # not a side we create: not our name
        ("s", True, f"{run_name(43)}-eval-custom", "record"),  # another run's name: no record of that run
    ],
)
def test_an_evaluation_job_without_all_three_proofs_is_reported_never_stopped(stack: str, intent: bool, name: str, missing: str) -> None:
    deps, inventory = deps_with()
    record(deps, run_name(41), RunStatus.FAILED, ResourceKind.JOB, *((ResourceKind.EVALUATION,) if intent else ()))
    job = evaluation_job(inventory, name, stack=stack)
    result = sweep(deps, delete=True, now=NOW)
    [decision] = [d for d in result.decisions if d.resource.arn == job.arn]
    assert (decision.action, decision.proof.missing) == (Action.NOT_OURS, missing)
    assert deps.evaluations.stopped == [] and result.stopped == ()


def test_a_stopped_evaluation_job_is_listed_in_the_swept_message() -> None:
    deps, inventory = deps_with()
    record(deps, run_name(42), RunStatus.FAILED, ResourceKind.JOB, ResourceKind.EVALUATION)
    job = evaluation_job(inventory, f"{run_name(42)}-eval-custom")
    message = sweep_message(sweep(deps, delete=True, now=NOW), deps.config, NOW)  # type: ignore[arg-type]
    assert message is not None and message.deleted == (f"evaluation-job {job.arn} (RUN_ENDED) stopped",)


def test_a_refused_evaluation_job_stop_is_reported_and_the_pass_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from secure_finetune.service_errors import ServiceError

    deps, inventory = deps_with()
    record(deps, run_name(44), RunStatus.FAILED, ResourceKind.JOB, ResourceKind.EVALUATION)
    refused, stopped = (evaluation_job(inventory, f"{run_name(44)}-eval-{side}") for side in ("base", "custom"))
    real_stop = deps.evaluations.stop_job

    def stop_job(arn: str) -> None:
        if arn == refused.arn:
            raise ServiceError("AccessDeniedException", "StopEvaluationJob")
        real_stop(arn)

    monkeypatch.setattr(deps.evaluations, "stop_job", stop_job)
    result = sweep(deps, delete=True, now=NOW)
    assert result.failed == ((refused.arn, "AccessDeniedException"),) and result.stopped == (stopped.arn,)
