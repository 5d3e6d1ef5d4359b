import pytest

from secure_finetune.models import find_model
from secure_finetune.pricing import PRICES, Price, training_cost

ENTRIES = sorted(PRICES.items())


def _figures(price: Price) -> dict[str, float | None]:
    return {
        "training_per_1k_tokens": price.training_per_1k_tokens,
        "storage_per_month": price.storage_per_month,
        "throughput_per_unit_hour": price.throughput_per_unit_hour,
    }


@pytest.mark.parametrize(("model_id", "price"), ENTRIES, ids=[model_id for model_id, _ in ENTRIES])
def test_every_key_is_a_registry_model_id(model_id: str, price: Price) -> None:
    assert find_model(model_id).model_id == model_id


@pytest.mark.parametrize(("model_id", "price"), ENTRIES, ids=[model_id for model_id, _ in ENTRIES])
def test_every_sourced_figure_is_positive(model_id: str, price: Price) -> None:
    figures = _figures(price)
    assert any(value is not None for value in figures.values()), "an entry with no figure at all should not exist"
    for name, value in figures.items():
        assert value is None or value > 0, name


@pytest.mark.parametrize(("model_id", "price"), ENTRIES, ids=[model_id for model_id, _ in ENTRIES])
def test_every_entry_names_its_source_date_and_region(model_id: str, price: Price) -> None:
    assert price.source.strip()
    assert price.as_of.strip()
    assert price.region.strip()


def test_training_cost_is_tokens_over_a_thousand_times_epochs_times_the_price() -> None:
    # Llama 3.1 8B: $0.00149 per 1k tokens (cloud-custodian fixture README, 2026-07-28).
    assert PRICES["meta.llama3-1-8b-instruct-v1:0"].training_per_1k_tokens == 0.00149
    assert training_cost("meta.llama3-1-8b-instruct-v1:0", 1_000_000, 2) == round(1_000_000 / 1000 * 2 * 0.00149, 4) == 2.98


def test_training_cost_scales_with_epochs_for_another_sourced_model() -> None:
    # Nova 2 Lite: $0.00378 per 1k tokens (pricing.py, its cited Price List copy): 250 x 3 x 0.00378
    assert PRICES["amazon.nova-2-lite-v1:0"].training_per_1k_tokens == 0.00378
    assert training_cost("amazon.nova-2-lite-v1:0", 250_000, 3) == 2.835


def test_a_model_without_a_sourced_price_has_no_estimate_rather_than_a_guess() -> None:
    assert training_cost("anthropic.claude-3-haiku-20240307-v1:0", 1_000_000, 2) is None


def test_a_model_with_throughput_but_no_training_figure_has_no_training_estimate() -> None:
    assert PRICES["amazon.nova-pro-v1:0"].training_per_1k_tokens is None
    assert training_cost("amazon.nova-pro-v1:0", 1_000_000, 2) is None


# ---------------------------------------------------------------- the snapshot: every figure cites its source


def test_every_figure_of_the_snapshot_carries_its_own_source_and_date() -> None:
    import json

    from secure_finetune.pricing import KINDS, SNAPSHOT

    document = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    for model_id, entry in document["prices"].items():
        figures = [entry[kind] for kind in KINDS if kind in entry]
        assert figures, model_id
        for figure in figures:
            assert figure["usd"] > 0 and figure["source"].strip() and figure["as_of"].strip(), model_id


def test_removing_an_entry_from_the_snapshot_yields_exactly_no_public_price(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from secure_finetune import pricing

    document = json.loads(pricing.SNAPSHOT.read_text(encoding="utf-8"))
    model_id = "amazon.titan-text-lite-v1"
    assert pricing.cited(model_id, "throughput_per_unit_hour").startswith("$7.10 — ")
    del document["prices"][model_id]
    monkeypatch.setattr(pricing, "PRICES", pricing.parse_snapshot(document))
    for kind in pricing.KINDS:
        assert pricing.cited(model_id, kind) == "no public price"
    assert pricing.usd(pricing.training_cost(model_id, 1000, 1)) == "no public price"
    assert pricing.usd(pricing.storage_cost_per_month(model_id)) == "no public price"


def test_a_figure_without_its_source_is_an_error_not_a_price() -> None:
    from secure_finetune.pricing import parse_snapshot

    with pytest.raises(KeyError):
        parse_snapshot({"prices": {"m": {"region": "us-east-1", "storage_per_month": {"usd": 1.95, "as_of": "2026"}}}})


def test_cited_figures_name_their_source_beside_the_amount() -> None:
    from secure_finetune.pricing import cited

    text = cited("meta.llama3-1-8b-instruct-v1:0", "storage_per_month")
    assert text.startswith("$1.95 — ") and "cloud-custodian" in text and "2026-07-28" in text
