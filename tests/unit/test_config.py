"""Per-function settings: each handler's Env is validated at cold start from its own variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from secure_finetune.config import BucketSettings, NotifySettings, PriceSettings, StackConfig, TableSettings
from secure_finetune.wiring import Dependencies, MissingSettings
from tests.unit.fakes import STACK_ENVIRONMENT


class NotifyAndPrice(NotifySettings, PriceSettings):
    """Two sections whose validators both turn a blank parameter into None."""


def test_blank_optional_parameters_read_as_unset_in_a_combined_env() -> None:
    env = NotifyAndPrice.model_validate({**STACK_ENVIRONMENT, "SLACK_WEBHOOK_SECRET_ARN": "", "THROUGHPUT_PRICE_PER_UNIT_HOUR": ""})
    assert env.slack_webhook_secret_arn is None
    assert env.throughput_price_per_unit_hour is None


def test_a_missing_required_variable_fails_at_cold_start_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in STACK_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATA_KEY_ARN")
    with pytest.raises(ValidationError, match="DATA_KEY_ARN"):
        BucketSettings.from_environ()


def test_a_step_asking_for_a_section_its_handler_does_not_declare_gets_a_clear_error() -> None:
    deps = Dependencies(TableSettings.model_validate(STACK_ENVIRONMENT))
    assert deps.settings(TableSettings).table == "runs"
    with pytest.raises(MissingSettings, match="BucketSettings"):
        deps.settings(BucketSettings)


def test_a_section_lists_exactly_the_variables_it_reads() -> None:
    assert BucketSettings.variables() == {"EXPECTED_ACCOUNT", "AWS_REGION", "DATA_BUCKET", "DATA_KEY_ARN"}
    assert BucketSettings.required_variables() == {"EXPECTED_ACCOUNT", "AWS_REGION", "DATA_BUCKET", "DATA_KEY_ARN"}
    assert StackConfig.required_variables() <= set(STACK_ENVIRONMENT)
