"""Emulator fixtures: the real template deployed into moto, handlers in-process."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from local.bedrock_standin import Scenario
from local.emulator import LocalPipeline

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.fixture
def pipeline() -> Iterator[LocalPipeline]:
    with LocalPipeline() as running:
        yield running


@pytest.fixture
def pipeline_with() -> Iterator[Callable[..., LocalPipeline]]:
    """Start a pipeline with a given Bedrock scenario and stack parameters."""
    opened: list[LocalPipeline] = []

    def start(scenario: Scenario | None = None, **parameters: str) -> LocalPipeline:
        running = LocalPipeline(scenario=scenario, parameters=parameters)
        opened.append(running)
        return running.__enter__()

    yield start
    for running in opened:
        running.__exit__(None, None, None)


@pytest.fixture
def good_dataset() -> bytes:
    return (EVENTS / "sample-dataset.jsonl").read_bytes()


@pytest.fixture
def bad_dataset() -> bytes:
    return (EVENTS / "sample-dataset-invalid.jsonl").read_bytes()
