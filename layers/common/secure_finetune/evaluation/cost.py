"""What the evaluation costs, estimated before anything is bought (the plan and the approval page show it).

Bedrock bills an LLM-as-a-judge evaluation as model inference: the generator's tokens (the base model on
demand; the custom model on the throughput already bought, so no tokens there -- or, deployed on demand, the
answers CollectAnswers asks for, billed per token, for which no public price is held) and the judge's tokens,
at the models' on-demand prices; the job itself has no separate charge.
https://docs.aws.amazon.com/bedrock/latest/userguide/evaluation-judge.html

The estimate is an upper bound on tokens: every answer as long as ``max_response_tokens``; each judge call
reads the built-in metric prompt (taken as 600 tokens: the published evaluator prompts run a few hundred
words), the prompt, the reference and the answer, and writes a 150-token explanation and score; 4
characters a token. The on-demand token prices come from pricing.py (one place for prices, each figure with
its AWS source and date); a price we have no source for is None, and so is any total that needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..pricing import NO_PUBLIC_PRICE, TokenPrice, token_price
from .config import EvaluationProfile

CHARS_PER_TOKEN = 4
JUDGE_TEMPLATE_TOKENS = 600
JUDGE_OUTPUT_TOKENS = 150


@dataclass(frozen=True)
class EvaluationCost:
    prompts: int
    judge_calls: int
    judge_usd: float | None
    base_inference_usd: float | None
    custom_inference_usd: float | None  # 0 on a throughput; on demand, the answers' tokens (no sourced price: None)
    throughput_hours: float  # the throughput is held this long for the evaluation (inside its time-to-live)
    extra_throughput_usd: float | None  # hours beyond the time-to-live already priced (0 when inside it)
    total_usd: float | None
    price_source: str = NO_PUBLIC_PRICE  # where the judge's and the base model's token prices were read


def estimate_cost(
    *,
    prompts: int,
    prompt_chars: int,
    reference_chars: int,
    profile: EvaluationProfile,
    base_model_id: str,
    hourly_usd: float | None,
    ttl_hours: float,
    custom_on_demand: bool = False,
) -> EvaluationCost:
    answer = profile.max_response_tokens
    prompt_tokens, reference_tokens = prompt_chars / CHARS_PER_TOKEN, reference_chars / CHARS_PER_TOKEN
    judge_calls = 2 * len(profile.metrics) * prompts  # both models, every metric, every prompt
    judge_price = token_price(profile.judge_model)
    judge_usd = None
    if judge_price is not None:
        reads = judge_calls * JUDGE_TEMPLATE_TOKENS + 2 * len(profile.metrics) * (prompt_tokens + reference_tokens + prompts * answer)
        judge_usd = (reads * judge_price.input_per_1k + judge_calls * JUDGE_OUTPUT_TOKENS * judge_price.output_per_1k) / 1000
    base_id = profile.base_model_id or base_model_id
    base_price = token_price(base_id)
    base_usd = None
    if base_price is not None:
        base_usd = (prompt_tokens * base_price.input_per_1k + prompts * answer * base_price.output_per_1k) / 1000
    hours = profile.expected_hours
    beyond = max(0.0, hours - ttl_hours) if ttl_hours > 0 else 0.0  # ttl 0: kept anyway, nothing extra
    extra = 0.0 if beyond == 0 or custom_on_demand else None if hourly_usd is None else beyond * hourly_usd
    # A custom model's per-token price on demand is not in the snapshot (none is sourced): unknown, never guessed.
    custom_usd = None if custom_on_demand else 0.0
    parts = (judge_usd, base_usd, custom_usd, extra)
    total = None if any(part is None for part in parts) else sum(part for part in parts if part is not None)
    return EvaluationCost(
        prompts=prompts,
        judge_calls=judge_calls,
        judge_usd=_cents(judge_usd),
        base_inference_usd=_cents(base_usd),
        custom_inference_usd=custom_usd,
        throughput_hours=hours,
        extra_throughput_usd=_cents(extra),
        total_usd=_cents(total),
        price_source=f"judge {profile.judge_model}: {_cited(judge_price)}; base {base_id}: {_cited(base_price)}"
        + (f"; custom model on demand: {NO_PUBLIC_PRICE}" if custom_on_demand else ""),
    )


def _cited(price: TokenPrice | None) -> str:
    return NO_PUBLIC_PRICE if price is None else price.cited()


def _cents(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
