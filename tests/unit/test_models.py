"""The model registry: the identifiers users pass, and the rules each model brings."""

import pytest

from secure_finetune.models import (
    CustomizationType,
    DatasetFormat,
    UnknownModel,
    find_model,
    find_teacher,
    hyperparameter_problems,
    known_models,
    records_bounds,
)
from secure_finetune.reasons import RunRejected
from secure_finetune.settings import ProfileCatalog, StackLimits, resolve_settings


@pytest.mark.parametrize(
    "identifier",
    [
        "meta.llama3-1-8b-instruct-v1:0",
        "meta.llama3-1-8b-instruct-v1:0:128k",
        "arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-1-8b-instruct-v1:0:128k",
    ],
)
def test_a_model_is_found_with_or_without_context_suffix_or_as_an_arn(identifier: str) -> None:
    assert find_model(identifier).name == "Meta Llama 3.1 8B Instruct"


def test_an_unknown_model_is_an_error() -> None:
    with pytest.raises(UnknownModel):
        find_model("acme.super-model-v1:0")


def test_the_registry_covers_every_model_bedrock_customizes_and_cites_its_sources() -> None:
    names = {m.name for m in known_models()}
    for expected in (
        "Meta Llama 3.1 70B Instruct",
        "Meta Llama 3.2 90B Vision Instruct",
        "Meta Llama 3.3 70B Instruct",
        "Amazon Nova Micro",
        "Amazon Nova 2 Lite",
        "Anthropic Claude 3 Haiku",
        "Amazon Titan Text G1 - Lite",
        "Amazon Titan Text Premier",
        "Amazon Nova Canvas",
        "Amazon Titan Multimodal Embeddings G1",
    ):
        assert expected in names
    assert all(model.sources for model in known_models())
    assert all(model.customization_id.startswith(model.model_id) for model in known_models())


def test_formats_follow_the_documented_families() -> None:
    assert find_model("meta.llama3-1-8b-instruct-v1:0").formats[CustomizationType.FINE_TUNING] is DatasetFormat.PROMPT_COMPLETION
    assert find_model("meta.llama3-2-3b-instruct-v1:0").formats[CustomizationType.FINE_TUNING] is DatasetFormat.CONVERSATION
    assert find_model("anthropic.claude-3-haiku-20240307-v1:0").formats[CustomizationType.FINE_TUNING] is DatasetFormat.CLAUDE_MESSAGES
    titan = find_model("amazon.titan-text-express-v1:0:8k")
    assert titan.formats[CustomizationType.CONTINUED_PRE_TRAINING] is DatasetFormat.CONTINUED_PRETRAINING


def test_distillation_has_its_own_record_bound_and_teachers_know_their_turns() -> None:
    nova_lite = find_model("amazon.nova-lite-v1:0")
    assert records_bounds(nova_lite, CustomizationType.DISTILLATION).max_total == 15_000
    assert records_bounds(nova_lite, CustomizationType.FINE_TUNING).max_total == 20_000
    assert find_teacher("amazon.nova-pro-v1:0").multi_turn is True
    assert find_teacher("arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-1-405b-instruct-v1:0").multi_turn is False


@pytest.mark.parametrize(
    ("values", "problems"),
    [
        ({"epochCount": "2", "learningRate": "0.0001", "batchSize": "1"}, []),
        ({"epochCount": "11"}, ["epochCount"]),
        ({"epochCount": "2.5"}, ["epochCount"]),
        ({"learningRate": "fast"}, ["learningRate"]),
        ({"learningRateMultiplier": "1"}, ["learningRateMultiplier"]),
    ],
)
def test_hyperparameters_are_checked_against_the_models_names_and_ranges(values: dict[str, str], problems: list[str]) -> None:
    assert hyperparameter_problems(find_model("meta.llama3-1-8b-instruct-v1:0"), values) == problems


def test_words_such_as_auto_are_accepted_where_documented() -> None:
    assert hyperparameter_problems(find_model("amazon.titan-image-generator-v2:0"), {"stepCount": "auto"}) == []


def profile(**fields: object) -> ProfileCatalog:
    return ProfileCatalog.model_validate({"version": "v", "profiles": {"p": fields}})


def test_a_distillation_profile_needs_a_teacher_that_may_teach_that_student() -> None:
    good = profile(base_model="amazon.nova-lite-v1:0", customization_type="DISTILLATION", teacher_model="amazon.nova-pro-v1:0")
    assert good.profiles["p"].teacher_model == "amazon.nova-pro-v1:0"
    with pytest.raises(ValueError):
        profile(base_model="amazon.nova-pro-v1:0", customization_type="DISTILLATION", teacher_model="amazon.nova-pro-v1:0")
    with pytest.raises(ValueError):
        profile(base_model="amazon.nova-lite-v1:0", customization_type="DISTILLATION", teacher_model="acme.teacher-v1")


def test_a_profile_with_hyperparameters_out_of_range_does_not_load() -> None:
    with pytest.raises(ValueError):
        profile(base_model="amazon.nova-micro-v1:0", hyperparameters={"epochCount": "9"})


def test_a_tag_that_pushes_a_hyperparameter_out_of_range_rejects_the_run() -> None:
    catalog = profile(base_model="meta.llama3-1-8b-instruct-v1:0")
    with pytest.raises(RunRejected) as caught:
        resolve_settings(catalog, "p", {"finetune-epochCount": "50"}, StackLimits())
    assert str(caught.value) == "OVERRIDE_INVALID:finetune-epochCount"
