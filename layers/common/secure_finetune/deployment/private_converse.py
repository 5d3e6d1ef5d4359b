"""The smoke test's model calls, made from inside the VPC (the PrivateConverse function, issue 16).

The smoke test reads its prompts and writes its report outside the VPC: the job subnets have no route but the S3
gateway endpoint, whose policy (GR-NET-05) lets nothing write to ``reports/``, and the in-VPC function's security
group lets it reach the bedrock-runtime endpoint only. So the smoke test hands the prompts to this function (a
synchronous Lambda invoke: the prompts are in no state, history or log) and gets back counts, latencies and the
route its runtime client took: the regional hostname, as any SDK in the VPC calls it, and what the VPC's resolver
answered for it (with the endpoint's private DNS: the endpoint's network interfaces).
"""

from __future__ import annotations

import time
from functools import cache

from pydantic import TypeAdapter

from ..ports import InferenceService, PrivateAnswer, PrivateAnswers
from ..state import _Wire


class PrivateConverseRequest(_Wire):
    run_id: str  # for the logs' correlation id only
    model_arn: str
    prompts: tuple[str, ...]
    max_tokens: int = 64


@cache
def answers_adapter() -> TypeAdapter[PrivateAnswers]:
    """The function's reply on the wire (built on first use, not at cold start)."""
    return TypeAdapter(PrivateAnswers)


def ask(runtime: InferenceService, model_arn: str, prompt: str, max_tokens: int = 64) -> PrivateAnswer:
    """One Converse turn: whether a non-empty answer came, its length and latency; the text is dropped here."""
    started = time.monotonic()
    try:
        answer, latency_ms = runtime.converse(model_arn, prompt, max_tokens)
    except Exception as err:  # any failure to answer fails the smoke test
        return PrivateAnswer(answered=False, error=type(err).__name__, latency_ms=int((time.monotonic() - started) * 1000))
    return PrivateAnswer(answered=bool(answer.strip()), answer_chars=len(answer), latency_ms=latency_ms)


def converse_privately(request: PrivateConverseRequest, runtime: InferenceService) -> PrivateAnswers:
    """Each prompt once through the runtime client, and the route that client takes from here."""
    answers = tuple(ask(runtime, request.model_arn, prompt, request.max_tokens) for prompt in request.prompts)
    return PrivateAnswers(answers=answers, route=runtime.route())
