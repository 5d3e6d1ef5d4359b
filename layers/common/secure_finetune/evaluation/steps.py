"""StartEvaluation and CheckEvaluation: build the held-out dataset, start one job per model, poll, gate.

The state machine carries ``$.evaluation`` (:class:`EvaluationState`): ids, statuses and the poll count. A run
deployed on demand goes StartEvaluation (dataset, ``Collecting``) -> CollectAnswers (``answers.py``, until
``Answered``) -> StartEvaluation again (the jobs) -> the poll loop.
A failed gate raises ``EvaluationFailed(EVALUATION_GATE_FAILED:<metric ids>)``; NotifyFailure then tears the
throughput or deployment down (the custom model stays for inspection) and tells the owner both models' scores.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from ..config import BucketSettings, EvaluationSettings
from ..deployment.plan import ON_DEMAND
from ..models import find_model
from ..ports import EvaluationJob
from ..reasons import EvaluationFailed, Reason, ReasonCode
from ..reports import read_report, write_report
from ..runs import Intent, ResourceKind
from ..state import PipelineState
from ..wiring import Dependencies
from .config import EvaluationProfile
from .cost import EvaluationCost, estimate_cost
from .dataset import PromptDataset, build_prompt_dataset
from .gate import decide, metric_id
from .report import EvaluationReport, JobRecord, PromptDelta, verdicts_of, write_error
from .requests import Generator, Side, answers_key, answers_label, dataset_key, evaluation_job_request, job_name
from .results import JobScores, paired_coverage, paired_means, read_scores
from .state import EvaluationJobRef, EvaluationState

DELTAS_SHOWN = 8
_ENDED_BADLY = ("Failed", "Stopped", "Stopping", "Deleting")


def base_model_identifier(state: PipelineState) -> str:
    profile = state.settings.evaluation
    return profile.base_model_id or find_model(state.settings.base_model).model_id


def held_out_lines(state: PipelineState, deps: Dependencies, profile: EvaluationProfile) -> tuple[str | None, list[bytes]]:
    """(source URI, its first lines): the profile's evaluation file, else the run's validated validation file."""
    run, dataset = state.run, state.dataset
    if profile.evaluation_file:
        key = profile.evaluation_file
    elif dataset is not None and dataset.validation_uri:
        key = dataset.validation_uri.removeprefix(f"s3://{run.bucket}/")
    else:
        return None, []
    # A few lines more than the prompts wanted: some records may not yield a prompt + reference pair.
    return deps.bucket.uri(key), deps.bucket.first_lines(key, profile.max_prompts * 2 + 10)


def start_evaluation(state: PipelineState, deps: Dependencies, current: EvaluationState | None = None) -> EvaluationState:
    """Build the held-out dataset and start both jobs; an on-demand run first collects its answers (``Collecting``),
    and comes back ``Answered`` to start them."""
    run, settings, deployment, plan = state.run, state.settings, state.deployment, state.plan
    assert deployment is not None and plan is not None, "evaluate what was deployed"
    if current is not None and current.status == "Answered":
        return _start_jobs(state, deps, answered=current)
    profile = settings.evaluation
    if not profile.enabled:
        return _skip(deps, run.run_id, "turned off by the profile (evaluation = false)")
    source, lines = held_out_lines(state, deps, profile)
    if source is None:
        return _skip(deps, run.run_id, "no held-out prompts: the run has no validation file and the profile names no evaluation file")
    prompts = build_prompt_dataset(lines, profile.max_prompts)
    if prompts.prompts == 0:
        return _skip(deps, run.run_id, "no usable held-out prompts (none has a prompt and a reference answer)", source=source)
    dataset = deps.bucket.put_text(dataset_key(run.run_id), prompts.jsonl.decode(), "application/jsonl")  # SSE-KMS, our key
    cost = estimate_cost(
        prompts=prompts.prompts,
        prompt_chars=prompts.prompt_chars,
        reference_chars=prompts.reference_chars,
        profile=profile,
        base_model_id=base_model_identifier(state),
        hourly_usd=plan.estimated_hourly_cost_usd,
        ttl_hours=plan.ttl_hours,
        custom_on_demand=deployment.mode == ON_DEMAND,
    )
    write_report(
        deps.bucket,
        run.run_id,
        EvaluationReport(
            status="running",
            dataset=dataset,
            source=source,
            prompts=prompts.prompts,
            skipped_lines=prompts.skipped_lines[:50],
            digests=prompts.digests,
            judge_model=profile.judge_model,
            metrics=profile.metrics,
            estimated_cost_usd=cost.total_usd,
            estimated_judge_cost_usd=cost.judge_usd,
        ),
    )
    if deployment.mode == ON_DEMAND:
        # EvaluationBedrockModel.modelIdentifier admits provisioned-model ARNs, not custom-model-deployment ARNs:
        # the deployment answers through the private endpoint first (CollectAnswers), the job judges those answers.
        return EvaluationState(status="Collecting", prompts=prompts.prompts)
    return _start_jobs(state, deps)


def _start_jobs(state: PipelineState, deps: Dependencies, answered: EvaluationState | None = None) -> EvaluationState:
    """One job per side, the same prompts, metrics and judge; ``answered`` set: the custom side's answers were
    collected (``custom-answers.jsonl``, its counts in that state) and the job judges them instead of invoking the model."""
    run, settings, deployment = state.run, state.settings, state.deployment
    assert deployment is not None
    profile, config = settings.evaluation, deps.settings(EvaluationSettings)
    report = read_report(deps.bucket, run.run_id, EvaluationReport)
    assert report is not None, "the dataset step wrote the evaluation report"
    generators = {
        Side.BASE: Generator(base_model_identifier(state), dataset_key(run.run_id)),
        Side.CUSTOM: Generator(deployment.arn, dataset_key(run.run_id))
        if answered is None
        else Generator(deployment.arn, answers_key(run.run_id), label=answers_label(run.run_id)),
    }
    # Write-ahead, as for every resource that bills: the janitor's proof that jobs of these names are this run's.
    deps.runs.set_status(run.run_id, None, Intent.of(ResourceKind.EVALUATION, run.run_id).changes())
    jobs = []
    for side, generator in generators.items():
        request = evaluation_job_request(
            run_id=run.run_id,
            side=side,
            generator=generator,
            profile=profile,
            bucket=run.bucket,
            role_arn=config.evaluation_role_arn,
            key_arn=deps.settings(BucketSettings).key_arn,
            tags={"run-id": run.run_id, "profile": settings.profile},
        )
        jobs.append(JobRecord(side=side.value, name=request["jobName"], arn=deps.evaluations.create_job(request), model=generator.model))
    collected = {} if answered is None else {"custom_answers": answered.answered, "custom_unanswered": answered.unanswered}
    write_report(deps.bucket, run.run_id, report.model_copy(update={"jobs": tuple(jobs), **collected}))
    refs = tuple(EvaluationJobRef(side=j.side, name=j.name, arn=j.arn or "") for j in jobs)
    return EvaluationState(status="Running", wait_seconds=config.evaluation_poll_seconds, polls=0, jobs=refs)


def check_evaluation(state: PipelineState, current: EvaluationState, deps: Dependencies, now: datetime | None = None) -> EvaluationState:
    """One poll of both jobs; when both completed, read the scores and apply the gate."""
    run, profile, config = state.run, state.settings.evaluation, deps.settings(EvaluationSettings)
    polls = current.polls + 1
    found = {ref.side: deps.evaluations.get_job(ref.arn) for ref in current.jobs}
    report = read_report(deps.bucket, run.run_id, EvaluationReport) or EvaluationReport(status="running")
    report = report.model_copy(update={"jobs": tuple(_with_status(job, found) for job in report.jobs)})
    bad = [side for side, job in found.items() if job.status in _ENDED_BADLY]
    drift = [side for side, job in found.items() if not _our_key(job, deps.settings(BucketSettings).key_arn)]
    if bad or drift:
        _stop_all(deps, found.values())
        why = "job ended " + ",".join(f"{s}:{found[s].status}" for s in bad) if bad else "job records another key"
        write_error(deps.bucket, run.run_id, why, report)
        raise EvaluationFailed(Reason(ReasonCode.EVALUATION_FAILED, ",".join(bad or drift)))
    if any(job.status != "Completed" for job in found.values()):
        ttl_first = deleted_within(state, config.evaluation_poll_seconds, now or datetime.now(UTC))
        if polls >= config.evaluation_max_polls or ttl_first:
            # The poll bound, or the time-to-live is about to delete the model under evaluation: a clear stop now
            # rather than a custom job failing halfway. Tokens stop billing; NotifyFailure deletes the throughput.
            _stop_all(deps, found.values())
            why = "the time-to-live deletes the model first" if ttl_first else f"not done after {polls} polls"
            write_error(deps.bucket, run.run_id, why, report)
            raise EvaluationFailed(Reason(ReasonCode.EVALUATION_TIMED_OUT, "ttl" if ttl_first else f"{polls}polls"))
        return current.model_copy(update={"polls": polls})
    scores = {
        side: read_scores(deps.evaluations.result_lines(job.output_uri, job.name), report.digests, profile.metrics)
        for side, job in found.items()
    }
    base, custom = scores[Side.BASE.value], scores[Side.CUSTOM.value]
    decision = decide(*paired_means(base, custom, profile.metrics), profile)
    shown = _prompt_texts(deps, run.run_id, report) if profile.show_prompts_in_report else {}
    report = report.model_copy(
        update={
            "status": "passed" if decision.passed else "failed",
            "verdicts": verdicts_of(decision, paired_coverage(base, custom, profile.metrics)),
            "deltas": _largest_deltas(base, custom, profile.metrics, shown),
            "unmatched_lines": base.unmatched_lines + custom.unmatched_lines,
        }
    )
    write_report(deps.bucket, run.run_id, report)
    if not decision.passed:
        raise EvaluationFailed(Reason(ReasonCode.EVALUATION_GATE_FAILED, ",".join(metric_id(m) for m in decision.failed_metrics)))
    return current.model_copy(update={"status": "Passed", "polls": polls})


def plan_estimate(
    state: PipelineState, deps: Dependencies, hourly_usd: float | None, ttl_hours: float, on_demand: bool = False
) -> EvaluationCost | None:
    """The evaluation's estimated cost for the plan (None: off, or no held-out prompts to evaluate)."""
    profile = state.settings.evaluation
    if not profile.enabled:
        return None
    _, lines = held_out_lines(state, deps, profile)
    prompts: PromptDataset = build_prompt_dataset(lines, profile.max_prompts)
    if prompts.prompts == 0:
        return None
    return estimate_cost(
        prompts=prompts.prompts,
        prompt_chars=prompts.prompt_chars,
        reference_chars=prompts.reference_chars,
        profile=profile,
        base_model_id=base_model_identifier(state),
        hourly_usd=hourly_usd,
        ttl_hours=ttl_hours,
        custom_on_demand=on_demand,
    )


def stop_running_evaluation(run_id: str, deps: Dependencies) -> list[str]:
    """Whatever stopped the run (a crash in StartEvaluation or CheckEvaluation, a cancel), its evaluation jobs stop
    billing tokens. They are found by their deterministic names (``job_name``), so a job whose ARN was never
    recorded (a crash right after its create) is stopped too, by roles that cannot read the run's reports."""
    stopped = []
    for side in Side:
        arn = deps.evaluations.find_job(job_name(run_id, side))
        if arn is None:
            continue  # never created
        found = deps.evaluations.get_job(arn)
        if found.status == "InProgress":
            deps.evaluations.stop_job(found.arn)
            stopped.append(found.name)
    return stopped


def _skip(deps: Dependencies, run_id: str, why: str, source: str | None = None) -> EvaluationState:
    write_report(deps.bucket, run_id, EvaluationReport(status="skipped", why=why, source=source))
    return EvaluationState(status="Skipped")


def _with_status(job: JobRecord, found: dict[str, EvaluationJob]) -> JobRecord:
    return job.model_copy(update={"status": found[job.side].status}) if job.side in found else job


def deleted_within(state: PipelineState, seconds: float, now: datetime) -> bool:
    """Whether the time-to-live deletes the deployed model within ``seconds`` of ``now``."""
    delete_at = state.deployment.delete_at if state.deployment else None
    return delete_at is not None and datetime.fromisoformat(delete_at.replace("Z", "+00:00")) <= now + timedelta(seconds=seconds)


def _our_key(job: EvaluationJob, key_arn: str) -> bool:
    """Bedrock records the key it was given (an ARN or a key id); anything else is drift."""
    return job.key_id is None or job.key_id == key_arn or key_arn.endswith(f"/{job.key_id}")


def _stop_all(deps: Dependencies, jobs: Iterable[EvaluationJob]) -> None:
    for job in jobs:
        if job.status == "InProgress":
            deps.evaluations.stop_job(job.arn)


def _largest_deltas(base: JobScores, custom: JobScores, metrics: tuple[str, ...], shown: dict[int, str]) -> tuple[PromptDelta, ...]:
    size = len(next(iter(base.per_prompt.values()), []))

    def change(index: int) -> float:
        pairs = [(base.per_prompt[m][index], custom.per_prompt[m][index]) for m in metrics]
        return sum(abs(c - b) for b, c in pairs if b is not None and c is not None)

    chosen = sorted(sorted(range(size), key=change, reverse=True)[:DELTAS_SHOWN])
    return tuple(
        PromptDelta(
            index=i,
            base={m: base.per_prompt[m][i] for m in metrics},
            custom={m: custom.per_prompt[m][i] for m in metrics},
            prompt=shown.get(i),
        )
        for i in chosen
    )


def _prompt_texts(deps: Dependencies, run_id: str, report: EvaluationReport) -> dict[int, str]:
    """The prompts by index, from the run's evaluation dataset (only when the profile allows them in the report)."""
    texts = {}
    lines = (deps.bucket.get_text(dataset_key(run_id)) or "").splitlines()
    for index, line in enumerate(lines[: len(report.digests)]):
        with contextlib.suppress(ValueError, KeyError, TypeError):
            texts[index] = str(json.loads(line)["prompt"])[:500]
    return texts
