"""Dataset validation: the streaming record checks, the run-level bounds and split, the media object limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
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

# Lazy (cold starts): a handler that needs one report model (reports.py -> dataset.report) must not import the
# validator, its formats and hints. Each name loads its own submodule on first use.
_WHERE = {
    "DatasetFormat": "..models",
    "record_count_problems": ".bounds",
    "HEAD_BYTES": ".media",
    "MediaObject": ".media",
    "checks_dimensions": ".media",
    "image_dimensions": ".media",
    "media_problems": ".media",
    "video_seconds": ".media",
    "with_media_problems": ".media",
    "ERRORS_KEPT_PER_CODE": ".report",
    "DatasetReport": ".report",
    "MediaReference": ".report",
    "DatasetRules": ".rules",
    "FileRole": ".rules",
    "split_lines": ".split",
    "MAX_LINE_BYTES": ".stream",
    "MAX_DEPTH": ".strict_json",
    "validate_dataset": ".validate",
    "RunVerdict": ".verdict",
    "judge_run": ".verdict",
}


__getattr__ = lazy_exports(__name__, _WHERE, globals())

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
