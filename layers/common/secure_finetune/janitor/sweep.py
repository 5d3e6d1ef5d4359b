"""One janitor pass: list what bills, decide (``rules.py``), delete (or stop) what the policy allows, tell the owners."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ..config import JanitorSettings, SweepPolicy
from ..notifications import Swept
from ..observability import logger
from ..ports import BilledKind, BilledResource
from ..runs import RunRecord, StopActor, is_run_name, iso_utc
from ..service_errors import error_code
from ..teardown.intended import JobStop, stop_intended_job
from ..wiring import Dependencies
from .rules import Action, Decision, decide, in_use_models, proof, run_of


@dataclass(frozen=True)
class SweepResult:
    decisions: tuple[Decision, ...]
    deleted: tuple[str, ...]  # ARNs deleted in this pass
    failed: tuple[tuple[str, str], ...]  # (ARN, error code) of deletes (or stops) that were refused
    deletes_allowed: bool  # False: a dry run, or the policy is report-only
    stopped: tuple[str, ...] = ()  # ARNs of the jobs this pass stopped (or found already stopping)

    def of(self, *actions: Action) -> list[Decision]:
        return [d for d in self.decisions if d.action in actions]

    def answer(self) -> dict[str, object]:
        """The function's answer and the CLI's table: ids, codes and costs only."""
        return {
            "deletesAllowed": self.deletes_allowed,
            "deleted": list(self.deleted),
            "stopped": list(self.stopped),
            "failed": [{"arn": arn, "error": code} for arn, code in self.failed],
            "resources": [
                {
                    "kind": d.resource.kind.value,
                    "arn": d.resource.arn,
                    "name": d.resource.name,
                    "action": d.action.value,
                    "why": d.why.value,
                    "missingProofs": d.proof.missing,
                    "ageDays": None if d.age_days is None else round(d.age_days, 1),
                    "storagePerMonthUsd": d.storage_per_month_usd,
                }
                for d in self.decisions
                if d.action is not Action.IGNORE
            ],
        }


def sweep(deps: Dependencies, *, delete: bool, now: datetime | None = None) -> SweepResult:
    """Find this stack's billed resources; delete (when ``delete`` and the policy allow) what nothing wants."""
    settings, now = deps.settings(JanitorSettings), now or datetime.now(UTC)
    allowed = delete and settings.sweep_policy is SweepPolicy.DELETE_ORPHANS
    records: dict[str, RunRecord | None] = {}
    deleted: list[str] = []
    stopped: list[str] = []
    failed: list[tuple[str, str]] = []

    def judged(resource: BilledResource, in_use: frozenset[str] = frozenset()) -> Decision:
        run = run_of(resource)
        if run not in records:
            records[run] = deps.runs.get_run(run) if is_run_name(run) else None
        record = records[run]
        found = proof(resource, deps.inventory.tags(resource.arn), record, settings.stack_name)
        policy, retention = settings.sweep_policy, settings.model_retention_days
        return decide(resource, found, record, now=now, policy=policy, retention_days=retention, in_use=in_use)

    def act(decision: Decision) -> None:
        if decision.action not in (Action.DELETE, Action.STOP) or not allowed:
            return
        try:
            if decision.action is Action.STOP and decision.resource.kind is BilledKind.EVALUATION_JOB:
                deps.evaluations.stop_job(decision.resource.arn)  # no event follows, so nothing to record first
                stopped.append(decision.resource.arn)
                return
            if decision.action is Action.STOP:
                # By the run's write-ahead intent (proof: its name is this job's), stoppedBy=pipeline written first:
                # the job's Stopped event then reads as the pipeline's own stop, not an owner's cancel.
                if stop_intended_job(records[decision.resource.name], deps, StopActor.PIPELINE) in (JobStop.STOPPED, JobStop.STOPPING):
                    stopped.append(decision.resource.arn)
                return
            deps.inventory.delete(decision.resource)
        except Exception as err:  # one refusal must not stop the pass: it is reported and retried tomorrow
            failed.append((decision.resource.arn, error_code(err)))
            return
        deleted.append(decision.resource.arn)

    # Jobs first: one still training bills by the hour and holds a slot of Bedrock's concurrent-job quota; an
    # evaluation job bills tokens until it ends.
    decisions = [judged(job) for kind in (BilledKind.JOB, BilledKind.EVALUATION_JOB) for job in deps.inventory.resources(kind)]
    purchases = deps.inventory.resources(BilledKind.THROUGHPUT) + deps.inventory.resources(BilledKind.DEPLOYMENT)
    decisions += [judged(resource) for resource in purchases]
    for decision in decisions:
        act(decision)  # purchases before models: a model a deleted purchase served may go in the same pass
    in_use = in_use_models(purchases, set(deleted))
    for model in deps.inventory.resources(BilledKind.CUSTOM_MODEL):
        decision = _priced(judged(model, in_use))
        act(decision)
        decisions.append(decision)
    logger.info("swept", deleted=len(deleted), stopped=len(stopped), failed=len(failed), allowed=allowed)
    return SweepResult(tuple(decisions), tuple(deleted), tuple(failed), allowed, tuple(stopped))


def _priced(decision: Decision) -> Decision:
    """A custom model's storage per month (from its base model's public price; None: no public price)."""
    from ..models import UnknownModel, find_model  # the registry and the price snapshot: on first use, not at cold start
    from ..pricing import storage_cost_per_month

    try:
        model_id = find_model(decision.resource.model_arn or "").model_id
    except UnknownModel:
        return decision
    return replace(decision, storage_per_month_usd=storage_cost_per_month(model_id))


def sweep_message(result: SweepResult, settings: JanitorSettings, now: datetime) -> Swept | None:
    """What the owners are told after a pass that could delete (None: nothing deleted, stopped, refused or reported)."""
    # Ours and still billing but left in place: a product past its retention, or anything under report-only.
    left = result.of(Action.REPORT)
    if not result.deleted and not result.stopped and not result.failed and not left and not result.of(Action.NOT_OURS):
        return None
    mode = "deletes allowed" if result.deletes_allowed else "nothing deleted (report-only policy or dry run)"
    why = f"policy {settings.sweep_policy.value}, {mode}, model retention {settings.model_retention_days} days"
    if result.failed:
        why += f"; {len(result.failed)} delete(s) or stop(s) refused: " + ", ".join(f"{arn} {code}" for arn, code in result.failed)
    costs = [d.storage_per_month_usd for d in left if d.resource.kind is BilledKind.CUSTOM_MODEL]
    return Swept(
        run_id=f"sweep-{iso_utc(now)[:10]}",
        profile="*",
        dataset="none",
        why=why,
        # What it acted on: deleted, and the jobs it stopped (a job is stopped, never deleted; its line says so).
        deleted=tuple(d.line() for d in result.decisions if d.resource.arn in result.deleted)
        + tuple(f"{d.line()} stopped" for d in result.decisions if d.resource.arn in result.stopped),
        not_ours=tuple(f"{d.line()} missing: {d.proof.missing}" for d in result.of(Action.NOT_OURS)),
        retained=tuple(d.line() + ("" if d.age_days is None else f" {round(d.age_days)} days") for d in left),
        estimated_storage_per_month_usd=None if None in costs or not costs else round(sum(c for c in costs if c is not None), 2),
    )
