"""Smoke test: a few prompts through Converse on the deployed model; counts, lengths and latencies only."""

from __future__ import annotations

import json
import time

from ..reasons import DeploymentFailed, Reason, ReasonCode
from ..reports import SmokeAnswer, SmokeReport, write_report
from ..state import PipelineState, SmokeResult
from ..wiring import Dependencies

SMOKE_PROMPTS_FROM_VALIDATION = 3


def smoke_test(state: PipelineState, deps: Dependencies) -> SmokeResult:
    """A few prompts through Converse on the deployed ARN; every one must get a non-empty answer.

    Prompts and answers stay in memory: the report keeps counts, lengths and latencies only.
    """
    run, settings, deployment = state.run, state.settings, state.deployment
    assert deployment is not None
    prompts = list(settings.smoke_test_prompts) or _validation_prompts(state, deps)
    results: list[SmokeAnswer] = []
    for prompt in prompts:
        started = time.monotonic()
        try:
            answer, latency_ms = deps.runtime.converse(deployment.arn, prompt)
        except Exception as err:  # any failure to answer fails the smoke test
            results.append(SmokeAnswer(answered=False, error=type(err).__name__, latency_ms=int((time.monotonic() - started) * 1000)))
            continue
        results.append(SmokeAnswer(answered=bool(answer.strip()), answer_chars=len(answer), latency_ms=latency_ms))
    passed = bool(results) and all(result.answered for result in results)
    smoke = SmokeResult(passed=passed, prompts=len(results), slowest_ms=max((r.latency_ms for r in results), default=0))
    kept = passed or settings.keep_on_smoke_failure
    report = SmokeReport(passed=smoke.passed, prompts=smoke.prompts, slowest_ms=smoke.slowest_ms, results=tuple(results), kept=kept)
    write_report(deps.bucket, run.run_id, report)
    if not passed:  # NotifyFailure tears it down (unless kept): one teardown path for every failure
        raise DeploymentFailed(Reason(ReasonCode.SMOKE_TEST_FAILED, f"{sum(not r.answered for r in results)}-of-{len(results)}"))
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
