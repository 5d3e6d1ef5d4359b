"""Fix hints for dataset errors: the fields a record has wrong, named (names only, never a value), with a
did-you-mean for near misses and for the fields of other formats; and what format a record looks like.

Field names come from the data, so a name is shown only when it looks like a field name (``_FIELD_NAME``: an
identifier of at most ``NAME_CHARS`` characters, no spaces) and not like a secret, PII or a long number
(``sensitive``, ``_DIGITS``); any other name is counted, not shown. At most ``NAMES_SHOWN`` names; values never.

The aliases are the field names of formats people bring: Bedrock's own other formats (prompt/completion,
continued pre-training's ``input``, image-ref/caption, the conversation schema, RFT's reference_answer), Nova
continued pre-training's ``text``, the Alpaca-style ``instruction``/``input``/``output`` and capitalised keys
(``Prompt``, ``Completion``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..models import DatasetFormat
from .sensitive import sensitive

NAME_CHARS = 40
NAMES_SHOWN = 5

# another format's field (lower case) -> the field it most likely means, in each of ours that has it
ALIASES: dict[str, tuple[str, ...]] = {
    "input": ("prompt",),
    "instruction": ("prompt",),
    "question": ("prompt",),
    "query": ("prompt",),
    "output": ("completion", "input"),
    "response": ("completion",),
    "answer": ("completion", "reference_answer"),
    "target": ("completion", "reference_answer"),
    "text": ("input", "caption"),
    "content": ("input",),
    "image": ("image-ref",),
    "image_ref": ("image-ref",),
    "imageref": ("image-ref",),
    "image_url": ("image-ref",),
    "label": ("caption",),
    "conversation": ("messages",),
    "conversations": ("messages",),
    "schema_version": ("schemaVersion",),
    "schemaversion": ("schemaVersion",),
    "reference": ("reference_answer",),
    "referenceanswer": ("reference_answer",),
    "ground_truth": ("reference_answer",),
    "system_prompt": ("system",),
}


_FIELD_NAME = re.compile(rf"[A-Za-z_$@][\w$@.\-]{{0,{NAME_CHARS - 1}}}", re.ASCII)
_DIGITS = re.compile(r"\d{6}")


def shown(name: str) -> str | None:
    """A field name from the data, quoted, when it is safe to print (see the module's docstring); else None."""
    if _FIELD_NAME.fullmatch(name) is None or _DIGITS.search(name) is not None or any(sensitive(name.encode())):
        return None
    return f"'{name}'"


def suggestion(name: str, candidates: Sequence[str]) -> str | None:
    """The field of ``candidates`` that ``name`` most likely means: an alias, the same name in other case, or a near
    miss (difflib ratio >= 0.75)."""
    if not candidates:
        return None
    lowered = name.lower()
    for alias in ALIASES.get(lowered.replace("-", "_"), ()) + ALIASES.get(lowered, ()):
        if alias in candidates:
            return alias
    for candidate in candidates:
        if candidate.lower() == lowered:
            return candidate
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return close[0] if close else None


def field_problem(keys: Iterable[str], required: Sequence[str], optional: Sequence[str] = ()) -> str:
    """What is wrong with a record's fields, naming them: missing ones, unexpected ones (each with a did-you-mean)."""
    present = list(keys)
    allowed = (*required, *optional)
    missing = [k for k in required if k not in present]
    unexpected = [k for k in present if k not in allowed]
    parts = []
    if missing:
        parts.append(f"missing field(s) {', '.join(missing)}")
    if unexpected:
        # A missing field is the likeliest meaning; else any allowed field not used yet.
        free = missing or [k for k in allowed if k not in present]
        named: list[str] = []
        hidden = 0
        for key in unexpected:
            name = shown(key)
            if name is None:
                hidden += 1
            elif len(named) < NAMES_SHOWN:
                meant = suggestion(key, free)
                named.append(name + (f" (did you mean '{meant}'?)" if meant else ""))
        more = len(unexpected) - hidden - len(named)
        listed = (
            named + ([f"{more} more"] if more else []) + ([f"{hidden} whose name is not shown (not a plain field name)"] if hidden else [])
        )
        parts.append(f"unexpected field(s) {', '.join(listed)}")
    if not missing:
        parts.append(f"allowed: {', '.join(allowed)}")
    return "; ".join(parts)


def looks_like(record: dict[str, Any]) -> DatasetFormat | None:
    """The format a record's shape points to (by its keys and the type of its messages' content), or None."""
    keys = record.keys()
    if "messages" in keys:
        if "reference_answer" in keys:
            return DatasetFormat.RFT_CHAT
        if "schemaVersion" in keys:
            return DatasetFormat.CONVERSATION
        messages = record["messages"]
        first = messages[0] if isinstance(messages, list) and messages else None
        content = first.get("content") if isinstance(first, dict) else None
        if isinstance(content, list):
            return DatasetFormat.CONVERSATION
        return DatasetFormat.CLAUDE_MESSAGES if isinstance(content, str) else None
    if {"prompt", "completion"} <= keys:
        return DatasetFormat.PROMPT_COMPLETION
    if "image-ref" in keys:
        return DatasetFormat.IMAGE_CAPTION
    if keys == {"input"}:
        return DatasetFormat.CONTINUED_PRETRAINING
    return None
