"""Held-out records -> Bedrock's evaluation prompt dataset (JSONL: ``prompt``, ``referenceResponse``).

Pure: bytes in, bytes out, counts for the report. The prompt text never leaves the encrypted bucket: the
report keeps a short digest per prompt index (to line the two jobs' results up) and the counts of what was
used and skipped, with the line numbers of skipped records, never their content.
https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-prompt-datasets-judge.html
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from .config import MAX_PROMPTS_PER_JOB

DATASET_NAME = "heldout"  # EvaluationDataset.name: [0-9a-zA-Z-_.]{1,63}
MAX_PROMPT_CHARS = 32_000  # one prompt well inside any judge's context (the template adds its own text)


@dataclass(frozen=True)
class PromptDataset:
    jsonl: bytes
    digests: tuple[str, ...]  # per prompt index: the first 16 hex of sha256(prompt)
    prompt_chars: int  # sum over prompts (for the token estimate)
    reference_chars: int
    skipped_lines: tuple[int, ...] = field(default=())  # 1-based lines with no usable prompt + reference

    @property
    def prompts(self) -> int:
        return len(self.digests)


def digest(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def build_prompt_dataset(lines: Iterable[bytes], max_prompts: int = MAX_PROMPTS_PER_JOB) -> PromptDataset:
    """The first ``max_prompts`` records that yield a prompt and a reference answer, in file order.

    A line that is not a JSON object, or has no user turn or no answer, is skipped (counted by line number):
    the validator has vetted the file already, so this is the pipeline's second reader, not the gate.
    """
    out: list[bytes] = []
    digests: list[str] = []
    seen: set[str] = set()
    skipped: list[int] = []
    prompt_chars = reference_chars = 0
    for number, line in enumerate(lines, start=1):
        if len(digests) >= min(max_prompts, MAX_PROMPTS_PER_JOB):
            break
        if not line.strip():
            continue
        pair = prompt_and_reference(line)
        if pair is None or digest(pair[0]) in seen:  # a repeated prompt would make the index ambiguous
            skipped.append(number)
            continue
        prompt, reference = pair
        seen.add(digest(prompt))
        digests.append(digest(prompt))
        prompt_chars += len(prompt)
        reference_chars += len(reference)
        out.append(json.dumps({"prompt": prompt, "referenceResponse": reference}, ensure_ascii=False).encode() + b"\n")
    return PromptDataset(b"".join(out), tuple(digests), prompt_chars, reference_chars, tuple(skipped))


def prompt_and_reference(line: bytes) -> tuple[str, str] | None:
    """(prompt, reference answer) of one record: ``prompt``/``completion`` (or ``input``/``output``), or the
    first user turn and the assistant turn after it (``messages``, both the OpenAI and Bedrock shapes)."""
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict):
        return None
    for ask, answer in (("prompt", "completion"), ("input", "output")):
        if isinstance(record.get(ask), str) and isinstance(record.get(answer), str):
            return _usable(record[ask], record[answer])
    messages = record.get("messages")
    if not isinstance(messages, list):
        return None
    prompt = None
    for message in messages:
        if not isinstance(message, dict):
            return None
        text = _text(message.get("content"))
        if message.get("role") == "user" and prompt is None:
            prompt = text
        elif message.get("role") == "assistant" and prompt is not None:
            return _usable(prompt, text)
    return None


def _text(content: object) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [block["text"] for block in content if isinstance(block, dict) and isinstance(block.get("text"), str)]
        return " ".join(texts) if texts else None
    return None


def _usable(prompt: str | None, reference: str | None) -> tuple[str, str] | None:
    if not prompt or not reference or not prompt.strip() or not reference.strip() or len(prompt) > MAX_PROMPT_CHARS:
        return None
    try:  # a lone surrogate (\ud800) parses as JSON but is no UTF-8 text: Bedrock could not read the line
        prompt.encode("utf-8"), reference.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return prompt, reference
