"""Run settings: profile by prefix, allow-listed tag overrides, stack limits win."""

from pathlib import Path

import pytest

from secure_finetune.reasons import ReasonCode, RunRejected
from secure_finetune.settings import ProfileCatalog, StackLimits, load_catalog, resolve_settings

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ProfileCatalog.model_validate(
    {
        "version": "t1",
        "profiles": {
            "default": {"base_model": "meta.llama3-1-8b-instruct-v1:0:128k", "hyperparameters": {"epochCount": "2"}, "model_units": 1},
            "big": {"base_model": "meta.llama3-1-70b-instruct-v1:0", "model_units": 3, "ttl_hours": 48},
        },
    }
)
LIMITS = StackLimits(max_model_units=2, max_ttl_hours=24)


def rejected(profile: str | None, tags: dict[str, str], limits: StackLimits = LIMITS) -> str:
    with pytest.raises(RunRejected) as caught:
        resolve_settings(CATALOG, profile, tags, limits)
    return str(caught.value)


def test_unknown_profile_is_rejected_with_its_name() -> None:
    assert rejected("nope", {}) == "UNKNOWN_PROFILE:nope"


def test_profile_name_in_the_reason_is_reduced_to_a_safe_alphabet() -> None:
    assert rejected("a b/é", {}) == "UNKNOWN_PROFILE:a_b__"


def test_a_finetune_tag_outside_the_allow_list_is_rejected() -> None:
    assert rejected(None, {"finetune-approval": "false"}) == "OVERRIDE_NOT_ALLOWED:finetune-approval"


@pytest.mark.parametrize(("tag", "value"), [("finetune-epochCount", "-1"), ("finetune-model-units", "two"), ("finetune-ttl-hours", "-3")])
def test_an_allowed_tag_with_a_bad_value_is_rejected(tag: str, value: str) -> None:
    assert rejected(None, {tag: value}) == f"OVERRIDE_INVALID:{tag}"


def test_more_model_units_than_the_stack_cap_is_rejected() -> None:
    assert rejected("big", {}) == "THROUGHPUT_CAP_EXCEEDED:3-over-2"
    assert rejected(None, {"finetune-model-units": "5"}).startswith(ReasonCode.THROUGHPUT_CAP_EXCEEDED.value)


def test_allowed_tags_override_and_other_tags_are_ignored() -> None:
    settings = resolve_settings(CATALOG, None, {"finetune-epochCount": "4", "team": "x", "finetune-ttl-hours": "2"}, LIMITS)
    assert settings.hyperparameters == {"epochCount": "4"}
    assert settings.ttl_hours == 2
    assert settings.overrides == ("finetune-epochCount", "finetune-ttl-hours")
    assert (settings.profile, settings.profiles_version) == ("default", "t1")


def test_time_to_live_is_clamped_to_the_stack_maximum() -> None:
    settings = resolve_settings(CATALOG, "big", {}, StackLimits(max_model_units=3, max_ttl_hours=24))
    assert settings.ttl_hours == 24


def test_a_profile_must_name_a_known_model_and_a_type_it_supports() -> None:
    with pytest.raises(ValueError):
        ProfileCatalog.model_validate({"version": "x", "profiles": {"p": {"base_model": "acme.unknown"}}})
    with pytest.raises(ValueError):
        ProfileCatalog.model_validate(
            {
                "version": "x",
                "profiles": {"p": {"base_model": "meta.llama3-1-8b-instruct-v1:0", "customization_type": "CONTINUED_PRE_TRAINING"}},
            }
        )


def test_the_deployed_profiles_file_is_valid_and_has_a_default() -> None:
    catalog = load_catalog(ROOT / "config" / "profiles.toml")
    assert "default" in catalog.profiles
    assert catalog.version


def test_distillation_invalid_prompts_defaults_to_drop_and_takes_reject_only() -> None:
    base = {"base_model": "amazon.nova-lite-v1:0", "customization_type": "DISTILLATION", "teacher_model": "amazon.nova-pro-v1:0"}
    catalog = ProfileCatalog.model_validate({"version": "v", "profiles": {"default": base}})
    assert resolve_settings(catalog, None, {}, LIMITS).distillation_invalid_prompts == "drop"
    strict = ProfileCatalog.model_validate({"version": "v", "profiles": {"default": {**base, "distillation_invalid_prompts": "reject"}}})
    assert resolve_settings(strict, None, {}, LIMITS).distillation_invalid_prompts == "reject"
    with pytest.raises(ValueError, match="distillation_invalid_prompts"):
        ProfileCatalog.model_validate({"version": "v", "profiles": {"default": {**base, "distillation_invalid_prompts": "ignore"}}})


@pytest.mark.parametrize(
    ("asked", "cap", "given"),
    [
        ("0", 24, 24),  # "keep" under a cap: the cap, never "no teardown"
        ("1000", 24, 24),
        ("2", 24, 2),
        ("0", 0, 0),  # MaxTtlHours = 0: no cap, keep until torn down by hand
        ("1000", 0, 1000),
    ],
)
def test_an_uploaders_tag_cannot_switch_the_time_to_live_off_under_a_cap(asked: str, cap: float, given: float) -> None:
    settings = resolve_settings(CATALOG, None, {"finetune-ttl-hours": asked}, StackLimits(max_model_units=2, max_ttl_hours=cap))
    assert settings.ttl_hours == given


@pytest.mark.parametrize("value", ["nan", "inf", "-0.5"])
def test_a_ttl_tag_that_is_no_number_of_hours_is_refused(value: str) -> None:
    with pytest.raises(RunRejected, match="OVERRIDE_INVALID"):
        resolve_settings(CATALOG, None, {"finetune-ttl-hours": value}, LIMITS)
