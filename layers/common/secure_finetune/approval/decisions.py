"""Approval before buying throughput: issue the link, show what it approves, take the decision."""

from __future__ import annotations

import time

from ..approval import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    ApprovalNotFound,
    ApprovalStatus,
    Decision,
    Page,
    already_decided_page,
    approval_link,
    clean_summary,
    decided_page,
    expired_page,
    log_id,
    looks_like_secret,
    new_secret,
    not_found_page,
    review_page,
    secret_digest,
)
from ..config import ApprovalSettings
from ..notifications import ApprovalNeeded
from ..observability import logger
from ..reasons import DeploymentFailed, Reason, ReasonCode
from ..runs import iso_utc
from ..state import PipelineState
from ..wiring import Dependencies


def request_approval(
    state: PipelineState,
    task_token: str,
    deps: Dependencies,
    *,
    now: float | None = None,
) -> str:
    """Store the approval (digest only) and send the link; returns the digest. The run then waits."""
    run, settings = state.run, state.settings
    # The same number bounds the state's wait (TimeoutSecondsPath): link and wait end together.
    decide_by = int(time.time() if now is None else now) + state.timing.approval_timeout_seconds
    summary = state.plan.wire() if state.plan else {}
    facts = clean_summary(
        {
            "modelUnits": settings.model_units,
            "ttlHours": settings.ttl_hours,
            "modelArn": state.training.output_model_arn if state.training else None,
            **summary,  # the deployment plan's figures win over the profile's defaults
            # The run's own identity always comes from the state, never from the summary.
            "runId": run.run_id,
            "profile": settings.profile,
            "baseModel": settings.base_model,
        }
    )
    secret = new_secret()
    link = approval_link(deps.settings(ApprovalSettings).approval_base_url, secret)
    digest = secret_digest(secret)
    # Stored before it is sent: a link in a mailbox always has its record.
    deps.approvals.create(digest, run.run_id, task_token, decide_by, facts)
    deps.notifier.send(
        ApprovalNeeded(
            run_id=run.run_id,
            profile=settings.profile,
            dataset=run.uri,
            model_units=int(facts.get("modelUnits", settings.model_units)),
            ttl_hours=float(facts.get("ttlHours", settings.ttl_hours)),
            estimated_hourly_cost_usd=_number(facts.get("estimatedHourlyCostUsd")),
            estimated_cost_over_ttl_usd=_number(facts.get("estimatedCostOverTtlUsd")),
            price_source=str(facts.get("priceSource") or ""),
            approve_link=link,
            expires_at=iso_utc(decide_by),
        )
    )
    logger.info("approval requested", approval=log_id(digest), decide_by=iso_utc(decide_by))
    return digest


def review(secret: str, now: int, deps: Dependencies) -> Page:
    """What GET shows. Reads only: link scanners open it before any person does."""
    record = deps.approvals.get(secret_digest(secret)) if looks_like_secret(secret) else None
    if record is None:
        return not_found_page()
    if record.status is not ApprovalStatus.PENDING:
        return already_decided_page(record)
    if record.decide_by <= now:
        return expired_page(record.decide_by)
    return review_page(record.summary, record.decide_by, now)


def decide(secret: str, decision: Decision, decided_by: dict[str, str], *, now: int, deps: Dependencies) -> Page:
    """The POST: take the link's one decision, then answer the run's wait."""
    if not looks_like_secret(secret):
        return not_found_page()
    return decide_digest(secret_digest(secret), decision, decided_by, now=now, deps=deps)


def decide_digest(digest: str, decision: Decision, decided_by: dict[str, str], *, now: int, deps: Dependencies) -> Page:
    """Decide by the stored digest (the CLI path has no secret, only IAM rights to the table)."""
    try:
        record = deps.approvals.decide(digest, decision, now, decided_by)
    except ApprovalNotFound:
        return not_found_page()
    except ApprovalAlreadyDecided as err:
        return already_decided_page(err.record)
    except ApprovalExpired as err:
        return expired_page(err.record.decide_by)
    try:
        if decision is Decision.APPROVE:
            answered = deps.machine.succeed(record.task_token, {"approved": True, "decidedAt": iso_utc(now)})
        else:
            answered = deps.machine.fail(record.task_token, DeploymentFailed.__name__, str(Reason(ReasonCode.APPROVAL_REJECTED)))
    except Exception:
        deps.approvals.reopen(digest, now)  # the pipeline never heard it: the link must stay usable
        raise
    # The audit line: what was decided, for which run, from where (not who: see approval.py).
    logger.info(
        "approval decided",
        approval=log_id(digest),
        run_id=record.run_id,
        decision=decision.value,
        answered=answered,
        decided_by=decided_by,
    )
    return decided_page(decision, now, answered=answered)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None
