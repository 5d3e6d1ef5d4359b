"""Model lifecycles as AWS documents them, and how a live ``modelLifecycle`` reads against a date.

A Bedrock model is ACTIVE, LEGACY or past its end of life (EOL); GetFoundationModel's
``modelDetails.modelLifecycle`` carries ``status`` (botocore 1.44.8 FoundationModelLifecycleStatus: ACTIVE |
LEGACY) and ``legacyTime`` / ``publicExtendedAccessTime`` / ``endOfLifeTime``; after the EOL date requests fail
("This model version has reached the end of its life", ResourceNotFoundException). For a LEGACY model "You can't
create a new Provisioned Throughput for models in the Legacy state" and, under "Customized Models and Lifecycle
Behavior", "you cannot create new fine-tuning jobs on that model" while a model customized before may still get "a new
custom model deployment for on-demand inference" (both lifecycle pages):
https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html (models launched on or after 2026-09-07),
https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle-legacy.html (models launched before: every model
here). "Model lifecycle state can differ by AWS Region": a row covers only the regions it lists.

The table below records, for every registry model, what those pages say: a model they list with its dates; a model they
do not list as ACTIVE with the words "not listed" and the check (``_NOT_LISTED``). The pages are read from the stored
docs; the version read lists Nova Canvas among "Models that have reached EOL" (2026-09-30) and still schedules Jamba
1.5's EOL (2026-11-26), so it is from October-November 2026. Its EOL list keeps only EOLs from 2026-08-19 on: a model
whose EOL an earlier version of the page gave (Llama 3.2, Titan Image Generator G1 v2) is recorded with those dates and
says so. The live answer (GR-CTX-03) is authoritative in every case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

Status = Literal["ACTIVE", "LEGACY", "EOL"]
EOL_MESSAGE = "reached the end of its life"  # Bedrock's ResourceNotFoundException text past EOL (model card)


@dataclass(frozen=True)
class Lifecycle:
    status: Status  # in most regions
    legacy_date: date | None = None
    end_of_life_date: date | None = None
    # regions where the card documents another state, e.g. {"ap-northeast-2": "LEGACY"}
    regions: dict[str, Status] = field(default_factory=dict)
    source: str = ""

    def status_in(self, region: str) -> Status:
        return self.regions.get(region, self.status)


_LIFECYCLE_ACTIVE_TABLE = "UG model-lifecycle, Active versions table (launched 2024-12-04, EOL no sooner than 2025-12-04)"
_LEGACY_PAGE = "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle-legacy.html"
_CHECKED = "2026-12-03, the page version listing Nova Canvas's 2026-09-30 EOL among the models that reached EOL"
_NOT_LISTED = f"{_LEGACY_PAGE}: ACTIVE (not listed on the lifecycle page, checked {_CHECKED})"
# The version of model-lifecycle.html before the 2026-09-07 split, Legacy table: "Legacy date: January 7, 2026; EOL date:
# July 7, 2026; Public extended access start date: April 7, 2026" for Llama 3.2 1B/3B (eu-central-1, eu-west-1, eu-west-3,
# us-east-1, us-east-2, us-west-2) and 11B/90B (us-east-1, us-east-2, us-west-2), their customization region us-west-2 among them.
_LLAMA_3_2 = (
    "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html (the version before the 2026-09-07 split: "
    "Legacy 2026-01-07, EOL 2026-07-07 in its regions; not on the current model-lifecycle-legacy page, whose EOL list starts "
    f"at 2026-08-19; checked {_CHECKED})"
)


def _not_listed(*model_ids: str) -> dict[str, Lifecycle]:
    return {model_id: Lifecycle(status="ACTIVE", source=_NOT_LISTED) for model_id in model_ids}


LIFECYCLES: dict[str, Lifecycle] = {
    # Model card: "Model EOL date: September 10, 2026"; EOL in most Regions; "still available" in ca-central-1,
    # eu-central-2 and sa-east-1 and Legacy in ap-northeast-2. A model with an EOL date that is still offered is
    # in its Legacy period, so those three are recorded LEGACY too. The lifecycle page ("Models that have reached EOL")
    # agrees on the EOL and gives the Legacy date, March 10, 2026 (regions ap-northeast-1, ap-southeast-2, eu-central-1,
    # eu-west-1, eu-west-2, eu-west-3, us-east-1, us-east-2, us-west-2, us-gov-*).
    "anthropic.claude-3-haiku-20240307-v1:0": Lifecycle(
        status="EOL",
        legacy_date=date(2026, 3, 10),
        end_of_life_date=date(2026, 9, 10),
        regions={"ap-northeast-2": "LEGACY", "ca-central-1": "LEGACY", "eu-central-2": "LEGACY", "sa-east-1": "LEGACY"},
        source="https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-anthropic-claude-3-haiku.html (read 2026-12-02)",
    ),
    # Model card: "Model lifecycle: Active", EOL no sooner than 2025-07-23.
    "meta.llama3-1-70b-instruct-v1:0": Lifecycle(
        status="ACTIVE",
        source="https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-meta-llama-3-1-70b-instruct.html (read 2026-12-02)",
    ),
    **{
        model_id: Lifecycle(
            status="ACTIVE", source=f"https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html: {_LIFECYCLE_ACTIVE_TABLE}"
        )
        for model_id in ("amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0")
    },
    # "Models that have reached EOL": Nova Canvas, amazon.nova-canvas-v1:0, ap-northeast-1, eu-west-1, us-east-1 (its
    # customization region), Legacy date March 30, 2026, EOL date September 30, 2026 (the older page's Active table had it).
    "amazon.nova-canvas-v1:0": Lifecycle(
        status="EOL",
        legacy_date=date(2026, 3, 30),
        end_of_life_date=date(2026, 9, 30),
        source=f"{_LEGACY_PAGE}: Models that have reached EOL (checked {_CHECKED})",
    ),
    **{
        model_id: Lifecycle(status="EOL", legacy_date=date(2026, 1, 7), end_of_life_date=date(2026, 7, 7), source=_LLAMA_3_2)
        for model_id in (
            "meta.llama3-2-1b-instruct-v1:0",
            "meta.llama3-2-3b-instruct-v1:0",
            "meta.llama3-2-11b-instruct-v1:0",
            "meta.llama3-2-90b-instruct-v1:0",
        )
    },
    # The same earlier version: "Titan Image Generator G1 v2, amazon.titan-image-generator-v2:0, us-east-1, us-west-2, Legacy
    # date: December 30, 2025, EOL date: June 30, 2026".
    "amazon.titan-image-generator-v2:0": Lifecycle(
        status="EOL",
        legacy_date=date(2025, 12, 30),
        end_of_life_date=date(2026, 6, 30),
        source=(
            "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html (the version before the 2026-09-07 split: "
            "Legacy 2025-12-30, EOL 2026-06-30 in us-east-1 and us-west-2; not on the current model-lifecycle-legacy page; "
            f"checked {_CHECKED})"
        ),
    ),
    # Neither page (nor the earlier version) lists these: ACTIVE as the pages leave them. Titan Image Generator G1 (v1) is
    # among them although the current fine-tuning table no longer offers it (model_regions.py): GR-CTX-03's live
    # customizationsSupported decides.
    **_not_listed(
        "meta.llama3-1-8b-instruct-v1:0",
        "meta.llama3-3-70b-instruct-v1:0",
        "amazon.nova-2-lite-v1:0",
        "openai.gpt-oss-20b",
        "qwen.qwen3-32b",
        "amazon.titan-text-express-v1",
        "amazon.titan-text-lite-v1",
        "amazon.titan-text-premier-v1:0",
        "amazon.titan-image-generator-v1",
        "amazon.titan-embed-image-v1",
    ),
}


def documented_lifecycle(model_id: str) -> Lifecycle | None:
    return LIFECYCLES.get(model_id)


@dataclass(frozen=True)
class LiveLifecycle:
    """GetFoundationModel's answer, read: what GR-CTX-03 and the messages say about it."""

    status: str | None  # ACTIVE | LEGACY (botocore), or None when the answer carries none
    legacy_date: date | None
    end_of_life_date: date | None

    def past_end_of_life(self, today: date) -> bool:
        return self.end_of_life_date is not None and self.end_of_life_date <= today


def _day(value: Any) -> date | None:
    """botocore gives datetimes; a JSON copy of the answer gives ISO-8601 text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return None
    return None


def read_live(details: dict[str, Any]) -> LiveLifecycle:
    lifecycle = details.get("modelLifecycle") or {}
    return LiveLifecycle(
        status=lifecycle.get("status"), legacy_date=_day(lifecycle.get("legacyTime")), end_of_life_date=_day(lifecycle.get("endOfLifeTime"))
    )


def legacy_note(model_id: str, region: str | None = None) -> str | None:
    """One line for ``finetune validate`` / ``preflight`` when the documented lifecycle is not ACTIVE (None otherwise)."""
    documented = documented_lifecycle(model_id)
    if documented is None:
        return None
    status = documented.status_in(region) if region else documented.status
    eol = f" (end of life {documented.end_of_life_date.isoformat()})" if documented.end_of_life_date else ""
    if status == "LEGACY":
        where = f" in {region}" if region else ""
        return (
            f"{model_id} is LEGACY{where}{eol}: plan a move to an ACTIVE model; no new provisioned throughput can be bought for it"
            " and Bedrock documents that no new fine-tuning job can be created on it"
        )
    if status == "EOL":
        where = f" in {region}" if region else " in most regions"
        others = ", ".join(f"{r}: {s}" for r, s in sorted(documented.regions.items()))
        return f"{model_id} is past its end of life{where}{eol}" + (f"; still offered as {others}" if others and not region else "")
    return None


def today_utc() -> date:
    return datetime.now(UTC).date()
