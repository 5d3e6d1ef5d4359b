"""CollectAnswers: a model deployed on demand answers the held-out prompts through the private endpoint.

An evaluation job cannot invoke a ``custom-model-deployment`` ARN (``EvaluationBedrockModel.modelIdentifier``), but it
judges answers we bring (``precomputedInferenceSource``). So the stack's private-inference function -- the one that
runs the smoke test, in the job subnets, reaching Bedrock only through the bedrock-runtime interface endpoint --
asks the deployment each prompt of ``reports/<run>/evaluation/prompts.jsonl`` with the parameters the base model's
job uses (``maxTokens``, temperature 0), and writes ``custom-answers.jsonl`` beside it (SSE-KMS, our key): each
prompt's record with one ``modelResponses`` entry labelled ``answers_label(run)``. Prompts and answers stay in the
encrypted bucket: the state and the report carry counts only.

The step is resumable: it answers prompts in order until its time is nearly up, writes what it has, and returns
``Collecting`` with the next index; the state machine calls it again (each call moves the index forward, so the loop
ends). A prompt that gets no answer (an error, an empty text) is not retried and not written: the job then has no
score for it, and the gate's paired-coverage floor (``results.MIN_PAIRED_COVERAGE``) judges whether enough were
answered. Once that floor is out of reach the run fails here, before more answers or a judge job are paid for.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from ..ports import answer_timeout_seconds
from ..reasons import EvaluationFailed, Reason, ReasonCode
from ..service_errors import error_code
from ..state import PipelineState
from ..wiring import Dependencies
from .dataset import digest
from .report import missed, write_error
from .requests import answers_key, answers_label, dataset_key
from .results import MIN_PAIRED_COVERAGE
from .state import EvaluationState
from .steps import deleted_within


def answer_budget_seconds(max_tokens: int) -> float:
    """The time one more answer may take: two attempts, each a connect (5 s, ``adapters/clients.py``) and a read sized to
    the answer, and the answers file's write. CollectAnswers asks another prompt only with more than this left."""
    return 2 * (answer_timeout_seconds(max_tokens) + 5) + 30


def answered_records(prompt_lines: Sequence[str], answers: dict[int, str], label: str) -> list[str]:
    """The dataset lines for the answered prompts, in prompt order: each prompt record plus one ``modelResponses``."""
    lines = []
    for index, line in enumerate(prompt_lines):
        answer = answers.get(index)
        if answer:
            record = json.loads(line)
            record["modelResponses"] = [{"response": answer, "modelIdentifier": label}]
            lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def collect_answers(
    state: PipelineState,
    current: EvaluationState,
    deps: Dependencies,
    seconds_left: Callable[[], float],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> EvaluationState:
    """Answer the next prompts until the time is nearly up; ``Answered`` when every prompt was asked."""
    run, profile, deployment = state.run, state.settings.evaluation, state.deployment
    assert deployment is not None and current.status == "Collecting", "collect answers for a deployed model"
    prompt_lines = (deps.bucket.get_text(dataset_key(run.run_id)) or "").splitlines()
    answers = _answers_so_far(deps, run.run_id, prompt_lines)
    # From the state's index on, what has no answer yet: a crash after an earlier call's write (its state never moved
    # on) asks nothing twice. An unanswered prompt before the index stays unanswered (asked once, both attempts).
    pending = [i for i in range(current.collected, len(prompt_lines)) if i not in answers]
    budget = answer_budget_seconds(profile.max_response_tokens)
    needed = math.ceil(MIN_PAIRED_COVERAGE * len(prompt_lines))  # the gate's paired-coverage floor

    def reachable() -> bool:  # answered, plus every prompt still to ask, can still make the floor
        return len(answers) + len(pending) >= needed

    asked, misses = 0, dict(current.unanswered)
    # One at a time: gentle on an on-demand deployment's quota, and the loop, not a thread pool, bounds the time.
    # At least one per call, whatever the clock says: every call moves forward, so the state machine's loop ends.
    while pending and reachable() and (asked == 0 or seconds_left() > budget):
        if deleted_within(state, budget, now()):
            # The time-to-live deletes the deployment before this answer could come: a clear stop, not misses.
            write_error(deps.bucket, run.run_id, "the time-to-live deletes the model first")
            raise EvaluationFailed(Reason(ReasonCode.EVALUATION_TIMED_OUT, "ttl"))
        index = pending.pop(0)
        answer, miss = _ask(deps, deployment.arn, json.loads(prompt_lines[index])["prompt"], profile.max_response_tokens)
        if miss is None:
            answers[index] = answer
        else:
            misses[miss] = misses.get(miss, 0) + 1
        asked += 1
    if not reachable():
        # The gate would fail every metric for thin coverage: say so now, before more answers or a judge job bill.
        tried, total = len(prompt_lines) - len(pending), len(prompt_lines)
        why = f"the custom model answered {len(answers)} of {tried} held-out prompts asked ({total} in all; no answer: {missed(misses)})"
        write_error(deps.bucket, run.run_id, why, custom_answers=len(answers), custom_unanswered=misses)
        raise EvaluationFailed(Reason(ReasonCode.EVALUATION_FAILED, "custom-unanswered"))
    records = answered_records(prompt_lines, answers, answers_label(run.run_id))
    deps.bucket.put_text(answers_key(run.run_id), "".join(f"{line}\n" for line in records), "application/jsonl")  # SSE-KMS, our key
    index = pending[0] if pending else len(prompt_lines)
    counts = {"collected": index, "answered": len(answers), "prompts": len(prompt_lines), "unanswered": misses}
    return current.model_copy(update=counts if pending else {**counts, "status": "Answered"})


def _ask(deps: Dependencies, model_arn: str, prompt: str, max_tokens: int) -> tuple[str, str | None]:
    """One answer and None, or "" and why none came: the error's code (its text could quote the prompt: dropped, not
    logged) or ``EmptyAnswer``."""
    try:
        answer, _ = deps.runtime.converse(model_arn, prompt, max_tokens, temperature=0)
    except Exception as err:  # any failure to answer leaves this prompt unscored; the coverage floor judges the total
        return "", error_code(err)
    return (answer, None) if answer.strip() else ("", "EmptyAnswer")


def _answers_so_far(deps: Dependencies, run_id: str, prompt_lines: Sequence[str]) -> dict[int, str]:
    """What an earlier call of this step wrote, by prompt index (found by digest: a crash after the write and before
    the state moved on re-asks nothing it already has, and writes no prompt twice)."""
    index_of = {digest(json.loads(line)["prompt"]): i for i, line in enumerate(prompt_lines)}
    found: dict[int, str] = {}
    for line in (deps.bucket.get_text(answers_key(run_id)) or "").splitlines():
        record = json.loads(line)
        index = index_of.get(digest(record["prompt"]))
        if index is not None:
            found[index] = record["modelResponses"][0]["response"]
    return found
