"""The AWS Price List (``pricing:GetProducts``): Bedrock's customization prices as AWS publishes them.

Service code ``AmazonBedrock``; products filtered by the offer attributes ``regionCode`` and ``usagetype``
(https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html; the API
answers from us-east-1 among a few regions, so the client is pinned there whatever the run's region:
https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-price-list-query-api.html). Each
``PriceList`` item is a JSON document: ``product.attributes`` (``usagetype``, ``regionCode``), ``terms.OnDemand``
-> ``priceDimensions`` -> ``pricePerUnit.USD`` (text), ``publicationDate``. Usage types seen in published answers:
``<REG>-<Model>-Customization-Training`` (per 1,000 tokens), ``-Customization-Storage`` (per model-month),
``-ProvisionedThroughput-NoCommit-ModelUnits`` (per model unit-hour). A model whose usage-type stem we cannot
cite is not queried: the snapshot (pricing.py) or "no public price" stands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError

from ..pricing import Figure, Kind, Price
from ..service_errors import ServiceError
from .errors import translating

SERVICE_CODE = "AmazonBedrock"
PRICE_LIST_REGION = "us-east-1"
_SUFFIXES: dict[str, Kind] = {
    "-Customization-Training": "training_per_1k_tokens",
    "-Customization-Storage": "storage_per_month",
    "-ProvisionedThroughput-NoCommit-ModelUnits": "throughput_per_unit_hour",
}
# Usage-type stems. Cited: Nova2.0Lite, NovaLite, Llama3-1-70B (published answers quoted in price_snapshot.json).
# Patterned on those (unconfirmed): a stem that matches nothing yields no figure, never a made-up one: every figure
# returned is AWS's own, named by its usage type. Other models are not queried.
USAGE_STEMS: dict[str, str] = {
    "amazon.nova-2-lite-v1:0": "Nova2.0Lite",
    "amazon.nova-lite-v1:0": "NovaLite",
    "amazon.nova-micro-v1:0": "NovaMicro",  # patterned
    "amazon.nova-pro-v1:0": "NovaPro",  # patterned
    "meta.llama3-1-70b-instruct-v1:0": "Llama3-1-70B",
    "meta.llama3-1-8b-instruct-v1:0": "Llama3-1-8B",  # patterned on Llama3-1-70B
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


def figures_from(items: list[dict[str, Any]], stem: str) -> dict[Kind, Figure]:
    """The no-commitment on-demand figure of each kind whose usage type ends ``<stem><suffix>``."""
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
                amount = float(dimension.get("pricePerUnit", {}).get("USD", "0"))
                if amount > 0:
                    published = str(item.get("publicationDate") or term.get("effectiveDate") or "")
                    source = f"AWS Price List GetProducts {SERVICE_CODE} usagetype {usagetype} ({dimension.get('unit', '')})"
                    found[kind] = Figure(usd=amount, source=source, as_of=published[:10] or "undated")
    return found


class PriceList:
    """Reads one model's figures from the Price List; ``None`` when the model has no cited usage-type stem or the
    service cannot be read (the caller keeps the snapshot's figures and says so)."""

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
