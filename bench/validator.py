"""Validator benchmark: each tool in its own process, throughput and peak RSS on the same files.

Tools
    ours      secure_finetune.dataset.validate_dataset (streaming, every rule); it hashes on a
              second thread, so "cores" can exceed 1
    ours-1cpu the same, pinned to one CPU (what a Lambda below ~1.8 GB of memory gets)
    bare      json.loads per line, nothing else (the practical parse limit)
    aws       the approach of AWS's published validator scripts: json.loads + jsonschema.validate per line

Each tool runs REPEAT times per file, each time in a fresh process; the table keeps the fastest
run and the highest peak RSS.

Datasets (generated under /tmp, within each model's caps so the whole file is read)
    llama-5k    Llama 3.1 prompt/completion, 10,000 records of ~5 KB   (~50 MB)
    llama-50k   Llama 3.1 prompt/completion, 10,000 records of ~50 KB  (~500 MB)
    haiku-100k  Claude 3 Haiku messages, 10,000 records of ~100 KB     (~1 GB)
    nova-5k     Nova conversation, 10,000 records of ~5 KB             (~50 MB)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/finetune-bench")
WORDS = "Customers ask about invoices, plans, seats and refunds; the agent answers briefly and politely. "

DATASETS = {
    "llama-5k": ("meta.llama3-1-8b-instruct-v1:0", 5_000, "pc"),
    "llama-50k": ("meta.llama3-1-8b-instruct-v1:0", 50_000, "pc"),
    "haiku-100k": ("anthropic.claude-3-haiku-20240307-v1:0", 100_000, "claude"),
    "nova-5k": ("amazon.nova-lite-v1:0", 5_000, "nova"),
}
TOOLS = ("ours", "ours-1cpu", "bare", "aws")
REPEAT = 3
SCHEMAS = {
    "pc": {
        "type": "object",
        "properties": {"prompt": {"type": "string", "minLength": 1}, "completion": {"type": "string", "minLength": 1}},
        "required": ["prompt", "completion"],
        "additionalProperties": False,
    },
    "claude": {
        "type": "object",
        "properties": {
            "system": {"type": "string"},
            "messages": {
                "type": "array",
                "minItems": 2,
                "items": {
                    "type": "object",
                    "properties": {"role": {"enum": ["user", "assistant"]}, "content": {"type": "string"}},
                    "required": ["role", "content"],
                },
            },
        },
        "required": ["messages"],
    },
    "nova": {
        "type": "object",
        "properties": {
            "schemaVersion": {"type": "string"},
            "messages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"role": {"enum": ["user", "assistant"]}, "content": {"type": "array"}},
                    "required": ["role", "content"],
                },
            },
        },
        "required": ["schemaVersion", "messages"],
    },
}


def _record(kind: str, size: int, index: int) -> str:
    body = (WORDS * (size // len(WORDS) + 1))[: size - 120]
    ask, answer = f"#{index} {body[: len(body) * 3 // 4]}", body[len(body) * 3 // 4 :] or "ok"
    if kind == "pc":
        return json.dumps({"prompt": ask, "completion": answer})
    if kind == "claude":
        return json.dumps({"system": "Be brief.", "messages": [{"role": "user", "content": ask}, {"role": "assistant", "content": answer}]})
    return json.dumps(
        {
            "schemaVersion": "bedrock-conversation-2024",
            "messages": [{"role": "user", "content": [{"text": ask}]}, {"role": "assistant", "content": [{"text": answer}]}],
        }
    )


def generate(name: str) -> Path:
    _, size, kind = DATASETS[name]
    path = WORK / f"{name}.jsonl"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        with path.open("w") as file:
            for index in range(10_000):
                file.write(_record(kind, size, index) + "\n")
    return path


def run_tool(tool: str, name: str, path: Path) -> None:
    """Child process: run one tool on one file, print seconds and peak RSS as JSON."""
    model_id, _, kind = DATASETS[name]
    import jsonschema  # imports before the clock starts: we measure the work, not start-up

    from secure_finetune.dataset import DatasetRules, FileRole, validate_dataset
    from secure_finetune.models import CustomizationType, find_model

    if tool == "ours-1cpu":
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    if tool.startswith("ours"):
        rules = DatasetRules.for_run(find_model(model_id), CustomizationType.FINE_TUNING, FileRole.TRAINING, "bench-bucket")

        def chunks():
            with path.open("rb") as file:
                while chunk := file.read(1 << 20):
                    yield chunk

        report = validate_dataset(chunks(), rules)
        assert report.accepted, report.errors_by_code
    else:
        validator = None
        if tool == "aws":
            validator = jsonschema.Draft7Validator(SCHEMAS[kind])
        with path.open("rb") as file:
            for line in file:
                record = json.loads(line)
                if validator is not None:
                    validator.validate(record)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_kb / 1024}))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def measure(tool: str, name: str, path: Path) -> dict[str, float]:
    """The fastest of REPEAT runs, each in a fresh process (the machine is shared: a slower run
    measures the neighbours), with the highest peak RSS among them."""
    runs = []
    for _ in range(REPEAT):
        out = subprocess.run(
            [sys.executable, "-m", "bench.validator", "--child", tool, name, str(path)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    fastest = min(runs, key=lambda run: run["seconds"])
    return {**fastest, "peak_mb": max(run["peak_mb"] for run in runs)}


def main(names: list[str]) -> list[dict[str, object]]:
    rows = []
    for name in names:
        path = generate(name)
        size_mb = path.stat().st_size / 1e6
        results = {tool: measure(tool, name, path) for tool in TOOLS}
        for tool, result in results.items():
            rows.append(
                {
                    "dataset": name,
                    "MB": round(size_mb),
                    "tool": tool,
                    "MB/s": size_mb / result["seconds"],
                    "peak RSS MB": result["peak_mb"],
                    "cores": result["cpu"] / result["seconds"],
                    "speed vs bare": results["bare"]["seconds"] / result["seconds"],
                }
            )
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        run_tool(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
