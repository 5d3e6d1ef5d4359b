"""The AWS Price List (``pricing:GetProducts``): Bedrock's customization prices as AWS publishes them.

What AWS documents and this adapter relies on:
* GetProducts takes ``ServiceCode``, ``Filters`` (``Type`` one of TERM_MATCH, EQUALS, CONTAINS, ANY_OF, NONE_OF;
  ``Field`` "ServiceCode, and all attribute names"), ``FormatVersion`` ``aws_v1`` and ``NextToken`` (the pricing
  service model botocore ships, 2017-10-15; test_price_list checks the request against it). Older CLI pages
  (awscli 2.0-2.9 reference/pricing/get-products.html) list TERM_MATCH only: CONTAINS is newer, and an endpoint
  that refuses it answers with an error, which reads as "no answer" here, never as a price.
* The Price List API answers from https://api.pricing.us-east-1.amazonaws.com (also eu-central-1, ap-south-1:
  https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-ppslong.html), so the client is pinned to
  us-east-1 whatever the run's region.
* Each ``PriceList`` item is a JSON document shaped like a price list file's product and terms: ``product``
  (``productFamily``, ``attributes``), ``terms`` -> term type -> ``<sku>.<offerTermCode>`` -> ``effectiveDate``, and
  ``publicationDate`` (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-services.html;
  the part of that page we could read stops there: ``priceDimensions`` -> ``unit``, ``pricePerUnit.USD`` is the
  aws_v1 shape as answers show it, not a sentence we read).
* ``regionCode`` is the Price List's Region key (service Region index file, same guide), and "the available
  RegionCode list can be retrieved from GetAttributeValues" (API reference, ListPriceLists): an attribute name.

What no AWS page we could read confirms (say so, do not lean on it): the service code ``AmazonBedrock`` for the
customization products (third-party code uses it, and ``AmazonBedrockFoundationModels`` for some third-party
models), the attribute name ``usagetype`` in that service, and the usage types
``<REG>-<Model>-Customization-Training`` / ``-Customization-Storage`` / ``-ProvisionedThroughput-NoCommit-ModelUnits``
with their stems below (seen only in third-party copies of Price List answers). They are only the question we ask:
a wrong service code, attribute or stem matches nothing and yields no figure; a unit we do not recognise yields no
figure rather than a mis-scaled one. Every figure returned is AWS's own answer, named by its usage type, unit,
endpoint and publication date. ``aws pricing describe-services --service-code AmazonBedrock --region us-east-1``
lists the service's real attribute names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError

from ..pricing import Figure, Kind, Price, UnsourcedFigure, iso_date
from ..service_errors import ServiceError
from .errors import translating

SERVICE_CODE = "AmazonBedrock"
PRICE_LIST_REGION = "us-east-1"
PRICE_LIST_ENDPOINT = f"https://api.pricing.{PRICE_LIST_REGION}.amazonaws.com"  # the source URL of every live figure
_SUFFIXES: dict[str, Kind] = {
    "-Customization-Training": "training_per_1k_tokens",
    "-Customization-Storage": "storage_per_month",
    "-ProvisionedThroughput-NoCommit-ModelUnits": "throughput_per_unit_hour",
}
# Usage-type stems (unconfirmed by any AWS page, see above): as third-party copies of Price List answers quote them
# (Nova2.0Lite, NovaLite, NovaMicro, NovaCanvas, Llama3-1-70B, Llama3-3-70B, TitanImageGeneratorG1, Qwen3-32B), the
# others patterned on those. A stem that matches nothing yields no figure. (One such copy prices Nova 2 Lite's
# reinforcement fine-tuning as "RFT-Training-Hours": RFT training is never priced per token here, steps/validate.py.)
USAGE_STEMS: dict[str, str] = {
    "amazon.nova-2-lite-v1:0": "Nova2.0Lite",
    "amazon.nova-lite-v1:0": "NovaLite",
    "amazon.nova-micro-v1:0": "NovaMicro",
    "amazon.nova-pro-v1:0": "NovaPro",  # patterned
    "amazon.nova-canvas-v1:0": "NovaCanvas",
    "amazon.titan-image-generator-v1": "TitanImageGeneratorG1",
    "meta.llama3-1-70b-instruct-v1:0": "Llama3-1-70B",
    "meta.llama3-1-8b-instruct-v1:0": "Llama3-1-8B",  # patterned on Llama3-1-70B
    "meta.llama3-3-70b-instruct-v1:0": "Llama3-3-70B",
    "qwen.qwen3-32b": "Qwen3-32B",
}


@cache
def pricing_client() -> Any:
    """The Price List endpoint in us-east-1, whatever region the run is in."""
    made = boto3.client("pricing", region_name=PRICE_LIST_REGION)
    made._make_api_call = translating(made._make_api_call)
    return made


def _items(region: str, stem: str) -> Iterator[dict[str, Any]]:
    pricing = pricing_client()
    filters = [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "CONTAINS", "Field": "usagetype", "Value": stem},
    ]
    token: dict[str, str] = {}
    while True:
        page = pricing.get_products(ServiceCode=SERVICE_CODE, Filters=filters, FormatVersion="aws_v1", **token)
        for text in page.get("PriceList", []):
            yield json.loads(text)
        if not page.get("NextToken"):
            return
        token = {"NextToken": page["NextToken"]}


def per_unit(kind: Kind, unit: str, amount: float) -> float | None:
    """``amount`` in the unit the kind is priced in (training per 1,000 tokens, storage per month, throughput per
    hour), or None when the dimension's unit says something else: no figure beats a mis-scaled one."""
    text = unit.lower().replace(" ", "")
    if kind == "training_per_1k_tokens":
        if "token" not in text:
            return None
        if text.startswith(("1k", "1,000", "1000", "thousand")):
            return amount
        if text.startswith(("1m", "1,000,000", "1000000", "million")):
            return amount / 1000
        return None
    wanted = ("hour", "hrs") if kind == "throughput_per_unit_hour" else ("month",)
    return amount if any(word in text for word in wanted) else None


def _published(item: dict[str, Any], term: dict[str, Any], read_on: str) -> str:
    """The answer's publication date (else the term's effective date) as YYYY-MM-DD, else the day it was read."""
    for stamp in (item.get("publicationDate"), term.get("effectiveDate")):
        try:
            return iso_date(str(stamp or "")[:10])
        except UnsourcedFigure:
            continue
    return read_on


def figures_from(items: list[dict[str, Any]], stem: str, read_on: str | None = None) -> dict[Kind, Figure]:
    """The no-commitment on-demand figure of each kind whose usage type ends ``<stem><suffix>``."""
    today = read_on or datetime.now(UTC).date().isoformat()
    found: dict[Kind, Figure] = {}
    for item in items:
        attributes = item.get("product", {}).get("attributes", {})
        usagetype = str(attributes.get("usagetype", ""))
        kind = next(
            (k for suffix, k in _SUFFIXES.items() if usagetype.endswith(f"{stem}{suffix}") and f"-{stem}-" in f"-{usagetype}"), None
        )
        if kind is None:
            continue
        for term in item.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                unit = str(dimension.get("unit", ""))
                try:
                    amount = per_unit(kind, unit, float(dimension.get("pricePerUnit", {}).get("USD", "0")))
                except (TypeError, ValueError):  # not a number: no figure rather than a guess
                    continue
                if amount is not None and amount > 0:
                    source = f"AWS Price List GetProducts {SERVICE_CODE} usagetype {usagetype} (unit: {unit})"
                    found[kind] = Figure(usd=amount, source=source, as_of=_published(item, term, today), url=PRICE_LIST_ENDPOINT)
    return found


class PriceList:
    """Reads one model's figures from the Price List; ``None`` when the model has no usage-type stem, the service
    cannot be read, or nothing matched (the caller keeps the snapshot's figures, or says "no public price")."""

    def price(self, model_id: str, region: str) -> Price | None:
        stem = USAGE_STEMS.get(model_id)
        if stem is None:
            return None
        try:
            found = figures_from(list(_items(region, stem)), stem)
        except (ServiceError, BotoCoreError, ValueError):  # unreadable: the snapshot stands
            return None
        if not found:
            return None
        return Price(
            region=region,
            training=found.get("training_per_1k_tokens"),
            storage=found.get("storage_per_month"),
            throughput=found.get("throughput_per_unit_hour"),
        )


def snapshot_entries(items: list[dict[str, Any]], region: str, read_on: str | None = None) -> dict[str, dict[str, Any]]:
    """The snapshot's ``prices`` entries (pricing.py's shape) that the Price List answer ``items`` holds for ``region``:
    one per registry model with a usage-type stem and at least one figure, each figure named by its usage type and
    unit, the Price List endpoint and the answer's publication date. A model the answer has nothing for gets no entry
    (no public price), never a sibling's figure."""
    here = [item for item in items if item.get("product", {}).get("attributes", {}).get("regionCode", region) == region]
    entries: dict[str, dict[str, Any]] = {}
    for model_id, stem in USAGE_STEMS.items():
        found = figures_from(here, stem, read_on)
        if found:
            entry: dict[str, Any] = {"region": region}
            for kind, f in found.items():
                entry[kind] = {"usd": f.usd, "wording": f.source, "source_url": f.url, "as_of": f.as_of}
            entries[model_id] = entry
    return entries


def read_answers(region: str) -> list[dict[str, Any]]:
    """Every GetProducts item of the registry's usage-type stems in ``region`` (AWS credentials: pricing:GetProducts)."""
    return [item for stem in dict.fromkeys(USAGE_STEMS.values()) for item in _items(region, stem)]
