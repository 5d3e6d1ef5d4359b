"""``finetune prices``: fill the checked-in price snapshot from the AWS Price List, each figure with its source.

The snapshot (``layers/common/secure_finetune/price_snapshot.json``) is what the emulator and offline runs price
with; in AWS the stack asks the Price List itself. With AWS credentials (``pricing:GetProducts``) this reads the
registry's models' customization training, storage and no-commitment throughput prices for ``--region``; offline,
``--from-file`` reads answers saved with ``aws pricing get-products --service-code AmazonBedrock --region us-east-1
--filters Type=TERM_MATCH,Field=regionCode,Value=REGION > answers.json`` (one or more files). Every figure written
names its usage type and unit, the Price List endpoint and the answer's publication date; a model the answer has no
figure for keeps its entry or has none ("no public price"). Without ``--write`` nothing is written: the table shows
what would be. Exit codes: 0 done, 1 no figure found, 2 an error.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from finetune_cli.errors import CliError

COMMAND = "prices"


def add_command(commands: Any) -> None:
    prices = commands.add_parser(COMMAND, help="fill the price snapshot from the AWS Price List (dry run unless --write)")
    prices.add_argument("--region", default="us-east-1", help="the region whose prices to read (default us-east-1)")
    prices.add_argument("--from-file", type=Path, action="append", help="saved `aws pricing get-products` output, instead of a live read")
    prices.add_argument("--snapshot", type=Path, help="the snapshot file to update (default: the layer's price_snapshot.json)")
    prices.add_argument("--write", action="store_true", help="write the updated snapshot (default: show what would change)")


def run(args: argparse.Namespace, console: Console) -> int:
    from secure_finetune.adapters.price_list import read_answers, snapshot_entries
    from secure_finetune.pricing import SNAPSHOT, refreshed_snapshot

    snapshot: Path = args.snapshot or SNAPSHOT
    items = _from_files(args.from_file) if args.from_file else read_answers(args.region)
    entries = snapshot_entries(items, args.region)
    document = json.loads(snapshot.read_text(encoding="utf-8"))
    updated = refreshed_snapshot(document, entries, datetime.now(UTC).date().isoformat())
    console.print(table(entries))
    if not entries:
        console.print(f"No figure for any registry model in {args.region}: the snapshot is unchanged.")
        return 1
    if args.write:
        snapshot.write_text(json.dumps(updated, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"Wrote {len(entries)} model(s) to {snapshot}.")
    else:
        console.print(f"{len(entries)} model(s) would be written to {snapshot} (add --write).")
    return 0


def _from_files(paths: list[Path]) -> list[dict[str, Any]]:
    """The PriceList items of saved GetProducts answers (each a JSON document in a string, as the API returns them)."""
    items = []
    for path in paths:
        try:
            answer = json.loads(path.read_text(encoding="utf-8"))
            items += [json.loads(text) if isinstance(text, str) else text for text in answer["PriceList"]]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise CliError(f"{path}: not a saved `aws pricing get-products` answer ({type(err).__name__})") from None
    return items


def table(entries: dict[str, dict[str, Any]]) -> Table:
    shown = Table("model", "figure", "USD", "source", "as of", title="Price List figures")
    for model_id, entry in entries.items():
        for kind, figure in entry.items():
            if isinstance(figure, dict):
                shown.add_row(model_id, kind, f"{figure['usd']:g}", figure["wording"], figure["as_of"])
    return shown
