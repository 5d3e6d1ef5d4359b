"""`make demo`: the whole pipeline on the embedded emulator, step by step.

python -m local.demo                         # sample dataset, happy path
python -m local.demo --scenario invalid      # a broken dataset: rejected, quarantined, owner told
python -m local.demo --scenario job-failed   # Bedrock fails the job: run fails, owner told
python -m local.demo --scenario lost-event   # Bedrock's completion event never comes: the reconciler finishes the run
python -m local.demo --scenario approval     # the regulated profile: approve link, GET shows, POST decides
python -m local.demo --scenario ttl          # fast-forward the time-to-live: warning, a refused delete, the retry deletes
python -m local.demo --scenario rft          # reinforcement fine-tuning (Nova 2 Lite): the stack's grader scores answers
python -m local.demo --scenario model-worse  # the custom model scores below its base: gate fails, throughput deleted
python -m local.demo --dataset my.jsonl --profile default
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import boto3
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from finetune_cli.main import FINDING_COLUMNS, finding_row, findings_table
from finetune_cli.preflight import audit, target_from_stack

from . import scheduler_standin
from .bedrock_standin import Scenario
from .demo_evaluation import EVALUATED, evaluation_scenario, expected_outcome, show_evaluation, upload_held_out
from .emulator import REGION, ROOT, LocalPipeline

SCENARIOS = {
    "happy": (ROOT / "events" / "sample-dataset.jsonl", "Completed", "SUCCEEDED"),
    "invalid": (ROOT / "events" / "sample-dataset-invalid.jsonl", "Completed", "FAILED"),
    "job-failed": (ROOT / "events" / "sample-dataset.jsonl", "Failed", "FAILED"),
    "lost-event": (ROOT / "events" / "sample-dataset.jsonl", "Lost", "SUCCEEDED"),
    "approval": (ROOT / "events" / "sample-dataset.jsonl", "Completed", "SUCCEEDED"),
    "ttl": (ROOT / "events" / "sample-dataset.jsonl", "Completed", "SUCCEEDED"),
    "model-worse": (ROOT / "events" / "sample-dataset.jsonl", "Completed", "FAILED"),
    "rft": (ROOT / "events" / "sample-rft-dataset.jsonl", "Completed", "SUCCEEDED"),
}
console = Console(highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="happy")
    parser.add_argument("--dataset", type=Path, help="another JSONL file to run instead of the scenario's sample")
    parser.add_argument("--profile", default="", help="profile sub-prefix (incoming/<profile>/...); empty = default")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="Tried to parse AWS")
    logging.getLogger("moto").setLevel(logging.CRITICAL)  # the emulator's own traces of failed states

    sample, job_outcome, expected = SCENARIOS[args.scenario]
    dataset = args.dataset or sample
    if args.dataset:
        expected = "SUCCEEDED"
    profile = args.profile or {"approval": "regulated", "rft": "rft-math"}.get(args.scenario, "")
    key = f"incoming/{profile + '/' if profile else ''}{dataset.name}"

    console.rule("[bold]Secure Bedrock fine-tuning - local run on the embedded AWS emulator (moto)")
    started = time.time()
    # A lost event must wait for the reconciler, so the demo's training wait is longer than its run.
    parameters = {"TrainingTimeoutSeconds": "120", "ReconcileAfterSeconds": "0"} if args.scenario == "lost-event" else {}
    # ttl: Bedrock refuses the first delete (as a changed SCP might), so the retry path shows too.
    scenario = Scenario(job_outcome=job_outcome, refused_deletes=1 if args.scenario == "ttl" else 0)
    with LocalPipeline(scenario=scenario, parameters=parameters, evaluation=evaluation_scenario(args.scenario)) as pipeline:
        _show_stack(pipeline, time.time() - started)
        _show_preflight(pipeline)
        if args.scenario in EVALUATED and not args.dataset:  # held-out prompts for the evaluation step
            console.print(f"\n[bold]Uploaded[/] the held-out file s3://{pipeline.bucket}/{upload_held_out(pipeline, key)}")
        body = dataset.read_bytes()
        version = pipeline.upload(key, body)
        console.print(f"\n[bold]Uploaded[/] s3://{pipeline.bucket}/{key} ({len(body)} bytes, version {version})")
        arn = pipeline.execution_arn(key, version)
        run_id = arn.rsplit(":", 1)[-1]
        console.print(f"Run id (= execution name = job name): [cyan]{run_id}[/]")
        if args.scenario == "lost-event":
            _reconcile_when_the_job_ended(pipeline)
        if args.scenario == "approval":
            _approve(pipeline)
        with console.status("following the execution..."):
            result = pipeline.wait(arn, timeout=120)
        _show_timeline(pipeline, arn)
        _show_notifications(pipeline)
        _show_outcome(pipeline, result, run_id)
        show_evaluation(console, pipeline, run_id)
        if args.scenario == "rft":
            batches = pipeline.bedrock.grader_batches
            console.print(f"\nThe stack's grader scored {batches} batch(es) of the model's answers (rewards in metrics.json)")
        _show_ttl(pipeline)
        billing = _fast_forward_ttl(pipeline) if args.scenario == "ttl" else 0
        console.print(f"\nState transitions: {pipeline.state_transitions(arn)}   wall time: {time.time() - started:.1f}s")
    ok = result["status"] == expected and billing == 0  # ttl: nothing may still bill at the end
    ok = ok and (args.dataset is not None or expected_outcome(args.scenario, result, pipeline))
    console.rule(f"[bold {'green' if ok else 'red'}]{result['status']} (expected {expected})")
    return 0 if ok else 1


def _reconcile_when_the_job_ended(pipeline: LocalPipeline) -> None:
    with console.status("training; its completion event will be lost..."):
        pipeline.wait_for_job("Completed")
    console.print("The job completed and Bedrock's event was lost. The reconciler runs (its 15-minute schedule, invoked here):")
    console.print(f"  {pipeline.run_reconciler()['reconciled']}")


def _approve(pipeline: LocalPipeline) -> None:
    with console.status("waiting for the APPROVAL_NEEDED message..."):
        link = pipeline.approval_link()
    console.print(f"\n[bold]Approval link[/] from the owner's message: {escape(link[:60])}... (256-bit secret, single use)")
    page = pipeline.open_approval("GET", link)
    shown = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<head>.*</head>", "", page["body"]))
    console.print(f"  GET (a mail scanner or the approver opens it): {page['statusCode']}, decides nothing; the page shows:")
    console.print("  " + escape(" ".join(shown.split())[:400]), style="dim")
    console.print(f"  POST decision=approve: {pipeline.open_approval('POST', link, 'approve')['statusCode']}")
    console.print(f"  the same POST again (a replay): {pipeline.open_approval('POST', link, 'approve')['statusCode']}")


def _show_stack(pipeline: LocalPipeline, seconds: float) -> None:
    stack = pipeline.stack
    console.print(f"Deployed template.yaml as stack [cyan]{stack.name}[/]: {len(stack.physical_ids)} resources in {seconds:.1f}s")
    for line in stack.reapplied:
        console.print(f"  re-applied from the translated template: {line}")
    for line in stack.not_applied:
        console.print(f"  [dim]not emulated: {line}[/]")


def _show_preflight(pipeline: LocalPipeline) -> None:
    """`finetune preflight --stack <this stack>`, in-process against the emulated account."""
    findings = audit(target_from_stack(pipeline.stack.name, "meta.llama3-1-8b-instruct-v1:0"))
    # The CLI's table, each row whose evidence came from a stand-in here (not AWS's answer) labelled.
    status = FINDING_COLUMNS.index("status")
    rows = [finding_row(finding) for finding in findings]
    for row, finding in zip(rows, findings, strict=True):
        if finding.id in pipeline.emulated_checks:
            row[status] += " (emulated)"
    console.print(findings_table(rows))


def _summary(section: Any) -> str:
    if not isinstance(section, dict):
        return ""
    keep = (
        "records",
        "sha256",
        "estimatedTrainingCostUsd",
        "checks",
        "slot",
        "jobArn",
        "status",
        "finalTrainingLoss",
        "mode",
        "modelUnits",
        "estimatedHourlyCostUsd",
        "estimatedCostOverTtlUsd",
        "evaluationPrompts",
        "estimatedJudgeCostUsd",
        "arn",
        "polls",
        "passed",
        "prompts",
        "slowestMs",
        "reason",
        "cause",
    )
    parts = []
    for name in keep:
        if name in section:
            value = section[name]
            value = value[:12] + "..." if name == "sha256" else value
            parts.append(f"{name}={value}")
    if "settings" in section:
        settings = section["settings"]
        parts.append(f"profile={settings['profile']} model={settings['baseModel']} type={settings['customizationType']}")
    return "  ".join(str(p) for p in parts)


def _show_timeline(pipeline: LocalPipeline, arn: str) -> None:
    asl = json.loads((pipeline.root / "statemachine" / "pipeline.asl.json").read_text())["States"]
    table = Table(title="Timeline", show_lines=False)
    for column in ("state", "outcome", "seconds", "what it did"):
        table.add_column(column)
    for record in pipeline.timeline(arn):
        style = {"ok": "green", "caught": "yellow", "failed": "red"}[record.outcome]
        # What the step added to the run's state (its ResultPath), else what the ASL says it does.
        path = asl.get(record.name, {}).get("ResultPath")
        added = record.output.get(path[2:]) if record.output and isinstance(path, str) and path.startswith("$.") else None
        what = _summary(added) or asl.get(record.name, {}).get("Comment", "")
        table.add_row(record.name, f"[{style}]{record.outcome}[/]", f"{record.seconds:.2f}", what)
    console.print(table)


def _show_notifications(pipeline: LocalPipeline) -> None:
    table = Table(title="Notifications sent (SNS topic -> e-mail; the same to Slack)")
    table.add_column("milestone")
    table.add_column("subject")
    messages = pipeline.notifications()
    for message in messages:
        table.add_row(message["milestone"] or "", escape(message["subject"] or ""))
    console.print(table)
    received = len(pipeline.slack.messages)
    console.print(f"Slack webhook (a real HTTPS server on loopback, its URL in Secrets Manager) received {received} messages")
    for message in messages:  # every milestone's e-mail, as the owner receives it
        _show_email(message)
    if pipeline.slack.messages:
        console.print("[bold]The last Slack message[/] (Block Kit payload):")
        console.print(escape(json.dumps(pipeline.slack.messages[-1], indent=1)), style="dim")


def _show_email(message: dict[str, Any]) -> None:
    """One e-mail in full (subject and body: ids, counts, costs and links only)."""
    console.print(f"\n[bold]{message['milestone']}[/] e-mail as the owner sees it:")
    console.print(f"Subject: {escape(message['subject'] or '')}", style="dim")
    console.print(escape(message["body"]), style="dim")


def _show_outcome(pipeline: LocalPipeline, result: dict[str, Any], run_id: str) -> None:
    if result["status"] != "SUCCEEDED":
        console.print(f"\n[bold red]Run failed[/]: reason [bold]{result.get('error')}[/]  ({result.get('cause')})")
    for request in pipeline.bedrock.jobs_created:
        console.print(
            f"\nCustomization job request: vpc subnets={request['vpcConfig']['subnetIds']} "
            f"security groups={request['vpcConfig']['securityGroupIds']} key={request['customModelKmsKeyId']}"
        )
    console.print(f"\nRun report: s3://{pipeline.bucket}/reports/{run_id}/")
    for key in pipeline.keys(f"reports/{run_id}/"):
        console.print(f"  {key}")
    if f"reports/{run_id}/index.html" in pipeline.keys(f"reports/{run_id}/"):
        page = Path(tempfile.gettempdir()) / f"{run_id}.html"
        page.write_bytes(boto3.client("s3").get_object(Bucket=pipeline.bucket, Key=f"reports/{run_id}/index.html")["Body"].read())
        console.print(f"  the HTML report, copied for your browser: [cyan]{page}[/]")
    for prefix in ("validated/", "quarantine/"):
        for key in pipeline.keys(prefix):
            console.print(f"  copy: {key}")


def _show_ttl(pipeline: LocalPipeline) -> None:
    pending = scheduler_standin.pending(REGION)
    if not pending:
        return
    console.print("\n[bold]Time-to-live[/] (EventBridge Scheduler, one-time schedules):")
    for item in pending:
        console.print(f"  {item['name']} at {item['at']:%Y-%m-%d %H:%M} UTC -> {item['target']['Arn'].rsplit(':', 1)[-1]}")


def _fast_forward_ttl(pipeline: LocalPipeline) -> int:
    """Fire each schedule at its time, in order, as the service would (the emulator's clock);
    returns how many throughputs still bill afterwards."""
    console.print("\n[bold]Fast-forward[/] the schedules' clock:")
    seen = len(pipeline.notifications())
    for _ in range(10):  # warn, delete, a retry or two: never more
        pending = scheduler_standin.pending(REGION)
        if not pending:
            break
        for fired in pipeline.fire_schedules(pending[0]["at"]):
            outcome = json.loads(fired["answer"]).get("outcome", fired["answer"])
            console.print(f"  {pending[0]['at']:%H:%M} UTC  {fired['name']}: {escape(str(outcome))}")
            for message in pipeline.notifications()[seen:]:
                _show_email(message)
            seen = len(pipeline.notifications())
    console.print(f"  throughputs still billing: {len(pipeline.bedrock.throughputs)}")
    return len(pipeline.bedrock.throughputs)


if __name__ == "__main__":
    sys.exit(main())
