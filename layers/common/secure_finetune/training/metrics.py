"""Metrics: read the job's loss curves, apply the profile's gate, tell the owners what comes next."""

from __future__ import annotations

from ..config import PriceSettings
from ..deployment.plan import next_step
from ..models import CustomizationType
from ..notifications import JobFinished
from ..reasons import Reason, ReasonCode, TrainingFailed
from ..reports import GateReport, MetricsReport, write_report
from ..runs import RunChanges, RunStatus, output_prefix
from ..state import MetricsResult, PipelineState
from ..wiring import Dependencies
from .loss_curve import VALIDATION_METRICS_FILES, LossCurve, MetricsUnreadable, gate_problems, metrics_key, parse_loss_curve
from .rft_metrics import reward_curve


def _validation_curve(state: PipelineState, deps: Dependencies) -> LossCurve | None:
    """The validation loss series, when the run trained with a validation set and the job wrote it."""
    training = state.training
    if training is None or state.dataset is None or state.dataset.validation_uri is None:
        return None
    for file in VALIDATION_METRICS_FILES:
        text = deps.bucket.get_text(metrics_key(output_prefix(state.run.run_id), training.job_arn, file))
        if text:
            try:
                return parse_loss_curve(text, "validation_loss")
            except MetricsUnreadable:
                return None
    return None


def read_training_metrics(state: PipelineState, deps: Dependencies) -> MetricsResult:
    run, training = state.run, state.training
    assert training is not None, "training completes before metrics"
    key = metrics_key(output_prefix(run.run_id), training.job_arn)
    text = deps.bucket.get_text(key)
    try:
        curve = parse_loss_curve(text or "")
    except MetricsUnreadable:
        raise TrainingFailed(Reason(ReasonCode.METRICS_UNAVAILABLE)) from None
    validation = _validation_curve(state, deps)
    gate = state.settings.metrics_gate
    problems = gate_problems(curve, gate.max_final_training_loss, gate.require_loss_decrease, validation, gate.max_final_validation_loss)
    report = write_report(
        deps.bucket,
        run.run_id,
        MetricsReport(
            job_arn=training.job_arn,
            output_model_arn=training.output_model_arn,
            training=curve,
            validation=validation,
            rewards=reward_curve(text or "") if state.settings.customization_type is CustomizationType.REINFORCEMENT_FINE_TUNING else None,
            gate=GateReport(**gate.model_dump(), problems=tuple(problems)),
        ),
    )
    if problems:
        raise TrainingFailed(Reason(ReasonCode.METRICS_GATE_FAILED, ",".join(problems)))
    deps.runs.set_status(run.run_id, RunStatus.TRAINED, RunChanges(output_model_arn=training.output_model_arn or ""))
    deps.notifier.send(
        JobFinished(
            run_id=run.run_id,
            profile=state.settings.profile,
            dataset=run.uri,
            job_arn=training.job_arn,
            output_model_arn=training.output_model_arn or "",
            final_training_loss=curve.final_loss,
            next_step=next_step(state.settings, deps.settings(PriceSettings).throughput_price_per_unit_hour),
        )
    )
    return MetricsResult(final_training_loss=curve.final_loss, best_training_loss=curve.best_loss, report=report)
