"""One line's checks: the strict parse, its format's shape, the model's limits, the media it
references (format, count, place) and the warnings (token limit, duplicates, secrets, PII)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..models import DatasetFormat
from ..reasons import ReasonCode
from .formats import SCHEMA_VERSION, Literals, Record, record_shape
from .hints import looks_like
from .report import CHARS_PER_TOKEN_BEDROCK, MediaReference, Problem, ProblemCollector, WarningCode
from .rules import DatasetRules
from .sensitive import sensitive
from .stream import BOM
from .strict_json import parse_record

MAX_MEDIA_REFERENCES = 10_000  # distinct media URIs a report keeps for the object checks (media.py)
NEAR_LIMIT = 0.9


@dataclass
class Tally:
    records: int = 0
    dropped: int = 0  # distillation prompts dropped as Bedrock drops them (not counted in records)
    tokens: int = 0
    max_tokens: int = 0
    images: int = 0
    videos: int = 0
    seen: set[int] = field(default_factory=set)


class LineChecker:
    def __init__(self, rules: DatasetRules, errors: ProblemCollector, warnings: ProblemCollector, tally: Tally) -> None:
        self.rules = rules
        self.errors = errors
        self.warnings = warnings
        self.tally = tally
        self.shape: Callable[[dict[str, Any], Record], None] = record_shape(rules.format, rules.single_turn, rules.single_turn_model)
        self.reserved = Literals(rules.reserved_strings) if rules.reserved_strings else None
        self.near_limit = None if rules.max_tokens is None else rules.max_tokens * NEAR_LIMIT
        self.media_kinds: set[str] = set()
        self.first_media_line: dict[str, int] = {}
        self.media_references: dict[str, MediaReference] = {}  # by URI, first line wins
        self.media_truncated = False
        self.drops = rules.format is DatasetFormat.DISTILLATION_PROMPTS and rules.invalid_prompts == "drop"
        self.shape_failures = 0  # objects that failed the shape or limit checks
        self.foreign: dict[DatasetFormat, set[int]] = {}  # records that look like another format -> their lines

    def line(self, raw: bytes, line: int, offset: int) -> None:
        if line == 1 and raw.startswith(BOM):
            raw, offset = raw[len(BOM) :], offset + len(BOM)  # reported once for the file; check the rest
        record = None
        try:
            record = parse_record(raw)
            found = Record()
            self.shape(record, found)
            self._limits(found)
            if found.media:
                self._media(found, line)
                self._remember_media(found, line, offset)
        except Problem as problem:
            if record is not None:
                self.shape_failures += 1
                if problem.code is ReasonCode.SCHEMA_MISMATCH:
                    problem = self._looks_foreign(record, line, problem)
            if self.drops and problem.code is ReasonCode.SCHEMA_MISMATCH:
                self._drop(raw, line, offset, problem)
            else:
                self.errors.add(line, offset + problem.offset, problem.code, problem.message, problem.column)
            return
        tally = self.tally
        tally.records += 1
        tokens = found.safe_tokens()
        tally.tokens += tokens
        tally.max_tokens = max(tally.max_tokens, tokens)
        self._warnings(raw, found, line, offset, tokens)

    def _drop(self, raw: bytes, line: int, offset: int, problem: Problem) -> None:
        """A distillation prompt that does not conform: Bedrock drops it and trains on the rest ("Invalid
        prompts that do not conform to the format will be dropped": AWS's distillation validator,
        aws-samples/amazon-bedrock-samples custom-models/model_distillation/dataset-validation). Lines that
        are not JSONL at all stay errors: Bedrock fails the job on them ("Unable to parse Amazon S3 file"
        [UG fine-tuning-troubleshooting]). The dropped line still goes to Bedrock, so it is still scanned."""
        self.tally.dropped += 1
        self.warnings.add(line, offset + problem.offset, WarningCode.PROMPT_DROPPED, f"prompt dropped: {problem.message}")
        self._sensitive(raw, line, offset)

    def _limits(self, found: Record) -> None:
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

    def _media(self, found: Record, line: int) -> None:
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

    def _remember_media(self, found: Record, line: int, offset: int) -> None:
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

    def _warnings(self, raw: bytes, found: Record, line: int, offset: int, tokens: int) -> None:
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
        if found.schema_version is not None and found.schema_version != SCHEMA_VERSION:
            self.warnings.add(line, offset, WarningCode.SCHEMA_VERSION, f"schemaVersion is not {SCHEMA_VERSION}")
        secret, pii = sensitive(raw)  # inline (as in _sensitive): a call per record costs on the hot path
        if secret:
            self.warnings.add(line, offset, WarningCode.SECRET_FOUND, "looks like a private key or a cloud access key")
        if pii:
            self.warnings.add(line, offset, WarningCode.PII_FOUND, "looks like an e-mail address or a card number")

    def _looks_foreign(self, record: dict[str, Any], line: int, problem: Problem) -> Problem:
        """A record of another format: remembered for the file-level hint, and said on its line."""
        looks = looks_like(record)
        expected = self.rules.format
        if looks is None or looks is expected or {looks, expected} == {DatasetFormat.CONVERSATION, DatasetFormat.DISTILLATION_PROMPTS}:
            return problem
        self.foreign.setdefault(looks, set()).add(line)
        return Problem(problem.code, f"{problem.message} (this record looks like {looks.value})", problem.offset, problem.column)

    def _foreign_summary(self) -> None:
        """Say once that the file looks like another format than the model expects, instead of the same error on
        every line, when most records are of that other format (the lines stay counted; the first keeps its message)."""
        if not self.foreign:
            return
        looks, lines = max(self.foreign.items(), key=lambda item: len(item[1]))
        objects = self.tally.records + self.shape_failures  # shape failures include the dropped prompts
        if len(lines) * 2 < objects or len(lines) < 2:
            return
        model = self.rules.model_name or "the profile's model"
        message = (
            f"this file looks like {looks.value} ({len(lines)} of {objects} records); {model} expects {self.rules.format.value}: "
            f"convert the file, or use a profile whose model takes {looks.value} (finetune models lists them)"
        )
        self.errors.summarize(lines, message, ReasonCode.SCHEMA_MISMATCH.value)
        if self.drops:
            self.warnings.summarize(lines, message, WarningCode.PROMPT_DROPPED.value)

    def finish(self) -> None:
        self._foreign_summary()
        if len(self.media_kinds) > 1 and self.rules.media is not None and self.rules.media.video_formats:
            line = max(self.first_media_line.values())
            self.errors.add(line, 0, ReasonCode.SCHEMA_MISMATCH, "a dataset cannot mix images and videos")
        if self.media_kinds and self.rules.media_bucket is None:
            self.warnings.add(None, 0, WarningCode.MEDIA_NOT_CHECKED, "media location not checked: the data bucket is unknown")

    def _sensitive(self, raw: bytes, line: int, offset: int) -> None:
        secret, pii = sensitive(raw)
        if secret:
            self.warnings.add(line, offset, WarningCode.SECRET_FOUND, "looks like a private key or a cloud access key")
        if pii:
            self.warnings.add(line, offset, WarningCode.PII_FOUND, "looks like an e-mail address or a card number")
