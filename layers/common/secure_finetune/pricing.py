"""Prices: the one table the cost estimates read, with the source and date of every figure.

AWS's pricing page (aws.amazon.com/bedrock/pricing) renders its tables in the browser, so the
figures below come from AWS blog posts and dated copies of that page or of the AWS Price List.
``None`` = no sourced figure found: the report then says the cost is unknown rather than guess.
Training is billed as tokens in the corpus x epochs [UG custom-models]; storage per custom model
per month; provisioned throughput per model unit per hour, no commitment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    training_per_1k_tokens: float | None
    storage_per_month: float | None
    throughput_per_unit_hour: float | None  # no commitment
    region: str
    source: str
    as_of: str


PRICES: dict[str, Price] = {
    "meta.llama3-1-8b-instruct-v1:0": Price(
        0.00149, 1.95, None, "us-west-2", "cloud-custodian tests/terraform/bedrock_provisionable_custom_model/README.md", "2026-07-28"
    ),
    "meta.llama3-3-70b-instruct-v1:0": Price(
        0.0033, 1.95, None, "us-west-2", "cloud-custodian tests/terraform/bedrock_deployable_custom_model/README.md", "2026-07-28"
    ),
    "amazon.nova-micro-v1:0": Price(
        0.001,
        1.95,
        60.50,  # throughput: AWS Price List (AmazonBedrock, us-east-1) via a third-party copy, unverified
        "us-east-1",
        "AWS ML Blog: Cost-efficient custom text-to-SQL using Amazon Nova Micro (2026-03); Price List 20260901",
        "2026-09-01",
    ),
    "amazon.titan-text-express-v1": Price(0.008, 1.95, 20.50, "us-east-1", "Bedrock pricing page, Amazon Titan tab (scraped copy)", "2025"),
    "amazon.titan-text-lite-v1": Price(0.0004, 1.95, 7.10, "us-east-1", "Bedrock pricing page, Amazon Titan tab (scraped copy)", "2025"),
}


def price_of(model_id: str) -> Price | None:
    return PRICES.get(model_id)


def training_cost(model_id: str, tokens: int, epochs: int) -> float | None:
    """Estimated training cost in USD (tokens are the validator's safe over-estimate)."""
    price = price_of(model_id)
    if price is None or price.training_per_1k_tokens is None:
        return None
    return round(tokens / 1000 * epochs * price.training_per_1k_tokens, 4)
