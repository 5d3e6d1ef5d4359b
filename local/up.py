"""``make up``: a local AWS that real clients talk to, with the stack deployed and reacting to uploads.

python -m local.up [--host 127.0.0.1] [--port 4566] [--clock 1] [--training-seconds 2]

One process holds (dev and test only; each part an emulator stand-in or moto itself):

* moto's server (werkzeug, threaded) on ``--host:--port`` (``UP_PORT``), over the *same* in-memory
  backends the embedded emulator uses (``LocalPipeline``: moto's ``mock_aws`` state is per process,
  and moto's server application reads the same backend dictionaries), so a bucket put over HTTP
  is a put the in-process pipeline sees;
* the stack ``finetune-local`` deployed from template.yaml exactly as ``make demo`` deploys it
  (``local/stack.py``), its handlers run in-process (``local/lambda_runtime.py``);
* event delivery: an object PUT over HTTP lands in moto's S3 backend, whose EventBridge notification
  (the bucket's ``EventBridgeConfiguration``, re-applied by ``stack.py``) puts the "Object Created"
  event on moto's default bus, as S3 does once EventBridge is enabled on a bucket
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html); the rule's Lambda target is delivered by ``moto_patches`` (moto
  itself raises NotImplementedError for Lambda targets there) to the in-process trigger handler,
  which starts the execution on moto's Step Functions interpreter. Nothing polls the bucket.
* the Bedrock stand-in's job lifecycle (a job trains ``--training-seconds``, writes its metrics and
  sends Bedrock's state-change event), and ``standin_gateway`` so that clients over HTTP get the
  stand-ins' answers too (GetFoundationModel, SimulatePrincipalPolicy, Access Analyzer checks, ...);
* a clock (``--clock``, ``UP_CLOCK``: emulated seconds per real second) that fires the rules'
  ``rate(...)`` schedules (the 15-minute reconciler) and EventBridge Scheduler's one-time TTL
  schedules when due on it, as the services would.

It prints the endpoint, the bucket and a copy-paste upload command, then each run's state changes,
and runs until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto.events.models import events_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from . import scheduler_standin
from .bedrock_standin import ACCOUNT, Scenario
from .emulator import REGION, LocalPipeline
from .standin_gateway import StandInGateway

STACK = "finetune-local"
_RATE = re.compile(r"^rate\((?P<n>[0-9]+) (?P<unit>minute|minutes|hour|hours|day|days)\)$")


class Clock:
    """Emulated time: starts at the real time and runs ``speed`` times as fast."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._real = time.monotonic()
        self._start = datetime.now(UTC)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._real) * self.speed)


def rate_period(expression: str) -> timedelta | None:
    """``rate(15 minutes)`` as a period; None for anything else (cron is not emulated)."""
    found = _RATE.match(expression or "")
    if found is None:
        return None
    unit = found["unit"].rstrip("s") + "s"
    return timedelta(**{unit: int(found["n"])})


class Schedules:
    """Fires what EventBridge would on the emulated clock: ``rate(...)`` rules and Scheduler's ``at(...)``."""

    def __init__(self, clock: Clock, say: Any) -> None:
        self.clock = clock
        self.say = say
        self._next: dict[str, datetime] = {}

    def tick(self) -> None:
        now = self.clock.now()
        for fired in scheduler_standin.fire_due(REGION, now):
            self.say(f"schedule {fired['name']} fired")
        for rule in list(events_backends[ACCOUNT][REGION].event_buses["default"].rules.values()):
            period = rate_period(getattr(rule, "scheduled_expression", None) or "")
            if period is None or rule.state != "ENABLED":
                continue
            due = self._next.setdefault(rule.name, now + period)
            if now < due:
                continue
            self._next[rule.name] = now + period  # a fast clock fires once per tick, not once per missed period
            self._fire(rule, due)

    def _fire(self, rule: Any, when: datetime) -> None:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
            "time": f"{when:%Y-%m-%dT%H:%M:%SZ}",
            "region": REGION,
            "resources": [rule.arn],
            "detail": {},
        }
        lambdas = boto3.client("lambda", region_name=REGION)
        for target in rule.targets:
            if target["Arn"].split(":")[2] != "lambda":
                continue
            payload = target.get("Input") or json.dumps(event)
            lambdas.invoke(FunctionName=target["Arn"], Payload=payload.encode())  # quietly: every 15 emulated minutes


class Server:
    """moto's server application behind the stand-in gateway, served by werkzeug in a thread."""

    def __init__(self, host: str, port: int) -> None:
        self.gateway = StandInGateway(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(host, port, self.gateway, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-server", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(10)


def _watch_runs(pipeline: LocalPipeline, seen: dict[str, str], say: Any) -> None:
    for execution in pipeline.executions():
        if seen.get(execution["name"]) != execution["status"]:
            seen[execution["name"]] = execution["status"]
            say(f"run {execution['name']}: {execution['status']}")


def banner(endpoint: str, bucket: str, resources: int, clock: float) -> str:
    return "\n".join(
        (
            f"Local AWS (moto server + the pipeline's emulator stand-ins) on {endpoint}",
            f"stack {STACK}: template.yaml deployed, {resources} resources; schedules on a clock x{clock:g}",
            f"bucket: {bucket}",
            "",
            "Any credentials work; region us-east-1:",
            "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1",
            "Upload a dataset (starts a run):",
            f"  aws --endpoint-url {endpoint} s3 cp events/sample-dataset.jsonl s3://{bucket}/incoming/x.jsonl",
            "Follow it:",
            f"  finetune runs --stack {STACK} --endpoint-url {endpoint}",
            f"  finetune preflight --stack {STACK} --endpoint-url {endpoint}",
            "Ctrl-C stops it (everything is in memory and goes with it).",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("UP_PORT") or 4566), help="port (UP_PORT; default 4566)")
    parser.add_argument(
        "--clock", type=float, default=float(os.environ.get("UP_CLOCK") or 1), help="emulated seconds per second (UP_CLOCK)"
    )
    parser.add_argument("--training-seconds", type=float, default=2.0, help="how long the Bedrock stand-in's jobs train")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="Tried to parse AWS")
    for name in ("moto", "werkzeug"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # moto's traces of failed states; one line per request

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def say(line: str) -> None:
        print(f"{datetime.now(UTC):%H:%M:%S} {line}", flush=True)

    with LocalPipeline(scenario=Scenario(training_seconds=args.training_seconds), stack_name=STACK) as pipeline:
        try:
            server = Server(args.host, args.port).start()
        except OSError as err:
            print(f"up: cannot listen on {args.host}:{args.port} ({err.strerror}); set UP_PORT to a free port", file=sys.stderr)
            return 2
        print(banner(server.endpoint, pipeline.bucket, len(pipeline.stack.physical_ids), args.clock), flush=True)
        say(f"ready: {server.endpoint}")
        schedules = Schedules(Clock(args.clock), say)
        seen: dict[str, str] = {}
        try:
            while not stop.wait(0.5):
                try:
                    _watch_runs(pipeline, seen, say)
                    schedules.tick()
                except Exception as err:  # one bad tick must not end the emulator
                    say(f"emulator: {type(err).__name__}: {err}")
        finally:
            say("stopping")
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
