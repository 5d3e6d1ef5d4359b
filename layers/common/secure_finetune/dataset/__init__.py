"""Dataset validation: the streaming record checks, the run-level bounds and split, the media object limits."""

from ..models import DatasetFormat
from .bounds import record_count_problems
from .media import HEAD_BYTES, MediaObject, checks_dimensions, image_dimensions, media_problems, video_seconds, with_media_problems
from .report import ERRORS_KEPT_PER_CODE, DatasetReport, MediaReference
from .rules import DatasetRules, FileRole
from .split import split_lines
from .stream import MAX_LINE_BYTES
from .strict_json import MAX_DEPTH
from .validate import validate_dataset
from .verdict import RunVerdict, judge_run

__all__ = [
    "ERRORS_KEPT_PER_CODE",
    "HEAD_BYTES",
    "MAX_DEPTH",
    "MAX_LINE_BYTES",
    "DatasetFormat",
    "DatasetReport",
    "DatasetRules",
    "FileRole",
    "MediaObject",
    "MediaReference",
    "RunVerdict",
    "checks_dimensions",
    "image_dimensions",
    "judge_run",
    "media_problems",
    "record_count_problems",
    "split_lines",
    "validate_dataset",
    "video_seconds",
    "with_media_problems",
]
