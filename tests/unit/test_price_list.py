"""The Price List adapter against real-shaped GetProducts answers (botocore Stubber, pricing service model).

The usage types and units are shaped as published answers quote them; the amounts are test data, not prices."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from secure_finetune.adapters import price_list
from secure_finetune.adapters.price_list import PRICE_LIST_ENDPOINT, PriceList, figures_from, per_unit
from secure_finetune.pricing import aws_url

pytestmark = pytest.mark.usefixtures("offline_aws")


def _product(usagetype: str, usd: str, unit: str, dates: dict[str, str] | None = None) -> str:
    """One PriceList item as GetProducts returns it (a JSON document in a string)."""
    sku = "ABCDEFGH12345678"
    stamps = {"publicationDate": "2026-09-01T20:50:51Z", "effectiveDate": "2026-09-01T00:00:00Z"} if dates is None else dates
    term: dict[str, Any] = {
        "priceDimensions": {
            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                "unit": unit,
                "endRange": "Inf",
                "description": usagetype,
                "beginRange": "0",
                "pricePerUnit": {"USD": usd},
            }
        },
        "sku": sku,
        "offerTermCode": "JRTCKXETXF",
        "termAttributes": {},
    }
    if "effectiveDate" in stamps:
        term["effectiveDate"] = stamps["effectiveDate"]
    item: dict[str, Any] = {
        "product": {
            "productFamily": "Amazon Bedrock",
            "attributes": {
                "usagetype": usagetype,
                "regionCode": "us-east-1",
                "servicecode": "AmazonBedrock",
                "location": "US East (N. Virginia)",
            },
            "sku": sku,
        },
        "serviceCode": "AmazonBedrock",
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": term}},
        "version": "20260901205051",
    }
    if "publicationDate" in stamps:
        item["publicationDate"] = stamps["publicationDate"]
    return json.dumps(item)


NOVA2 = [
    _product("USE1-Nova2.0Lite-Customization-Training", "0.0040000000", "1K tokens"),
    _product("USE1-Nova2.0Lite-Customization-Storage", "2.0000000000", "Model-Month"),
    _product("USE1-Nova2.0Lite-ProvisionedThroughput-NoCommit-ModelUnits", "50.0000000000", "Hours"),
    _product("USE1-Nova2.0Lite-input-tokens", "0.0003000000", "1K tokens"),  # inference: not ours
]


@pytest.fixture
def stub() -> Iterator[Stubber]:
    price_list.pricing_client.cache_clear()
    with Stubber(price_list.pricing_client()) as stubber:
        yield stubber
    price_list.pricing_client.cache_clear()


def _expect(stub: Stubber, pages: list[dict[str, Any]], stem: str, region: str = "us-east-1") -> None:
    filters = [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "CONTAINS", "Field": "usagetype", "Value": stem},
    ]
    for number, page in enumerate(pages):
        params: dict[str, Any] = {"ServiceCode": "AmazonBedrock", "Filters": filters, "FormatVersion": "aws_v1"}
        if number:
            params["NextToken"] = f"t{number}"
        stub.add_response("get_products", page, params)


def test_the_three_customization_figures_are_read_across_pages_with_their_usage_type_as_source(stub: Stubber) -> None:
    _expect(
        stub,
        [{"FormatVersion": "aws_v1", "PriceList": NOVA2[:2], "NextToken": "t1"}, {"FormatVersion": "aws_v1", "PriceList": NOVA2[2:]}],
        "Nova2.0Lite",
    )
    price = PriceList().price("amazon.nova-2-lite-v1:0", "us-east-1")
    stub.assert_no_pending_responses()
    assert price is not None
    assert (price.training_per_1k_tokens, price.storage_per_month, price.throughput_per_unit_hour) == (0.004, 2.0, 50.0)
    assert price.throughput is not None and "USE1-Nova2.0Lite-ProvisionedThroughput-NoCommit-ModelUnits" in price.throughput.source
    assert price.throughput.as_of == "2026-09-01" and price.throughput.url == PRICE_LIST_ENDPOINT == aws_url(PRICE_LIST_ENDPOINT)
    assert price.throughput.cited().endswith(f"(unit: Hours), {PRICE_LIST_ENDPOINT} (2026-09-01)")


def test_a_token_price_per_million_is_scaled_and_an_unknown_unit_yields_no_figure() -> None:
    assert per_unit("training_per_1k_tokens", "1M tokens", 4.0) == 0.004
    assert per_unit("training_per_1k_tokens", "1K tokens", 0.004) == 0.004
    assert per_unit("training_per_1k_tokens", "tokens", 0.000004) is None  # per token or per what: not a guess
    assert per_unit("throughput_per_unit_hour", "Hrs", 50.0) == 50.0 and per_unit("throughput_per_unit_hour", "Units", 50.0) is None
    assert per_unit("storage_per_month", "Model-Month", 2.0) == 2.0 and per_unit("storage_per_month", "Hours", 2.0) is None
    items = [json.loads(_product("USE1-Nova2.0Lite-Customization-Storage", "2.0", "Hours"))]
    assert figures_from(items, "Nova2.0Lite") == {}


def test_an_undated_answer_is_dated_the_day_it_was_read_never_undated() -> None:
    undated = [json.loads(_product("USE1-Nova2.0Lite-Customization-Storage", "2.0", "Model-Month", dates={}))]
    assert figures_from(undated, "Nova2.0Lite", read_on="2026-12-03")["storage_per_month"].as_of == "2026-12-03"
    effective = {"publicationDate": "not a date", "effectiveDate": "2026-10-01T00:00:00Z"}
    dated = [json.loads(_product("USE1-Nova2.0Lite-Customization-Storage", "2.0", "Model-Month", dates=effective))]
    assert figures_from(dated, "Nova2.0Lite", read_on="2026-12-03")["storage_per_month"].as_of == "2026-10-01"


def test_a_stem_does_not_match_a_longer_model_name() -> None:
    # "NovaLite" must not take Nova 2 Lite's rows, nor "Nova2.0Lite" a "Nova2.0LiteX" row
    assert figures_from([json.loads(item) for item in NOVA2], "NovaLite") == {}
    assert figures_from([json.loads(_product("USE1-Nova2.0LiteX-Customization-Storage", "9", "Model-Month"))], "Nova2.0Lite") == {}


def test_a_model_without_a_usage_type_stem_is_not_queried(stub: Stubber) -> None:
    assert "amazon.titan-text-express-v1" not in price_list.USAGE_STEMS
    assert PriceList().price("amazon.titan-text-express-v1", "us-west-2") is None  # no call was stubbed: none was made


def test_a_stem_the_price_list_does_not_know_yields_no_figure(stub: Stubber) -> None:
    _expect(stub, [{"FormatVersion": "aws_v1", "PriceList": []}], "Llama3-1-8B", region="us-west-2")
    assert PriceList().price("meta.llama3-1-8b-instruct-v1:0", "us-west-2") is None


def test_access_denied_reads_as_no_answer_not_as_a_price(stub: Stubber) -> None:
    stub.add_client_error("get_products", "AccessDeniedException", "no", 400)
    assert PriceList().price("amazon.nova-2-lite-v1:0", "us-east-1") is None


def test_the_request_is_valid_against_botocores_pricing_model() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("pricing")
    assert "CONTAINS" in model.shape_for("FilterType").enum and "TERM_MATCH" in model.shape_for("FilterType").enum
    assert set(model.operation_model("GetProducts").input_shape.members) >= {"ServiceCode", "Filters", "FormatVersion", "NextToken"}


# ---------------------------------------------------------------- filling the snapshot (finetune prices)


def _saved_answer(tmp_path: Path, *items: str) -> Path:
    """As ``aws pricing get-products --service-code AmazonBedrock ...`` writes it."""
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"FormatVersion": "aws_v1", "PriceList": list(items)}))
    return path


def test_the_snapshot_entries_carry_each_figure_with_its_usage_type_endpoint_and_date() -> None:
    other_region = json.loads(_product("USW2-NovaMicro-Customization-Storage", "3.0", "Model-Month").replace("us-east-1", "us-west-2"))
    entries = price_list.snapshot_entries([*(json.loads(item) for item in NOVA2), other_region], "us-east-1")
    assert list(entries) == ["amazon.nova-2-lite-v1:0"]  # Nova Micro's figure is another region's: no entry here
    entry = entries["amazon.nova-2-lite-v1:0"]
    assert entry["region"] == "us-east-1" and entry["throughput_per_unit_hour"]["usd"] == 50.0
    assert entry["storage_per_month"]["source_url"] == PRICE_LIST_ENDPOINT and entry["storage_per_month"]["as_of"] == "2026-09-01"
    assert "USE1-Nova2.0Lite-Customization-Storage (unit: Model-Month)" in entry["storage_per_month"]["wording"]


def test_finetune_prices_writes_only_with_write_and_the_loader_reads_what_it_wrote(tmp_path: Path) -> None:
    from finetune_cli.main import main
    from secure_finetune.pricing import SNAPSHOT, snapshot_prices

    snapshot = tmp_path / "price_snapshot.json"
    snapshot.write_text(SNAPSHOT.read_text())
    answers = _saved_answer(tmp_path, *NOVA2)
    before = snapshot.read_text()
    assert main(["prices", "--from-file", str(answers), "--snapshot", str(snapshot)]) == 0
    assert snapshot.read_text() == before  # a dry run
    assert main(["prices", "--from-file", str(answers), "--snapshot", str(snapshot), "--write"]) == 0
    written = snapshot_prices(snapshot)["amazon.nova-2-lite-v1:0"]
    assert (written.training_per_1k_tokens, written.storage_per_month, written.throughput_per_unit_hour) == (0.004, 2.0, 50.0)
    assert written.throughput is not None and written.throughput.cited().endswith(f"{PRICE_LIST_ENDPOINT} (2026-09-01)")


def test_an_answer_without_a_figure_changes_nothing_and_a_file_that_is_no_answer_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from finetune_cli.main import main
    from secure_finetune.pricing import SNAPSHOT

    snapshot = tmp_path / "price_snapshot.json"
    snapshot.write_text(SNAPSHOT.read_text())
    inference_only = _saved_answer(tmp_path, NOVA2[3])  # an on-demand token price: not a customization figure
    assert main(["prices", "--from-file", str(inference_only), "--snapshot", str(snapshot), "--write"]) == 1
    assert snapshot.read_text() == SNAPSHOT.read_text()
    (tmp_path / "page.html").write_text("<html>pricing</html>")
    assert main(["prices", "--from-file", str(tmp_path / "page.html"), "--snapshot", str(snapshot)]) == 2
    assert "not a saved `aws pricing get-products` answer" in capsys.readouterr().err


def test_a_refresh_keeps_a_models_other_figures_and_skips_an_amount_that_is_no_number() -> None:
    from secure_finetune.pricing import SNAPSHOT, refreshed_snapshot

    page = "https://aws.amazon.com/bedrock/pricing/"
    hand_read = {"usd": 60.5, "wording": "per hour, no commitment", "source_url": page, "as_of": "2026-12-01"}
    document = json.loads(SNAPSHOT.read_text())
    document["prices"] = {"amazon.nova-2-lite-v1:0": {"region": "us-east-1", "throughput_per_unit_hour": hand_read}}
    storage_only = [json.loads(NOVA2[1]), json.loads(_product("USE1-Nova2.0Lite-Customization-Training", "n/a", "1K tokens"))]
    entries = price_list.snapshot_entries(storage_only, "us-east-1")
    assert set(entries["amazon.nova-2-lite-v1:0"]) == {"region", "storage_per_month"}  # "n/a" is no training figure
    merged = refreshed_snapshot(document, entries, "2026-12-03")["prices"]["amazon.nova-2-lite-v1:0"]
    assert merged["throughput_per_unit_hour"] == hand_read and merged["storage_per_month"]["usd"] == 2.0
    # another region's answer replaces the entry: figures of two regions never mix in one
    west = {"amazon.nova-2-lite-v1:0": {**entries["amazon.nova-2-lite-v1:0"], "region": "us-west-2"}}
    replaced = refreshed_snapshot(document, west, "2026-12-03")["prices"]["amazon.nova-2-lite-v1:0"]
    assert replaced["region"] == "us-west-2" and "throughput_per_unit_hour" not in replaced
