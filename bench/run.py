"""`make bench`: speed and memory as ratios against baselines measured in the same run.

* Validator (bench/validator.py): ours, a bare ``json.loads`` pass and the AWS-script approach
  (``json.loads`` + ``jsonschema``), each in its own process on the same files: MB/s, peak RSS and
  the speed ratio to the bare pass.
* Orchestration: state transitions of one successful run on the emulator (from the execution
  history); the throughput-readiness loop is counted apart.
"""

from __future__ import annotations

import logging
import sys
import warnings

from rich.console import Console
from rich.table import Table

from . import validator


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


def main() -> None:
    console = Console(highlight=False)
    names = sys.argv[1:] or list(validator.DATASETS)
    table = Table(
        title="Validator, each tool in its own process (ours / ours pinned to 1 CPU / bare json.loads / "
        "AWS-script style json.loads + jsonschema); cores = CPU time / wall time"
    )
    for column in ("dataset", "MB", "tool", "MB/s", "peak RSS MB", "cores", "speed vs bare"):
        table.add_column(column)
    for row in validator.main(names):
        table.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()))
    console.print(table)
    steps, loop = orchestration()
    console.print(f"State transitions per successful run: {steps} outside the throughput-readiness loop, {loop} inside it (emulator)")


if __name__ == "__main__":
    main()
