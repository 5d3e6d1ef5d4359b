"""Titan Image Generator G1 (v1) in the registry: fine-tuning on image-ref + caption records as v2, the G1 family's record,
caption, image and hyperparameter bounds ([UG model-customization-prepare], [UG cm-hp-titan-image]), its region
(custom-model-supported.html: us-east-1) and its lifecycle (not listed on the lifecycle page: ACTIVE, with the check)."""

from __future__ import annotations

import pytest

from secure_finetune.dataset import DatasetRules, FileRole
from secure_finetune.lifecycles import documented_lifecycle, legacy_note
from secure_finetune.model_regions import customization_regions
from secure_finetune.models import CustomizationType, DatasetFormat, find_model, hyperparameter_problems, records_bounds

V1, V2 = "amazon.titan-image-generator-v1", "amazon.titan-image-generator-v2:0"
FT = CustomizationType.FINE_TUNING


@pytest.mark.parametrize("identifier", [V1, f"{V1}:0", f"arn:aws:bedrock:us-east-1::foundation-model/{V1}:0"])
def test_v1_is_found_under_the_ids_users_pass(identifier: str) -> None:
    model = find_model(identifier)
    assert model.model_id == V1 and model.customization_id == f"{V1}:0" and model.name == "Amazon Titan Image Generator G1"


def test_v1_fine_tunes_on_image_and_caption_records_with_the_g1_bounds() -> None:
    v1, v2 = find_model(V1), find_model(V2)
    assert v1.formats == {FT: DatasetFormat.IMAGE_CAPTION}
    assert records_bounds(v1, FT).min_total == 5 and records_bounds(v1, FT).max_training == 10_000
    assert (v1.min_text_chars, v1.max_text_chars, v1.validation_allowed) == (3, 1_024, False)
    assert v1.media == v2.media and v1.media is not None and v1.media.max_image_bytes == 50_000_000
    rules = DatasetRules.for_run(v1, FT, FileRole.TRAINING, "bucket")
    assert rules.format is DatasetFormat.IMAGE_CAPTION and rules.model_name == "Amazon Titan Image Generator G1"


@pytest.mark.parametrize(
    ("values", "problems"),
    [
        ({"stepCount": "auto", "batchSize": "8", "learningRate": "0.00001"}, []),
        ({"stepCount": "40000", "batchSize": "192"}, []),
        ({"stepCount": "40001"}, ["stepCount"]),
        ({"batchSize": "4"}, ["batchSize"]),
        ({"epochCount": "2"}, ["epochCount"]),  # not a Titan Image Generator G1 hyperparameter
    ],
)
def test_v1_takes_the_g1_hyperparameters(values: dict[str, str], problems: list[str]) -> None:
    assert hyperparameter_problems(find_model(V1), values) == problems


def test_v1_is_customized_in_us_east_1_and_its_lifecycle_is_recorded_as_the_page_leaves_it() -> None:
    assert customization_regions(V1) == ("us-east-1",)
    lifecycle = documented_lifecycle(V1)
    assert lifecycle is not None and lifecycle.status == "ACTIVE" and "not listed on the lifecycle page" in lifecycle.source
    assert legacy_note(V1, "us-east-1") is None
