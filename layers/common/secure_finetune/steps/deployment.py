"""Deployment: plan and price before spending, buy or deploy under the cap, smoke-test, schedule the teardown.

Order matters for the bill: the purchase checks (GR-JOB-07/08), the account's free capacity and
the cost are settled in ``plan_deployment`` *before* an approver is asked and before anything is
bought; a throughput is reused rather than bought twice for one model; and every purchase gets a
one-time teardown schedule unless its time-to-live is 0.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ..guardrails import PURCHASE_CHECKS, PurchaseEvidence, blocking_reason, evaluate, findings_document
from ..models import find_model
from ..notifications import TeardownFailed, ThroughputReady, TornDown, TtlWarning
from ..pricing import price_of, usd
from ..reasons import DeploymentFailed, Reason, ReasonCode
from ..report_html import write_run_report
from ..runs import RunChanges, RunRecord, RunStatus, Step, iso_utc, report_key
from ..service_errors import error_code
from ..settings import RunSettings
from ..state import DeploymentPlan, DeploymentResult, PipelineState, SmokeResult
from ..wiring import Dependencies

PROVISIONED, ON_DEMAND, NONE = "provisioned-throughput", "on-demand", "none"
_READY = {PROVISIONED: "InService", ON_DEMAND: "Active"}
SMOKE_PROMPTS_FROM_VALIDATION = 3
# A refused delete is asked again 15, 30, 60, 120 and 240 min later (~8 h), the owner told each time.
TEARDOWN_RETRIES, FIRST_RETRY_MINUTES = 5, 15
DELETE_FAILED = "delete failed"  # how a refused teardown's outcome starts (`finetune teardown` exits 1 on it)
_DELETE_BY_HAND = {
    PROVISIONED: "aws bedrock delete-provisioned-model-throughput --region {region} --provisioned-model-id {arn}",
    ON_DEMAND: "aws bedrock delete-custom-model-deployment --region {region} --custom-model-deployment-identifier {arn}",
}


def deployment_mode(settings: RunSettings) -> str:
    """The profile's choice, checked against what the base model offers (the registry)."""
    model = find_model(settings.base_model)
    wanted = settings.deployment
    if wanted == NONE:
        return NONE
    if wanted in ("auto", PROVISIONED) and model.provisioned_throughput:
        return PROVISIONED
    if wanted in ("auto", ON_DEMAND) and model.on_demand_deployment:
        return ON_DEMAND
    raise DeploymentFailed(Reason(ReasonCode.NO_DEPLOYMENT_OPTION, f"{wanted}-not-offered"))


def hourly_cost(base_model: str, model_units: int, override_per_unit_hour: float | None) -> float | None:
    """No-commitment throughput per hour: the stack's price if set, else the sourced table's."""
    price = price_of(find_model(base_model).model_id)
    per_unit = override_per_unit_hour if override_per_unit_hour is not None else price.throughput_per_unit_hour if price else None
    return None if per_unit is None else round(per_unit * model_units, 2)


def next_step(settings: RunSettings, override_per_unit_hour: float | None) -> str:
    """What the run will spend next, in words, for the message that precedes the spending."""
    try:
        mode = deployment_mode(settings)
    except DeploymentFailed:
        return "no deployment: the base model offers none of the chosen kind"
    if mode == NONE:
        return "no deployment (the profile trains only)"
    approval = "after approval, " if settings.approval_required else ""
    ttl = f"deleted after {settings.ttl_hours:g} h" if settings.ttl_hours else "kept until torn down"
    if mode == ON_DEMAND:
        return f"{approval}an on-demand deployment (billed per token), {ttl}"
    hourly = hourly_cost(settings.base_model, settings.model_units, override_per_unit_hour)
    cost = (
        "price unknown"
        if hourly is None
        else f"{usd(hourly)}/h" + (f", {usd(hourly * settings.ttl_hours)} in all" if settings.ttl_hours else "")
    )
    return f"{approval}{settings.model_units} model unit(s) of no-commitment throughput: {cost}; {ttl}"


def plan_deployment(state: PipelineState, deps: Dependencies) -> DeploymentPlan:
    run, settings, training = state.run, state.settings, state.training
    assert training is not None and training.output_model_arn, "a trained model comes first"
    mode = deployment_mode(settings)
    evidence = PurchaseEvidence(
        expected_key_arn=deps.config.key_arn,
        job_arn=training.job_arn,
        custom_model=deps.bedrock.get_custom_model(run.run_id),  # customModelName = run id
        model_units=settings.model_units,
        max_model_units=deps.config.max_model_units,
        commitment=None,  # never bought with a commitment
        client_request_token=run.run_id,
        run_id=run.run_id,
    )
    findings = evaluate(evidence, PURCHASE_CHECKS)
    # On-demand deployments bill per token, not per hour: no hourly figure for them.
    hourly = None
    if mode == PROVISIONED:
        hourly = hourly_cost(settings.base_model, settings.model_units, deps.config.throughput_price_per_unit_hour)
    plan = DeploymentPlan(
        mode=mode,
        model_arn=training.output_model_arn,
        model_units=settings.model_units if mode == PROVISIONED else 0,
        ttl_hours=settings.ttl_hours,
        approval_required=settings.approval_required and mode != NONE,
        estimated_hourly_cost_usd=hourly,
        estimated_cost_over_ttl_usd=round(hourly * settings.ttl_hours, 2) if hourly is not None and settings.ttl_hours else None,
        report=deps.bucket.uri(report_key(run.run_id, Step.DEPLOYMENT)),
    )
    deps.bucket.put_json(report_key(run.run_id, Step.DEPLOYMENT), {**findings_document(findings), "plan": plan.wire()})
    reason = blocking_reason(findings)
    if reason is not None:
        raise DeploymentFailed(reason)
    if mode == NONE:  # train only: the run ends here, and its report is written now
        deps.runs.set_status(run.run_id, RunStatus.SUCCEEDED)
        write_run_report(deps.bucket, run.run_id)
    if mode == PROVISIONED and deps.bedrock.find_throughput(training.output_model_arn) is None:
        free = deps.config.no_commitment_model_units - deps.bedrock.no_commitment_units_in_use()
        if free < settings.model_units:
            raise DeploymentFailed(Reason(ReasonCode.THROUGHPUT_CAPACITY_SHORT, f"{max(free, 0)}-free-{settings.model_units}-needed"))
    return plan


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
        warn_at = max(now, delete_at - timedelta(minutes=deps.config.ttl_warning_minutes))
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
        failure = {"failureMessage": found.failure_message}
        deps.bucket.put_json(report_key(state.run.run_id, Step.DEPLOYMENT), _with(deps, state, failure))
        code = ReasonCode.THROUGHPUT_FAILED if current.mode == PROVISIONED else ReasonCode.DEPLOYMENT_FAILED
        raise DeploymentFailed(Reason(code))
    if status != _READY[current.mode] and polls >= state.timing.throughput_max_polls:
        raise DeploymentFailed(Reason(ReasonCode.THROUGHPUT_TIMED_OUT, f"{polls}polls"))
    ready = "Ready" if status == _READY[current.mode] else status
    return current.model_copy(update={"status": ready, "polls": polls})


def smoke_test(state: PipelineState, deps: Dependencies) -> SmokeResult:
    """A few prompts through Converse on the deployed ARN; every one must get a non-empty answer.

    Prompts and answers stay in memory: the report keeps counts, lengths and latencies only.
    """
    run, settings, deployment = state.run, state.settings, state.deployment
    assert deployment is not None
    prompts = list(settings.smoke_test_prompts) or _validation_prompts(state, deps)
    results: list[dict[str, Any]] = []
    for prompt in prompts:
        started = time.monotonic()
        try:
            answer, latency_ms = deps.runtime.converse(deployment.arn, prompt)
        except Exception as err:  # any failure to answer fails the smoke test
            results.append({"answered": False, "error": type(err).__name__, "latencyMs": int((time.monotonic() - started) * 1000)})
            continue
        results.append({"answered": bool(answer.strip()), "answerChars": len(answer), "latencyMs": latency_ms})
    passed = bool(results) and all(result["answered"] for result in results)
    smoke = SmokeResult(passed=passed, prompts=len(results), slowest_ms=max((r["latencyMs"] for r in results), default=0))
    kept = passed or settings.keep_on_smoke_failure
    deps.bucket.put_json(report_key(run.run_id, Step.SMOKE), {**smoke.wire(), "results": results, "kept": kept})
    if not passed:  # NotifyFailure tears it down (unless kept): one teardown path for every failure
        raise DeploymentFailed(Reason(ReasonCode.SMOKE_TEST_FAILED, f"{sum(not r['answered'] for r in results)}-of-{len(results)}"))
    return smoke


def _validation_prompts(state: PipelineState, deps: Dependencies) -> list[str]:
    """Without profile prompts, the first user turns of the validation set (else the training set)."""
    dataset = state.dataset
    assert dataset is not None
    key = (dataset.validation_uri or dataset.training_uri).removeprefix(f"s3://{state.run.bucket}/")
    prompts = (prompt_of(line) for line in deps.bucket.first_lines(key, 50))
    return [prompt for prompt in prompts if prompt][:SMOKE_PROMPTS_FROM_VALIDATION]


def prompt_of(line: bytes) -> str | None:
    """The user's words in one validated record: ``prompt``, ``input`` or the first user turn."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    for field in ("prompt", "input"):
        if isinstance(record.get(field), str):
            return str(record[field])
    for message in record.get("messages") or []:
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            texts = [str(block["text"]) for block in content or [] if isinstance(block, dict) and isinstance(block.get("text"), str)]
            return " ".join(texts) or None
    return None


def announce_deployment(state: PipelineState, deps: Dependencies) -> None:
    """Write the HTML report and tell the owners the model is ready to call (its teardown is already scheduled)."""
    run, settings, deployment, plan, smoke = state.run, state.settings, state.deployment, state.plan, state.smoke
    assert deployment is not None and plan is not None
    deps.bucket.put_json(
        report_key(run.run_id, Step.DEPLOYMENT), _with(deps, state, {"deployment": deployment.wire(), "deleteAt": deployment.delete_at})
    )
    deps.runs.set_status(run.run_id, RunStatus.SUCCEEDED)
    report = write_run_report(deps.bucket, run.run_id)
    deps.notifier.send(
        ThroughputReady(
            run_id=run.run_id,
            profile=settings.profile,
            dataset=run.uri,
            provisioned_model_arn=deployment.arn,
            model_units=plan.model_units,
            ttl_hours=plan.ttl_hours,
            delete_at=deployment.delete_at,
            estimated_hourly_cost_usd=plan.estimated_hourly_cost_usd,
            smoke_test=f"passed {smoke.prompts}/{smoke.prompts}, slowest {smoke.slowest_ms} ms" if smoke else "",
            example_call=example_call(deployment.arn, deps.config.region),
            report=report,
        )
    )


def example_call(model_arn: str, region: str) -> str:
    return (
        f"aws bedrock-runtime converse --region {region} --model-id {model_arn} "
        """--messages '[{"role":"user","content":[{"text":"Hello"}]}]'"""
    )


def tear_down(
    run_id: str,
    action: str,
    deps: Dependencies,
    why: str = "time-to-live reached",
    *,
    retry_later: bool = True,
    now: datetime | None = None,
) -> str:
    """The TTL schedules' target and `finetune teardown`: warn before, delete at the deadline.

    A refused delete is asked again on a schedule and the owner told it still bills; with
    ``retry_later=False`` (the stack is being deleted, and its scheduler with it) it raises."""
    record = deps.runs.get_run(run_id)
    arn = record.bought_arn if record else None
    if record is None or arn is None:
        return "nothing deployed"
    common = {"run_id": run_id, "profile": record.profile or "", "dataset": record.dataset_uri}
    if action == "warn":
        if record.torn_down_at:
            return "already torn down"
        deps.notifier.send(TtlWarning(**common, provisioned_model_arn=arn, delete_at=record.delete_at or ""))
        return "warned"
    mode = PROVISIONED if record.provisioned_model_arn else ON_DEMAND
    try:
        deleted = _delete(mode, arn, deps)
    except Exception as err:  # whatever refused the delete, it still bills: ask again, tell the owner
        if not retry_later:
            raise
        return _delete_failed(deps, err, record=record, mode=mode, arn=arn, why=why, common=common, now=now or datetime.now(UTC))
    deps.scheduler.cancel_teardown(run_id)
    if record.torn_down_at:
        return "already torn down"
    deps.runs.set_status(run_id, None, RunChanges(torn_down_at=iso_utc(datetime.now(UTC))))  # the run's outcome stays as it was
    deps.notifier.send(TornDown(**common, provisioned_model_arn=arn, why=why))
    return "deleted" if deleted else "was already gone"


def _delete(mode: str, arn: str, deps: Dependencies) -> bool:
    return deps.bedrock.delete_throughput(arn) if mode == PROVISIONED else deps.bedrock.delete_deployment(arn)


def _delete_failed(
    deps: Dependencies, err: Exception, *, record: RunRecord, mode: str, arn: str, why: str, common: dict[str, str], now: datetime
) -> str:
    run_id, retries = common["run_id"], record.teardown_retries or 0
    retry_at = record.teardown_retry_at or None
    if retry_at is not None and retry_at > iso_utc(now):
        pass  # a retry is already on its way (e.g. `finetune teardown` while one waits): one chain only
    elif retries < TEARDOWN_RETRIES:
        retries += 1
        at = now + timedelta(minutes=FIRST_RETRY_MINUTES * 2 ** (retries - 1))
        deps.scheduler.schedule_retry(run_id, retries, at, why)
        retry_at = iso_utc(at)
        deps.runs.set_status(run_id, None, RunChanges(teardown_retries=retries, teardown_retry_at=retry_at))
    else:
        retry_at = None
    code = error_code(err)
    delete_by_hand = _DELETE_BY_HAND[mode].format(region=deps.config.region, arn=arn)
    deps.notifier.send(
        TeardownFailed(**common, provisioned_model_arn=arn, why=why, error=code, retry_at=retry_at, delete_by_hand=delete_by_hand)
    )
    return f"{DELETE_FAILED} ({code}); " + (f"asked again at {retry_at}" if retry_at else "no retry left: delete it by hand")


def _with(deps: Dependencies, state: PipelineState, extra: Mapping[str, object]) -> dict[str, object]:
    """The deployment report so far (findings + plan), plus ``extra``."""
    return {**deps.bucket.get_json(report_key(state.run.run_id, Step.DEPLOYMENT)), **extra}
