"""Run-level record bounds: the record counts of the training and validation files together."""

from __future__ import annotations

from ..models import CustomizationType, FoundationModel, records_bounds
from ..reasons import ReasonCode


def record_count_problems(
    model: FoundationModel, customization: CustomizationType, training: int, validation: int | None, dropped: int = 0
) -> list[tuple[ReasonCode, str]]:
    """Run-level record bounds (they span both files): (code, message) per broken bound. ``dropped``:
    distillation prompts dropped as non-conforming, which do not count (only valid prompts do)."""
    bounds = records_bounds(model, customization)
    total = training + (validation or 0)
    if customization is CustomizationType.DISTILLATION:
        counted = f"{total} valid prompts" + (f" ({dropped} dropped)" if dropped else "")
        needs = f"distillation needs at least {bounds.min_total} valid prompts"
    else:
        counted, needs = f"{total} records", f"{model.name} needs at least {bounds.min_total}"
    problems: list[tuple[ReasonCode, str]] = []
    if bounds.min_total is not None and total < bounds.min_total:
        problems.append((ReasonCode.TOO_FEW_RECORDS, f"{counted}; {needs}"))
    if bounds.max_total is not None and total > bounds.max_total:
        problems.append((ReasonCode.TOO_MANY_RECORDS, f"{counted}; {model.name} takes at most {bounds.max_total}"))
    if validation is not None and not model.validation_allowed:
        problems.append((ReasonCode.SCHEMA_MISMATCH, f"{model.name} takes no validation file"))
    return problems
