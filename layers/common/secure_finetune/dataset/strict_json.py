"""Strict parsing of one JSONL line into a JSON object.

Decisions where the documentation is silent
    * A blank line is an error (LINE_BLANK): Bedrock rejects "extra or empty lines".
    * An escaped ``\\u0000`` is rejected like a raw NUL (DATASET_NUL_BYTE): no text model trains
      on it and some tokenizers truncate there.
    * Duplicate keys (at any depth) are rejected: consumers disagree on which value wins.
    * Nesting deeper than ``MAX_DEPTH`` is rejected before parsing.
    * Integers longer than Python's 4300-digit limit and floats that overflow to infinity are
      NON_FINITE_NUMBER, as are NaN/Infinity literals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from ..reasons import ReasonCode
from .report import Problem

MAX_DEPTH = 32


class _DuplicateKey(ValueError):
    pass


class _NonFinite(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        raise _DuplicateKey
    return record


def _reject_constant(name: str) -> Any:
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NonFinite(text)
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_reject_constant, parse_float=_finite_float)
# The C scanner behind the decoder, with its hooks (set in JSONDecoder.__init__, not in the stubs).
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def _decode(text: str) -> Any:
    """_DECODER.decode(text), minus the Python wrappers (whitespace regexes, raw_decode): a
    microsecond a record. A line that is not exactly one value, edge to edge, takes the full
    decoder, which accepts or raises exactly as before."""
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:  # no value at offset 0 (leading whitespace, or not JSON)
        return _DECODER.decode(text)
    return value if end == len(text) else _DECODER.decode(text)


def _bad_string(text: str) -> tuple[ReasonCode, str] | None:
    if "\x00" in text:
        return ReasonCode.DATASET_NUL_BYTE, "escaped NUL (\\u0000)"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return ReasonCode.LONE_SURROGATE, "a string holds a lone UTF-16 surrogate"
    return None


def _inspect(container: dict[str, Any] | list[Any], depth: int, strings: bool) -> tuple[ReasonCode, str] | None:
    """Depth of arrays and objects and, when the line had escapes, NULs and lone surrogates."""
    if depth <= 0:
        return ReasonCode.NESTING_TOO_DEEP, f"nesting deeper than {MAX_DEPTH}"
    if isinstance(container, dict):
        if strings:
            for key in container:
                if bad := _bad_string(key):
                    return bad
        items: Iterable[Any] = container.values()
    else:
        items = container
    for item in items:
        kind = type(item)
        if kind is str:
            if strings and (bad := _bad_string(item)):
                return bad
        elif (kind is dict or kind is list) and (found := _inspect(item, depth - 1, strings)):
            return found
    return None


# What the parser's complaint usually means, as a fix (json's messages name the expected token, never the text).
_JSON_HINTS = (
    ("Expecting property name enclosed in double quotes", "keys need double quotes, and no comma may follow the last member"),
    ("Expecting value", "a value is missing or not JSON (strings in double quotes; true/false/null in lower case; no trailing comma)"),
    ("Extra data", "one JSON object per line: a pretty-printed or concatenated file must be one object per line"),
    ("Unterminated string", "a string is not closed on this line (a raw line break inside a string must be written \\n)"),
    ("Invalid control character", "a raw control character (tab, line break) inside a string must be escaped"),
    ("Invalid \\escape", "a backslash must start a JSON escape (\\n, \\t, \\\\, \\u0041 ...)"),
)


def _invalid_json(text: str, err: ValueError) -> Problem:
    """Where the parser stopped (character column, and byte offset in the line) and what it expected, with a fix."""
    if not isinstance(err, json.JSONDecodeError):
        return Problem(ReasonCode.LINE_INVALID_JSON, "not valid JSON")
    expected = err.msg[:1].lower() + err.msg[1:]
    hint = next((fix for start, fix in _JSON_HINTS if err.msg.startswith(start)), None)
    message = f"not valid JSON at column {err.colno}: {expected}" + (f" (hint: {hint})" if hint else "")
    return Problem(ReasonCode.LINE_INVALID_JSON, message, len(text[: err.pos].encode("utf-8")), err.colno)


def parse_record(raw: bytes) -> dict[str, Any]:
    """Strictly parse one JSONL line (without its newline) into a JSON object, or raise Problem."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if not raw or raw.isspace():
        raise Problem(ReasonCode.LINE_BLANK, "blank line")
    if b"\x00" in raw:
        raise Problem(ReasonCode.DATASET_NUL_BYTE, "raw NUL byte", raw.index(b"\x00"))
    try:
        text = raw.decode("utf-8")  # strict
    except UnicodeDecodeError as err:
        raise Problem(ReasonCode.DATASET_NOT_UTF8, "invalid UTF-8", err.start) from None
    escapes = b"\\" in raw  # a NUL or a lone surrogate can only arrive as a \u escape
    try:
        record = _decode(text)
    except _DuplicateKey:
        raise Problem(ReasonCode.DUPLICATE_KEY, "an object repeats a key") from None
    except _NonFinite:
        raise Problem(ReasonCode.NON_FINITE_NUMBER, "NaN, Infinity or a number too large for a float") from None
    except RecursionError:
        raise Problem(ReasonCode.NESTING_TOO_DEEP, "nesting too deep") from None
    except ValueError as err:
        if "digits" in str(err):  # int_max_str_digits
            raise Problem(ReasonCode.NON_FINITE_NUMBER, "an integer with too many digits") from None
        raise _invalid_json(text, err) from None
    # One walk over the parsed record: depth, escaped NULs and lone surrogates (escapes that
    # json decoding lets through). Cheaper than scanning the raw bytes for the escapes.
    if (type(record) is dict or type(record) is list) and (found := _inspect(record, MAX_DEPTH, escapes)):
        raise Problem(*found)
    if type(record) is not dict:
        raise Problem(ReasonCode.LINE_NOT_OBJECT, "a record must be a JSON object")
    return record
