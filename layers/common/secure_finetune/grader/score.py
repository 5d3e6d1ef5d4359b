"""Bedrock's reward-function contract, as an example grader: exact match against the reference answer.

Input (Bedrock invokes the Lambda with a batch): a JSON array of ``{"id", "messages": [..., {"role":
"assistant", "content": <the model's answer>}], "metadata": {"reference_answer", <the record's other fields>}}``;
AWS's pages also show ``reference_answer`` at the top level of a sample, so both places are read. Output: one
``{"id", "aggregate_reward_score": float, "metrics_list": [{"name", "value", "type": "Reward" | "Metric"}]}``
per sample. Sources: [UG reward-functions] https://docs.aws.amazon.com/bedrock/latest/userguide/reward-functions.html,
[UG reward-functions-open-weight] https://docs.aws.amazon.com/bedrock/latest/userguide/reward-functions-open-weight.html.

A sample it cannot read scores 0 (the batch goes on); a payload that is not a batch at all is an error
(``GraderInputError``), whose message names no content. Replace ``_score`` with your task's reward.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any


class GraderInputError(ValueError):
    """The payload is not a batch of samples (the message is content-free)."""


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    type: str  # "Reward" (part of the reward) or "Metric" (reported only)


@dataclass(frozen=True)
class GradedSample:
    id: str
    aggregate_reward_score: float
    metrics_list: tuple[Metric, ...] = field(default_factory=tuple)

    def as_output(self) -> dict[str, Any]:
        output = asdict(self)
        output["metrics_list"] = [asdict(metric) for metric in self.metrics_list]
        return output


def grade_batch(payload: Any) -> tuple[list[GradedSample], int]:
    """Scores of a batch, and how many samples could not be read (they score 0)."""
    if not isinstance(payload, list):
        raise GraderInputError("the payload is not a list of samples")
    graded, unreadable = [], 0
    for position, sample in enumerate(payload):
        sample_id = sample.get("id") if isinstance(sample, dict) else None
        if not isinstance(sample_id, str) or not sample_id:
            raise GraderInputError(f"sample {position} has no id")  # Bedrock matches scores to samples by id
        answer, reference = _answer(sample), _reference(sample)
        if answer is None or reference is None:
            unreadable += 1
            graded.append(GradedSample(sample_id, 0.0, (Metric("readable", 0.0, "Metric"),)))
            continue
        score = _score(answer, reference)
        graded.append(GradedSample(sample_id, score, (Metric("exact_match", score, "Reward"), Metric("readable", 1.0, "Metric"))))
    return graded, unreadable


def _score(answer: str, reference: str) -> float:
    return 1.0 if _normal(answer) == _normal(reference) else 0.0


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split()).rstrip(".")


def _answer(sample: dict[str, Any]) -> str | None:
    """The model's answer: the last turn, the assistant's."""
    messages = sample.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return None
    last = messages[-1]
    if last.get("role") != "assistant":
        return None
    return _text(last.get("content"))


def _reference(sample: dict[str, Any]) -> str | None:
    metadata = sample.get("metadata")
    reference = metadata.get("reference_answer") if isinstance(metadata, dict) else None
    if reference is None:
        reference = sample.get("reference_answer")
    if isinstance(reference, dict):  # a structured reference: its answer, else the whole object
        for key in ("answer", "solution", "explanation"):
            if isinstance(reference.get(key), str):
                return str(reference[key])
        return json.dumps(reference, sort_keys=True, ensure_ascii=False)
    if isinstance(reference, (int, float)) and not isinstance(reference, bool):
        return str(reference)
    return reference if isinstance(reference, str) else None


def _text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        parts = [part.get("text") for part in content if isinstance(part, dict) and part.get("type") == "text"]
        if parts and all(isinstance(part, str) for part in parts):
            return "".join(str(part) for part in parts)
    return None
