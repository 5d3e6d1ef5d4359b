"""Model lifecycles as AWS documents them, and how a live ``modelLifecycle`` reads against a date.

A Bedrock model is ACTIVE, LEGACY or past its end of life (EOL); GetFoundationModel's
``modelDetails.modelLifecycle`` carries ``status`` (botocore 1.44.8 FoundationModelLifecycleStatus: ACTIVE |
LEGACY) and ``legacyTime`` / ``publicExtendedAccessTime`` / ``endOfLifeTime``; after the EOL date requests fail
("This model version has reached the end of its life", ResourceNotFoundException) and new provisioned
throughput cannot be bought for a LEGACY model.
https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html ,
https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle-legacy.html (models launched before
2026-09-07). The table below is what the model cards say; ``None`` = no documented lifecycle found for the
model: GR-CTX-03 then relies on the live answer alone, which is authoritative in every case.
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

LIFECYCLES: dict[str, Lifecycle] = {
    # Model card: "Model EOL date: September 10, 2026"; EOL in most Regions; "still available" in ca-central-1,
    # eu-central-2 and sa-east-1 and Legacy in ap-northeast-2. A model with an EOL date that is still offered is
    # in its Legacy period, so those three are recorded LEGACY too. The card gives no Legacy start date.
    "anthropic.claude-3-haiku-20240307-v1:0": Lifecycle(
        status="EOL",
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
        for model_id in ("amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0", "amazon.nova-canvas-v1:0")
    },
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
        return f"{model_id} is LEGACY{where}{eol}: plan a move to an ACTIVE model; no new provisioned throughput can be bought for it"
    if status == "EOL":
        where = f" in {region}" if region else " in most regions"
        others = ", ".join(f"{r}: {s}" for r, s in sorted(documented.regions.items()))
        return f"{model_id} is past its end of life{where}{eol}" + (f"; still offered as {others}" if others and not region else "")
    return None


def today_utc() -> date:
    return datetime.now(UTC).date()
