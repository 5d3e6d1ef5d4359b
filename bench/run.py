"""`make bench`: speed and memory as ratios against baselines measured in the same run.

* Validator speed: our streaming validator vs. a plain ``json.loads`` per line over the
  same bytes (the cheapest possible "parse every line" baseline).
* Validator memory: peak traced allocation while validating, as a fraction of the file
  size, vs. the baseline that reads the whole file first (what most samples do).
* Orchestration: state transitions of one successful run on the emulator (from the execution
  history); the throughput-readiness loop is counted apart.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.table import Table

from secure_finetune.dataset import validate_dataset
from secure_finetune.models import DatasetFormat

from . import validator

CHUNK = 1024 * 1024
RECORDS = 60_000


def _dataset() -> bytes:
    line = '{"prompt": "Classify the ticket: my invoice total is wrong and I was charged twice for %d seats.", "completion": "billing"}\n'
    return "".join(line % i for i in range(RECORDS)).encode()


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


def ours(data: bytes) -> None:
    assert validate_dataset(_chunks(data), DatasetFormat.PROMPT_COMPLETION).accepted


def baseline(data: bytes) -> None:
    whole = b"".join(_chunks(data))  # reads the whole object first
    for line in whole.split(b"\n"):
        if line:
            json.loads(line)


def best_seconds(function: Callable[[bytes], None], data: bytes, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(data)
        times.append(time.perf_counter() - started)
    return min(times)


def peak_bytes(function: Callable[[bytes], None], data: bytes) -> int:
    tracemalloc.start()
    function(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


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
    loop = sum(name in ("WaitForThroughput", "CheckThroughput", "IsThroughputReady") for name in names)
    return len(names) - loop, loop


def main() -> None:
    console = Console(highlight=False)
    names = sys.argv[1:] or list(validator.DATASETS)
    table = Table(title="Validator, each tool in its own process (ours / bare json.loads / AWS-script style json.loads + jsonschema)")
    for column in ("dataset", "MB", "tool", "MB/s", "peak RSS MB", "speed vs bare"):
        table.add_column(column)
    for row in validator.main(names):
        table.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()))
    console.print(table)
    data = _dataset()
    size_mb = len(data) / 1e6
    ours_s, base_s = best_seconds(ours, data), best_seconds(baseline, data)
    ours_peak, base_peak = peak_bytes(ours, data), peak_bytes(baseline, data)
    table = Table(title=f"Validator on {RECORDS} records ({size_mb:.1f} MB), best of 5")
    for column in ("measure", "ours", "baseline", "ratio ours/baseline"):
        table.add_column(column)
    table.add_row("seconds", f"{ours_s:.3f}", f"{base_s:.3f}", f"{ours_s / base_s:.2f}")
    table.add_row("MB/s", f"{size_mb / ours_s:.1f}", f"{size_mb / base_s:.1f}", f"{base_s / ours_s:.2f}")
    table.add_row("peak memory / file size", f"{ours_peak / len(data):.3f}", f"{base_peak / len(data):.3f}", f"{ours_peak / base_peak:.2f}")
    console.print(table)
    steps, loop = orchestration()
    console.print(f"State transitions per successful run: {steps} outside the throughput-readiness loop, {loop} inside it (emulator)")


if __name__ == "__main__":
    main()
