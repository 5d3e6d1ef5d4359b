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


def _ctx03(foundation_model: dict[str, Any] | None, region: str | None = None, mode: str | None = None) -> tuple[str, str]:
    data = broken("foundation_model", foundation_model)
    if region:
        data = broken("region", region, data)
    evidence = Evidence.model_validate(data)
    if mode is not None:  # the run's resolved deployment mode, as the evidence is to carry it (Evidence.deployment_mode)
        evidence = evidence.model_copy(update={"deployment_mode": mode})
    [finding] = evaluate(evidence, [check_named("GR-CTX-03")])
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


def test_every_registry_model_has_a_documented_lifecycle_and_an_unlisted_one_says_so() -> None:
    from secure_finetune.lifecycles import LIFECYCLES

    assert {m.model_id for m in known_models()} <= set(LIFECYCLES)
    for model_id, entry in LIFECYCLES.items():
        if "not listed on the lifecycle page, checked 2026-12-03" in entry.source:
            assert entry.status == "ACTIVE" and entry.legacy_date is None and entry.end_of_life_date is None, model_id
        elif entry.status != "ACTIVE":
            assert entry.end_of_life_date is not None, model_id  # a non-ACTIVE entry carries its documented date


@pytest.mark.parametrize(
    ("model_id", "legacy", "eol"),
    [
        ("amazon.nova-canvas-v1:0", "2026-03-30", "2026-09-30"),  # "Models that have reached EOL"
        ("amazon.titan-image-generator-v2:0", "2025-12-30", "2026-06-30"),
        ("meta.llama3-2-1b-instruct-v1:0", "2026-01-07", "2026-07-07"),
        ("meta.llama3-2-3b-instruct-v1:0", "2026-01-07", "2026-07-07"),
        ("meta.llama3-2-11b-instruct-v1:0", "2026-01-07", "2026-07-07"),
        ("meta.llama3-2-90b-instruct-v1:0", "2026-01-07", "2026-07-07"),
    ],
)
def test_models_the_lifecycle_page_lists_carry_its_dates(model_id: str, legacy: str, eol: str) -> None:
    entry = documented_lifecycle(model_id)
    assert entry is not None and entry.status == "EOL"
    assert entry.legacy_date is not None and entry.legacy_date.isoformat() == legacy
    assert entry.end_of_life_date is not None and entry.end_of_life_date.isoformat() == eol
    assert "model-lifecycle" in entry.source


@pytest.mark.parametrize(
    "model_id",
    ["meta.llama3-1-8b-instruct-v1:0", "meta.llama3-3-70b-instruct-v1:0", "amazon.titan-image-generator-v1", "qwen.qwen3-32b"],
)
def test_models_the_page_does_not_list_are_recorded_active_with_the_check(model_id: str) -> None:
    entry = documented_lifecycle(model_id)
    assert entry is not None and entry.status == "ACTIVE"
    assert "ACTIVE (not listed on the lifecycle page, checked 2026-12-03" in entry.source


def _legacy(days: int = 90) -> tuple[dict[str, Any], str]:
    eol = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    details = {"customizationsSupported": ["FINE_TUNING"], "modelLifecycle": {"status": "LEGACY", "endOfLifeTime": eol}}
    return details, eol.date().isoformat()


ACTIVE = {"customizationsSupported": ["FINE_TUNING"], "modelLifecycle": {"status": "ACTIVE"}}


# "You can't create a new Provisioned Throughput for models in the Legacy state" (model-lifecycle pages): a LEGACY base
# model fails before training when the run deploys on provisioned throughput; other modes pass with the warning.
@pytest.mark.parametrize(
    ("lifecycle", "mode", "expected", "words"),
    [
        ("LEGACY", "provisioned-throughput", Status.FAIL, ("LEGACY in us-east-1", "provisioned throughput", "fix:", '"on-demand"')),
        ("LEGACY", "on-demand", Status.PASS, ("warning:", "LEGACY in us-east-1", "deploys on-demand")),
        ("LEGACY", "none", Status.PASS, ("warning:", "LEGACY in us-east-1", "deploys nothing", "fine-tuning jobs")),
        ("LEGACY", None, Status.UNKNOWN, ("LEGACY in us-east-1", "deployment mode is not known")),
        ("ACTIVE", "provisioned-throughput", Status.PASS, ("ACTIVE",)),
        ("ACTIVE", "none", Status.PASS, ("ACTIVE",)),
        ("ACTIVE", None, Status.PASS, ("ACTIVE",)),
    ],
)
def test_a_legacy_model_is_refused_only_when_the_run_would_buy_provisioned_throughput(
    lifecycle: str, mode: str | None, expected: Status, words: tuple[str, ...]
) -> None:
    details, eol = _legacy() if lifecycle == "LEGACY" else (ACTIVE, "")
    status, detail = _ctx03(details, mode=mode)
    assert status == expected, detail
    assert all(word in detail for word in words), detail
    assert lifecycle != "LEGACY" or eol in detail  # the end-of-life date, when Bedrock gives one


def test_the_legacy_verdict_is_judged_in_the_runs_region() -> None:
    details, _ = _legacy()
    status, detail = _ctx03(details, region="ap-northeast-2", mode="provisioned-throughput")
    assert status == Status.FAIL and "LEGACY in ap-northeast-2" in detail


def test_a_legacy_model_past_its_date_is_refused_whatever_the_mode() -> None:
    details, _ = _legacy(days=-1)
    for mode in ("provisioned-throughput", "on-demand", "none"):
        assert _ctx03(details, mode=mode)[0] == Status.FAIL


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
    assert legacy_note("meta.llama3-1-8b-instruct-v1:0") is None  # ACTIVE (not listed on the page): nothing to say
    note = legacy_note(HAIKU)
    assert note is not None and "end of life" in note and "2026-09-10" in note and "ap-northeast-2: LEGACY" in note
    seoul = legacy_note(HAIKU, "ap-northeast-2")
    assert seoul is not None and "LEGACY in ap-northeast-2" in seoul
