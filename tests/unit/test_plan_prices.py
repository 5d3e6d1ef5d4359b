"""The throughput price of the plan: the Price List's answer first (through the PriceBook port), the cited snapshot
where it has none, "no public price" where neither has one; the source travels with the figure."""

from __future__ import annotations

import pytest

from secure_finetune import pricing
from secure_finetune.deployment.plan import plan_deployment
from secure_finetune.ports import PriceBook
from secure_finetune.pricing import Figure, Price, SnapshotPrices, parse_snapshot, with_fallback
from tests.unit.test_deployment import deps, state

LIVE = "AWS Price List GetProducts AmazonBedrock usagetype USE1-NovaMicro-ProvisionedThroughput-NoCommit-ModelUnits (unit: Hours)"
ENDPOINT = "https://api.pricing.us-east-1.amazonaws.com"
AWS_PAGE = "https://aws.amazon.com/bedrock/pricing/"


class FakePriceList(PriceBook):
    def __init__(self, answer: Price | None) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    def price(self, model_id: str, region: str) -> Price | None:
        self.asked.append((model_id, region))
        return self.answer


def test_the_price_list_answer_prices_the_plan_and_names_itself() -> None:
    book = FakePriceList(Price(region="us-east-1", throughput=Figure(usd=50.0, source=LIVE, as_of="2026-11-30", url=ENDPOINT)))
    d = deps()
    d.__dict__["prices"] = book
    plan = plan_deployment(state(model_units=2, ttl_hours=4), d)
    assert book.asked == [("amazon.nova-micro-v1:0", "us-east-1")]
    assert plan.estimated_hourly_cost_usd == 100.0 and plan.price_source == f"{LIVE}, {ENDPOINT} (2026-11-30)"


def test_without_a_price_list_answer_the_snapshot_figure_and_its_source_stand(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a snapshot entry (test data) read from an AWS page, and a Price List with no answer
    figure = {"usd": 45.0, "wording": "test fixture", "source_url": AWS_PAGE, "as_of": "2026-12-03"}
    entry = {"region": "us-east-1", "throughput_per_unit_hour": figure}
    monkeypatch.setattr(pricing, "PRICES", parse_snapshot({"prices": {"amazon.nova-micro-v1:0": entry}}))
    d = deps()
    d.__dict__["prices"] = FakePriceList(None)
    plan = plan_deployment(state(model_units=1, ttl_hours=4), d)
    assert plan.estimated_hourly_cost_usd == 45.0 and plan.price_source == f"test fixture, {AWS_PAGE} (2026-12-03)"


def test_a_model_no_source_prices_says_no_public_price(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pricing, "PRICES", {})
    d = deps()
    d.__dict__["prices"] = FakePriceList(None)
    plan = plan_deployment(state("meta.llama3-1-8b-instruct-v1:0", ttl_hours=4), d)
    assert plan.estimated_hourly_cost_usd is None and plan.price_source == "no public price"


def test_the_emulator_reads_the_snapshot_by_default() -> None:
    assert isinstance(deps().prices, SnapshotPrices)


def test_each_figure_falls_back_on_its_own() -> None:
    live = Price(region="us-east-1", storage=Figure(usd=2.0, source="live", as_of="d"))
    snapshot = Price(region="us-east-1", storage=Figure(usd=1.5, source="snap", as_of="d"), throughput=Figure(40.0, "snap", "d"))
    merged = with_fallback(live, snapshot)
    assert merged is not None and merged.storage == live.storage and merged.throughput == snapshot.throughput
    assert with_fallback(None, snapshot) is snapshot and with_fallback(None, None) is None


def test_the_approval_page_shows_where_the_hourly_figure_comes_from_escaped() -> None:
    from secure_finetune.approval import clean_summary, review_page

    source = "AWS Price List GetProducts AmazonBedrock usagetype USE1-X <b>(Hours)</b> (2026-11-30)"
    summary = clean_summary({"estimatedHourlyCostUsd": 60.5, "priceSource": source, "runId": "r"})
    page = review_page(summary, decide_by=2_000_000_000, now=1_999_999_000).html
    assert "Price source" in page and "USE1-X &lt;b&gt;(Hours)&lt;/b&gt; (2026-11-30)" in page and "<b>" not in page
    assert "priceSource" not in clean_summary({"priceSource": "line\nbreak"})  # only printable one-line text is kept
