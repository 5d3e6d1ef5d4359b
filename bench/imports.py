"""Import time: every handler module and the CLI's start, as ratios to ``import boto3`` (same run).

Each figure is the best of N fresh processes (N = ``--repeat``, at least 5), taken round-robin after
one warm-up process per command. Bytecode is cached in a private ``PYTHONPYCACHEPREFIX`` (this
machine sets ``PYTHONDONTWRITEBYTECODE=1``, and the layer ships bytecode), so nothing measured here
compiles source.

* ``import boto3``: the baseline, what loading the AWS SDK alone costs.
* ``functions/*/app.py`` (discovered, so new functions are included): loaded by file path as module
  ``app`` the way the Lambda runtime does, in the function's directory (``LAMBDA_TASK_ROOT``) with
  ``layers/common`` next on ``sys.path`` (as ``/opt/python``), the variables Lambda sets (so
  Powertools decides as it does in Lambda) and dummy values for the stack's (handlers validate their
  settings at import). Timed inside the process, around the import only, like the baseline.
* the CLI: ``finetune --help`` as a whole process, run as its console script would (the entry point
  in pyproject's ``[project.scripts]``, so a moved CLI module is followed without reinstalling; the
  installed ``finetune`` script if pyproject names none), against a whole ``python -c "import boto3"``
  process.

``python -m bench.imports [--repeat N] [--hotspots [K]]``; ``--hotspots`` adds, from one
``python -X importtime`` run per handler, the costliest modules outside boto3/botocore and the chain
of our own modules that imports each.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
LAYER = ROOT / "layers" / "common"
TARGET_RATIO = 1.6
DEFAULT_REPEAT = 5
MIN_REPEAT = 5
FIRST_PARTY = ("secure_finetune", "finetune_cli")
BASELINE_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3")
MARK = "bench-imports: start"  # written to stderr right before the timed import (for -X importtime)

# What the Lambda service sets (Powertools reads some of it at import), and dummy values for what
# template.yaml gives the functions: handlers validate their settings at import (cold start). Extra
# variables are ignored by the settings models, so every handler gets all of them.
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
LAMBDA_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "POWERTOOLS_SERVICE_NAME": "secure-finetune",
}
STACK_ENV = {
    "EXPECTED_ACCOUNT": "111122223333",
    "DATA_BUCKET": "bench-data-bucket",
    "DATA_KEY_ARN": f"arn:aws:kms:{REGION}:111122223333:key/bench",
    "RUNS_TABLE": "bench-runs",
    "NOTIFY_TOPIC_ARN": f"arn:aws:sns:{REGION}:111122223333:bench",
    "BEDROCK_SERVICE_ROLE_ARN": "arn:aws:iam::111122223333:role/bench-bedrock-job",
    "PIPELINE_ROLE_ARN": "arn:aws:iam::111122223333:role/bench-pipeline",
    "JOB_SUBNET_IDS": "subnet-1,subnet-2",
    "JOB_SECURITY_GROUP_IDS": "sg-1",
    "STATE_MACHINE_ARN": f"arn:aws:states:{REGION}:111122223333:stateMachine:bench-pipeline",
    "TEARDOWN_FUNCTION_ARN": f"arn:aws:lambda:{REGION}:111122223333:function:bench-teardown",
    "SCHEDULER_ROLE_ARN": "arn:aws:iam::111122223333:role/bench-ttl-scheduler",
    "APPROVAL_BASE_URL": f"https://bench.execute-api.{REGION}.amazonaws.com/approve",
    "EVALUATION_ROLE_ARN": "arn:aws:iam::111122223333:role/bench-bedrock-eval",
    "STACK_NAME": "bench",
    "PROFILES_PATH": str(ROOT / "config" / "profiles.toml"),  # the profiles layer's /opt/profiles.toml
}
NOT_IN_LAMBDA = ("POWERTOOLS_TRACE_DISABLED", "POWERTOOLS_DEV", "AWS_SAM_LOCAL", "PYTHONDONTWRITEBYTECODE")

CHILD = f"""\
import sys, time, importlib.util
{{setup}}
sys.stderr.write("import time: {MARK}\\n")
start = time.perf_counter()
{{body}}
sys.stdout.write(repr(time.perf_counter() - start))
"""
LOAD_HANDLER = """\
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
assert callable(module.lambda_handler)
"""


@dataclass
class Command:
    label: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    in_process: bool  # True: the child prints its own import seconds; False: the whole process is timed
    seconds: list[float] = field(default_factory=list)
    error: str | None = None  # e.g. a module mid-move in the working tree: reported, not fatal

    def run(self, *extra_flags: str) -> subprocess.CompletedProcess[str]:
        argv = [self.argv[0], *extra_flags, *self.argv[1:]] if extra_flags else self.argv
        return subprocess.run(argv, cwd=self.cwd, env=self.env, capture_output=True, text=True, check=False)

    def measure(self) -> None:
        if self.error:
            return
        started = time.perf_counter()
        done = self.run()
        wall = time.perf_counter() - started
        if done.returncode != 0:
            self.error = failure(done)
            return
        self.seconds.append(float(done.stdout) if self.in_process else wall)

    @property
    def best(self) -> float:
        return min(self.seconds)


def failure(done: subprocess.CompletedProcess[str]) -> str:
    """The exception line of a child's traceback (with the first detail line, e.g. a missing field)."""
    lines = done.stderr.rstrip().splitlines()
    for index in range(len(lines) - 1, -1, -1):
        name, colon, _ = lines[index].partition(":")
        if colon and not lines[index][:1].isspace() and name.replace(".", "").replace("_", "").isalnum():
            return " ".join([lines[index], *lines[index + 1 : index + 2]])
    return lines[-1] if lines else f"exit {done.returncode}"


def handler_dirs() -> list[Path]:
    return sorted(path.parent for path in FUNCTIONS.glob("*/app.py"))


def cli_entry_point() -> tuple[str, str, list[str]] | None:
    """(script name, "module:function", source roots) from pyproject.toml, if it declares a script."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    scripts = project.get("project", {}).get("scripts", {})
    if not scripts:
        return None
    name = "finetune" if "finetune" in scripts else next(iter(scripts))
    find = project.get("tool", {}).get("setuptools", {}).get("packages", {}).get("find", {})
    roots = [str(ROOT / where) for where in find.get("where", ["."])]
    return name, scripts[name], roots


def base_env(pycache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_IN_LAMBDA}
    env["PYTHONPYCACHEPREFIX"] = pycache
    env.setdefault("AWS_DEFAULT_REGION", REGION)
    return env


def commands(pycache: str) -> tuple[Command, Command, list[Command], Command]:
    """(boto3 in-process, boto3 whole process, handlers, CLI whole process)."""
    python = sys.executable
    env = base_env(pycache)
    boto3 = Command("import boto3", [python, "-c", CHILD.format(setup="", body="import boto3")], ROOT, env, in_process=True)
    boto3_process = Command('python -c "import boto3" (whole process)', [python, "-c", "import boto3"], ROOT, env, in_process=False)
    handlers = []
    for directory in handler_dirs():
        lambda_env = env | LAMBDA_ENV | STACK_ENV | {"LAMBDA_TASK_ROOT": str(directory), "AWS_LAMBDA_FUNCTION_NAME": directory.name}
        setup = f"sys.path[:1] = [{str(directory)!r}, {str(LAYER)!r}]"  # /var/task, then /opt/python
        body = LOAD_HANDLER.format(path=str(directory / "app.py"))
        handlers.append(Command(directory.name, [python, "-c", CHILD.format(setup=setup, body=body)], directory, lambda_env, True))
    if entry := cli_entry_point():
        name, target, roots = entry
        module, _, function = target.partition(":")
        cli_env = env | {"PYTHONPATH": os.pathsep.join([*roots, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        code = f"import sys; sys.argv = [{name!r}, '--help']; from {module} import {function}; sys.exit({function}())"
        cli = Command(f"{name} --help (whole process; {target})", [python, "-c", code], ROOT, cli_env, in_process=False)
    else:
        script = Path(python).parent / "finetune"
        cli = Command(f"{script} --help (whole process)", [python, str(script), "--help"], ROOT, env, in_process=False)
    return boto3, boto3_process, handlers, cli


def measure(repeat: int, pycache: str) -> tuple[Command, Command, list[Command], Command]:
    boto3, boto3_process, handlers, cli = commands(pycache)
    everything = [boto3, boto3_process, *handlers, cli]
    for command in everything:  # warm: compile into the cache (and the OS file cache)
        command.measure()
        command.seconds.clear()
    for _ in range(repeat):  # round-robin, so drift in machine load hits every command alike
        for command in everything:
            command.measure()
    return boto3, boto3_process, handlers, cli


def _cells(command: Command, baseline: Command) -> tuple[str, str]:
    if command.error or baseline.error:
        return "failed", f"[red]{escape(command.error or baseline.error or '')}[/]"
    return f"{command.best:.3f}", f"{command.best / baseline.best:.2f}"


def report(console: Console, repeat: int, boto3: Command, boto3_process: Command, handlers: list[Command], cli: Command) -> None:
    table = Table(title=f"Import time, best of {repeat} fresh processes (bytecode cached); ratio vs import boto3 in the same run")
    for column, justify in (("handler (functions/*/app.py) or command", "left"), ("seconds", "right"), ("x import boto3", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_row(boto3.label + " (baseline)", *_cells(boto3, boto3))
    for command in handlers:
        table.add_row(command.label, *_cells(command, boto3))
    table.add_section()
    table.add_row(boto3_process.label + " (baseline)", *_cells(boto3_process, boto3_process))
    table.add_row(cli.label, *_cells(cli, boto3_process))
    console.print(table)
    measured = [command for command in handlers if not command.error]
    if measured and not boto3.error:
        slowest = max(measured, key=lambda command: command.best)
        ratio = slowest.best / boto3.best
        verdict = "meets" if ratio <= TARGET_RATIO else "does NOT meet"
        console.print(f"Slowest handler import: {slowest.label}, {ratio:.2f}x import boto3; {verdict} the target <= {TARGET_RATIO}x")
    if failed := [command.label for command in handlers if command.error]:
        console.print(f"[red]Not measured (import failed): {', '.join(failed)}[/]")


# ---------------------------------------------------------------- -X importtime hot spots


@dataclass
class Node:
    name: str
    self_us: int
    cumulative_us: int
    children: list[Node] = field(default_factory=list)

    def walk(self, parents: tuple[Node, ...] = ()) -> Iterator[tuple[Node, tuple[Node, ...]]]:
        yield self, parents
        for child in self.children:
            yield from child.walk((*parents, self))


def parse_importtime(stderr: str) -> list[Node]:
    """The import trees of everything imported after MARK (-X importtime prints children first)."""
    lines = stderr.split(f"import time: {MARK}\n", 1)[-1].splitlines()
    pending: dict[int, list[Node]] = {}
    for line in lines:
        if not line.startswith("import time:") or line.count("|") < 2:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|", 2)
        if not self_us.strip().isdigit():  # the header line
            continue
        depth = (len(name) - 1 - len(name.lstrip())) // 2
        node = Node(name.strip(), int(self_us), int(cumulative_us), pending.pop(depth + 1, []))
        pending.setdefault(depth, []).append(node)
    return pending.get(0, [])


def top_level(name: str) -> str:
    return name.split(".", 1)[0]


def first_party(name: str) -> bool:
    return top_level(name) in FIRST_PARTY


@dataclass
class Hit:
    handler: str
    node: Node
    chain: str  # our modules above it, outermost first


@dataclass
class Profile:
    handler: str
    total_us: int
    baseline_us: int  # boto3, botocore & co., wherever first imported
    ours: list[Hit]  # each of our modules
    theirs: list[Hit]  # every other module imported by the handler or by one of our modules, outside boto3 & co.


def profile(handler: str, roots: list[Node]) -> Profile:
    result = Profile(handler, sum(root.cumulative_us for root in roots), 0, [], [])
    for root in roots:
        for node, parents in root.walk():
            in_baseline = [top_level(n.name) in BASELINE_PACKAGES for n in (*parents, node)]
            if in_baseline[-1] and not any(in_baseline[:-1]):
                result.baseline_us += node.cumulative_us
            chain = " > ".join(["app", *(p.name for p in parents if first_party(p.name))])
            if first_party(node.name):
                result.ours.append(Hit(handler, node, chain))
            elif not any(in_baseline) and all(first_party(p.name) for p in parents):
                result.theirs.append(Hit(handler, node, chain))
    return result


def _ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def report_hotspots(console: Console, handlers: list[Command], top: int) -> None:
    profiles = []
    for command in handlers:
        done = None if command.error else command.run("-X", "importtime")
        if done and done.returncode == 0:
            profiles.append(profile(command.label, parse_importtime(done.stderr)))
    note = "-X importtime, one run each; ms are cumulative and inflated by the tracing; a module is charged to whoever imports it first"

    table = Table(title=f"Per handler ({note})")
    for column in ("handler", "import ms", "boto3 & co. ms", "largest other packages (ms)"):
        table.add_column(column)
    for item in profiles:
        packages: dict[str, int] = {}
        for hit in item.theirs:
            packages[top_level(hit.node.name)] = packages.get(top_level(hit.node.name), 0) + hit.node.cumulative_us
        biggest = sorted(packages.items(), key=lambda kv: -kv[1])[:3]
        table.add_row(item.handler, _ms(item.total_us), _ms(item.baseline_us), ", ".join(f"{name} {_ms(us)}" for name, us in biggest))
    console.print(table)

    # Other packages, by top-level package: per handler the sum of its direct imports from our code
    by_package: dict[str, dict[str, list[Hit]]] = {}
    for item in profiles:
        for hit in item.theirs:
            by_package.setdefault(top_level(hit.node.name), {}).setdefault(item.handler, []).append(hit)
    rows = []
    for package, per_handler in by_package.items():
        sums = {handler: sum(hit.node.cumulative_us for hit in hits) for handler, hits in per_handler.items()}
        worst_handler = max(sums, key=lambda handler: sums[handler])
        largest = max(per_handler[worst_handler], key=lambda hit: hit.node.cumulative_us)
        rows.append((sums[worst_handler], package, len(sums), largest))
    table = Table(title=f"Costliest packages outside boto3/botocore imported by our code, top {top} ({note})")
    for column in ("package", "max ms", "handlers", "largest import (ms)", "handler: first imported via"):
        table.add_column(column)
    for us, package, count, largest in sorted(rows, key=lambda row: -row[0])[:top]:
        table.add_row(
            package, _ms(us), str(count), f"{largest.node.name} ({_ms(largest.node.cumulative_us)})", f"{largest.handler}: {largest.chain}"
        )
    console.print(table)

    ours: dict[str, list[Hit]] = {}
    for item in profiles:
        for hit in item.ours:
            ours.setdefault(hit.node.name, []).append(hit)
    table = Table(title=f"Our modules by cumulative import time, top {top} ({note})")
    for column in ("module", "max ms", "self ms", "handlers", "handler: first imported via"):
        table.add_column(column)
    ranked = sorted(ours.values(), key=lambda hits: -max(hit.node.cumulative_us for hit in hits))
    for hits in ranked[:top]:
        top_hit = max(hits, key=lambda hit: hit.node.cumulative_us)
        table.add_row(
            top_hit.node.name,
            _ms(top_hit.node.cumulative_us),
            _ms(top_hit.node.self_us),
            str(len(hits)),
            f"{top_hit.handler}: {top_hit.chain}",
        )
    console.print(table)


def main(argv: list[str] | None = None, console: Console | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help=f"fresh processes per command, best kept (>= {MIN_REPEAT})")
    parser.add_argument(
        "--hotspots",
        type=int,
        nargs="?",
        const=10,
        default=0,
        metavar="K",
        help="also the top K import hot spots outside boto3 (-X importtime)",
    )
    args = parser.parse_args(argv)
    if args.repeat < MIN_REPEAT:
        parser.error(f"--repeat must be at least {MIN_REPEAT}")
    console = console or Console(highlight=False)
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
        boto3, boto3_process, handlers, cli = measure(args.repeat, pycache)
        report(console, args.repeat, boto3, boto3_process, handlers, cli)
        if args.hotspots:
            report_hotspots(console, handlers, args.hotspots)


if __name__ == "__main__":
    main()
