"""Deploy: buy the throughput or create the deployment under the cap, schedule its teardown, poll it, announce it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..config import Identity, ScheduleSettings
from ..notifications import ModelReady
from ..reasons import DeploymentFailed, Reason, ReasonCode
from ..report_html import write_run_report
from ..reports import DeploymentReport, SmokeReport, read_report, write_report
from ..runs import RunChanges, RunStatus, iso_utc
from ..state import DeploymentResult, PipelineState
from ..wiring import Dependencies
from .plan import NONE, ON_DEMAND, PROVISIONED
from .use import example_call, private_endpoint

_READY = {PROVISIONED: "InService", ON_DEMAND: "Active"}


def deploy(state: PipelineState, deps: Dependencies, now: datetime | None = None) -> DeploymentResult:
    """Buy or deploy, and schedule its teardown at once: whatever happens to the run afterwards
    (a kept failed smoke test, an abort), nothing bought outlives its time-to-live."""
    run, settings, plan = state.run, state.settings, state.plan
    assert plan is not None and plan.mode != NONE, "plan before deploying"
    tags = {"run-id": run.run_id, "profile": settings.profile}
    if plan.mode == PROVISIONED:
        existing = deps.bedrock.find_throughput(plan.model_arn)
        # Never buy twice for one model; the request token makes a retried call idempotent too.
        arn = existing.arn if existing else deps.bedrock.create_throughput(run.run_id, plan.model_arn, plan.model_units, tags)
        bought = RunChanges(provisioned_model_arn=arn)
    else:
        bought = RunChanges(deployment_arn=(arn := deps.bedrock.create_deployment(run.run_id, plan.model_arn, tags)))
    delete_at = None
    if plan.ttl_hours > 0:
        now = now or datetime.now(UTC)
        delete_at = now + timedelta(hours=plan.ttl_hours)
        warn_at = max(now, delete_at - timedelta(minutes=deps.settings(ScheduleSettings).ttl_warning_minutes))
        deps.scheduler.schedule_teardown(run.run_id, warn_at=warn_at, delete_at=delete_at)
    deps.runs.set_status(
        run.run_id, RunStatus.DEPLOYING, bought.model_copy(update={"delete_at": iso_utc(delete_at) if delete_at else "never"})
    )
    return DeploymentResult(arn=arn, mode=plan.mode, status="Creating", polls=0, delete_at=iso_utc(delete_at) if delete_at else None)


def check_deployment(state: PipelineState, deps: Dependencies) -> DeploymentResult:
    current = state.deployment
    assert current is not None, "deploy before polling"
    found = deps.bedrock.get_throughput(current.arn) if current.mode == PROVISIONED else deps.bedrock.get_deployment(current.arn)
    status, polls = found.status, current.polls + 1
    if status == "Failed":
        # failureMessage goes to the encrypted report; NotifyFailure passes it on shortened (a throughput's
        # failure names capacity or permissions, never records, unlike a training job's).
        failed = _report_so_far(deps, state).model_copy(update={"failure_message": found.failure_message})
        write_report(deps.bucket, state.run.run_id, failed)
        code = ReasonCode.THROUGHPUT_FAILED if current.mode == PROVISIONED else ReasonCode.DEPLOYMENT_FAILED
        raise DeploymentFailed(Reason(code))
    if status != _READY[current.mode] and polls >= state.timing.throughput_max_polls:
        raise DeploymentFailed(Reason(ReasonCode.THROUGHPUT_TIMED_OUT, f"{polls}polls"))
    ready = "Ready" if status == _READY[current.mode] else status
    return current.model_copy(update={"status": ready, "polls": polls})


def announce_deployment(state: PipelineState, deps: Dependencies) -> None:
    """Write the HTML report and tell the owners the model is ready to call (its teardown is already scheduled)."""
    run, settings, deployment, plan, smoke = state.run, state.settings, state.deployment, state.plan, state.smoke
    assert deployment is not None and plan is not None
    bought = _report_so_far(deps, state).model_copy(update={"deployment": deployment, "delete_at": deployment.delete_at})
    write_report(deps.bucket, run.run_id, bought)
    deps.runs.set_status(run.run_id, RunStatus.SUCCEEDED)
    report = write_run_report(deps.bucket, run.run_id)
    endpoint = private_endpoint(read_report(deps.bucket, run.run_id, SmokeReport))
    deps.notifier.send(
        ModelReady(
            run_id=run.run_id,
            profile=settings.profile,
            dataset=run.uri,
            model_arn=deployment.arn,
            model_units=plan.model_units,
            ttl_hours=plan.ttl_hours,
            delete_at=deployment.delete_at,
            estimated_hourly_cost_usd=plan.estimated_hourly_cost_usd,
            smoke_test=f"passed {smoke.prompts}/{smoke.prompts}, slowest {smoke.slowest_ms} ms" if smoke else "",
            private_endpoint=endpoint or "",
            example_call=example_call(deployment.arn, deps.settings(Identity).region, endpoint),
            report=report,
        )
    )


def _report_so_far(deps: Dependencies, state: PipelineState) -> DeploymentReport:
    """The deployment report so far (purchase checks + plan); should it be unreadable, the run's plan without its checks."""
    report = read_report(deps.bucket, state.run.run_id, DeploymentReport)
    if report is None:
        assert state.plan is not None, "plan before deploying"
        report = DeploymentReport(findings=(), plan=state.plan)
    return report
