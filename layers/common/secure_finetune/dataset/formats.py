"""The record shape of each Bedrock customization format: required and allowed fields, turn
order, content blocks, and what a record holds for the limit checks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..models import DatasetFormat
from ..reasons import ReasonCode
from .hints import field_problem, shown, suggestion
from .report import CHARS_PER_TOKEN_SAFE, Problem

SCHEMA_VERSION = "bedrock-conversation-2024"


class Literals:
    """Whether a text holds any of a few literal strings; fast when it holds none.

    The strings are grouped by their last character: ``char in text`` is a C memchr, tens of
    times faster than a substring search, and rules out most texts. A text that holds the
    character gets one regex pass led by that literal (the engine's fast path), with a
    look-behind per string, instead of one substring search per string.
    """

    def __init__(self, strings: Iterable[str]) -> None:
        groups: dict[str, list[str]] = {}
        for string in strings:
            groups.setdefault(string[-1], []).append(string)
        self.groups = tuple(
            (last, re.compile(re.escape(last) + "(?:" + "|".join(f"(?<={re.escape(s)})" for s in group) + ")"))
            for last, group in groups.items()
        )

    def __call__(self, text: str) -> bool:
        for last, pattern in self.groups:  # noqa: SIM110 - any() over a generator doubles the cost per text
            if last in text and pattern.search(text) is not None:
                return True
        return False


@dataclass
class _Media:
    kind: str
    format: str
    uri: str


@dataclass
class Record:
    """What a shape check found in a record, for the limit and warning checks."""

    texts: list[str] = field(default_factory=list)
    input_chars: int = 0
    output_chars: int = 0
    media: list[_Media] = field(default_factory=list)
    caption: str | None = None
    schema_version: str | None = None
    reasoning: bool = False

    def safe_tokens(self) -> int:
        return -(-(self.input_chars + self.output_chars) // CHARS_PER_TOKEN_SAFE) + 1601 * len(self.media)


def _mismatch(message: str) -> Problem:
    return Problem(ReasonCode.SCHEMA_MISMATCH, message)


class _Fields:
    """The fields an object must and may have, as sets made once."""

    def __init__(self, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        self.required, self.optional = required, optional
        self.needed, self.allowed = frozenset(required), frozenset(required + optional)

    def check(self, record: dict[str, Any]) -> None:
        if self.needed <= record.keys() <= self.allowed:  # the usual case: two C-level set comparisons
            return
        # Field names come from the data: named (hints.shown), with a did-you-mean; their values never.
        raise _mismatch(field_problem(record.keys(), self.required, self.optional))


_PROMPT_COMPLETION = _Fields(("prompt", "completion"))
_INPUT = _Fields(("input",))
_IMAGE_CAPTION = _Fields(("image-ref", "caption"))
_TURN = _Fields(("role", "content"))
_CLAUDE_RECORD = _Fields(("messages",), ("system",))
_CONVERSATION_RECORD = _Fields(("schemaVersion", "messages"), ("system",))


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value != "" and not value.isspace()


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _mismatch(f"{where} must be a string")
    if not value or value.isspace():  # == not value.strip(), without copying a 100 kB string
        raise _mismatch(f"{where} is empty")
    return value


def _prompt_completion(record: dict[str, Any], found: Record) -> None:
    _PROMPT_COMPLETION.check(record)
    prompt, completion = _text(record["prompt"], "prompt"), _text(record["completion"], "completion")
    found.texts += [prompt, completion]
    found.input_chars, found.output_chars = len(prompt), len(completion)


def _continued_pretraining(record: dict[str, Any], found: Record) -> None:
    _INPUT.check(record)
    text = _text(record["input"], "input")
    found.texts.append(text)
    found.input_chars = len(text)


def _image_caption(record: dict[str, Any], found: Record) -> None:
    _IMAGE_CAPTION.check(record)
    uri = _text(record["image-ref"], "image-ref")
    caption = record["caption"]
    if not isinstance(caption, str):
        raise _mismatch("caption must be a string")
    extension = uri.rsplit(".", 1)[-1].lower()
    found.media.append(_Media("image", "jpeg" if extension == "jpg" else extension, uri))
    found.caption = caption
    found.texts.append(caption)
    found.input_chars = len(caption)


def _turns(messages: list[Any]) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(index, role, message) of {role, content} turns, user first and alternating."""
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _mismatch(f"messages[{index}] must be an object")
        _TURN.check(message)
        expected = "user" if index % 2 == 0 else "assistant"
        if message["role"] != expected:
            raise _mismatch(f"messages[{index}].role must be {expected} (user first, alternating)")
        yield index, expected, message


_CLAUDE_RESERVED = Literals(("\nHuman:", "\nAssistant:"))


def _claude_messages(record: dict[str, Any], found: Record) -> None:
    _CLAUDE_RECORD.check(record)
    if "system" in record:
        found.texts.append(_text(record["system"], "system"))
        found.input_chars += len(record["system"])
    messages = record["messages"]
    if not isinstance(messages, list) or len(messages) < 2:
        raise _mismatch("messages must be a list of at least 2 turns")
    for index, expected, message in _turns(messages):
        content = message["content"]
        if not _is_text(content):
            _text(content, f"messages[{index}].content")  # raises, naming the place
        if _CLAUDE_RESERVED(content):
            raise _mismatch(f"messages[{index}].content holds a reserved '\\nHuman:' or '\\nAssistant:'")
        found.texts.append(content)
        if expected == "user":
            found.input_chars += len(content)
        else:
            found.output_chars += len(content)
    if messages[-1]["role"] != "assistant":
        raise _mismatch("the last turn must be the assistant's")


def _conversation(
    record: dict[str, Any], found: Record, assistant_optional: bool = False, single_turn: bool = False, single_turn_model: str | None = None
) -> None:
    _CONVERSATION_RECORD.check(record)
    if not isinstance(record["schemaVersion"], str):
        raise _mismatch("schemaVersion must be a string")
    found.schema_version = record["schemaVersion"]
    if "system" in record:
        system = record["system"]
        if not isinstance(system, list) or not all(isinstance(b, dict) and set(b) == {"text"} for b in system):
            raise _mismatch("system must be a list of {text} blocks")
        for block in system:
            found.texts.append(_text(block["text"], "system text"))
            found.input_chars += len(block["text"])
    messages = record["messages"]
    if not isinstance(messages, list) or not messages:
        raise _mismatch("messages must be a non-empty list")
    for index, expected, message in _turns(messages):
        _content(message["content"], index, expected, found)
    last = messages[-1]["role"]
    if last != "assistant" and not assistant_optional:
        raise _mismatch("the last turn must be the assistant's")
    if single_turn and len(messages) > 2:
        raise _mismatch(_single_turn_message(single_turn_model))


def _single_turn_message(model: str | None) -> str:
    """Name the model that imposes the rule (the student or the teacher: "Anthropic and Meta Llama models support only
    single-turn conversation prompts", [UG distillation-data-prep-option-1]); without its name, say who may."""
    turns = "single-turn prompts only (one user turn, optional answer)"
    if model:
        return f"{model} takes {turns}"
    return f"an Anthropic or Meta Llama model of this distillation (the student or the teacher) takes {turns}"


def _prompt(record: dict[str, Any], found: Record, single_turn: bool = False, single_turn_model: str | None = None) -> None:
    """A distillation prompt: the conversation schema, assistant turn optional; another schemaVersion
    does not conform (Bedrock drops the prompt). The version itself is never echoed."""
    _conversation(record, found, assistant_optional=True, single_turn=single_turn, single_turn_model=single_turn_model)
    if found.schema_version != SCHEMA_VERSION:
        raise _mismatch(f"schemaVersion is not {SCHEMA_VERSION}")


_BLOCKS = ("text", "image", "video", "document", "reasoningContent")


def _content(blocks: Any, index: int, role: str, found: Record) -> None:
    # Messages name the failing place; they are built only on failure (f-strings cost per block).
    if not isinstance(blocks, list) or not blocks:
        raise _mismatch(f"messages[{index}].content must be a non-empty list of blocks")
    for position, block in enumerate(blocks):
        if not isinstance(block, dict) or len(block) != 1 or next(iter(block)) not in _BLOCKS:
            raise _mismatch(f"messages[{index}].content[{position}] must hold exactly one of {', '.join(_BLOCKS)}")
        [(kind, value)] = block.items()
        if kind == "text":
            if not _is_text(value):
                _text(value, f"messages[{index}].content[{position}].text")  # raises, naming the place
            found.texts.append(value)
            if role == "user":
                found.input_chars += len(value)
            else:
                found.output_chars += len(value)
            continue
        where = f"messages[{index}].content[{position}]"
        if kind == "reasoningContent":
            if role != "assistant" or position != 0:
                raise _mismatch(f"{where}: reasoningContent must open an assistant turn")
            reasoning = value.get("reasoningText") if isinstance(value, dict) else None
            if not isinstance(reasoning, dict) or set(value) != {"reasoningText"}:
                raise _mismatch(f"{where}: only reasoningContent.reasoningText is supported")
            text = _text(reasoning.get("text"), f"{where}.reasoningText.text")
            found.reasoning = True
            found.texts.append(text)
            found.output_chars += len(text)
        elif kind in ("image", "video"):
            if role != "user":
                raise _mismatch(f"{where}: {kind}s belong in user turns")
            found.media.append(_media(kind, value, where))
        else:
            raise _mismatch(f"{where}: documents are not supported for fine-tuning")


def _media(kind: str, value: Any, where: str) -> _Media:
    if not isinstance(value, dict) or not isinstance(value.get("format"), str):
        raise _mismatch(f"{where}.{kind} needs a format")
    location = value.get("source", {}).get("s3Location") if isinstance(value.get("source"), dict) else None
    if not isinstance(location, dict) or not isinstance(location.get("uri"), str):
        raise _mismatch(f"{where}.{kind}.source.s3Location.uri is required")
    return _Media(kind, value["format"], location["uri"])


_RFT_ROLES = ("system", "user", "assistant")


def _rft(record: dict[str, Any], found: Record) -> None:
    """A reinforcement fine-tuning prompt: OpenAI chat format, ``messages`` (system, user or assistant turns
    holding the prompt) and ``reference_answer`` (what the grader scores against: any JSON value but an empty
    one), plus any fields the grader reads [UG rft-prepare-data]:
    https://docs.aws.amazon.com/bedrock/latest/userguide/rft-prepare-data.html (and rft-prepare-data-open-weight.html) list
    both fields and mark only the grader's extra fields "[Optional]"; the Nova 2 user guide says of reference_answer
    "Required. The expected output or evaluation criteria that your reward function uses to score the model's response"
    (https://docs.aws.amazon.com/nova/latest/nova2-userguide/nova-data-prep-rft-2.html). Text only: a content is a
    string or a list of {"type": "text", "text"} parts. Bedrock generates the answers, so no turn is required
    to be the assistant's; a system turn comes first if at all."""
    if "messages" not in record or "reference_answer" not in record:
        missing = [k for k in ("messages", "reference_answer") if k not in record]
        meant = [f"{shown(k)} (did you mean '{m}'?)" for m in missing for k in record if suggestion(k, [m]) == m and shown(k)]
        raise _mismatch(f"missing field(s) {', '.join(missing)}" + (f"; found {', '.join(meant)}" if meant else ""))
    reference = record["reference_answer"]
    if reference in ("", None, [], {}) or (isinstance(reference, str) and reference.isspace()):
        raise _mismatch("reference_answer is empty")
    messages = record["messages"]
    if not isinstance(messages, list) or not messages:
        raise _mismatch("messages must be a non-empty list")
    users = 0
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise _mismatch(f"messages[{index}] must be an object with role and content")
        role = message["role"]
        if role not in _RFT_ROLES:
            raise _mismatch(f"messages[{index}].role must be one of {', '.join(_RFT_ROLES)}")
        if role == "system" and index != 0:
            raise _mismatch(f"messages[{index}]: a system turn comes first")
        users += role == "user"
        for text in _rft_texts(message["content"], f"messages[{index}].content"):
            found.texts.append(text)
            found.input_chars += len(text)
    if not users:
        raise _mismatch("messages hold no user turn")


def _rft_texts(content: Any, where: str) -> list[str]:
    if isinstance(content, str):
        return [_text(content, where)]
    if not isinstance(content, list) or not content:
        raise _mismatch(f"{where} must be a string or a non-empty list of text parts")
    texts = []
    for position, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type") != "text" or set(part) != {"type", "text"}:
            raise _mismatch(f"{where}[{position}] must be a {{type: text, text}} part (text only)")
        texts.append(_text(part["text"], f"{where}[{position}].text"))
    return texts


_SHAPES: dict[DatasetFormat, Callable[[dict[str, Any], Record], None]] = {
    DatasetFormat.PROMPT_COMPLETION: _prompt_completion,
    DatasetFormat.CONTINUED_PRETRAINING: _continued_pretraining,
    DatasetFormat.IMAGE_CAPTION: _image_caption,
    DatasetFormat.CLAUDE_MESSAGES: _claude_messages,
    DatasetFormat.CONVERSATION: _conversation,
    DatasetFormat.DISTILLATION_PROMPTS: _prompt,
    DatasetFormat.RFT_CHAT: _rft,
}


def record_shape(
    dataset_format: DatasetFormat, single_turn: bool = False, single_turn_model: str | None = None
) -> Callable[[dict[str, Any], Record], None]:
    """The shape check of a format's records (distillation prompts when the student or the teacher takes single-turn
    prompts only: one user turn; ``single_turn_model`` names that model in the message)."""
    if dataset_format is DatasetFormat.DISTILLATION_PROMPTS and single_turn:
        return partial(_prompt, single_turn=True, single_turn_model=single_turn_model)
    return _SHAPES[dataset_format]
