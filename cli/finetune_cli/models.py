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
    prices["source"] = "snapshot: secure_finetune/price_snapshot.json (in AWS the pipeline reads the AWS Price List)"
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


def run(args: argparse.Namespace, console: Console) -> int:
    listed = entries(args.type)
    if args.format == "json":
        print(json.dumps(listed, indent=2))
        return 0
    table = Table("model id", "types", "records", "regions", "lifecycle", "train/1k", "store/mo", "PT/MU-h")
    table.columns[0].no_wrap = True
    for entry in listed:
        bounds: dict[str, int | None] = next(iter(entry["recordBounds"].values()), {})
        low, high = bounds.get("minTotal"), bounds.get("maxTotal") or bounds.get("maxTraining")
        lifecycle = entry["lifecycle"]
        state = lifecycle["status"] or "-"
        if lifecycle["endOfLifeDate"]:
            state += f" {lifecycle['endOfLifeDate']}"
        prices = entry["prices"]
        table.add_row(
            entry["modelId"],
            " ".join(_SHORT[t] for t in entry["customizationTypes"]),
            "-" if low is None and high is None else f"{low if low is not None else '-'}-{high if high is not None else '-'}",
            " ".join(entry["regions"]) or "-",
            state,
            *("-" if prices[_camel(kind)] is None else usd(prices[_camel(kind)]) for kind in KINDS),
        )
    console.print(table)
    console.print("types: FT fine-tuning, CPT continued pre-training, DISTILL distillation, RFT reinforcement fine-tuning")
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
