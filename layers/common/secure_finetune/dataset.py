"""Streaming dataset validation (walking-skeleton depth).

Reads the object as a stream of byte chunks with bounded memory, hashes it on the way,
splits on ``\\n`` at the byte level (never ``str.splitlines``: U+2028 is legal inside JSON),
tolerates one trailing ``\\r``, decodes each line as strict UTF-8 and checks the record
shape of the run's dataset format. Every problem is reported with its line number and
byte offset and a reason code; messages never echo the record.

The full rule set (every format, token limits, duplicate keys, depth caps, secrets, ...)
is the dataset-validator issue; this module fixes the report's shape for it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from .models import DatasetFormat
from .reasons import Reason, ReasonCode

MAX_LINE_BYTES = 1_000_000  # far above any text model's per-record limit (16k tokens ~ 96 kB)
ERRORS_KEPT_PER_CODE = 20
_BOM = b"\xef\xbb\xbf"
# Magic numbers of formats that are never JSONL: gzip, zip, bzip2, xz, zstd, PDF, UTF-16 BOMs.
_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"%PDF", b"\xff\xfe", b"\xfe\xff")


class LineProblem(BaseModel):
    model_config = ConfigDict(frozen=True)
    line: int  # 1-based; 0 = the file as a whole
    byte_offset: int
    code: ReasonCode
    message: str  # content-free


class DatasetReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    format: DatasetFormat
    accepted: bool
    records: int
    bytes: int
    sha256: str
    error_count: int
    errors_by_code: dict[str, int]
    errors: tuple[LineProblem, ...]  # at most ERRORS_KEPT_PER_CODE per code

    def reason(self) -> Reason:
        """Run-level reason: DATASET_INVALID:<the most frequent line code>."""
        code = max(self.errors_by_code, key=lambda c: self.errors_by_code[c])
        return Reason(ReasonCode.DATASET_INVALID, code)


class _Collector:
    def __init__(self) -> None:
        self.kept: list[LineProblem] = []
        self.counts: Counter[str] = Counter()

    def add(self, line: int, offset: int, code: ReasonCode, message: str) -> None:
        self.counts[code.value] += 1
        if self.counts[code.value] <= ERRORS_KEPT_PER_CODE:
            self.kept.append(LineProblem(line=line, byte_offset=offset, code=code, message=message))


def validate_dataset(chunks: Iterable[bytes], fmt: DatasetFormat) -> DatasetReport:
    digest = hashlib.sha256()
    problems = _Collector()
    records = 0
    total = 0
    line_no = 0
    buffer = bytearray()
    line_start = 0  # absolute byte offset of the line being read
    oversized = False  # the current line passed MAX_LINE_BYTES: skip to its end, keep memory flat
    binary = False  # compressed or binary: never parsed (nor decompressed), only hashed
    for chunk in chunks:
        if total == 0 and chunk:
            binary = _sniff(chunk, problems)
        digest.update(chunk)
        base = total
        total += len(chunk)
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            line_no += 1
            if not oversized and len(buffer) + end - start > MAX_LINE_BYTES:
                problems.add(line_no, line_start, ReasonCode.LINE_TOO_LONG, f"line exceeds {MAX_LINE_BYTES} bytes")
            elif not oversized and not binary:
                buffer += chunk[start:end]
                records += _check_line(bytes(buffer), line_no, line_start, fmt, problems)
            buffer.clear()
            oversized = False
            start = end + 1
            line_start = base + start
        if not oversized and not binary:
            buffer += chunk[start:]
            if len(buffer) > MAX_LINE_BYTES:
                problems.add(line_no + 1, line_start, ReasonCode.LINE_TOO_LONG, f"line exceeds {MAX_LINE_BYTES} bytes")
                oversized = True
                buffer.clear()
    if buffer and not oversized and not binary:
        line_no += 1
        records += _check_line(bytes(buffer), line_no, line_start, fmt, problems)
    if total == 0:
        problems.add(0, 0, ReasonCode.DATASET_EMPTY, "the file is empty")
    elif records == 0 and not problems.counts:
        problems.add(0, 0, ReasonCode.DATASET_EMPTY, "the file holds no records")
    errors = tuple(problems.kept)
    return DatasetReport(
        format=fmt,
        accepted=not problems.counts,
        records=records,
        bytes=total,
        sha256=digest.hexdigest(),
        error_count=sum(problems.counts.values()),
        errors_by_code=dict(problems.counts),
        errors=errors,
    )


def _sniff(first: bytes, problems: _Collector) -> bool:
    """Report a BOM or a non-JSONL format from the first bytes; True = do not parse the lines."""
    if first.startswith(_BOM):
        problems.add(0, 0, ReasonCode.DATASET_BOM, "the file starts with a UTF-8 byte-order mark")
    elif first.startswith(_MAGIC):
        problems.add(0, 0, ReasonCode.DATASET_COMPRESSED_OR_BINARY, "the file is compressed or binary, not JSONL")
        return True
    return False


def _check_line(raw: bytes, line: int, offset: int, fmt: DatasetFormat, problems: _Collector) -> int:
    """Return 1 when the line is a well-formed record, else record the problem and return 0."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if line == 1 and raw.startswith(_BOM):
        return 0  # already reported by the sniff
    if not raw.strip():
        problems.add(line, offset, ReasonCode.LINE_BLANK, "blank line")
        return 0
    if b"\x00" in raw:
        problems.add(line, offset + raw.index(b"\x00"), ReasonCode.DATASET_NUL_BYTE, "raw NUL byte")
        return 0
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as err:
        problems.add(line, offset + err.start, ReasonCode.DATASET_NOT_UTF8, "invalid UTF-8")
        return 0
    try:
        record = json.loads(text, parse_constant=_reject_constant)
    except _NonFinite:
        problems.add(line, offset, ReasonCode.NON_FINITE_NUMBER, "NaN or Infinity is not JSON")
        return 0
    except (ValueError, RecursionError):
        problems.add(line, offset, ReasonCode.LINE_INVALID_JSON, "not valid JSON")
        return 0
    if not isinstance(record, dict):
        problems.add(line, offset, ReasonCode.LINE_NOT_OBJECT, "a record must be a JSON object")
        return 0
    message = _shape_problem(record, fmt)
    if message:
        problems.add(line, offset, ReasonCode.SCHEMA_MISMATCH, message)
        return 0
    return 1


class _NonFinite(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonFinite(name)


_REQUIRED_TEXT_FIELDS = {
    DatasetFormat.PROMPT_COMPLETION: ("prompt", "completion"),
    DatasetFormat.CONTINUED_PRETRAINING: ("input",),
}


def _shape_problem(record: dict[str, Any], fmt: DatasetFormat) -> str | None:
    fields = _REQUIRED_TEXT_FIELDS.get(fmt)
    if fields is None:
        return f"format {fmt.value} is not supported yet"
    extra = set(record) - set(fields)
    if extra:
        # Field names come from the data, so they are counted, never shown.
        return f"{len(extra)} unexpected field(s); expected only {', '.join(fields)}"
    for name in fields:
        value = record.get(name)
        if not isinstance(value, str):
            return f"field '{name}' must be a string"
        if not value.strip():
            return f"field '{name}' is empty"
    return None
