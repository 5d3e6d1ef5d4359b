"""Model lifecycles on the emulator: GR-CTX-03 reads GetFoundationModel in the run's region (the Bedrock stand-in
answers from the documented lifecycle, as Bedrock does: ResourceNotFoundException past end of life), preflight
refuses a model past its end of life with the date and says so on stderr."""

from __future__ import annotations

import json

import pytest
from local.emulator import LocalPipeline

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def test_preflight_refuses_claude_3_haiku_past_its_end_of_life_with_the_date(
    pipeline: LocalPipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    from finetune_cli.main import main

    assert main(["preflight", "--stack", pipeline.stack.name, "--format", "json", "--model", HAIKU]) == 1
    captured = capsys.readouterr()
    [ctx03] = [f for f in json.loads(captured.out)["findings"] if f["id"] == "GR-CTX-03"]
    assert ctx03["status"] == "FAIL" and "reached its end of life in us-east-1 on 2026-09-10" in ctx03["explanation"]
    assert "past its end of life" in " ".join(captured.err.split())  # the lifecycle line, beside the JSON
