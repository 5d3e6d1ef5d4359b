from secure_finetune.models import known_models
from secure_finetune.pricing import PRICES, training_cost


def test_training_cost_is_tokens_times_epochs_times_the_price_per_thousand():
    assert training_cost("meta.llama3-1-8b-instruct-v1:0", 1_000_000, 2) == round(1000 * 2 * 0.00149, 4)


def test_a_model_without_a_sourced_price_has_no_estimate_rather_than_a_guess():
    assert training_cost("anthropic.claude-3-haiku-20240307-v1:0", 1_000_000, 2) is None


def test_every_price_names_a_registry_model_a_source_and_a_date():
    ids = {m.model_id for m in known_models()}
    for model_id, price in PRICES.items():
        assert model_id in ids
        assert price.source and price.as_of and price.region
