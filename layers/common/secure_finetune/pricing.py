"""Prices: the one table the cost estimates read, with the source and date of every figure.

AWS's pricing page (aws.amazon.com/bedrock/pricing) renders its tables in the browser, so the
figures below come from AWS blog posts and dated copies of that page or of the AWS Price List.
``None`` = no sourced figure found: the report then says the cost is unknown rather than guess.
Training is billed as tokens in the corpus x epochs [UG custom-models]; storage per custom model
per month; provisioned throughput per model unit per hour, no commitment. A custom model's
throughput is priced as its base model's [UG prov-throughput], so the figure is keyed by base model.

Each ``source`` names where every figure of its entry was read; "(unverified third-party copy)"
marks figures not read from an AWS page or an AWS Price List file directly. An entry is only as
sourced as that string says; never fill a gap from a sibling model.

Still unknown (no sourced figure found, 2026 research): every figure for Llama 3.2 1B/3B/11B/90B
and Titan Text Premier; Llama 3.1 70B training and storage; Llama 3.1 8B throughput; Nova Lite/Pro
training; Nova Pro and Nova Canvas storage; Claude 3 Haiku; Titan Image Generator v2; Titan
Multimodal Embeddings. Llama 3.3 70B has no throughput price because it is not offered with
provisioned throughput [UG prov-thru-supported] (on-demand deployment only). Image and embedding
models are trained per image / per step, not per 1k tokens, so their training figure stays ``None``.
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


# The us-east-1 Price List copy behind the Nova throughput figures: a third-party transcription of
# https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonBedrock/current/us-east-1/index.json,
# version 20260901205051, which states "model units for Nova Micro / Lite / Pro / Canvas price at
# 60.50 USD/hour with no commitment".
_NOVA_PT_COPY = (
    "AWS Price List AmazonBedrock us-east-1 v20260901205051 via api-evangelist/amazon-nova "
    "plans/amazon-nova-plans-pricing.yml @97c0aa27 (unverified third-party copy)"
)

PRICES: dict[str, Price] = {
    "meta.llama3-1-8b-instruct-v1:0": Price(
        0.00149, 1.95, None, "us-west-2", "cloud-custodian tests/terraform/bedrock_provisionable_custom_model/README.md", "2026-07-28"
    ),
    # Throughput only: usagetype USW2-Llama3-1-70B-ProvisionedThroughput-NoCommit-ModelUnits = $24.00/hr, quoted from
    # the AWS Pricing API in a public "Bedrock Adapter Cost-Audit Prompt" (live-audit findings dated 2026-06-30);
    # find it again with find_string "Llama3-1-70B-ProvisionedThroughput".
    "meta.llama3-1-70b-instruct-v1:0": Price(
        None,
        None,
        24.00,
        "us-west-2",
        "AWS Pricing API usagetype USW2-Llama3-1-70B-ProvisionedThroughput-NoCommit-ModelUnits, quoted in a public "
        "GitHub 'Bedrock Adapter Cost-Audit Prompt' (unverified third-party copy)",
        "2026-06-30",
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
    # Conflict: heuristicwave's post billed USE1-NovaLite no-commit throughput at $108.15/hr in 2025-05; the
    # 2026-09-01 Price List copy says 60.50. The newer figure is kept; both are third-party.
    "amazon.nova-lite-v1:0": Price(
        None,
        1.95,
        60.50,
        "us-east-1",
        f"throughput: {_NOVA_PT_COPY}; storage: heuristicwave/heuristicwave.github.io post 'Amazon Nova Vision 기능 모델 "
        "증류 하기' (2025-05-05), cost table USE1-NovaLite-Customization-Training (unverified third-party copy)",
        "2026-09-01 (throughput); 2025-05-05 (storage)",
    ),
    "amazon.nova-pro-v1:0": Price(None, None, 60.50, "us-east-1", f"throughput: {_NOVA_PT_COPY}", "2026-09-01"),
    # All three from one table of `aws pricing get-products --service-code AmazonBedrock` (us-east-1) results:
    # USE1-Nova2.0Lite-Customization-Training 0.00378/1K tokens, -Customization-Storage 1.95/model-month,
    # -ProvisionedThroughput-NoCommit-ModelUnits 60.50/hour. Find it again with find_string "Nova2.0Lite-Customization".
    "amazon.nova-2-lite-v1:0": Price(
        0.00378,
        1.95,
        60.50,
        "us-east-1",
        "AWS Price List API (usagetypes USE1-Nova2.0Lite-Customization-Training/-Customization-Storage/"
        "-ProvisionedThroughput-NoCommit-ModelUnits) as queried in COSTS.md §1 of the public GitHub project "
        "'AWS-Bedrock-FineTuning-LangGraph-MCP-Agentic-Platform' (unverified third-party copy)",
        "2026-08-02",
    ),
    # Nova Canvas is trained per image (batch x steps), not per token, so no training figure here.
    "amazon.nova-canvas-v1:0": Price(None, None, 60.50, "us-east-1", f"throughput: {_NOVA_PT_COPY}", "2026-09-01"),
    "amazon.titan-text-express-v1": Price(0.008, 1.95, 20.50, "us-east-1", "Bedrock pricing page, Amazon Titan tab (scraped copy)", "2025"),
    "amazon.titan-text-lite-v1": Price(0.0004, 1.95, 7.10, "us-east-1", "Bedrock pricing page, Amazon Titan tab (scraped copy)", "2025"),
}


UNKNOWN_COST = "unknown (no sourced price for this model)"


def usd(value: float | None) -> str:
    """How every message, page and report shows a cost: unknown is never zero, and a small
    training run keeps its cents' fractions ("$0.0125", not "$0.01")."""
    if value is None:
        return UNKNOWN_COST
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.4f}"


def price_of(model_id: str) -> Price | None:
    return PRICES.get(model_id)


def training_cost(model_id: str, tokens: int, epochs: int) -> float | None:
    """Estimated training cost in USD (tokens are the validator's safe over-estimate)."""
    price = price_of(model_id)
    if price is None or price.training_per_1k_tokens is None:
        return None
    return round(tokens / 1000 * epochs * price.training_per_1k_tokens, 4)
