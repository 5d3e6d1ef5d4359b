"""The validator's fast paths give the answers of the slow ones: each shortcut's edge cases.

Shortcuts under test: the C scanner called without json's wrappers (whitespace and trailing
data fall back to the full decoder), one byte-class pass that rules out secrets and card
numbers, memchr-led reserved-string search, lines sliced from their chunk, the sha256 worker.
"""

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secure_finetune.dataset import DatasetReport, DatasetRules, FileRole, validate_dataset
from secure_finetune.models import CustomizationType, DatasetFormat, find_model

LLAMA = DatasetRules.for_run(find_model("meta.llama3-1-8b-instruct-v1:0"), CustomizationType.FINE_TUNING, FileRole.TRAINING, "b")
NOVA = DatasetRules.for_run(find_model("amazon.nova-lite-v1:0"), CustomizationType.FINE_TUNING, FileRole.TRAINING, "b")
HAIKU = DatasetRules.for_run(find_model("anthropic.claude-3-haiku-20240307-v1:0"), CustomizationType.FINE_TUNING, FileRole.TRAINING, "b")


def report(data: bytes, rules: DatasetRules = LLAMA, chunk: int = 4096) -> DatasetReport:
    return validate_dataset(iter([data[i : i + chunk] for i in range(0, len(data), chunk)] or [b""]), rules)


def codes(data: bytes, rules: DatasetRules = LLAMA) -> dict[str, int]:
    return report(data, rules).errors_by_code


def pc(prompt: str, completion: str = "ok") -> bytes:
    return (json.dumps({"prompt": prompt, "completion": completion}) + "\n").encode()


# ---- parsing: the C scanner first, the full decoder for anything unusual


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b' \t{"prompt": "p", "completion": "c"}', {}),  # leading whitespace: json accepts it
        (b'{"prompt": "p", "completion": "c"} \t', {}),  # trailing whitespace too
        (b'{"prompt": "p", "completion": "c"} {}', {"LINE_INVALID_JSON": 1}),  # a second value
        (b'{"prompt": "p", "completion": "c"}x', {"LINE_INVALID_JSON": 1}),
        (b"x", {"LINE_INVALID_JSON": 1}),
        (b" x", {"LINE_INVALID_JSON": 1}),
        (b'"just a string"', {"LINE_NOT_OBJECT": 1}),
        (b" [] ", {"LINE_NOT_OBJECT": 1}),
    ],
)
def test_whitespace_and_trailing_data_take_the_full_decoder(line: bytes, expected: dict[str, int]) -> None:
    assert codes(line + b"\n") == expected


@pytest.mark.parametrize(
    "line",
    [
        rb'{"prompt": "a\"", "prompt": "b", "completion": "c"}',  # the repeat follows an escaped quote
        rb'{"prompt": "a\\", "prompt": "b", "completion": "c"}',  # ... an escaped backslash
        rb'{"prompt": "a", "\u0070rompt": "b", "completion": "c"}',  # the same key, spelled with an escape
        rb'{"prompt": "a", "completion": "c", "x": {"k": 1, "k": 2}}',  # nested, after the top level is fine
        rb'{"prompt": "a", "completion": [{"k": 1}, {"k": 1, "k": 1}]}',
    ],
)
def test_duplicate_keys_are_found_however_they_are_written(line: bytes) -> None:
    assert codes(line + b"\n") == {"DUPLICATE_KEY": 1}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (rb'{"prompt": "\ud800", "completion": "c"}', "LONE_SURROGATE"),
        (rb'{"prompt": "a\uDC00b", "completion": "c"}', "LONE_SURROGATE"),  # upper-case hex, low half
        (rb'{"\ud800": 1, "prompt": "a", "completion": "c"}', "LONE_SURROGATE"),  # in a key
        (rb'{"prompt": "a", "completion": ["c", {"x": "\udbff"}]}', "LONE_SURROGATE"),  # nested
        (rb'{"prompt": "\u0000", "completion": "c"}', "DATASET_NUL_BYTE"),
        (rb'{"prompt": "a", "completion": {"\u0000": "c"}}', "DATASET_NUL_BYTE"),
        (rb'{"prompt": -Infinity, "completion": "c"}', "NON_FINITE_NUMBER"),
        (rb'{"prompt": "a", "completion": [1, [2, -1e999]]}', "NON_FINITE_NUMBER"),
        (b'{"prompt": "a", "completion": [' + b"9" * 4301 + b"]}", "NON_FINITE_NUMBER"),
    ],
)
def test_escapes_and_numbers_the_scanner_lets_through_are_still_rejected(line: bytes, expected: str) -> None:
    assert codes(line + b"\n") == {expected: 1}


@pytest.mark.parametrize(
    "line",
    [
        rb'{"prompt": "\ud83d\ude00 a pair is one character", "completion": "c"}',
        rb'{"prompt": "\\ud800 and \\u0000 are text after an escaped backslash", "completion": "c"}',
        '{"prompt": "raw UTF-8: é 日本 \U0001f600", "completion": "c"}'.encode(),
    ],
)
def test_well_formed_escapes_are_accepted(line: bytes) -> None:
    assert codes(line + b"\n") == {}


def test_a_parse_level_problem_wins_over_a_schema_problem_on_the_same_line() -> None:
    # Extra field (schema) and a lone surrogate (parse): the parse problem is the one reported.
    assert codes(rb'{"prompt": "a", "completion": "c", "x": "\ud800"}' + b"\n") == {"LONE_SURROGATE": 1}


# ---- secrets and PII: one byte-class pass decides whether the patterns run


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----",
        "-----BEGIN DSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----",
        "key=AKIAIOSFODNN7EXAMPLE;",
        "xASIAIOSFODNN7EXAMPLEx",  # lower-case neighbours: still a 20-character key id
        "AKIAIOSFODNN7EXAMPLE",  # the whole text
    ],
)
def test_every_secret_pattern_is_still_found(text: str) -> None:
    assert report(pc(text), replace(LLAMA, secrets_block=False)).warnings_by_code == {"SECRET_FOUND": 1}


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN PUBLIC KEY-----",
        "AKIAIOSFODNN7EXAMPL",  # 19 characters
        "AKIAIOSFODNN7EXAMPLE1",  # 21: part of a longer token
        "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG 0123456789",  # a long capital run, no secret
        "order 12-34 of 2024-05-03, 10:30, call 555 0100",
    ],
)
def test_lookalikes_are_not_secrets_or_pii(text: str) -> None:
    assert report(pc(text)).warnings_by_code == {}


@pytest.mark.parametrize(
    "text",
    [
        "card 4111111111111111",
        "card 4111 1111 1111 1111 thanks",
        "card 4111-1111-1111-1111",
        "amex 3782 822463 10005",
        "4111 1111 1111 1111",
        "mail jane.doe@example.com",
    ],
)
def test_cards_and_emails_are_still_found(text: str) -> None:
    assert report(pc(text)).warnings_by_code == {"PII_FOUND": 1}


def test_a_card_that_fails_luhn_is_not_pii() -> None:
    assert report(pc("card 4111 1111 1111 1112")).warnings_by_code == {}


# ---- reserved strings: memchr on the last character, then one regex


@pytest.mark.parametrize(
    ("text", "reserved"),
    [
        ("User: hi", True),
        ("hi User:", True),
        ("RoBot: x", True),  # a substring, as before
        ("Assistant:", True),
        ("see <video> here", True),
        ("end [EOS]", True),
        ("é User: 日本", True),  # non-ASCII text around it
        ("User : hi", False),
        ("user: hi", False),
        ("time 10:30, ratio 1:2", False),  # holds ':' but no reserved string
        ("<b>bold</b> [x]", False),
    ],
)
def test_nova_reserved_strings(text: str, reserved: bool) -> None:
    line = {"schemaVersion": "bedrock-conversation-2024", "messages": [
        {"role": "user", "content": [{"text": "q"}]}, {"role": "assistant", "content": [{"text": text}]},
    ]}  # fmt: skip
    assert codes((json.dumps(line) + "\n").encode(), NOVA) == ({"SCHEMA_MISMATCH": 1} if reserved else {})


def test_a_reserved_string_written_with_escapes_is_found() -> None:
    line = rb'{"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": [{"text": "User\u003a hi"}]},'
    line += rb' {"role": "assistant", "content": [{"text": "ok"}]}]}'
    assert codes(line + b"\n", NOVA) == {"SCHEMA_MISMATCH": 1}


@pytest.mark.parametrize(
    ("content", "reserved"), [("a\nHuman: b", True), ("\nAssistant: b", True), ("Human: b", False), ("a\nHuman b", False)]
)
def test_claude_reserved_turn_markers(content: str, reserved: bool) -> None:
    line = {"messages": [{"role": "user", "content": content}, {"role": "assistant", "content": "c"}]}
    assert codes((json.dumps(line) + "\n").encode(), HAIKU) == ({"SCHEMA_MISMATCH": 1} if reserved else {})


@pytest.mark.parametrize("blank", ["", " ", "\n\t", "\u3000", "\u2028"])
def test_whitespace_only_texts_are_empty(blank: str) -> None:
    assert codes(pc(blank)) == {"SCHEMA_MISMATCH": 1}


# ---- lines sliced from their chunk, and the sha256 worker


LINES = st.lists(
    st.sampled_from([
        pc("a"), pc("b"), pc("AKIAIOSFODNN7EXAMPLE"), b"\n", b"x\n", b'{"prompt": "a", "prompt": "b", "completion": "c"}\n',
        pc("a").replace(b"\n", b"\r\n"), b"\xef\xbb\xbf" + pc("a"), pc("x" * 3000), pc("\u00e9\u65e5"), b'{"prompt": "\\ud800"}\n',
    ]),
    max_size=12,
)  # fmt: skip


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(LINES, st.booleans(), st.integers(min_value=1, max_value=5000))
def test_the_report_does_not_depend_on_how_the_stream_is_chunked(lines: list[bytes], final_newline: bool, chunk: int) -> None:
    data = b"".join(lines)
    if not final_newline:
        data = data.rstrip(b"\n")
    whole = validate_dataset(iter([data]), LLAMA)
    assert report(data, chunk=chunk) == whole
    assert whole.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xef\xbb\xbf" + pc("a"), "DATASET_BOM"),
        (b"\xfd7zXZ\x00" + pc("a"), "DATASET_COMPRESSED_OR_BINARY"),
        (b"\x1f\x8b", "DATASET_COMPRESSED_OR_BINARY"),
    ],
)
def test_a_bom_or_magic_number_split_over_tiny_first_chunks_is_still_seen(data: bytes, code: str) -> None:
    for size in (1, 2, 5):
        assert code in report(data, chunk=size).errors_by_code


def test_oversized_lines_at_chunk_edges_are_skipped_and_counted_once() -> None:
    from secure_finetune.dataset import MAX_LINE_BYTES

    huge = b'{"prompt": "' + b"a" * MAX_LINE_BYTES + b'", "completion": "c"}\n'
    data = pc("a") + huge + pc("b") + huge[:-1]
    for chunk in (MAX_LINE_BYTES // 3, MAX_LINE_BYTES, MAX_LINE_BYTES + 7, len(data)):
        result = report(data, chunk=chunk)
        assert [(e.line, e.code) for e in result.errors] == [(2, "LINE_TOO_LONG"), (4, "LINE_TOO_LONG")]
        assert result.records == 2


def test_large_chunks_are_hashed_on_the_worker_in_order() -> None:
    data = b"".join(pc(f"record {i}") for i in range(40_000))  # ~1.3 MB
    for size in (64 * 1024, 100_000, 1 << 20):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        result = validate_dataset(iter(chunks), replace(LLAMA, max_records=None))
        assert result.sha256 == hashlib.sha256(data).hexdigest()
        assert (result.accepted, result.records) == (True, 40_000)


def test_a_reused_buffer_is_copied_before_the_next_read() -> None:
    data = b"".join(pc(f"record {i}") for i in range(20_000))

    def readinto_chunks() -> Iterator[bytearray]:  # one bytearray, refilled for every chunk
        buffer = bytearray(100_000)
        for start in range(0, len(data), len(buffer)):
            piece = data[start : start + len(buffer)]
            buffer[: len(piece)] = piece
            yield buffer if len(piece) == len(buffer) else buffer[: len(piece)]

    # A bytearray reader is a bytes-like stream at run time: what the copy before the next read guards against.
    result = validate_dataset(cast("Iterator[bytes]", readinto_chunks()), replace(LLAMA, max_records=None))
    assert (result.accepted, result.records) == (True, 20_000)
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_a_failing_stream_raises_and_leaves_no_hashing_thread_behind() -> None:
    before = threading.active_count()

    def chunks() -> Iterator[bytes]:
        yield pc("a") * 10_000  # large enough for the worker
        raise OSError("connection reset")

    with pytest.raises(OSError, match="connection reset"):
        validate_dataset(chunks(), LLAMA)
    assert threading.active_count() == before


def test_the_format_shorthand_still_works() -> None:
    assert validate_dataset(iter([pc("a")]), DatasetFormat.PROMPT_COMPLETION).accepted
