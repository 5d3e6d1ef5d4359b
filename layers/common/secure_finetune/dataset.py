"""Streaming dataset validation: every Bedrock customization format, strict, content-free.

How a file is read
    As a stream of byte chunks with bounded memory (one line at a time, capped at
    ``MAX_LINE_BYTES``), hashed on the way (sha256 on a worker thread, see ``_Sha256``). Lines
    are split on ``\\n`` at the byte level (never ``str.splitlines``: U+2028 is legal inside JSON
    strings); one trailing ``\\r`` is tolerated (jsonlines.org allows CRLF); each line is decoded
    as strict UTF-8 (never ``json.loads(bytes)``, which silently accepts a BOM and UTF-16/32).
    The cheap C-level tests run first and the Python-level ones only where they say a problem
    can be: a record costs 1.5-3 times a bare ``json.loads`` (``make bench``).

Decisions where the documentation is silent
    * A blank line is an error (LINE_BLANK): Bedrock rejects "extra or empty lines".
    * An escaped ``\\u0000`` is rejected like a raw NUL (DATASET_NUL_BYTE): no text model trains
      on it and some tokenizers truncate there.
    * Duplicate keys (at any depth) are rejected: consumers disagree on which value wins.
    * Nesting deeper than ``MAX_DEPTH`` is rejected before parsing.
    * Integers longer than Python's 4300-digit limit and floats that overflow to infinity are
      NON_FINITE_NUMBER, as are NaN/Infinity literals.
    * A compressed or binary file (magic bytes) is never decompressed or parsed.

Every problem is reported with its reason code, line number, byte offset and a short
content-free message (field names from the data are never echoed).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .models import BaseModel as FoundationModel
from .models import CustomizationType, DatasetFormat, MediaRules, find_teacher, records_bounds
from .reasons import Reason, ReasonCode

MAX_LINE_BYTES = 1_000_000  # far above any text model's per-record limit (32k tokens ~ 200 kB)
MAX_DEPTH = 32
ERRORS_KEPT_PER_CODE = 20
MAX_MEDIA_REFERENCES = 10_000  # distinct media URIs a report keeps for the object checks (media.py)
CHARS_PER_TOKEN_BEDROCK = 6  # [UG model-customization-prepare]: "chars ~ tokens x 6" (Bedrock's character quota)
CHARS_PER_TOKEN_SAFE = 3  # a deliberate over-estimate of tokens (English runs ~4 chars/token)
NEAR_LIMIT = 0.9
_BOM = b"\xef\xbb\xbf"
# Magic numbers of formats that are never JSONL: gzip, zip, bzip2, xz, zstd, PDF, UTF-16 BOMs, ELF.
_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"%PDF", b"\xff\xfe", b"\xfe\xff", b"\x7fELF")
_HEAD_BYTES = max(map(len, (_BOM, *_MAGIC)))


class FileRole(StrEnum):
    TRAINING = "training"
    VALIDATION = "validation"


class WarningCode(StrEnum):
    NEAR_TOKEN_LIMIT = "NEAR_TOKEN_LIMIT"  # noqa: S105  # the safe estimate is above 90% of the model's limit
    DUPLICATE_RECORD = "DUPLICATE_RECORD"  # byte-identical to an earlier line
    PII_FOUND = "PII_FOUND"  # e-mail addresses, card numbers (Luhn) ...
    SECRET_FOUND = "SECRET_FOUND"  # noqa: S105  # only a warning when the profile says secrets: warn
    MEDIA_NOT_CHECKED = "MEDIA_NOT_CHECKED"  # the data bucket is unknown (local file without --source-uri)
    SCHEMA_VERSION = "SCHEMA_VERSION"  # schemaVersion is not bedrock-conversation-2024


@dataclass(frozen=True)
class DatasetRules:
    """Everything the validator needs to know about a file, as plain values."""

    format: DatasetFormat
    role: FileRole = FileRole.TRAINING
    max_tokens: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    min_text_chars: int | None = None
    max_text_chars: int | None = None
    max_bytes: int | None = None
    max_records: int | None = None  # for this file alone
    media: MediaRules | None = None
    media_bucket: str | None = None  # media must live in this bucket under media_prefix
    media_prefix: str = "media/"
    reserved_strings: tuple[str, ...] = ()
    reasoning_allowed: bool = False  # Nova 2 Lite: reasoningContent in assistant turns
    single_turn: bool = False  # distillation with an Anthropic/Llama teacher
    secrets_block: bool = True
    pii_block: bool = False

    @classmethod
    def for_run(  # noqa: PLR0917 - plain values, named at every call
        cls,
        model: FoundationModel,
        customization: CustomizationType,
        role: FileRole,
        media_bucket: str | None,
        teacher: str | None = None,
        secrets_block: bool = True,
        pii_block: bool = False,
    ) -> DatasetRules:
        bounds = records_bounds(model, customization)
        per_file = bounds.max_training if role is FileRole.TRAINING else bounds.max_validation
        return cls(
            format=model.formats[customization],
            role=role,
            max_tokens=model.max_tokens_per_record,
            max_input_tokens=model.max_input_tokens,
            max_output_tokens=model.max_output_tokens,
            min_text_chars=model.min_text_chars,
            max_text_chars=model.max_text_chars,
            max_bytes=model.max_training_bytes if role is FileRole.TRAINING else model.max_validation_bytes,
            max_records=per_file or bounds.max_total,
            media=model.media,
            media_bucket=media_bucket,
            reserved_strings=model.reserved_strings,
            reasoning_allowed=model.model_id.startswith("amazon.nova-2"),
            single_turn=teacher is not None and not find_teacher(teacher).multi_turn,
            secrets_block=secrets_block,
            pii_block=pii_block,
        )


class LineProblem(BaseModel):
    model_config = ConfigDict(frozen=True)
    line: int  # 1-based; 0 = the file as a whole
    byte_offset: int
    code: str  # a ReasonCode (errors) or a WarningCode (warnings)
    message: str  # content-free


class MediaReference(BaseModel):
    """A media object a record references, where it is first referenced."""

    model_config = ConfigDict(frozen=True)
    uri: str
    line: int
    byte_offset: int
    kind: str  # image | video
    format: str


class DatasetStats(BaseModel):
    model_config = ConfigDict(frozen=True)
    records: int
    estimated_tokens: int  # safe (over-)estimate, see CHARS_PER_TOKEN_SAFE
    max_record_tokens: int
    mean_record_tokens: float
    images: int
    videos: int


class DatasetReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    format: DatasetFormat
    role: FileRole
    accepted: bool
    records: int
    bytes: int
    sha256: str
    error_count: int
    errors_by_code: dict[str, int]
    errors: tuple[LineProblem, ...]  # at most ERRORS_KEPT_PER_CODE per code
    warning_count: int
    warnings_by_code: dict[str, int]
    warnings: tuple[LineProblem, ...]
    stats: DatasetStats
    # Distinct media URIs of accepted records, first MAX_MEDIA_REFERENCES in line order, for the
    # object checks after the stream. Object keys are the user's names: never serialized.
    media: tuple[MediaReference, ...] = Field(default=(), exclude=True)
    media_truncated: bool = Field(default=False, exclude=True)  # more distinct URIs than kept
    token_estimate: str = (
        f"tokens ~ characters / {CHARS_PER_TOKEN_SAFE} (an over-estimate for cost and warnings); "
        f"a record is rejected only past Bedrock's own character quota (tokens x {CHARS_PER_TOKEN_BEDROCK})"
    )

    def reason(self) -> Reason:
        """Run-level reason: DATASET_INVALID:<the most frequent code>."""
        code = max(self.errors_by_code, key=lambda c: self.errors_by_code[c])
        return Reason(ReasonCode.DATASET_INVALID, code)


class ProblemCollector:
    """Every problem counted by code, at most ERRORS_KEPT_PER_CODE of each kept (the report's cap)."""

    def __init__(self, kept: Iterable[LineProblem] = (), counts: Mapping[str, int] | None = None) -> None:
        self.kept: list[LineProblem] = list(kept)
        self.counts: Counter[str] = Counter(counts or {})

    def add(self, line: int, offset: int, code: str, message: str) -> None:
        self.counts[code] += 1
        if self.counts[code] <= ERRORS_KEPT_PER_CODE:
            self.kept.append(LineProblem(line=line, byte_offset=offset, code=code, message=message))


class Problem(Exception):
    """One line's first problem (internal: becomes a LineProblem)."""

    def __init__(self, code: ReasonCode, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.offset = offset


class _Sha256:
    """The file's sha256, computed on a worker thread while the lines are checked.

    hashlib releases the GIL on large buffers, so on a second core the digest (~0.7 ns a byte,
    a fifth of the validator's work) costs the parsing thread nothing. One chunk is in flight
    at a time and it is the chunk being parsed anyway: memory stays flat. Small chunks are
    hashed in place: handing them over would cost more than hashing them.
    """

    THREAD_MIN_BYTES = 64 * 1024

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")  # its thread starts on first use
        self._pending: Future[None] | None = None

    def __enter__(self) -> _Sha256:
        return self

    def __exit__(self, *_: object) -> None:
        self._pool.shutdown()

    def update(self, chunk: bytes) -> None:
        self._wait()  # the digest takes the chunks in order
        if len(chunk) < self.THREAD_MIN_BYTES:
            self._digest.update(chunk)
        else:
            self._pending = self._pool.submit(self._digest.update, chunk)

    def hexdigest(self) -> str:
        self._wait()
        return self._digest.hexdigest()

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None


def _whole_head(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks, the first one at least as long as the longest magic number: a stream that
    starts with tiny chunks (b"\xef", b"\xbb", ...) still has its BOM or magic bytes sniffed."""
    head = b""
    stream = iter(chunks)
    for chunk in stream:
        head += chunk
        if len(head) >= _HEAD_BYTES:
            break
    if head:
        yield head
    yield from stream


def _read_ahead(chunks: Iterable[bytes], digest: _Sha256) -> Iterator[bytes]:
    """The chunks as immutable bytes, each handed to the digest before the next one is read.

    The hashing thread needs the GIL to start, and a busy parsing thread gives it up only every
    5 ms (sys.getswitchinterval) or while it waits: reading the next chunk (file or socket I/O)
    is such a wait, so chunk N is hashed while it is parsed. A chunk is parsed after the next
    one is read, so a caller that reuses one buffer (readinto) must not see it mutated: copy.
    """
    ahead = None
    for chunk in chunks:
        if ahead is not None:
            yield ahead
        ahead = chunk if type(chunk) is bytes else bytes(chunk)
        digest.update(ahead)
    if ahead is not None:
        yield ahead


@dataclass
class _Tally:
    records: int = 0
    tokens: int = 0
    max_tokens: int = 0
    images: int = 0
    videos: int = 0
    seen: set[int] = field(default_factory=set)


def validate_dataset(chunks: Iterable[bytes], rules: DatasetRules | DatasetFormat) -> DatasetReport:
    if isinstance(rules, DatasetFormat):
        rules = DatasetRules(format=rules)
    errors, warnings, tally = ProblemCollector(), ProblemCollector(), _Tally()
    checker = _LineChecker(rules, errors, warnings, tally)
    with _Sha256() as digest:
        total = _read_lines(_read_ahead(_whole_head(chunks), digest), rules.max_bytes, errors, checker.line)
        sha256 = digest.hexdigest()
    checker.finish()
    if total == 0:
        errors.add(0, 0, ReasonCode.DATASET_EMPTY, "the file is empty")
    elif tally.records == 0 and not errors.counts:
        errors.add(0, 0, ReasonCode.DATASET_EMPTY, "the file holds no records")
    if rules.max_records is not None and tally.records > rules.max_records:
        errors.add(0, 0, ReasonCode.TOO_MANY_RECORDS, f"{tally.records} records; at most {rules.max_records} for this model")
    if rules.secrets_block and warnings.counts.get(WarningCode.SECRET_FOUND):
        _promote(warnings, errors, WarningCode.SECRET_FOUND)
    if rules.pii_block and warnings.counts.get(WarningCode.PII_FOUND):
        _promote(warnings, errors, WarningCode.PII_FOUND)
    return DatasetReport(
        format=rules.format,
        role=rules.role,
        accepted=not errors.counts,
        records=tally.records,
        bytes=total,
        sha256=sha256,
        error_count=sum(errors.counts.values()),
        errors_by_code=dict(errors.counts),
        errors=tuple(errors.kept),
        warning_count=sum(warnings.counts.values()),
        warnings_by_code=dict(warnings.counts),
        warnings=tuple(warnings.kept),
        stats=DatasetStats(
            records=tally.records,
            estimated_tokens=tally.tokens,
            max_record_tokens=tally.max_tokens,
            mean_record_tokens=round(tally.tokens / tally.records, 1) if tally.records else 0.0,
            images=tally.images,
            videos=tally.videos,
        ),
        media=tuple(checker.media_references.values()),
        media_truncated=checker.media_truncated,
    )


def _read_lines(chunks: Iterable[bytes], max_bytes: int | None, errors: ProblemCollector, check: Callable[[bytes, int, int], None]) -> int:
    """Split the stream into lines and check each one; the file-level checks on the way. Returns
    the byte count."""
    total = line_no = line_start = 0
    buffer = bytearray()  # a line that spans chunks; a line inside one chunk is sliced from it
    oversized = binary = too_large = False  # oversized: skip to the end of this line, memory stays flat
    for chunk in chunks:
        if total == 0 and chunk:
            binary = _sniff(chunk, errors)
        base, total = total, total + len(chunk)
        if max_bytes is not None and total > max_bytes and not too_large:
            errors.add(0, max_bytes, ReasonCode.DATASET_TOO_LARGE, f"the file exceeds {max_bytes} bytes")
            too_large = True
        if binary or too_large:
            continue
        start = 0
        # find() is a memchr; bytes.split(b"\n") compares byte by byte, many times slower.
        while (end := chunk.find(b"\n", start)) != -1:
            line_no += 1
            if oversized:
                oversized = False
            elif len(buffer) + end - start > MAX_LINE_BYTES:
                errors.add(line_no, line_start, ReasonCode.LINE_TOO_LONG, f"line exceeds {MAX_LINE_BYTES} bytes")
            elif buffer:
                buffer += chunk[start:end]
                check(bytes(buffer), line_no, line_start)
            else:
                check(chunk[start:end], line_no, line_start)
            buffer.clear()
            start = end + 1
            line_start = base + start
        if not oversized:
            buffer += chunk[start:]
            if len(buffer) > MAX_LINE_BYTES:
                errors.add(line_no + 1, line_start, ReasonCode.LINE_TOO_LONG, f"line exceeds {MAX_LINE_BYTES} bytes")
                oversized = True
                buffer.clear()
    if buffer and not (oversized or binary or too_large):
        check(bytes(buffer), line_no + 1, line_start)
    return total


def _promote(warnings: ProblemCollector, errors: ProblemCollector, code: WarningCode) -> None:
    """The profile blocks on this finding: it becomes a SENSITIVE_DATA error per line."""
    count = warnings.counts.pop(code)
    moved = [w for w in warnings.kept if w.code == code]
    warnings.kept = [w for w in warnings.kept if w.code != code]
    for warning in moved:
        errors.add(warning.line, warning.byte_offset, ReasonCode.SENSITIVE_DATA, warning.message)
    errors.counts[ReasonCode.SENSITIVE_DATA] += count - len(moved)


def _sniff(first: bytes, problems: ProblemCollector) -> bool:
    """Report a BOM or a non-JSONL format from the first bytes; True = do not parse the lines."""
    if first.startswith(_BOM):
        problems.add(0, 0, ReasonCode.DATASET_BOM, "the file starts with a UTF-8 byte-order mark")
    elif first.startswith(_MAGIC):
        problems.add(0, 0, ReasonCode.DATASET_COMPRESSED_OR_BINARY, "the file is compressed or binary, not JSONL")
        return True
    return False


# ---------------------------------------------------------------- one line


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
        raise Problem(ReasonCode.LINE_INVALID_JSON, "not valid JSON") from None
    # One walk over the parsed record: depth, escaped NULs and lone surrogates (escapes that
    # json decoding lets through). Cheaper than scanning the raw bytes for the escapes.
    if (type(record) is dict or type(record) is list) and (found := _inspect(record, MAX_DEPTH, escapes)):
        raise Problem(*found)
    if type(record) is not dict:
        raise Problem(ReasonCode.LINE_NOT_OBJECT, "a record must be a JSON object")
    return record


# Likely secrets and PII, by pattern, on the raw line (JSON escaping leaves these intact).
# Counts and line numbers only are ever reported. Records can be 100 kB and Python's regex engine
# scans every offset, so the patterns run only where one cheap C pass says they can match.
_PEM_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")
_AWS_ACCESS_KEY_ID = re.compile(rb"A[KS]IA[0-9A-Z]{16}(?![0-9A-Z])")
_EMAIL_AROUND_AT = re.compile(rb"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}")
_CARD = re.compile(rb"[0-9][0-9 -]{11,}[0-9]")
# The one pass: digits and capitals -> "d", spaces and hyphens deleted, every other byte -> "x".
# A card number (13-19 digits between spaces/hyphens), an access key id (20 capitals/digits) and
# "-----BEGIN ... PRIVATE KEY-----" ("BEGINPRIVATEKEY", 15 capitals) each leave 13+ "d"s in a
# row, so a line without such a run holds none of them (the usual case: plain text has few).
_DENSE_SHAPE = bytes(ord("d") if 48 <= b <= 57 or 65 <= b <= 90 else ord("x") for b in range(256))
_DENSE_RUN = b"d" * 13


def _has_secret(raw: bytes) -> bool:
    return _PEM_PRIVATE_KEY.search(raw) is not None or _AWS_ACCESS_KEY_ID.search(raw) is not None


def _has_email(raw: bytes) -> bool:
    at = raw.find(b"@")
    for _ in range(20):  # a few '@' are enough to decide
        if at == -1:
            return False
        if _EMAIL_AROUND_AT.search(raw, max(0, at - 64), at + 400):
            return True
        at = raw.find(b"@", at + 1)
    return False


def _has_card(raw: bytes) -> bool:
    return any(_luhn(match.group()) for match in _CARD.finditer(raw))


def _sensitive(raw: bytes) -> tuple[bool, bool]:
    """(likely secret, likely PII) in one line."""
    dense = _DENSE_RUN in raw.translate(_DENSE_SHAPE, b" -")
    secret = dense and _has_secret(raw)
    return secret, _has_email(raw) or (dense and _has_card(raw))


def _luhn(candidate: bytes) -> bool:
    digits = [c - 48 for c in candidate if 48 <= c <= 57]
    if not 13 <= len(digits) <= 19:
        return False
    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return checksum % 10 == 0


class _Literals:
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


class _LineChecker:
    def __init__(self, rules: DatasetRules, errors: ProblemCollector, warnings: ProblemCollector, tally: _Tally) -> None:
        self.rules = rules
        self.errors = errors
        self.warnings = warnings
        self.tally = tally
        self.shape: Callable[[dict[str, Any], _Record], None] = _SHAPES[rules.format]
        if rules.format is DatasetFormat.DISTILLATION_PROMPTS and rules.single_turn:
            self.shape = partial(_conversation, assistant_optional=True, single_turn=True)
        self.reserved = _Literals(rules.reserved_strings) if rules.reserved_strings else None
        self.near_limit = None if rules.max_tokens is None else rules.max_tokens * NEAR_LIMIT
        self.media_kinds: set[str] = set()
        self.first_media_line: dict[str, int] = {}
        self.media_references: dict[str, MediaReference] = {}  # by URI, first line wins
        self.media_truncated = False

    def line(self, raw: bytes, line: int, offset: int) -> None:
        if line == 1 and raw.startswith(_BOM):
            raw, offset = raw[len(_BOM) :], offset + len(_BOM)  # reported once for the file; check the rest
        try:
            record = parse_record(raw)
            found = _Record()
            self.shape(record, found)
            self._limits(found)
            if found.media:
                self._media(found, line)
                self._remember_media(found, line, offset)
        except Problem as problem:
            self.errors.add(line, offset + problem.offset, problem.code, problem.message)
            return
        tally = self.tally
        tally.records += 1
        tokens = found.safe_tokens()
        tally.tokens += tokens
        tally.max_tokens = max(tally.max_tokens, tokens)
        self._warnings(raw, found, line, offset, tokens)

    def _limits(self, found: _Record) -> None:
        rules = self.rules
        if found.reasoning and not rules.reasoning_allowed:
            raise Problem(ReasonCode.SCHEMA_MISMATCH, "reasoningContent is supported by Nova 2 Lite only")
        if self.reserved is not None and any(map(self.reserved, found.texts)):
            raise Problem(ReasonCode.SCHEMA_MISMATCH, "text contains a string reserved by the model (e.g. 'Assistant:')")
        if rules.max_text_chars is not None and found.caption is not None:
            length = len(found.caption)
            if length > rules.max_text_chars or length < (rules.min_text_chars or 0):
                raise Problem(ReasonCode.SCHEMA_MISMATCH, f"caption must be {rules.min_text_chars}-{rules.max_text_chars} characters")
        quota = CHARS_PER_TOKEN_BEDROCK
        if rules.max_input_tokens is not None and found.input_chars > rules.max_input_tokens * quota:
            raise Problem(ReasonCode.SCHEMA_MISMATCH, f"input exceeds {rules.max_input_tokens} tokens (Bedrock's character quota)")
        if rules.max_output_tokens is not None and found.output_chars > rules.max_output_tokens * quota:
            raise Problem(ReasonCode.SCHEMA_MISMATCH, f"output exceeds {rules.max_output_tokens} tokens (Bedrock's character quota)")
        if rules.max_tokens is not None and found.input_chars + found.output_chars > rules.max_tokens * quota:
            raise Problem(ReasonCode.SCHEMA_MISMATCH, f"record exceeds {rules.max_tokens} tokens (Bedrock's character quota)")

    def _media(self, found: _Record, line: int) -> None:
        if not found.media:
            return
        media = self.rules.media
        if media is None:
            raise Problem(ReasonCode.SCHEMA_MISMATCH, "this model does not take images or videos")
        images = [m for m in found.media if m.kind == "image"]
        videos = [m for m in found.media if m.kind == "video"]
        if media.max_images_per_record is not None and len(images) > media.max_images_per_record:
            raise Problem(ReasonCode.SCHEMA_MISMATCH, f"more than {media.max_images_per_record} images in a record")
        if media.max_videos_per_record is not None and len(videos) > media.max_videos_per_record:
            raise Problem(ReasonCode.SCHEMA_MISMATCH, f"more than {media.max_videos_per_record} video in a record")
        for item in found.media:
            allowed = media.image_formats if item.kind == "image" else media.video_formats
            if item.format not in allowed:
                raise Problem(ReasonCode.SCHEMA_MISMATCH, f"{item.kind} format must be one of {', '.join(allowed) or 'none'}")
            self._location(item.uri)
            self.media_kinds.add(item.kind)
            self.first_media_line.setdefault(item.kind, line)
        self.tally.images += len(images)
        self.tally.videos += len(videos)

    def _remember_media(self, found: _Record, line: int, offset: int) -> None:
        # Only records with media get here (rare), so the text hot path pays nothing.
        references = self.media_references
        for item in found.media:
            if item.uri in references:
                continue
            if len(references) >= MAX_MEDIA_REFERENCES:
                self.media_truncated = True
                return
            references[item.uri] = MediaReference(uri=item.uri, line=line, byte_offset=offset, kind=item.kind, format=item.format)

    def _location(self, uri: str) -> None:
        match = re.fullmatch(r"s3://([a-z0-9][-.a-z0-9]{1,61}[a-z0-9])/([-!_*'().a-zA-Z0-9/]+)", uri)
        if match is None:
            raise Problem(ReasonCode.SCHEMA_MISMATCH, "media URI must be s3://bucket/key with only [-!_*'().a-zA-Z0-9/] in the key")
        if self.rules.media_bucket is None:
            return
        bucket, key = match.groups()
        if bucket != self.rules.media_bucket or not key.startswith(self.rules.media_prefix):
            raise Problem(ReasonCode.SCHEMA_MISMATCH, f"media must sit in the data bucket under {self.rules.media_prefix}")

    def _warnings(self, raw: bytes, found: _Record, line: int, offset: int, tokens: int) -> None:
        rules = self.rules
        if self.near_limit is not None and tokens > self.near_limit:
            self.warnings.add(line, offset, WarningCode.NEAR_TOKEN_LIMIT, f"~{tokens} tokens estimated; the limit is {rules.max_tokens}")
        # Python's own 64-bit hash: a false "duplicate" needs a collision (~n^2/2^65), and this
        # is only a warning; a cryptographic digest would cost a third of the validator's time.
        fingerprint = hash(raw.rstrip(b"\r"))
        seen = self.tally.seen
        if fingerprint in seen:
            self.warnings.add(line, offset, WarningCode.DUPLICATE_RECORD, "identical to an earlier record")
        seen.add(fingerprint)
        if found.schema_version is not None and found.schema_version != "bedrock-conversation-2024":
            self.warnings.add(line, offset, WarningCode.SCHEMA_VERSION, "schemaVersion is not bedrock-conversation-2024")
        secret, pii = _sensitive(raw)
        if secret:
            self.warnings.add(line, offset, WarningCode.SECRET_FOUND, "looks like a private key or a cloud access key")
        if pii:
            self.warnings.add(line, offset, WarningCode.PII_FOUND, "looks like an e-mail address or a card number")

    def finish(self) -> None:
        if len(self.media_kinds) > 1 and self.rules.media is not None and self.rules.media.video_formats:
            line = max(self.first_media_line.values())
            self.errors.add(line, 0, ReasonCode.SCHEMA_MISMATCH, "a dataset cannot mix images and videos")
        if self.media_kinds and self.rules.media_bucket is None:
            self.warnings.add(0, 0, WarningCode.MEDIA_NOT_CHECKED, "media location not checked: the data bucket is unknown")


# ---------------------------------------------------------------- record shapes


@dataclass
class _Media:
    kind: str
    format: str
    uri: str


@dataclass
class _Record:
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
        missing = [k for k in self.required if k not in record]
        if missing:
            raise _mismatch(f"missing field(s) {', '.join(missing)}")
        extra = len(record.keys() - self.allowed)
        # Field names come from the data, so they are counted, never shown.
        raise _mismatch(f"{extra} unexpected field(s); allowed: {', '.join(self.required + self.optional)}")


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


def _prompt_completion(record: dict[str, Any], found: _Record) -> None:
    _PROMPT_COMPLETION.check(record)
    prompt, completion = _text(record["prompt"], "prompt"), _text(record["completion"], "completion")
    found.texts += [prompt, completion]
    found.input_chars, found.output_chars = len(prompt), len(completion)


def _continued_pretraining(record: dict[str, Any], found: _Record) -> None:
    _INPUT.check(record)
    text = _text(record["input"], "input")
    found.texts.append(text)
    found.input_chars = len(text)


def _image_caption(record: dict[str, Any], found: _Record) -> None:
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


_CLAUDE_RESERVED = _Literals(("\nHuman:", "\nAssistant:"))


def _claude_messages(record: dict[str, Any], found: _Record) -> None:
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


def _conversation(record: dict[str, Any], found: _Record, assistant_optional: bool = False, single_turn: bool = False) -> None:
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
        raise _mismatch("this teacher takes single-turn prompts only (one user turn, optional answer)")


_BLOCKS = ("text", "image", "video", "document", "reasoningContent")


def _content(blocks: Any, index: int, role: str, found: _Record) -> None:
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


_SHAPES: dict[DatasetFormat, Callable[[dict[str, Any], _Record], None]] = {
    DatasetFormat.PROMPT_COMPLETION: _prompt_completion,
    DatasetFormat.CONTINUED_PRETRAINING: _continued_pretraining,
    DatasetFormat.IMAGE_CAPTION: _image_caption,
    DatasetFormat.CLAUDE_MESSAGES: _claude_messages,
    DatasetFormat.CONVERSATION: _conversation,
    DatasetFormat.DISTILLATION_PROMPTS: partial(_conversation, assistant_optional=True),
}


def record_count_problems(
    model: FoundationModel, customization: CustomizationType, training: int, validation: int | None
) -> list[tuple[ReasonCode, str]]:
    """Run-level record bounds (they span both files): (code, message) per broken bound."""
    bounds = records_bounds(model, customization)
    total = training + (validation or 0)
    problems: list[tuple[ReasonCode, str]] = []
    if bounds.min_total is not None and total < bounds.min_total:
        problems.append((ReasonCode.TOO_FEW_RECORDS, f"{total} records; {model.name} needs at least {bounds.min_total}"))
    if bounds.max_total is not None and total > bounds.max_total:
        problems.append((ReasonCode.TOO_MANY_RECORDS, f"{total} records; {model.name} takes at most {bounds.max_total}"))
    if validation is not None and not model.validation_allowed:
        problems.append((ReasonCode.SCHEMA_MISMATCH, f"{model.name} takes no validation file"))
    return problems


def goes_to_validation(line: bytes, fraction: float) -> bool:
    """Deterministic split: a record's own bytes decide, so a re-run carves the same split."""
    bucket = int.from_bytes(hashlib.sha256(line.rstrip(b"\r\n")).digest()[:4], "big") % 10_000
    return bucket < round(fraction * 10_000)


def split_lines(chunks: Iterable[bytes], fraction: float, max_validation: int | None) -> Iterator[tuple[FileRole, bytes]]:
    """Re-split an accepted JSONL stream into (role, line) pairs, lines with their newline."""
    carved = 0
    pending = b""
    for chunk in chunks:
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            to_validation = (max_validation is None or carved < max_validation) and goes_to_validation(line, fraction)
            carved += to_validation
            yield (FileRole.VALIDATION if to_validation else FileRole.TRAINING), line + b"\n"
    if pending:
        to_validation = (max_validation is None or carved < max_validation) and goes_to_validation(pending, fraction)
        yield (FileRole.VALIDATION if to_validation else FileRole.TRAINING), pending + b"\n"
