"""Deploy: buy the throughput or create the deployment under the cap, schedule its teardown, poll it, announce it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..config import Identity, ScheduleSettings
from ..evaluation.report import evaluation_message
from ..notifications import ModelReady
from ..observability import logger
from ..reasons import DeploymentFailed, Reason, ReasonCode
from ..report_html import write_run_report
from ..reports import DeploymentReport, SmokeReport, read_report, write_report
from ..runs import Intent, ResourceKind, RunChanges, RunStatus, iso_utc, resource_name
from ..service_errors import error_code
from ..state import DeploymentResult, PipelineState
from ..wiring import Dependencies
from .plan import NONE, ON_DEMAND, PROVISIONED
from .use import example_call, private_endpoint

_READY = {PROVISIONED: "InService", ON_DEMAND: "Active"}


def deploy(state: PipelineState, deps: Dependencies, now: datetime | None = None) -> DeploymentResult:
    """Buy or deploy, and schedule its teardown before the step may succeed: whatever happens to the run
    afterwards (a kept failed smoke test, an abort), nothing bought outlives its time-to-live.

    Write-ahead: the run record names the purchase before it is made, records its ARN as soon as it
    exists, and a purchase whose time-to-live cannot be scheduled is deleted again (and NotifyFailure's
    teardown, which finds it by name, tries once more)."""
    run, settings, plan = state.run, state.settings, state.plan
    assert plan is not None and plan.mode != NONE, "plan before deploying"
    now = now or datetime.now(UTC)
    tags = {"run-id": run.run_id, "profile": settings.profile}
    name = resource_name(run.run_id)
    kind = ResourceKind.THROUGHPUT if plan.mode == PROVISIONED else ResourceKind.DEPLOYMENT
    deps.runs.set_status(run.run_id, None, Intent.of(kind, run.run_id, now, model_arn=plan.model_arn).changes())
    if plan.mode == PROVISIONED:
        existing = deps.bedrock.find_throughput(plan.model_arn, name)
        # Never buy twice for one run (a retried step); the request token makes a retried call idempotent too.
        arn = existing.arn if existing else deps.bedrock.create_throughput(name, plan.model_arn, plan.model_units, tags)
        bought = RunChanges(provisioned_model_arn=arn)
    else:
        bought = RunChanges(deployment_arn=(arn := deps.bedrock.create_deployment(name, plan.model_arn, tags)))
    delete_at = now + timedelta(hours=plan.ttl_hours) if plan.ttl_hours > 0 else None
    deps.runs.set_status(
        run.run_id, RunStatus.DEPLOYING, bought.model_copy(update={"delete_at": iso_utc(delete_at) if delete_at else "never"})
    )
    if delete_at is not None:
        warn_at = max(now, delete_at - timedelta(minutes=deps.settings(ScheduleSettings).ttl_warning_minutes))
        try:
            deps.scheduler.schedule_teardown(run.run_id, warn_at=warn_at, delete_at=delete_at)
        except Exception as err:  # no time-to-live, no purchase: it would bill until someone noticed
            logger.warning("time-to-live not scheduled: rolling the purchase back", error=error_code(err))
            _roll_back(kind, arn, deps)
            raise DeploymentFailed(Reason(ReasonCode.TTL_NOT_SCHEDULED, error_code(err))) from None
    return DeploymentResult(arn=arn, mode=plan.mode, status="Creating", polls=0, delete_at=iso_utc(delete_at) if delete_at else None)


def _roll_back(kind: ResourceKind, arn: str, deps: Dependencies) -> None:
    try:
        deps.bedrock.delete_throughput(arn) if kind is ResourceKind.THROUGHPUT else deps.bedrock.delete_deployment(arn)
    except Exception as err:  # NotifyFailure's teardown tries again, and retries on a schedule
        logger.warning("roll back refused", error=error_code(err))


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
            price_source=plan.price_source or "",
            smoke_test=f"passed {smoke.prompts}/{smoke.prompts}, slowest {smoke.slowest_ms} ms" if smoke else "",
            private_endpoint=endpoint or "",
            example_call=example_call(deployment.arn, deps.settings(Identity).region, endpoint),
            report=report,
            evaluation=evaluation_message(deps.bucket, run.run_id),  # base vs custom scores, if evaluated
        )
    )


def _report_so_far(deps: Dependencies, state: PipelineState) -> DeploymentReport:
    """The deployment report so far (purchase checks + plan); should it be unreadable, the run's plan without its checks."""
    report = read_report(deps.bucket, state.run.run_id, DeploymentReport)
    if report is None:
        assert state.plan is not None, "plan before deploying"
        report = DeploymentReport(findings=(), plan=state.plan)
    return report
