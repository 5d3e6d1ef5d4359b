"""Limits on the media objects a dataset references: bytes per object, image pixel dimensions and
video duration.

The JSONL stream only shows references (``checker.py`` checks their format, count and place);
these limits need the objects. The pipeline reads each referenced object's size (HEAD) and, where
the model documents pixel limits, its first ``HEAD_BYTES`` (a range GET); everything here is pure
and works on those plain values. Problems carry a line, a reason code and a content-free message:
never the URI (object keys are the user's names) nor any byte of the object.

Dimensions are read from the header of PNG, GIF, WEBP (VP8, VP8L, VP8X) and JPEG (the first SOF
marker). 64 KiB of head holds the SOF of nearly every JPEG; one whose metadata (EXIF thumbnail,
ICC profile) pushes the SOF further, or any header we cannot parse, is MEDIA_UNREADABLE: the
record is rejected rather than passed unchecked (fail closed); re-saving without metadata fixes it.
A video whose duration its container does not state (see ``video_seconds``) is MEDIA_UNREADABLE
for the same reason; re-muxing it (e.g. ``ffmpeg -c copy``) writes the duration.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..models import MediaRules
from ..reasons import ReasonCode
from .report import DatasetReport, LineProblem, MediaReference, ProblemCollector, WarningCode

HEAD_BYTES = 64 * 1024

_PNG = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers carry the size: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field: TEM, RST0-7, SOI.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8), 0xD8})


def image_dimensions(head: bytes) -> tuple[int, int] | None:
    """(width, height) from an image's first bytes, or None when they do not tell."""
    if head.startswith(_PNG):
        return _png(head)
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(head)
    if head[:2] == b"\xff\xd8":
        return _jpeg(head)
    return None


def _png(head: bytes) -> tuple[int, int] | None:
    # The first chunk must be IHDR: length (4), type (4), width (4), height (4), big-endian.
    if len(head) < 24 or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _webp(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        # Lossy: a key frame's start code, then 14-bit width and height (2 scale bits on top).
        return int.from_bytes(head[26:28], "little") & 0x3FFF, int.from_bytes(head[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        # Lossless: signature 0x2f, then width-1 and height-1 in 14 bits each.
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(head) >= 30:
        # Extended: flags (4), then canvas width-1 and height-1 in 24 bits each.
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


def _jpeg(head: bytes) -> tuple[int, int] | None:
    """Walk the marker segments to the first SOF; None if the head ends first or the scan starts."""
    position = 2
    while position + 4 <= len(head):
        if head[position] != 0xFF:
            return None  # not at a marker: corrupt
        marker = head[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in _JPEG_STANDALONE:
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        length = int.from_bytes(head[position + 2 : position + 4], "big")
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if position + 9 > len(head) or length < 7:
                return None
            height = int.from_bytes(head[position + 5 : position + 7], "big")
            width = int.from_bytes(head[position + 7 : position + 9], "big")
            # Height 0 means "defined later by a DNL marker", past the head: not readable here.
            return (width, height) if height else None
        position += 2 + length
    return None


# ---------------------------------------------------------------- video duration

Reader = Callable[[int, int], bytes]  # (offset, length) -> the object's bytes there (fewer at its end)
_BMFF_TOP_BOXES = 64  # top-level boxes walked looking for moov (ftyp, free, mdat, ... in any order)
_MOOV_BYTES_MAX = 8 * 1024 * 1024  # a 90-second video's index is far smaller; a bigger one is not read
_EBML, _SEGMENT, _INFO = 0x1A45DFA3, 0x18538067, 0x1549A966
_TIMECODE_SCALE, _DURATION = 0x2AD7B1, 0x4489


def video_seconds(read: Reader, size: int) -> float | None:
    """A video's duration from its container's own header, or None when it does not tell.

    MP4 and MOV (ISO base media): ``mvhd`` in ``moov``, which may sit after the media data (only
    "fast start" files put it first), so the walk reads box headers at their offsets. Matroska and
    WebM: ``Duration`` x ``TimecodeScale`` in the segment's ``Info``, looked for in the first
    ``HEAD_BYTES`` (where muxers write it; a live WebM without it is not readable). A duration of
    zero (a fragmented MP4 states its length only in its fragments) reads as None: fail closed."""
    if size < 8:
        return None
    head = read(0, 12)
    if head[:4] == _EBML.to_bytes(4, "big"):
        return _matroska_seconds(read(0, HEAD_BYTES))
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"):
        return _bmff_seconds(read, size)
    return None


def _bmff_seconds(read: Reader, size: int) -> float | None:
    offset = 0
    for _ in range(_BMFF_TOP_BOXES):
        if offset + 8 > size:
            return None
        header = read(offset, 16)
        box_size, kind, body = int.from_bytes(header[:4], "big"), header[4:8], 8
        if box_size == 1:  # 64-bit size follows the type
            box_size, body = int.from_bytes(header[8:16], "big"), 16
        elif box_size == 0:  # runs to the end of the file
            box_size = size - offset
        if box_size < body:
            return None
        if kind == b"moov":
            if box_size > _MOOV_BYTES_MAX or box_size == body:
                return None
            return _mvhd_seconds(read(offset + body, box_size - body))
        offset += box_size
    return None


def _mvhd_seconds(moov: bytes) -> float | None:
    position = 0
    while position + 8 <= len(moov):
        box_size, kind = int.from_bytes(moov[position : position + 4], "big"), moov[position + 4 : position + 8]
        if box_size < 8:
            return None
        if kind == b"mvhd":
            box = moov[position + 8 : position + box_size]
            # version 0: created, modified (4 each), timescale (4), duration (4); version 1: 8, 8, 4, 8
            fields = (12, 16, 4) if box[:1] == b"\0" else (20, 24, 8)
            if len(box) < fields[1] + fields[2]:
                return None
            timescale = int.from_bytes(box[fields[0] : fields[0] + 4], "big")
            duration = int.from_bytes(box[fields[1] : fields[1] + fields[2]], "big")
            # all ones is "not known"; 0 is what a fragmented MP4 writes (its length is in the fragments)
            unknown = duration in (0, (1 << (8 * fields[2])) - 1)
            return None if timescale == 0 or unknown else duration / timescale
        position += box_size
    return None


def _matroska_seconds(head: bytes) -> float | None:
    position, scale, duration = 0, 1_000_000, None  # TimecodeScale defaults to 1 ms (in ns)
    end = len(head)
    while position < end:
        element = _ebml_element(head, position)
        if element is None:
            return None
        element_id, data, size = element
        if element_id in (_SEGMENT, _INFO):  # master elements (a live Segment's size is unknown): step inside
            position = data
            continue
        if size is None or data + size > end or element_id in (0x1F43B675, 0x1654AE6B):  # past Info: Cluster, Tracks
            break
        if element_id == _TIMECODE_SCALE and 1 <= size <= 8:
            scale = int.from_bytes(head[data : data + size], "big")
        elif element_id == _DURATION and size in (4, 8):
            duration = float(struct.unpack(">f" if size == 4 else ">d", head[data : data + size])[0])
        position = data + size
    if duration is None or not math.isfinite(duration) or duration <= 0 or scale == 0:  # 0: a live or broken file
        return None
    return duration * scale / 1e9


def _ebml_element(buffer: bytes, position: int) -> tuple[int, int, int | None] | None:
    """(id, where its data starts, data size or None for "unknown") of the element at ``position``."""
    id_vint = _vint(buffer, position, keep_marker=True)
    if id_vint is None:
        return None
    element_id, after_id = id_vint
    size_vint = _vint(buffer, after_id, keep_marker=False)
    if size_vint is None:
        return None
    size, data = size_vint
    unknown = size == (1 << (7 * (data - after_id))) - 1  # all value bits set: size not known
    return element_id, data, None if unknown else size


def _vint(buffer: bytes, position: int, *, keep_marker: bool) -> tuple[int, int] | None:
    if position >= len(buffer) or buffer[position] == 0:
        return None
    length = 8 - buffer[position].bit_length() + 1
    if position + length > len(buffer):
        return None
    value = int.from_bytes(buffer[position : position + length], "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
    return value, position + length


@dataclass(frozen=True)
class MediaObject:
    """What S3 said about one referenced object (plain values; the adapter fills them in)."""

    reference: MediaReference
    size: int | None  # None: no such object
    head: bytes | None = None  # its first bytes, when dimensions are checked ...
    dimensions: tuple[int, int] | None = None  # ... or the dimensions already read from them
    seconds: float | None = None  # a video's duration, when the model limits it (None: not readable)


def checks_dimensions(rules: MediaRules) -> bool:
    """Whether the model documents pixel limits (only then is an image's head read)."""
    return any(limit is not None for limit in (rules.min_side_px, rules.max_side_px, rules.max_pixels, rules.max_aspect_ratio))


def media_problems(objects: Iterable[MediaObject], rules: MediaRules) -> list[tuple[int, ReasonCode, str]]:
    """(line, code, message) for each object that breaks a documented limit, one per object."""
    problems = []
    for item in objects:
        problem = _object_problem(item, rules)
        if problem is not None:
            problems.append((item.reference.line, *problem))
    return problems


def _object_problem(item: MediaObject, rules: MediaRules) -> tuple[ReasonCode, str] | None:
    kind = item.reference.kind
    if item.size is None:
        return ReasonCode.MEDIA_NOT_FOUND, f"the {kind} object does not exist in the data bucket"
    if item.size == 0:
        return ReasonCode.MEDIA_UNREADABLE, f"the {kind} object is empty"
    limit = rules.max_image_bytes if kind == "image" else rules.max_video_bytes
    if limit is not None and item.size > limit:
        return ReasonCode.MEDIA_TOO_LARGE, f"the {kind} is {item.size} bytes; at most {limit} for this model"
    if kind == "video" and rules.max_video_seconds is not None:
        if item.seconds is None:
            return ReasonCode.MEDIA_UNREADABLE, "the video's duration could not be read from its container (MP4/MOV, MKV/WebM)"
        if item.seconds > rules.max_video_seconds:
            return ReasonCode.MEDIA_TOO_LONG, f"the video runs {item.seconds:.1f} s; at most {rules.max_video_seconds:g} s for this model"
    if kind != "image" or not checks_dimensions(rules):
        return None
    dimensions = item.dimensions
    if dimensions is None and item.head is not None:
        dimensions = image_dimensions(item.head)
    if dimensions is None:
        return ReasonCode.MEDIA_UNREADABLE, f"image dimensions could not be read from its first {HEAD_BYTES} bytes"
    return _dimension_problem(*dimensions, rules)


def _dimension_problem(width: int, height: int, rules: MediaRules) -> tuple[ReasonCode, str] | None:
    code = ReasonCode.MEDIA_DIMENSIONS_OUT_OF_RANGE
    size = f"the image is {width}x{height} px"
    if width == 0 or height == 0:  # whatever the model's limits, no pixels is no image
        return code, f"{size}; an image needs at least one pixel a side"
    if rules.min_side_px is not None and min(width, height) < rules.min_side_px:
        return code, f"{size}; each side must be at least {rules.min_side_px} px"
    if rules.max_side_px is not None and max(width, height) > rules.max_side_px:
        return code, f"{size}; each side must be at most {rules.max_side_px} px"
    if rules.max_pixels is not None and width * height > rules.max_pixels:
        return code, f"{size}; at most {rules.max_pixels} pixels in all"
    if rules.max_aspect_ratio is not None and max(width, height) > rules.max_aspect_ratio * min(width, height):
        return code, f"{size}; the aspect ratio must be within 1:{rules.max_aspect_ratio:g} and {rules.max_aspect_ratio:g}:1"
    return None


def with_media_problems(report: DatasetReport, problems: list[tuple[int, ReasonCode, str]], unchecked: str | None = None) -> DatasetReport:
    """The report with the media problems folded into its errors (by line, capped per code like
    the stream's), and a MEDIA_NOT_CHECKED warning when some references went unchecked."""
    collected = ProblemCollector(report.errors, report.errors_by_code)
    offsets = {reference.line: reference.byte_offset for reference in report.media}
    for line, code, message in problems:
        collected.add(line, offsets.get(line, 0), code, message)
    errors, counts = sorted(collected.kept, key=lambda problem: (problem.line or 0, problem.byte_offset)), collected.counts
    warnings, warning_counts = report.warnings, dict(report.warnings_by_code)
    if unchecked is not None:
        warnings = (*warnings, LineProblem(line=None, byte_offset=0, code=WarningCode.MEDIA_NOT_CHECKED, message=unchecked))
        warning_counts[WarningCode.MEDIA_NOT_CHECKED] = warning_counts.get(WarningCode.MEDIA_NOT_CHECKED, 0) + 1
    return report.model_copy(
        update={
            "accepted": report.accepted and not problems,
            "error_count": sum(counts.values()),
            "errors_by_code": dict(counts),
            "errors": tuple(errors),
            "warning_count": sum(warning_counts.values()),
            "warnings_by_code": warning_counts,
            "warnings": warnings,
        }
    )
