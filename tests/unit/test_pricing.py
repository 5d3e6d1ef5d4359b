"""The price snapshot: every figure carries the AWS page it was read from, the page's words and an ISO date; a model
without a figure says exactly "no public price"."""

import json
from typing import Any

import pytest

from secure_finetune import pricing
from secure_finetune.models import find_model, known_models
from secure_finetune.pricing import KINDS, NO_PUBLIC_PRICE, SNAPSHOT, TOKEN_KINDS, UnsourcedFigure, parse_snapshot, parse_token_prices

AWS_PAGE = "https://aws.amazon.com/bedrock/pricing/"


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return document


def _fixture_figure(usd: float, **changes: str) -> dict[str, Any]:
    """A well-formed figure for the tests (test data, not a price anyone should read)."""
    return {"usd": usd, "wording": "test fixture", "source_url": AWS_PAGE, "as_of": "2026-12-03", **changes}


def _snapshot_figures() -> list[tuple[str, str, dict[str, Any]]]:
    document = _document()
    found: list[tuple[str, str, dict[str, Any]]] = [
        (model_id, kind, entry[kind]) for model_id, entry in document["prices"].items() for kind in KINDS if kind in entry
    ]
    found += [
        (model_id, kind, entry[kind]) for model_id, entry in document["token_prices"].items() for kind in TOKEN_KINDS if kind in entry
    ]
    return found


# ---------------------------------------------------------------- the checked-in snapshot


def test_every_figure_of_the_snapshot_names_an_aws_page_the_pages_words_and_an_iso_date() -> None:
    for model_id, kind, figure in _snapshot_figures():
        assert figure["usd"] > 0 and figure["wording"].strip(), (model_id, kind)
        assert pricing.aws_url(figure["source_url"]) == figure["source_url"], (model_id, kind)
        assert pricing.iso_date(figure["as_of"]) == figure["as_of"], (model_id, kind)
    assert pricing.iso_date(_document()["snapshot_date"])


def test_the_snapshot_loads_under_the_same_rules_the_tests_check() -> None:
    document = _document()
    assert parse_snapshot(document).keys() == document["prices"].keys()
    assert parse_token_prices(document).keys() == document["token_prices"].keys()


def test_every_key_is_a_registry_foundation_model_id() -> None:
    document = _document()
    for model_id in [*document["prices"], *document["token_prices"]]:
        assert find_model(model_id).model_id == model_id


def test_every_registry_model_without_an_entry_says_no_public_price_for_every_figure() -> None:
    unpriced = [model.model_id for model in known_models() if model.model_id not in pricing.PRICES]
    for model_id in unpriced:
        assert all(pricing.cited(model_id, kind) == NO_PUBLIC_PRICE for kind in KINDS), model_id
        assert pricing.training_cost(model_id, 1_000_000, 2) is None and pricing.storage_cost_per_month(model_id) is None


# ---------------------------------------------------------------- the rules a figure must pass


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/cloud-custodian/cloud-custodian/blob/main/tests/terraform/README.md",  # a test fixture
        "https://www.swfte.com/de/blog/amazon-nova-pro-pricing",  # a blog
        "http://aws.amazon.com/bedrock/pricing/",  # not https
        "https://aws.amazon.com.example.net/bedrock/pricing/",  # a lookalike host
        "https://notamazonaws.com/offers/index.json",
        "https://somebodys-bucket.s3.amazonaws.com/prices.json",  # anyone can own an S3 bucket
        "https://abc123.execute-api.us-east-1.amazonaws.com/prod/prices",  # or an API Gateway stage
        "aws.amazon.com/bedrock/pricing/ (scraped copy)",  # no URL at all
    ],
)
def test_a_figure_from_anywhere_but_an_aws_page_is_an_error_not_a_price(url: str) -> None:
    with pytest.raises(UnsourcedFigure):
        parse_snapshot({"prices": {"m": {"region": "us-east-1", "storage_per_month": _fixture_figure(1.0, source_url=url)}}})


@pytest.mark.parametrize(
    "url",
    [
        AWS_PAGE,
        "https://docs.aws.amazon.com/bedrock/latest/userguide/prov-throughput.html",
        "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/index.json",
        "https://api.pricing.us-east-1.amazonaws.com",
    ],
)
def test_aws_pages_docs_and_price_list_offers_are_sources(url: str) -> None:
    parsed = parse_snapshot({"prices": {"m": {"region": "us-east-1", "storage_per_month": _fixture_figure(1.0, source_url=url)}}})
    assert parsed["m"].storage is not None and parsed["m"].storage.url == url


@pytest.mark.parametrize("as_of", ["2025", "2026-03", "2026-13-01", "03/12/2026", ""])
def test_a_vague_or_impossible_date_is_an_error(as_of: str) -> None:
    with pytest.raises(UnsourcedFigure):
        parse_snapshot({"prices": {"m": {"region": "us-east-1", "storage_per_month": _fixture_figure(1.0, as_of=as_of)}}})


def test_a_figure_without_its_source_or_wording_is_an_error_not_a_price() -> None:
    figure = _fixture_figure(1.95)
    del figure["source_url"]
    with pytest.raises(KeyError):
        parse_snapshot({"prices": {"m": {"region": "us-east-1", "storage_per_month": figure}}})
    with pytest.raises(UnsourcedFigure):
        parse_snapshot({"prices": {"m": {"region": "us-east-1", "storage_per_month": _fixture_figure(1.95, wording=" ")}}})
    with pytest.raises(UnsourcedFigure):
        parse_snapshot({"prices": {"m": {"region": "us-east-1"}}})  # an entry with no figure: delete it instead


def test_token_prices_come_in_pairs() -> None:
    with pytest.raises(UnsourcedFigure):
        parse_token_prices({"token_prices": {"m": {"region": "us-east-1", "input_per_1k_tokens": _fixture_figure(0.001)}}})


# ---------------------------------------------------------------- what the figures do


@pytest.fixture
def priced(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The real snapshot plus one fixture entry for Llama 3.1 8B, loaded through the same parser."""
    document = _document()
    document["prices"]["meta.llama3-1-8b-instruct-v1:0"] = {
        "region": "us-west-2",
        "training_per_1k_tokens": _fixture_figure(0.002),
        "storage_per_month": _fixture_figure(2.5),
        "throughput_per_unit_hour": _fixture_figure(30.0),
    }
    monkeypatch.setattr(pricing, "PRICES", parse_snapshot(document))
    return document


def test_training_cost_is_tokens_over_a_thousand_times_epochs_times_the_price(priced: dict[str, Any]) -> None:
    assert pricing.training_cost("meta.llama3-1-8b-instruct-v1:0", 1_000_000, 2) == round(1_000_000 / 1000 * 2 * 0.002, 4) == 4.0
    assert pricing.training_cost("meta.llama3-1-8b-instruct-v1:0", 250_000, 3) == 1.5


def test_cited_figures_name_the_page_its_words_and_the_date_beside_the_amount(priced: dict[str, Any]) -> None:
    text = pricing.cited("meta.llama3-1-8b-instruct-v1:0", "storage_per_month")
    assert text == f"$2.50 — test fixture, {AWS_PAGE} (2026-12-03)"
    facts = pricing.training_price_facts("meta.llama3-1-8b-instruct-v1:0:128k")
    assert facts["estimated_storage_per_month_usd"] == 2.5 and facts["price_source"].count(AWS_PAGE) == 2


def test_removing_an_entry_from_the_snapshot_yields_exactly_no_public_price(
    priced: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model_id = "meta.llama3-1-8b-instruct-v1:0"
    assert pricing.cited(model_id, "throughput_per_unit_hour").startswith("$30.00 — ")
    del priced["prices"][model_id]
    monkeypatch.setattr(pricing, "PRICES", parse_snapshot(priced))
    for kind in KINDS:
        assert pricing.cited(model_id, kind) == "no public price"
    assert pricing.usd(pricing.training_cost(model_id, 1000, 1)) == "no public price"
    assert pricing.usd(pricing.storage_cost_per_month(model_id)) == "no public price"
    facts = pricing.training_price_facts(model_id)
    assert facts == {
        "estimated_storage_per_month_usd": None,
        "price_source": "training: no public price; custom-model storage: no public price",
    }


def test_a_model_with_one_figure_has_no_estimate_for_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    only = {"prices": {"amazon.nova-pro-v1:0": {"region": "us-east-1", "throughput_per_unit_hour": _fixture_figure(40.0)}}}
    monkeypatch.setattr(pricing, "PRICES", parse_snapshot(only))
    assert pricing.training_cost("amazon.nova-pro-v1:0", 1_000_000, 2) is None
    assert pricing.cited("amazon.nova-pro-v1:0", "storage_per_month") == NO_PUBLIC_PRICE


def test_a_reinforcement_fine_tuning_run_gets_no_per_token_training_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a per-token training price for a model that offers both supervised and reinforcement fine-tuning
    from secure_finetune.models import CustomizationType
    from secure_finetune.reports import ValidationDocument, read_report
    from tests.unit.test_dataset_agreement import pipeline_outcome
    from tests.unit.test_dataset_corpus import RFT_QA, Spec, conv, line

    document = _document()
    document["prices"]["amazon.nova-2-lite-v1:0"] = {"region": "us-east-1", "training_per_1k_tokens": _fixture_figure(0.004)}
    monkeypatch.setattr(pricing, "PRICES", parse_snapshot(document))

    def cost(kind: CustomizationType, record: dict[str, Any]) -> Any:
        _, deps, state = pipeline_outcome(Spec("amazon.nova-2-lite-v1:0", kind, None), line(record) * 3)
        found = read_report(deps.bucket, state.run.run_id, ValidationDocument)
        assert found is not None
        return found.cost

    # Then a supervised run is priced with it, a reinforcement fine-tuning run is not (no AWS page says RFT is billed
    # per token): "no public price", not the supervised figure applied to rollouts and grading
    supervised = cost(CustomizationType.FINE_TUNING, conv(("user", "q"), ("assistant", "a")))
    assert supervised.estimated_training_usd is not None and "test fixture" in str(supervised.price_source)
    reinforced = cost(CustomizationType.REINFORCEMENT_FINE_TUNING, RFT_QA)
    assert reinforced.estimated_training_usd is None and reinforced.price_source == f"{NO_PUBLIC_PRICE} (reinforcement fine-tuning)"
    facts = pricing.training_price_facts("amazon.nova-2-lite-v1:0", per_token=False)
    assert facts["price_source"] == f"training: {NO_PUBLIC_PRICE} (reinforcement fine-tuning); custom-model storage: {NO_PUBLIC_PRICE}"
    assert "test fixture" in pricing.training_price_facts("amazon.nova-2-lite-v1:0")["price_source"]  # supervised: cited
