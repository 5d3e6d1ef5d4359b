"""The demo's evaluation part: the scenarios' emulated scores, the held-out file, and what the run's evaluation showed."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from secure_finetune.evaluation.report import EvaluationReport

from .emulator import ROOT, LocalPipeline
from .evaluation_standin import EvaluationScenario

# Scenarios whose run evaluates: the sample's held-out file is uploaded first, as x.validation.jsonl.
EVALUATED = {"happy", "model-worse"}
HELD_OUT = ROOT / "events" / "sample-dataset.validation.jsonl"


def evaluation_scenario(name: str) -> EvaluationScenario:
    if name == "model-worse":  # the custom model scores below its base: the gate fails, the throughput goes
        return EvaluationScenario(custom={"Correctness": 0.41, "Completeness": 0.60})  # one metric fails, one passes
    return EvaluationScenario()


def upload_held_out(pipeline: LocalPipeline, key: str) -> str:
    """Upload the validation file of ``key`` (incoming/x.jsonl -> incoming/x.validation.jsonl) before the dataset."""
    target = key.removesuffix(".jsonl") + ".validation.jsonl"
    pipeline.upload(target, HELD_OUT.read_bytes())
    return target


def expected_outcome(name: str, result: dict[str, Any], pipeline: LocalPipeline) -> bool:
    """model-worse: the run must end EVALUATION_GATE_FAILED with nothing left billing and both jobs' requests made."""
    if name != "model-worse":
        return True
    gate_failed = str(result.get("error", "")).startswith("EVALUATION_GATE_FAILED")
    return gate_failed and not pipeline.bedrock.throughputs and len(pipeline.evaluation.requests) == 2


def show_evaluation(console: Console, pipeline: LocalPipeline, run_id: str) -> None:
    try:
        report = pipeline.report(run_id, EvaluationReport)
    except Exception:  # no evaluation document: the run stopped before it
        return
    console.print(f"\n[bold]Evaluation[/] (base vs custom on held-out prompts; emulated judge): {report.status}")
    if report.why:
        console.print(f"  {report.why}")
    for request in pipeline.evaluation.requests:
        generator = request["inferenceConfig"]["models"][0]
        model = (generator.get("bedrockModel") or {}).get("modelIdentifier") or (
            f"answers collected from the deployment ({generator['precomputedInferenceSource']['inferenceSourceIdentifier']})"
        )
        judge = request["evaluationConfig"]["automated"]["evaluatorModelConfig"]["bedrockEvaluatorModels"][0]["modelIdentifier"]
        console.print(f"  job {request['jobName']}: generator {model}, judge {judge}, key {request['customerEncryptionKeyId']}")
    if report.verdicts:
        table = Table(title=f"Gate ({report.prompts} prompts)")
        for column in ("metric", "base", "custom", "change", "needs", "verdict"):
            table.add_column(column)
        for v in report.verdicts:
            change = "n/a" if v.improvement is None else f"{v.improvement:+.3f}"
            verdict = "[green]pass[/]" if v.passed else "[red]FAIL[/]"
            table.add_row(v.metric, _score(v.base), _score(v.custom), change, f">= +{v.required:.3f}", verdict)
        console.print(table)
    total, judge = report.estimated_cost_usd, report.estimated_judge_cost_usd
    if total is not None or judge is not None:
        whole = f"${total:,.2f}" if total is not None else "unknown (the base model's tokens have no sourced price)"
        part = "unknown" if judge is None else f"${judge:,.2f}"
        console.print(f"  estimated cost of the evaluation: {whole}; the judge's part: {part}")
    if pipeline.evaluation.stopped:
        console.print(f"  stopped evaluation jobs: {len(pipeline.evaluation.stopped)}")


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


__all__ = ["EVALUATED", "HELD_OUT", "evaluation_scenario", "expected_outcome", "show_evaluation", "upload_held_out"]
