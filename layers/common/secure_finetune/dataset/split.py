"""Carving a validation file out of an accepted training file, deterministically."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from .rules import FileRole


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
