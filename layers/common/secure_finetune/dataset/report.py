"""What validation reports: problems by line (errors and warnings, capped per code), the stats
and the report itself."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ..models import DatasetFormat
from ..reasons import Reason, ReasonCode
from .rules import FileRole

ERRORS_KEPT_PER_CODE = 20
CHARS_PER_TOKEN_BEDROCK = 6  # [UG model-customization-prepare]: "chars ~ tokens x 6" (Bedrock's character quota)
CHARS_PER_TOKEN_SAFE = 3  # a deliberate over-estimate of tokens (English runs ~4 chars/token)


class WarningCode(StrEnum):
    NEAR_TOKEN_LIMIT = "NEAR_TOKEN_LIMIT"  # noqa: S105  # the safe estimate is above 90% of the model's limit
    DUPLICATE_RECORD = "DUPLICATE_RECORD"  # byte-identical to an earlier line
    PII_FOUND = "PII_FOUND"  # e-mail addresses, card numbers (Luhn) ...
    SECRET_FOUND = "SECRET_FOUND"  # noqa: S105  # only a warning when the profile says secrets: warn
    MEDIA_NOT_CHECKED = "MEDIA_NOT_CHECKED"  # the data bucket is unknown (local file without --source-uri)
    SCHEMA_VERSION = "SCHEMA_VERSION"  # schemaVersion is not bedrock-conversation-2024
    # Distillation: a prompt that does not conform is dropped, as Bedrock drops it, and does not count
    # (profile distillation_invalid_prompts = "drop", the default; "reject" makes it an error).
    PROMPT_DROPPED = "PROMPT_DROPPED"


# camelCase on the wire (reports/<run>/validation.json), like every report document; snake_case in Python.
_WIRE = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True)


class LineProblem(BaseModel):
    model_config = _WIRE
    line: int | None  # 1-based; None = the file as a whole (a file-level problem has no line)
    byte_offset: int
    code: str  # a ReasonCode (errors) or a WarningCode (warnings)
    message: str  # content-free (field names may be named, values never)
    column: int | None = None  # 1-based character column in the line, where the parser stopped (invalid JSON)


class MediaReference(BaseModel):
    """A media object a record references, where it is first referenced."""

    model_config = _WIRE
    uri: str
    line: int
    byte_offset: int
    kind: str  # image | video
    format: str


class DatasetStats(BaseModel):
    model_config = _WIRE
    records: int
    estimated_tokens: int  # safe (over-)estimate, see CHARS_PER_TOKEN_SAFE
    max_record_tokens: int
    mean_record_tokens: float
    images: int
    videos: int


class DatasetReport(BaseModel):
    model_config = _WIRE
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

    def add(self, line: int | None, offset: int, code: str, message: str, column: int | None = None) -> None:
        self.counts[code] += 1
        if self.counts[code] <= ERRORS_KEPT_PER_CODE:
            self.kept.append(LineProblem(line=line, byte_offset=offset, code=code, message=message, column=column))

    def summarize(self, lines: set[int], message: str, code: str) -> None:
        """Replace the kept problems of ``lines`` (all but the first) by one file-level summary, put first. The
        counts stay as they are: the summary describes problems already counted, it is not one more."""
        first = min(lines)
        self.kept = [p for p in self.kept if p.code != code or p.line is None or p.line == first or p.line not in lines]
        self.kept.insert(0, LineProblem(line=None, byte_offset=0, code=code, message=message))


class Problem(Exception):
    """One line's first problem (internal: becomes a LineProblem)."""

    def __init__(self, code: ReasonCode, message: str, offset: int = 0, column: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.offset = offset
        self.column = column
