"""On-demand token prices (the evaluation's judge and base model) live in the price snapshot and are read through
pricing.py: evaluation/cost.py has no figure of its own."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from secure_finetune import pricing
from secure_finetune.evaluation import cost
from secure_finetune.evaluation.config import EvaluationProfile
from secure_finetune.evaluation.cost import estimate_cost
from secure_finetune.pricing import NO_PUBLIC_PRICE, parse_token_prices

AWS_PAGE = "https://aws.amazon.com/bedrock/pricing/"
JUDGE = "amazon.nova-pro-v1:0"
BASE = "meta.llama3-1-8b-instruct-v1:0"


def _pair(input_usd: float, output_usd: float) -> dict[str, Any]:
    """Token prices for the tests (test data, not a price anyone should read)."""
    figure = {"wording": "test fixture", "source_url": AWS_PAGE, "as_of": "2026-12-03"}
    return {
        "region": "us-east-1",
        "input_per_1k_tokens": {"usd": input_usd, **figure},
        "output_per_1k_tokens": {"usd": output_usd, **figure},
    }


def _estimate(**profile: Any) -> cost.EvaluationCost:
    return estimate_cost(
        prompts=10,
        prompt_chars=4_000,
        reference_chars=2_000,
        profile=EvaluationProfile(**profile),
        base_model_id=BASE,
        hourly_usd=None,
        ttl_hours=4,
    )


def test_cost_module_holds_no_price_of_its_own() -> None:
    source = inspect.getsource(cost)
    assert "TOKEN_PRICES" not in source and "per 1M" not in source
    assert vars(cost)["token_price"] is pricing.token_price  # the one place prices are read


def test_the_judge_and_base_token_prices_are_read_from_the_snapshot_with_their_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        pricing, "TOKEN_PRICES", parse_token_prices({"token_prices": {JUDGE: _pair(0.001, 0.004), BASE: _pair(0.0002, 0.0003)}})
    )
    estimate = _estimate()
    # 2 metrics x 2 models x 10 prompts = 40 judge calls; reads = 40 x 600 + 4 x (1000 + 500 + 10 x 512) tokens
    reads = 40 * 600 + 4 * (1_000 + 500 + 10 * 512)
    assert estimate.judge_usd == round((reads * 0.001 + 40 * 150 * 0.004) / 1000, 2)
    assert estimate.base_inference_usd == round((1_000 * 0.0002 + 10 * 512 * 0.0003) / 1000, 2)
    assert estimate.total_usd is not None
    assert f"judge {JUDGE}: input: test fixture, {AWS_PAGE} (2026-12-03)" in estimate.price_source
    assert f"base {BASE}: input: test fixture" in estimate.price_source


def test_without_a_token_price_the_judge_cost_and_the_total_are_no_public_price(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pricing, "TOKEN_PRICES", parse_token_prices({"token_prices": {BASE: _pair(0.0002, 0.0003)}}))
    estimate = _estimate()
    assert estimate.judge_usd is None and estimate.total_usd is None and estimate.base_inference_usd is not None
    assert f"judge {JUDGE}: {NO_PUBLIC_PRICE}" in estimate.price_source
