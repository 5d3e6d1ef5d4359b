"""Smoke test: a few prompts through Converse on the deployed model; counts, lengths and latencies only.

With the stack's PrivateInference on (the default), this function runs in the job subnets (VpcConfig) and its runtime
client calls the regional hostname, which the bedrock-runtime interface endpoint's private DNS answers inside the
VPC: the test passes only when every prompt was answered *and* that hostname resolved, here, to the addresses of the
endpoint's own DNS name and nothing else (an endpoint-specific name resolves to its network interfaces' private
addresses: PrivateLink guide, "DNS hostnames",
https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html#interface-endpoint-dns-hostnames).
It reads its prompts and writes its report through the S3 gateway endpoint, whose policy lets this function's role
alone write ``reports/<run>/smoke.json`` (GR-NET-05). The report records the route (``InferencePath``). Off: the
function runs outside any VPC and calls Bedrock's public regional endpoint.
"""

from __future__ import annotations

import json
import time

from ..config import PrivateInferenceSettings
from ..ports import InferenceService, PrivateAnswer
from ..reasons import DeploymentFailed, Reason, ReasonCode
from ..reports import InferencePath, SmokeAnswer, SmokeReport, write_report
from ..state import PipelineState, SmokeResult
from ..wiring import Dependencies

SMOKE_PROMPTS_FROM_VALIDATION = 3


def smoke_test(state: PipelineState, deps: Dependencies) -> SmokeResult:
    """A few prompts through Converse on the deployed ARN; every one must get a non-empty answer.

    Prompts and answers stay in memory: the report keeps counts, lengths, latencies and the route only.
    """
    run, settings, deployment = state.run, state.settings, state.deployment
    assert deployment is not None
    prompts = tuple(settings.smoke_test_prompts) or tuple(_validation_prompts(state, deps))
    private = deps.config if isinstance(deps.config, PrivateInferenceSettings) and deps.config.private_inference else None
    answers = [ask(deps.runtime, deployment.arn, prompt) for prompt in prompts]
    path = _route(deps.runtime, private) if private is not None else InferencePath(private=False)
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


def ask(runtime: InferenceService, model_arn: str, prompt: str, max_tokens: int = 64) -> PrivateAnswer:
    """One Converse turn: whether a non-empty answer came, its length and latency; the text is dropped here."""
    started = time.monotonic()
    try:
        answer, latency_ms = runtime.converse(model_arn, prompt, max_tokens)
    except Exception as err:  # any failure to answer fails the smoke test
        return PrivateAnswer(answered=False, error=type(err).__name__, latency_ms=int((time.monotonic() - started) * 1000))
    return PrivateAnswer(answered=bool(answer.strip()), answer_chars=len(answer), latency_ms=latency_ms)


def _route(runtime: InferenceService, private: PrivateInferenceSettings) -> InferencePath:
    """The way the calls went from here: the hostname the client called, what it resolved to, and whether that is
    exactly (a subset of) what the endpoint's own DNS name resolves to."""
    path = InferencePath(
        private=True,
        endpoint_id=private.runtime_endpoint_id,
        endpoint_dns_name=private.runtime_endpoint_dns_name,
        function=private.function_name,
    )
    if not private.runtime_endpoint_id or not private.runtime_endpoint_dns_name:
        return path  # not configured: nothing proves the path
    route = runtime.route()
    endpoint_addresses = runtime.resolve(private.runtime_endpoint_dns_name)
    through = bool(route.addresses) and set(route.addresses) <= set(endpoint_addresses)
    # The regional hostname answering with the endpoint's addresses is what the endpoint's private DNS does.
    return path.model_copy(
        update={
            "hostname": route.hostname,
            "addresses": route.addresses,
            "endpoint_addresses": endpoint_addresses,
            "private_dns": through,
            "through_endpoint": through,
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
