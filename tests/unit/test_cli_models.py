"""``finetune models`` (the registry a user can read) and the lifecycle line of ``validate``."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.session
import pytest

from finetune_cli.main import main
from secure_finetune.models import known_models
from secure_finetune.pricing import Kind, aws_url, figure_of

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
FIELDS = {"modelId", "name", "customizationTypes", "formats", "recordBounds", "regions", "lifecycle", "prices"}


def _models(capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, object]]:
    assert main(["models", "--format", "json", *extra]) == 0
    listed: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return listed


def test_json_lists_every_registry_model_once_with_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    listed = _models(capsys)
    assert [m["modelId"] for m in listed] == [m.model_id for m in known_models()]
    assert all(set(entry) == FIELDS for entry in listed)


def test_customization_types_are_botocore_enum_values(capsys: pytest.CaptureFixture[str]) -> None:
    enum = set(botocore.session.get_session().get_service_model("bedrock").shape_for("CustomizationType").enum)
    for entry in _models(capsys):
        types = entry["customizationTypes"]
        assert isinstance(types, list) and types and set(types) <= enum
        assert isinstance(entry["formats"], dict) and set(entry["formats"]) == set(types)


def test_at_least_three_models_offer_reinforcement_fine_tuning(capsys: pytest.CaptureFixture[str]) -> None:
    rft = _models(capsys, "--type", "REINFORCEMENT_FINE_TUNING")
    assert len(rft) >= 3
    for entry in rft:
        bounds = entry["recordBounds"]
        assert isinstance(bounds, dict) and bounds["REINFORCEMENT_FINE_TUNING"]["minTotal"] == 100


def test_claude_3_haiku_is_marked_past_end_of_life_with_its_date_and_source(capsys: pytest.CaptureFixture[str]) -> None:
    [haiku] = [m for m in _models(capsys) if m["modelId"] == HAIKU]
    lifecycle = haiku["lifecycle"]
    assert isinstance(lifecycle, dict)
    assert lifecycle["status"] == "EOL" and lifecycle["endOfLifeDate"] == "2026-09-10" and lifecycle["legacyDate"] == "2026-03-10"
    assert lifecycle["regions"]["ap-northeast-2"] == "LEGACY" and "docs.aws.amazon.com" in lifecycle["source"]


def test_prices_carry_a_source_per_figure_and_say_no_public_price_when_none(capsys: pytest.CaptureFixture[str]) -> None:
    by_id = {m["modelId"]: m["prices"] for m in _models(capsys)}
    llama = by_id["meta.llama3-1-8b-instruct-v1:0"]
    assert isinstance(llama, dict)
    # Each figure as the snapshot has it: the amount with its AWS page and date, or null with "no public price".
    keys: dict[Kind, str] = {
        "training_per_1k_tokens": "trainingPer1kTokens",
        "storage_per_month": "storagePerMonth",
        "throughput_per_unit_hour": "throughputPerUnitHour",
    }
    for kind, key in keys.items():
        figure = figure_of("meta.llama3-1-8b-instruct-v1:0", kind)
        if figure is None:
            assert llama[key] is None and llama[f"{key}Source"] == "no public price"
        else:
            assert llama[key] == figure.usd and llama[f"{key}Source"] == figure.cited() and aws_url(figure.url)
    assert "source" in llama


def test_the_table_names_each_model_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert out.count("qwen.qwen3-32b") == 1 and "RFT" in out and "no public price" in out


def test_validate_says_when_the_model_is_past_its_end_of_life(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    data = tmp_path / "d.jsonl"
    record = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    data.write_text("\n".join(json.dumps(record) for _ in range(40)) + "\n")
    main(["validate", str(data), "--model", HAIKU])
    out = " ".join(capsys.readouterr().out.split())  # the console wraps at its width
    assert "lifecycle:" in out and "past its end of life in us-west-2 (end of life 2026-09-10)" in out


def test_validate_prints_no_lifecycle_line_for_an_active_or_undocumented_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "q", "completion": "a"}\n')
    main(["validate", str(data), "--model", "meta.llama3-1-70b-instruct-v1:0"])
    assert "lifecycle:" not in capsys.readouterr().out
