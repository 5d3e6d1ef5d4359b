"""Smoke test: a few prompts through Converse on the deployed model; counts, lengths and latencies only.

With the stack's PrivateInference on (the default), the prompts are sent from inside the VPC by the PrivateConverse
function (``private_converse.py``) and reach Bedrock through the bedrock-runtime interface endpoint: the test passes
only when every prompt was answered *and* the hostname the function's client called resolved, inside the VPC, to
that endpoint's addresses and nothing else. The report records the route (``InferencePath``). Off: the calls go
from this function to Bedrock's public regional endpoint, as before.
"""

from __future__ import annotations

import json

from ..config import PrivateInferenceSettings
from ..ports import PrivateAnswer
from ..reasons import DeploymentFailed, Reason, ReasonCode
from ..reports import InferencePath, SmokeAnswer, SmokeReport, write_report
from ..state import PipelineState, SmokeResult
from ..wiring import Dependencies
from .private_converse import ask

SMOKE_PROMPTS_FROM_VALIDATION = 3


def smoke_test(state: PipelineState, deps: Dependencies) -> SmokeResult:
    """A few prompts through Converse on the deployed ARN; every one must get a non-empty answer.

    Prompts and answers stay in memory: the report keeps counts, lengths, latencies and the route only.
    """
    run, settings, deployment = state.run, state.settings, state.deployment
    assert deployment is not None
    prompts = tuple(settings.smoke_test_prompts) or tuple(_validation_prompts(state, deps))
    private = deps.config if isinstance(deps.config, PrivateInferenceSettings) and deps.config.private_inference else None
    if private is None:
        answers, path = [ask(deps.runtime, deployment.arn, prompt) for prompt in prompts], InferencePath(private=False)
    else:
        answers, path = _through_the_endpoint(deps, private, run.run_id, deployment.arn, prompts)
    results = [SmokeAnswer(answered=a.answered, error=a.error, answer_chars=a.answer_chars, latency_ms=a.latency_ms) for a in answers]
    answered = bool(results) and all(result.answered for result in results)
    passed = answered and (not path.private or path.through_endpoint)
    smoke = SmokeResult(passed=passed, prompts=len(results), slowest_ms=max((r.latency_ms for r in results), default=0))
    kept = passed or settings.keep_on_smoke_failure
    report = SmokeReport(
        passed=smoke.passed, prompts=smoke.prompts, slowest_ms=smoke.slowest_ms, results=tuple(results), kept=kept, path=path
    )
    write_report(deps.bucket, run.run_id, report)
    if not answered:  # NotifyFailure tears it down (unless kept): one teardown path for every failure
        raise DeploymentFailed(Reason(ReasonCode.SMOKE_TEST_FAILED, f"{sum(not r.answered for r in results)}-of-{len(results)}"))
    if not passed:  # answered, but not provably through the endpoint: the private path is not what was tested
        raise DeploymentFailed(Reason(ReasonCode.SMOKE_TEST_FAILED, "not-through-endpoint"))
    return smoke


def _through_the_endpoint(
    deps: Dependencies, private: PrivateInferenceSettings, run_id: str, model_arn: str, prompts: tuple[str, ...]
) -> tuple[list[PrivateAnswer], InferencePath]:
    """The prompts asked from inside the VPC, and whether the route there was the endpoint and nothing else."""
    path = InferencePath(private=True, endpoint_id=private.runtime_endpoint_id, function=private.private_converse_function)
    if not private.private_converse_function or not private.runtime_endpoint_id:
        return [PrivateAnswer(answered=False, error="PrivateInferenceNotConfigured", latency_ms=0) for _ in prompts], path
    try:
        asked = deps.private_inference.converse(run_id, model_arn, prompts)
    except Exception as err:  # the function failed as a whole: every prompt is unanswered
        return [PrivateAnswer(answered=False, error=type(err).__name__, latency_ms=0) for _ in prompts], path
    endpoint = deps.private_inference.endpoint(private.runtime_endpoint_id)
    resolved, interfaces = set(asked.route.addresses), set(endpoint.addresses) if endpoint else set()
    return list(asked.answers), path.model_copy(
        update={
            "hostname": asked.route.hostname,
            "addresses": asked.route.addresses,
            "endpoint_dns_name": endpoint.dns_name if endpoint else None,
            "endpoint_addresses": endpoint.addresses if endpoint else (),
            "private_dns": endpoint.private_dns if endpoint else None,
            "through_endpoint": bool(resolved) and resolved <= interfaces,
        }
    )


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
