"""Where each base model can be customized, as the user guide lists it (one table, read by ``finetune models``).

[UG custom-model-fine-tuning, current] https://docs.aws.amazon.com/bedrock/latest/userguide/custom-model-fine-tuning.html
(shared/reference/bedrock-customization.md, "Supported FT models and Regions"); reinforcement fine-tuning:
https://docs.aws.amazon.com/bedrock/latest/userguide/reinforcement-fine-tuning.html (open-weight models in us-west-2).
A model missing here has no documented region list (e.g. Titan Text G1, listed only by an older page): none is assumed.
Titan Image Generator G1 (v1) is listed only by the older page, with one region: "Titan Image Generator G1 |
amazon.titan-image-generator-v1:0 | us-east-1", https://docs.aws.amazon.com/bedrock/latest/userguide/custom-model-supported.html
(a third-party copy of another version of that page gives us-east-1 and us-west-2; the AWS page is taken).
"""

from __future__ import annotations

_US_EAST_1 = ("us-east-1",)
_US_WEST_2 = ("us-west-2",)

CUSTOMIZATION_REGIONS: dict[str, tuple[str, ...]] = {
    "amazon.nova-2-lite-v1:0": _US_EAST_1,
    "amazon.nova-canvas-v1:0": _US_EAST_1,
    "amazon.nova-lite-v1:0": _US_EAST_1,
    "amazon.nova-micro-v1:0": _US_EAST_1,
    "amazon.nova-pro-v1:0": _US_EAST_1,
    "amazon.titan-image-generator-v1": _US_EAST_1,  # custom-model-supported.html (older page, see above)
    "amazon.titan-image-generator-v2:0": ("us-east-1", "us-west-2"),
    "amazon.titan-embed-image-v1": ("us-east-1", "us-west-2"),
    "anthropic.claude-3-haiku-20240307-v1:0": _US_WEST_2,
    "meta.llama3-1-8b-instruct-v1:0": _US_WEST_2,
    "meta.llama3-1-70b-instruct-v1:0": _US_WEST_2,
    "meta.llama3-2-1b-instruct-v1:0": _US_WEST_2,
    "meta.llama3-2-3b-instruct-v1:0": _US_WEST_2,
    "meta.llama3-2-11b-instruct-v1:0": _US_WEST_2,
    "meta.llama3-2-90b-instruct-v1:0": _US_WEST_2,
    "meta.llama3-3-70b-instruct-v1:0": _US_WEST_2,
    "openai.gpt-oss-20b": _US_WEST_2,
    "qwen.qwen3-32b": _US_WEST_2,
}


def customization_regions(model_id: str) -> tuple[str, ...]:
    return CUSTOMIZATION_REGIONS.get(model_id, ())
