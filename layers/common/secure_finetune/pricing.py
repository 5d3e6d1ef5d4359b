"""Prices: every figure the cost estimates read, each with its own AWS source and date.

In AWS the source is the AWS Price List (``pricing:GetProducts``, service code ``AmazonBedrock``,
``adapters/price_list.py``); offline and in the emulator it is the checked-in snapshot
``price_snapshot.json``. A snapshot figure is accepted only with the AWS page it was read from (an https URL
on an AWS domain), the exact words the page uses for what it prices, and an ISO date (the date the page
shows, else the day it was read): a figure seen only in a third party's copy is not a price we can cite,
so it is not in the snapshot at all. A model or figure absent there has **no public price**: messages,
the report and the approval page then say exactly that, never a guess and never a sibling model's figure.

Training is billed as tokens in the corpus x epochs [UG custom-models], per 1,000 tokens; storage per
custom model per month; provisioned throughput per model unit per hour, no commitment. A custom model's
throughput is priced as its base model's [UG prov-throughput], so figures are keyed by base model. On-demand
token prices (the evaluation's judge and base model, evaluation/cost.py) are per 1,000 input or output tokens.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

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
TokenKind = Literal["input_per_1k_tokens", "output_per_1k_tokens"]
TOKEN_KINDS: tuple[TokenKind, ...] = ("input_per_1k_tokens", "output_per_1k_tokens")
# AWS's own pages: aws.amazon.com (pricing pages, blogs) and docs.aws.amazon.com. Anything else is somebody's copy.
AWS_HOSTS = frozenset({"aws.amazon.com", "docs.aws.amazon.com"})
# The Price List's own hosts (the query API and the offer files), not any *.amazonaws.com: S3 buckets and API Gateway
# stages live there too, and anyone can own one.
_PRICE_LIST_HOST = re.compile(r"(api\.)?pricing\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class UnsourcedFigure(ValueError):
    """A snapshot figure without an AWS page, the page's words for it, or an ISO date: an error, not a price."""


@dataclass(frozen=True)
class Figure:
    usd: float
    source: str  # what the page says the figure prices, in its words (or the Price List usage type)
    as_of: str  # ISO date: the date the page shows, or the day it was read
    url: str = ""  # the AWS page, offer or endpoint it was read from

    def cited(self) -> str:
        where = f"{self.source}, {self.url}" if self.url else self.source
        return f"{where} ({self.as_of})"


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


@dataclass(frozen=True)
class TokenPrice:
    """A model's on-demand text prices in one region, each figure with its own source."""

    region: str
    input: Figure  # USD per 1,000 input tokens
    output: Figure  # USD per 1,000 output tokens

    @property
    def input_per_1k(self) -> float:
        return self.input.usd

    @property
    def output_per_1k(self) -> float:
        return self.output.usd

    def cited(self) -> str:
        return f"input: {self.input.cited()}; output: {self.output.cited()}"


def aws_url(url: str) -> str:
    """``url`` if it is an https page on an AWS domain, else UnsourcedFigure."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme != "https" or not (host in AWS_HOSTS or _PRICE_LIST_HOST.fullmatch(host)):
        raise UnsourcedFigure(f"not an AWS page: {url!r}")
    return url


def iso_date(text: str) -> str:
    """``text`` if it is a calendar date YYYY-MM-DD, else UnsourcedFigure (a "2025" or "2026-03" dates nothing)."""
    try:
        if _ISO_DATE.fullmatch(text) is None:
            raise ValueError(text)
        date.fromisoformat(text)
    except ValueError:
        raise UnsourcedFigure(f"not an ISO date: {text!r}") from None
    return text


def _figure(entry: dict[str, Any], kind: str) -> Figure | None:
    raw = entry.get(kind)
    if raw is None:
        return None
    usd = float(raw["usd"])
    wording = str(raw["wording"]).strip()
    if usd <= 0 or not wording:
        raise UnsourcedFigure(f"{kind}: a positive usd and the page's words for it are required")
    return Figure(usd=usd, source=wording, as_of=iso_date(str(raw["as_of"])), url=aws_url(str(raw["source_url"])))


def parse_snapshot(document: dict[str, Any]) -> dict[str, Price]:
    """The snapshot file's ``prices`` as Price rows (a figure without an AWS source, its wording or an ISO date is an
    error, not a guess; so is an entry with no figure at all)."""
    prices: dict[str, Price] = {}
    for model_id, entry in document["prices"].items():
        price = Price(
            region=str(entry["region"]),
            training=_figure(entry, "training_per_1k_tokens"),
            storage=_figure(entry, "storage_per_month"),
            throughput=_figure(entry, "throughput_per_unit_hour"),
        )
        if all(price.figure(kind) is None for kind in KINDS):
            raise UnsourcedFigure(f"{model_id}: an entry without a figure (delete it: no entry = no public price)")
        prices[model_id] = price
    return prices


def parse_token_prices(document: dict[str, Any]) -> dict[str, TokenPrice]:
    """The snapshot file's ``token_prices``: both figures of a model, or the model is not priced (an error)."""
    found: dict[str, TokenPrice] = {}
    for model_id, entry in document.get("token_prices", {}).items():
        figures = [_figure(entry, kind) for kind in TOKEN_KINDS]
        if figures[0] is None or figures[1] is None:
            raise UnsourcedFigure(f"{model_id}: input and output token prices go together")
        found[model_id] = TokenPrice(region=str(entry["region"]), input=figures[0], output=figures[1])
    return found


@cache
def _document(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def refreshed_snapshot(document: dict[str, Any], entries: dict[str, dict[str, Any]], today: str) -> dict[str, Any]:
    """``document`` with ``entries`` (adapters/price_list.snapshot_entries) merged in, figure by figure (a model's other
    figures, e.g. read by hand from a page, stay unless the entry is for another region), dated ``today``; checked by
    the loader's own rules before anyone writes it (UnsourcedFigure otherwise)."""
    prices = dict(document.get("prices", {}))
    for model_id, entry in entries.items():
        before = prices.get(model_id, {})
        prices[model_id] = {**before, **entry} if before.get("region") == entry["region"] else entry
    updated = {**document, "snapshot_date": iso_date(today), "prices": prices}
    parse_snapshot(updated)
    parse_token_prices(updated)
    return updated


def snapshot_prices(path: Path = SNAPSHOT) -> dict[str, Price]:
    return parse_snapshot(_document(path))


def snapshot_token_prices(path: Path = SNAPSHOT) -> dict[str, TokenPrice]:
    return parse_token_prices(_document(path))


PRICES: dict[str, Price] = snapshot_prices()
TOKEN_PRICES: dict[str, TokenPrice] = snapshot_token_prices()


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


def token_price(model_id: str) -> TokenPrice | None:
    """The on-demand token prices of a model (a foundation-model id), or None: no public price."""
    return TOKEN_PRICES.get(model_id)


def figure_of(model_id: str, kind: Kind) -> Figure | None:
    price = price_of(model_id)
    return None if price is None else price.figure(kind)


def cited(model_id: str, kind: Kind) -> str:
    """ "$1.95 — words, page (date)" or "no public price": the words a message puts beside a figure."""
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


def training_price_facts(base_model: str, *, per_token: bool = True) -> dict[str, Any]:
    """The JobStarted message's storage figure and the sources of its training and storage figures (``per_token``
    False: a reinforcement fine-tuning run, whose training the per-token figure does not price, validate.py)."""
    from .models import UnknownModel, find_model

    try:
        model_id = find_model(base_model).model_id
    except UnknownModel:
        return {"estimated_storage_per_month_usd": None, "price_source": NO_PUBLIC_PRICE}
    sources = [
        f"{LABELS[kind].split(',')[0]}: {figure.cited() if (figure := figure_of(model_id, kind)) else NO_PUBLIC_PRICE}"
        for kind in ("training_per_1k_tokens", "storage_per_month")
        if per_token or kind != "training_per_1k_tokens"
    ]
    sources = sources if per_token else [f"training: {NO_PUBLIC_PRICE} (reinforcement fine-tuning)", *sources]
    return {"estimated_storage_per_month_usd": storage_cost_per_month(model_id), "price_source": "; ".join(sources)}
