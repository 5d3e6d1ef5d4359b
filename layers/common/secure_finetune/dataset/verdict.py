"""One verdict on a run's dataset, the same in the pipeline (``steps/validate.py``) and on a laptop
(``finetune validate``): the per-file reports and the run-level bounds decide it here, in one place,
so the two cannot drift."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..models import CustomizationType, FoundationModel
from ..reasons import Reason, ReasonCode
from .bounds import record_count_problems
from .report import DatasetReport, WarningCode
from .rules import FileRole


@dataclass(frozen=True)
class RunVerdict:
    accepted: bool
    reason: Reason | None  # None when accepted
    run_problems: tuple[tuple[ReasonCode, str], ...]  # problems of the run as a whole: no file, no line
    codes: dict[str, int]  # every error code, over the files (all, not only the kept ones) and the run


def judge_run(model: FoundationModel, customization: CustomizationType, reports: Mapping[FileRole, DatasetReport]) -> RunVerdict:
    """The verdict on ``reports`` (by role). With a training file, they are the whole run: its record
    bounds span the training and the validation file. A validation file alone (``finetune validate
    --validation-set``) is judged by its per-file bounds only."""
    training, validation = reports.get(FileRole.TRAINING), reports.get(FileRole.VALIDATION)
    problems: tuple[tuple[ReasonCode, str], ...] = ()
    if training is not None:
        dropped = sum(report.warnings_by_code.get(WarningCode.PROMPT_DROPPED, 0) for report in reports.values())
        counts = record_count_problems(model, customization, training.records, validation.records if validation else None, dropped)
        problems = tuple(counts)
    codes: dict[str, int] = {}
    for report in reports.values():
        for code, count in report.errors_by_code.items():
            codes[code] = codes.get(code, 0) + count
    for code, _ in problems:
        codes[code.value] = codes.get(code.value, 0) + 1
    rejected = next((report for report in reports.values() if not report.accepted), None)
    if rejected is not None:
        reason: Reason | None = rejected.reason()
    elif problems:
        reason = Reason(ReasonCode.DATASET_INVALID, problems[0][0].value)
    else:
        reason = None
    return RunVerdict(accepted=reason is None, reason=reason, run_problems=problems, codes=codes)
