"""Model lifecycles: the documented table, GR-CTX-03 on GetFoundationModel's ``modelLifecycle``, the adapter's reading
of "past end of life" (ResourceNotFoundException), and the LEGACY notes the CLI prints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from secure_finetune.guardrails import PRE_LAUNCH_CHECKS, Check, Evidence, evaluate
from secure_finetune.guardrails.framework import Status
from secure_finetune.lifecycles import documented_lifecycle, legacy_note, read_live
from secure_finetune.models import known_models
from tests.unit.test_guardrails import broken, good

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def check_named(check_id: str) -> Check:
    return next(check for check in PRE_LAUNCH_CHECKS if check.id == check_id)


def _ctx03(foundation_model: dict[str, Any] | None, region: str | None = None) -> tuple[str, str]:
    data = broken("foundation_model", foundation_model)
    if region:
        data = broken("region", region, data)
    [finding] = evaluate(Evidence.model_validate(data), [check_named("GR-CTX-03")])
    return finding.status, finding.explanation


def test_claude_3_haiku_is_documented_past_end_of_life_except_in_four_regions() -> None:
    haiku = documented_lifecycle(HAIKU)
    assert haiku is not None and haiku.status == "EOL" and haiku.end_of_life_date is not None
    assert haiku.end_of_life_date.isoformat() == "2026-09-10"
    assert haiku.status_in("us-east-1") == "EOL" and haiku.status_in("ap-northeast-2") == "LEGACY"
    assert "model-card-anthropic-claude-3-haiku" in haiku.source


def test_every_documented_lifecycle_names_a_model_in_the_registry_and_its_source() -> None:
    from secure_finetune.lifecycles import LIFECYCLES

    ids = {m.model_id for m in known_models()}
    assert set(LIFECYCLES) <= ids
    assert all(entry.source.startswith("https://docs.aws.amazon.com/") for entry in LIFECYCLES.values())


def test_a_legacy_model_passes_and_the_detail_gives_its_end_of_life_date() -> None:
    eol = (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)
    status, detail = _ctx03({"customizationsSupported": ["FINE_TUNING"], "modelLifecycle": {"status": "LEGACY", "endOfLifeTime": eol}})
    assert status == Status.PASS and "LEGACY" in detail and eol.date().isoformat() in detail


def test_a_model_past_its_end_of_life_date_is_refused_with_the_date() -> None:
    eol = datetime(2026, 9, 10, tzinfo=UTC)  # botocore gives datetimes
    status, detail = _ctx03({"customizationsSupported": ["FINE_TUNING"], "modelLifecycle": {"status": "LEGACY", "endOfLifeTime": eol}})
    assert status == Status.FAIL and "end of life on 2026-09-10" in detail


def test_not_found_in_the_region_of_a_documented_eol_model_is_refused_with_the_documented_date() -> None:
    status, detail = _ctx03({"modelId": f"{HAIKU}:200k", "offered": False}, region="us-east-1")
    assert status == Status.FAIL and detail == "the base model reached its end of life in us-east-1 on 2026-09-10"


def test_not_found_elsewhere_says_not_offered_without_inventing_a_date() -> None:
    status, detail = _ctx03({"modelId": "meta.llama3-1-8b-instruct-v1:0", "offered": False}, region="eu-west-3")
    assert status == Status.FAIL and "not offered in eu-west-3" in detail and "20" not in detail


def test_an_unknown_lifecycle_status_is_not_taken_for_active() -> None:
    status, _ = _ctx03({"customizationsSupported": ["FINE_TUNING"], "modelLifecycle": {}})
    assert status == Status.FAIL


def test_the_good_evidence_passes() -> None:
    [finding] = evaluate(Evidence.model_validate(good()), [check_named("GR-CTX-03")])
    assert finding.status == Status.PASS


@pytest.mark.usefixtures("offline_aws")
def test_the_adapter_reads_resource_not_found_as_not_offered() -> None:
    from secure_finetune.adapters import evidence as adapter
    from secure_finetune.adapters.clients import client

    stub = Stubber(client("bedrock"))
    stub.add_client_error(
        "get_foundation_model",
        "ResourceNotFoundException",
        "This model version has reached the end of its life.",
        404,
        {"modelIdentifier": HAIKU},
    )
    stub.add_response(
        "get_foundation_model",
        {
            "modelDetails": {
                "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/x",
                "modelId": "x",
                "modelLifecycle": {"status": "LEGACY", "endOfLifeTime": datetime(2027, 1, 1, tzinfo=UTC)},
            }
        },
        {"modelIdentifier": "x"},
    )
    reader = adapter.EvidenceReader("123456789012", "us-east-1")
    with stub:
        assert reader.foundation_model(HAIKU) == {"modelId": HAIKU, "offered": False}
        live = read_live(reader.foundation_model("x") or {})
    assert live.status == "LEGACY" and live.end_of_life_date is not None and live.end_of_life_date.isoformat() == "2027-01-01"


def test_legacy_notes_name_the_state_and_date_and_stay_silent_for_active_models() -> None:
    assert legacy_note("meta.llama3-1-70b-instruct-v1:0") is None
    assert legacy_note("meta.llama3-1-8b-instruct-v1:0") is None  # no documented lifecycle: nothing claimed
    note = legacy_note(HAIKU)
    assert note is not None and "end of life" in note and "2026-09-10" in note and "ap-northeast-2: LEGACY" in note
    seoul = legacy_note(HAIKU, "ap-northeast-2")
    assert seoul is not None and "LEGACY in ap-northeast-2" in seoul
