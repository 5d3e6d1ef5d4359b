"""`make bench`: speed, memory and import time as ratios against baselines measured in the same run.

* Imports (bench/imports.py): each handler module's import and the CLI's start against
  ``import boto3``, best of N fresh processes with bytecode cached; the slowest handler against the
  target ratio.
* Validator (bench/validator.py): ours, a bare ``json.loads`` pass and the AWS-script approach
  (``json.loads`` + ``jsonschema``), each in its own process on the same files: MB/s, peak RSS and
  the speed ratio to the bare pass.
* Orchestration: state transitions of one successful run on the emulator (from the execution
  history); the throughput-readiness loop is counted apart.

``python -m bench.run [--only imports|validator|orchestration ...] [--import-repeat N] [DATASET ...]``
(``make bench BENCH_ARGS="--only imports"``); ``python -m bench.imports`` runs the imports part alone.
"""

from __future__ import annotations

import argparse
import logging
import warnings

from rich.console import Console
from rich.table import Table

from . import imports, validator


def orchestration() -> tuple[int, int]:
    from local.emulator import ROOT, LocalPipeline

    warnings.filterwarnings("ignore", message="Tried to parse AWS")
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    with LocalPipeline() as pipeline:
        key = "incoming/bench.jsonl"
        version = pipeline.upload(key, (ROOT / "events" / "sample-dataset.jsonl").read_bytes())
        arn = pipeline.execution_arn(key, version)
        assert pipeline.wait(arn)["status"] == "SUCCEEDED"
        names = [record.name for record in pipeline.timeline(arn)]
    loop = sum(name in ("WaitForDeployment", "CheckDeployment", "IsDeploymentReady") for name in names)
    return len(names) - loop, loop


PARTS = ("imports", "validator", "orchestration")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "datasets", nargs="*", metavar="DATASET", help=f"validator datasets: {', '.join(validator.DATASETS)} (default: all)"
    )
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable; default: all)")
    parser.add_argument("--import-repeat", type=int, default=imports.DEFAULT_REPEAT, metavar="N", help="import runs per command, best kept")
    args = parser.parse_args(argv)
    if unknown := sorted(set(args.datasets) - set(validator.DATASETS)):
        parser.error(f"unknown dataset(s): {', '.join(unknown)}")
    parts = args.only or PARTS
    console = Console(highlight=False)
    if "imports" in parts:
        imports.main(["--repeat", str(args.import_repeat)], console)
    if "validator" in parts:
        names = args.datasets or list(validator.DATASETS)
        table = Table(
            title="Validator, each tool in its own process (ours / ours pinned to 1 CPU / bare json.loads / "
            "AWS-script style json.loads + jsonschema); cores = CPU time / wall time"
        )
        for column in ("dataset", "MB", "tool", "MB/s", "peak RSS MB", "cores", "speed vs bare"):
            table.add_column(column)
        for row in validator.main(names):
            table.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()))
        console.print(table)
    if "orchestration" in parts:
        steps, loop = orchestration()
        console.print(f"State transitions per successful run: {steps} outside the throughput-readiness loop, {loop} inside it (emulator)")


if __name__ == "__main__":
    main()
