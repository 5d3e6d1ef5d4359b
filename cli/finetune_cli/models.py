"""``finetune models``: the registry a user can read (a table, or ``--format json``), and the lifecycle line
``validate`` and ``preflight`` print when a model is LEGACY or past its end of life."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from secure_finetune.lifecycles import documented_lifecycle, legacy_note
from secure_finetune.model_regions import customization_regions
from secure_finetune.models import CustomizationType, FoundationModel, known_models, records_bounds
from secure_finetune.pricing import KINDS, NO_PUBLIC_PRICE, figure_of, usd

# Where these figures come from, and where the pipeline's come from. In AWS (PriceSource=price-list) only the
# hourly no-commitment throughput price is read live from the Price List (deployment/plan.py: deps.prices, for the
# models with a usage-type stem in adapters/price_list.py, each figure falling back to the snapshot's); training
# (steps/validate.py) and storage (pricing.storage_cost_per_month, report_html.py) are always the snapshot's; the
# stack's ThroughputPricePerUnitHour parameter, when set, overrides the hourly figure.
PRICES_SOURCE = (
    "snapshot: secure_finetune/price_snapshot.json. In AWS the pipeline reads only the hourly provisioned-throughput "
    "(no-commitment) price from the AWS Price List, for the models whose usage type it knows; training and storage "
    "figures are always this snapshot's"
)
_SHORT = {"FINE_TUNING": "FT", "CONTINUED_PRE_TRAINING": "CPT", "DISTILLATION": "DISTILL", "REINFORCEMENT_FINE_TUNING": "RFT"}


def register(commands: Any) -> None:
    """The ``models`` subcommand (main.py's parser)."""
    models = commands.add_parser("models", help="the base models the pipeline knows: types, formats, bounds, regions, lifecycle, prices")
    models.add_argument("--format", choices=("text", "json"), default="text")
    models.add_argument("--type", choices=[t.value for t in CustomizationType], help="only models offering this customization type")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _bounds(model: FoundationModel, customization: CustomizationType) -> dict[str, int | None]:
    bounds = records_bounds(model, customization)
    return {_camel(name): getattr(bounds, name) for name in ("min_total", "max_training", "max_validation", "max_total")}


def _lifecycle(model_id: str) -> dict[str, Any]:
    documented = documented_lifecycle(model_id)
    if documented is None:
        return {"status": None, "legacyDate": None, "endOfLifeDate": None, "source": "not documented here: GR-CTX-03 reads it live"}
    return {
        "status": documented.status,
        "legacyDate": documented.legacy_date.isoformat() if documented.legacy_date else None,
        "endOfLifeDate": documented.end_of_life_date.isoformat() if documented.end_of_life_date else None,
        "regions": dict(documented.regions),
        "source": documented.source,
    }


def _prices(model_id: str) -> dict[str, Any]:
    """Each figure in USD with its own source; a missing one is null with "no public price"."""
    prices: dict[str, Any] = {}
    for kind in KINDS:
        figure = figure_of(model_id, kind)
        key = _camel(kind)
        prices[key] = None if figure is None else figure.usd
        prices[f"{key}Source"] = NO_PUBLIC_PRICE if figure is None else figure.cited()
    prices["source"] = PRICES_SOURCE
    return prices


def model_entry(model: FoundationModel) -> dict[str, Any]:
    types = sorted(model.formats, key=lambda t: list(CustomizationType).index(t))
    return {
        "modelId": model.model_id,
        "name": model.name,
        "customizationTypes": [t.value for t in types],  # botocore CustomizationType enum values
        "formats": {t.value: model.formats[t].value for t in types},
        "recordBounds": {t.value: _bounds(model, t) for t in types},
        "regions": list(customization_regions(model.model_id)),
        "lifecycle": _lifecycle(model.model_id),
        "prices": _prices(model.model_id),
    }


def entries(customization: str | None = None) -> list[dict[str, Any]]:
    wanted = CustomizationType(customization) if customization else None
    return [model_entry(m) for m in known_models() if wanted is None or wanted in m.formats]


def _span(bounds: dict[str, int | None]) -> str:
    """``100-10000`` (records in the run, training + validation; ``-`` where the documentation gives no figure)."""
    low, high = bounds.get("minTotal"), bounds.get("maxTotal") or bounds.get("maxTraining")
    if low is None and high is None:
        return "-"
    return f"{low if low is not None else '-'}-{high if high is not None else '-'}"


def records_cell(record_bounds: dict[str, dict[str, int | None]], customization: str | None = None) -> str:
    """The table's records column: the bounds of the type asked for (``--type``), else of each type the model
    offers, once when they are all the same (``FT 100-10000 DISTILL 100-15000`` otherwise)."""
    if customization is not None:
        return _span(record_bounds[customization])
    spans = {name: _span(bounds) for name, bounds in record_bounds.items()}
    if len(set(spans.values())) <= 1:
        return next(iter(spans.values()), "-")
    return " ".join(f"{_SHORT[name]} {span}" for name, span in spans.items())


def run(args: argparse.Namespace, console: Console) -> int:
    listed = entries(args.type)
    if args.format == "json":
        print(json.dumps(listed, indent=2))
        return 0
    table = Table("model id", "types", "records", "regions", "lifecycle", "train/1k", "store/mo", "PT/MU-h")
    table.columns[0].no_wrap = True
    for entry in listed:
        lifecycle = entry["lifecycle"]
        state = lifecycle["status"] or "-"
        if lifecycle["endOfLifeDate"]:
            state += f" {lifecycle['endOfLifeDate']}"
        prices = entry["prices"]
        table.add_row(
            entry["modelId"],
            " ".join(_SHORT[t] for t in entry["customizationTypes"]),
            records_cell(entry["recordBounds"], args.type),
            " ".join(entry["regions"]) or "-",
            state,
            *("-" if prices[_camel(kind)] is None else usd(prices[_camel(kind)]) for kind in KINDS),
        )
    console.print(table)
    console.print("types: FT fine-tuning, CPT continued pre-training, DISTILL distillation, RFT reinforcement fine-tuning")
    console.print("records: the run's bounds (training + validation) " + (f"for {args.type}" if args.type else "per type"))
    console.print(f"prices: '-' = {NO_PUBLIC_PRICE} we could cite; each figure's source: --format json")
    return 0


def lifecycle_line(model_id: str, region: str | None = None) -> str | None:
    """The warning ``validate`` / ``preflight`` print (None for an ACTIVE or undocumented model). The region is
    the caller's (AWS_REGION / AWS_DEFAULT_REGION) when set, else the line speaks of most regions."""
    return legacy_note(model_id, region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None)


def print_lifecycle(console: Console, model_id: str, region: str | None = None) -> None:
    line = lifecycle_line(model_id, region)
    if line:
        console.print(f"[yellow]lifecycle:[/] {escape(line)}")
