"""Plan: the mode, the purchase checks, the account's free capacity and the cost, settled before anything is bought."""

from __future__ import annotations

from typing import Any

from ..config import BucketSettings, Identity, PurchaseSettings
from ..guardrails import PURCHASE_CHECKS, PurchaseEvidence, blocking_reason, evaluate
from ..models import find_model
from ..pricing import NO_PUBLIC_PRICE, Price, figure_of, price_of, usd, with_fallback
from ..reasons import DeploymentFailed, Reason, ReasonCode
from ..report_html import write_run_report
from ..reports import DeploymentReport, write_report
from ..runs import RunStatus, Step, report_key, resource_name
from ..settings import RunSettings
from ..state import DeploymentPlan, PipelineState
from ..wiring import Dependencies

PROVISIONED, ON_DEMAND, NONE = "provisioned-throughput", "on-demand", "none"


def deployment_mode(settings: RunSettings) -> str:
    """The profile's choice, checked against what the base model offers (the registry)."""
    return resolve_mode(settings.base_model, settings.deployment)


def resolve_mode(base_model: str, wanted: str) -> str:
    """``wanted`` (auto | provisioned-throughput | on-demand | none) as the base model allows it."""
    model = find_model(base_model)
    if wanted == NONE:
        return NONE
    if wanted in ("auto", PROVISIONED) and model.provisioned_throughput:
        return PROVISIONED
    if wanted in ("auto", ON_DEMAND) and model.on_demand_deployment:
        return ON_DEMAND
    raise DeploymentFailed(Reason(ReasonCode.NO_DEPLOYMENT_OPTION, f"{wanted}-not-offered"))


def hourly_cost(base_model: str, model_units: int, override_per_unit_hour: float | None, price: Price | None = None) -> float | None:
    """No-commitment throughput per hour: the stack's price if set, else ``price`` (the Price List's answer), else
    the snapshot's."""
    price = price or price_of(find_model(base_model).model_id)
    per_unit = override_per_unit_hour if override_per_unit_hour is not None else price.throughput_per_unit_hour if price else None
    return None if per_unit is None else round(per_unit * model_units, 2)


def hourly_price_source(base_model: str, override_per_unit_hour: float | None, price: Price | None = None) -> str:
    """Where the hourly figure comes from, in words the message, the approval page and the report show."""
    if override_per_unit_hour is not None:
        return "the stack's ThroughputPricePerUnitHour parameter"
    figure = price.throughput if price else figure_of(find_model(base_model).model_id, "throughput_per_unit_hour")
    return NO_PUBLIC_PRICE if figure is None else figure.cited()


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
        NO_PUBLIC_PRICE
        if hourly is None
        else f"{usd(hourly)}/h"
        + (f", {usd(hourly * settings.ttl_hours)} in all" if settings.ttl_hours else "")
        + f" (price: {hourly_price_source(settings.base_model, override_per_unit_hour)})"
    )
    return f"{approval}{settings.model_units} model unit(s) of no-commitment throughput: {cost}; {ttl}"


def plan_deployment(state: PipelineState, deps: Dependencies) -> DeploymentPlan:
    run, settings, training = state.run, state.settings, state.training
    assert training is not None and training.output_model_arn, "a trained model comes first"
    purchase = deps.settings(PurchaseSettings)
    mode = deployment_mode(settings)
    evidence = PurchaseEvidence(
        expected_key_arn=deps.settings(BucketSettings).key_arn,
        job_arn=training.job_arn,
        custom_model=deps.bedrock.get_custom_model(run.run_id),  # customModelName = run id
        model_units=settings.model_units,
        max_model_units=purchase.max_model_units,
        commitment=None,  # never bought with a commitment
        client_request_token=run.run_id,
        run_id=run.run_id,
    )
    findings = evaluate(evidence, PURCHASE_CHECKS)
    # On-demand deployments bill per token, not per hour: no hourly figure for them.
    hourly, source = None, None
    if mode == PROVISIONED:
        model_id = find_model(settings.base_model).model_id
        price = with_fallback(deps.prices.price(model_id, deps.settings(Identity).region), price_of(model_id))  # Price List first
        hourly = hourly_cost(settings.base_model, settings.model_units, purchase.throughput_price_per_unit_hour, price)
        source = hourly_price_source(settings.base_model, purchase.throughput_price_per_unit_hour, price)
    plan = DeploymentPlan(
        mode=mode,
        model_arn=training.output_model_arn,
        model_units=settings.model_units if mode == PROVISIONED else 0,
        ttl_hours=settings.ttl_hours,
        approval_required=settings.approval_required and mode != NONE,
        estimated_hourly_cost_usd=hourly,
        estimated_cost_over_ttl_usd=round(hourly * settings.ttl_hours, 2) if hourly is not None and settings.ttl_hours else None,
        price_source=source,
        **_evaluation_estimate(state, deps, mode, hourly),
        report=deps.bucket.uri(report_key(run.run_id, Step.DEPLOYMENT)),
    )
    write_report(deps.bucket, run.run_id, DeploymentReport(findings=tuple(findings), plan=plan))
    reason = blocking_reason(findings)
    if reason is not None:
        raise DeploymentFailed(reason)
    if mode == NONE:  # train only: the run ends here, and its report is written now
        deps.runs.set_status(run.run_id, RunStatus.SUCCEEDED)
        write_run_report(deps.bucket, run.run_id)
    if mode == PROVISIONED and deps.bedrock.find_throughput(training.output_model_arn, resource_name(run.run_id)) is None:
        free = purchase.no_commitment_model_units - deps.bedrock.no_commitment_units_in_use()
        if free < settings.model_units:
            raise DeploymentFailed(Reason(ReasonCode.THROUGHPUT_CAPACITY_SHORT, f"{max(free, 0)}-free-{settings.model_units}-needed"))
    return plan


def _evaluation_estimate(state: PipelineState, deps: Dependencies, mode: str, hourly: float | None) -> dict[str, Any]:
    """The evaluation's cost, in the plan before anything is bought: a throughput's or an on-demand deployment's
    (whose answers are collected and billed per token; see evaluation/); nothing bought, nothing evaluated."""
    if mode not in (PROVISIONED, ON_DEMAND):
        return {}
    from ..evaluation.steps import plan_estimate  # the evaluation package imports this module

    cost = plan_estimate(state, deps, hourly, state.settings.ttl_hours, on_demand=mode == ON_DEMAND)
    if cost is None:
        return {}
    return {"evaluation_prompts": cost.prompts, "estimated_evaluation_cost_usd": cost.total_usd, "estimated_judge_cost_usd": cost.judge_usd}
