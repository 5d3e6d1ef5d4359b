"""Prices: every figure the cost estimates read, each with its own source and date.

In AWS the source is the AWS Price List (``pricing:GetProducts``, service code ``AmazonBedrock``,
``adapters/price_list.py``); offline and in the emulator it is the checked-in snapshot
``price_snapshot.json``, where each figure names the page or offer it was read from and when. A model
or figure absent there has **no public price** we could cite: messages, the report and the approval
page then say exactly that, never a guess and never a sibling model's figure.

Training is billed as tokens in the corpus x epochs [UG custom-models], per 1,000 tokens; storage per
custom model per month; provisioned throughput per model unit per hour, no commitment. A custom model's
throughput is priced as its base model's [UG prov-throughput], so figures are keyed by base model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

SNAPSHOT = Path(__file__).with_name("price_snapshot.json")
NO_PUBLIC_PRICE = "no public price"
UNKNOWN_COST = NO_PUBLIC_PRICE  # what every message shows for a figure we cannot cite
Kind = Literal["training_per_1k_tokens", "storage_per_month", "throughput_per_unit_hour"]
KINDS: tuple[Kind, ...] = ("training_per_1k_tokens", "storage_per_month", "throughput_per_unit_hour")
LABELS: dict[Kind, str] = {
    "training_per_1k_tokens": "training, per 1,000 tokens",
    "storage_per_month": "custom-model storage, per month",
    "throughput_per_unit_hour": "throughput, per model unit-hour (no commitment)",
}


@dataclass(frozen=True)
class Figure:
    usd: float
    source: str  # the page, offer or Price List answer it was read from
    as_of: str  # when

    def cited(self) -> str:
        return f"{self.source} ({self.as_of})"


@dataclass(frozen=True)
class Price:
    """One base model's figures in one region; ``None`` = no public price for that figure."""

    region: str
    training: Figure | None = None
    storage: Figure | None = None
    throughput: Figure | None = None

    def figure(self, kind: Kind) -> Figure | None:
        return {"training_per_1k_tokens": self.training, "storage_per_month": self.storage, "throughput_per_unit_hour": self.throughput}[
            kind
        ]

    @property
    def training_per_1k_tokens(self) -> float | None:
        return None if self.training is None else self.training.usd

    @property
    def storage_per_month(self) -> float | None:
        return None if self.storage is None else self.storage.usd

    @property
    def throughput_per_unit_hour(self) -> float | None:
        return None if self.throughput is None else self.throughput.usd

    @property
    def source(self) -> str:
        """Every figure's source, one per kind, for a report line."""
        return "; ".join(f"{LABELS[kind].split(',')[0]}: {f.cited()}" for kind in KINDS if (f := self.figure(kind)) is not None)

    @property
    def as_of(self) -> str:
        return ", ".join(sorted({f.as_of for kind in KINDS if (f := self.figure(kind)) is not None}))


def _figure(entry: dict[str, Any], kind: Kind) -> Figure | None:
    raw = entry.get(kind)
    if raw is None:
        return None
    return Figure(usd=float(raw["usd"]), source=str(raw["source"]), as_of=str(raw["as_of"]))


def parse_snapshot(document: dict[str, Any]) -> dict[str, Price]:
    """The snapshot file's ``prices`` as Price rows (a figure without usd, source or as_of is an error, not a guess)."""
    return {
        model_id: Price(
            region=str(entry["region"]),
            training=_figure(entry, "training_per_1k_tokens"),
            storage=_figure(entry, "storage_per_month"),
            throughput=_figure(entry, "throughput_per_unit_hour"),
        )
        for model_id, entry in document["prices"].items()
    }


@cache
def snapshot_prices(path: Path = SNAPSHOT) -> dict[str, Price]:
    return parse_snapshot(json.loads(path.read_text(encoding="utf-8")))


PRICES: dict[str, Price] = snapshot_prices()


class SnapshotPrices:
    """The PriceBook of the emulator and of offline runs: the checked-in snapshot (its figures name their sources)."""

    def price(self, model_id: str, region: str) -> Price | None:
        return price_of(model_id)


def with_fallback(live: Price | None, snapshot: Price | None) -> Price | None:
    """Each figure from the live Price List where it answered, else the snapshot's (each keeps its own source)."""
    if live is None or snapshot is None:
        return live or snapshot
    return Price(
        region=live.region,
        training=live.training or snapshot.training,
        storage=live.storage or snapshot.storage,
        throughput=live.throughput or snapshot.throughput,
    )


def usd(value: float | None) -> str:
    """How every message, page and report shows a cost: no public price is never zero, and a small
    training run keeps its cents' fractions ("$0.0125", not "$0.01")."""
    if value is None:
        return NO_PUBLIC_PRICE
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.4f}"


def price_of(model_id: str) -> Price | None:
    return PRICES.get(model_id)


def figure_of(model_id: str, kind: Kind) -> Figure | None:
    price = price_of(model_id)
    return None if price is None else price.figure(kind)


def cited(model_id: str, kind: Kind) -> str:
    """ "$1.95 (source, date)" or "no public price": the words a message puts beside a figure."""
    figure = figure_of(model_id, kind)
    return NO_PUBLIC_PRICE if figure is None else f"{usd(figure.usd)} — {figure.cited()}"


def training_cost(model_id: str, tokens: int, epochs: int) -> float | None:
    """Estimated training cost in USD (tokens are the validator's safe over-estimate)."""
    price = price_of(model_id)
    if price is None or price.training_per_1k_tokens is None:
        return None
    return round(tokens / 1000 * epochs * price.training_per_1k_tokens, 4)


def storage_cost_per_month(model_id: str) -> float | None:
    """What keeping the custom model costs per month (billed while it exists, deployed or not)."""
    price = price_of(model_id)
    return None if price is None else price.storage_per_month


def training_price_facts(base_model: str) -> dict[str, Any]:
    """The JobStarted message's storage figure and the sources of its training and storage figures."""
    from .models import UnknownModel, find_model

    try:
        model_id = find_model(base_model).model_id
    except UnknownModel:
        return {"estimated_storage_per_month_usd": None, "price_source": NO_PUBLIC_PRICE}
    sources = [
        f"{LABELS[kind].split(',')[0]}: {figure.cited() if (figure := figure_of(model_id, kind)) else NO_PUBLIC_PRICE}"
        for kind in ("training_per_1k_tokens", "storage_per_month")
    ]
    return {"estimated_storage_per_month_usd": storage_cost_per_month(model_id), "price_source": "; ".join(sources)}
