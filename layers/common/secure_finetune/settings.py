"""Run settings = stack defaults + the profile named by the landing prefix + allow-listed tags.

Contract
    * Profiles live in one versioned file, ``config/profiles.toml``, deployed with the
      stack as its own Lambda layer (``/opt/profiles.toml``). Its ``version`` is recorded
      on every run, so a run can always be traced to the settings it used.
    * ``incoming/<profile>/x.jsonl`` uses ``[profiles.<profile>]``; a file directly under
      ``incoming/`` uses ``[profiles.default]``. A name with no profile -> ``UNKNOWN_PROFILE``.
    * Per-object overrides come only from object tags whose key starts with
      ``finetune-`` and is in :data:`ALLOWED_TAG_OVERRIDES`; any other ``finetune-`` tag is
      ``OVERRIDE_NOT_ALLOWED`` (a typo must not silently train with the wrong settings);
      a bad value is ``OVERRIDE_INVALID``. Tags without the prefix are not ours and ignored.
      Security-relevant settings (approval, owners, base model) cannot be overridden.
    * Stack limits win: ``model_units`` never exceeds the stack's cap and ``ttl_hours``
      never exceeds the stack's maximum.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .evaluation.config import EvaluationProfile, evaluation_setting
from .models import CustomizationType, InvalidPrompts, UnknownModel, find_model, find_teacher, hyperparameter_problems
from .reasons import Reason, ReasonCode, RunRejected

DEFAULT_PROFILE = "default"
TAG_PREFIX = "finetune-"


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid", defer_build=True)


class Owners(_Model):
    emails: tuple[str, ...] = ()
    slack_channel: str | None = None  # informational; the webhook URL is a stack secret


DeploymentMode = Literal["auto", "provisioned-throughput", "on-demand", "none"]


class SensitiveDataPolicy(_Model):
    secrets: Annotated[str, Field(pattern="^(block|warn)$")] = "block"
    pii: Annotated[str, Field(pattern="^(block|warn)$")] = "warn"


class MetricsGate(_Model):
    """What the training curve must show before any throughput is bought."""

    max_final_training_loss: Annotated[float, Field(gt=0)] | None = None
    max_final_validation_loss: Annotated[float, Field(gt=0)] | None = None  # needs a validation set
    require_loss_decrease: bool = True  # final loss below the first step's


class Profile(_Model):
    base_model: str
    customization_type: CustomizationType = CustomizationType.FINE_TUNING
    hyperparameters: dict[str, str] = Field(default_factory=dict)
    teacher_model: str | None = None  # distillation only
    max_response_length: int | None = None  # distillation only
    owners: Owners = Owners()
    approval_required: bool = False
    model_units: Annotated[int, Field(ge=1)] = 1
    ttl_hours: Annotated[float, Field(ge=0)] = 4  # 0 = keep until torn down by hand
    smoke_test_prompts: tuple[str, ...] = ()
    # How the trained model is served: "auto" = provisioned throughput where the base model
    # offers it, else on-demand deployment; "none" = train only.
    deployment: DeploymentMode = "auto"
    keep_on_smoke_failure: bool = False  # False: a failed smoke test deletes what was bought
    sensitive_data: SensitiveDataPolicy = SensitiveDataPolicy()
    # Without an x.validation.jsonl, carve this fraction of the records into a validation set.
    validation_split: Annotated[float, Field(ge=0, le=0.5)] = 0
    metrics_gate: MetricsGate = MetricsGate()
    # Distillation only: prompts that do not conform to the format are dropped, each with a warning,
    # and only valid prompts count toward the minimum, as Bedrock does ("drop"); "reject" rejects the
    # file for any one of them. Source: AWS's distillation validator ("Invalid prompts that do not
    # conform to the format will be dropped"), aws-samples/amazon-bedrock-samples
    # custom-models/model_distillation/dataset-validation; [UG distillation-data-prep-option-1].
    distillation_invalid_prompts: InvalidPrompts = "drop"
    # Base vs custom on held-out prompts after the smoke test (evaluation/): `evaluation = false` turns it off.
    evaluation: EvaluationProfile = EvaluationProfile()

    _evaluation_table = field_validator("evaluation", mode="before")(evaluation_setting)

    @field_validator("base_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        try:
            find_model(value)
        except UnknownModel as err:
            from .model_search import unknown_model_message  # only on this error path

            raise ValueError(f"base_model: {unknown_model_message(value)}") from err
        return value

    @model_validator(mode="after")
    def _customization_supported(self) -> Profile:
        model = find_model(self.base_model)
        if self.customization_type not in model.formats:
            raise ValueError(f"{model.name} does not support {self.customization_type}")
        if (self.customization_type is CustomizationType.DISTILLATION) != (self.teacher_model is not None):
            raise ValueError("teacher_model is required for DISTILLATION and only for it")
        if self.teacher_model is not None:
            try:
                teacher = find_teacher(self.teacher_model).model_id
            except UnknownModel as err:
                raise ValueError(f"unknown teacher model {self.teacher_model!r}") from err
            if teacher not in model.distillation_teachers:
                raise ValueError(f"{self.teacher_model} cannot teach {model.name}")
        problems = hyperparameter_problems(model, self.hyperparameters, self.customization_type)
        if problems:
            raise ValueError(f"hyperparameters not accepted by {model.name}: {', '.join(problems)}")
        return self


class ProfileCatalog(_Model):
    version: str
    profiles: dict[str, Profile]


class StackLimits(_Model):
    """Limits the platform team sets as stack parameters; profiles and tags cannot exceed them."""

    max_model_units: Annotated[int, Field(ge=1)] = 1
    max_ttl_hours: Annotated[float, Field(ge=0)] = 24


class RunSettings(_Model):
    profile: str
    profiles_version: str
    base_model: str
    customization_type: CustomizationType
    hyperparameters: dict[str, str]
    teacher_model: str | None
    max_response_length: int | None
    owners: Owners
    approval_required: bool
    model_units: int
    ttl_hours: float
    smoke_test_prompts: tuple[str, ...]
    deployment: DeploymentMode = "auto"
    keep_on_smoke_failure: bool = False
    sensitive_data: SensitiveDataPolicy
    validation_split: float
    metrics_gate: MetricsGate
    distillation_invalid_prompts: InvalidPrompts = "drop"
    evaluation: EvaluationProfile = EvaluationProfile()
    overrides: tuple[str, ...]  # tag keys that changed a setting, for the report


def _positive_number(value: str) -> str:
    if float(value) <= 0:
        raise ValueError
    return value


def _non_negative_float(value: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:  # "nan" and "inf" parse as floats: neither is a time-to-live
        raise ValueError
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError
    return number


# tag key -> (setting, parser). Hyperparameter ranges are checked against the model
# registry when the job is launched; here only the shape is checked.
ALLOWED_TAG_OVERRIDES: Mapping[str, tuple[str, Any]] = {
    "finetune-epochCount": ("hyperparameters.epochCount", _positive_number),
    "finetune-learningRate": ("hyperparameters.learningRate", _positive_number),
    "finetune-batchSize": ("hyperparameters.batchSize", _positive_number),
    "finetune-learningRateWarmupSteps": ("hyperparameters.learningRateWarmupSteps", _positive_number),
    "finetune-ttl-hours": ("ttl_hours", _non_negative_float),
    "finetune-model-units": ("model_units", _positive_int),
}


def load_catalog(path: Path) -> ProfileCatalog:
    with path.open("rb") as file:
        return ProfileCatalog.model_validate(tomllib.load(file))


def resolve_settings(
    catalog: ProfileCatalog,
    profile_name: str | None,
    tags: Mapping[str, str],
    limits: StackLimits,
) -> RunSettings:
    name = profile_name or DEFAULT_PROFILE
    profile = catalog.profiles.get(name)
    if profile is None:
        raise RunRejected(Reason(ReasonCode.UNKNOWN_PROFILE, _id(name)))
    values = profile.model_dump()
    hyperparameters = dict(profile.hyperparameters)
    applied = []
    for tag, raw in sorted(tags.items()):
        if not tag.startswith(TAG_PREFIX):
            continue
        if tag not in ALLOWED_TAG_OVERRIDES:
            raise RunRejected(Reason(ReasonCode.OVERRIDE_NOT_ALLOWED, _id(tag)))
        setting, parse = ALLOWED_TAG_OVERRIDES[tag]
        try:
            value = parse(raw.strip())
        except ValueError:
            raise RunRejected(Reason(ReasonCode.OVERRIDE_INVALID, _id(tag))) from None
        if setting.startswith("hyperparameters."):
            hyperparameters[setting.split(".", 1)[1]] = value
        else:
            values[setting] = value
        applied.append(tag)
    bad = hyperparameter_problems(find_model(profile.base_model), hyperparameters, profile.customization_type)
    if bad:
        tag = next((t for t in applied if t.endswith(bad[0])), bad[0])
        raise RunRejected(Reason(ReasonCode.OVERRIDE_INVALID, _id(tag)))
    if values["model_units"] > limits.max_model_units:
        raise RunRejected(Reason(ReasonCode.THROUGHPUT_CAP_EXCEEDED, f"{values['model_units']}-over-{limits.max_model_units}"))
    values["ttl_hours"] = capped_ttl_hours(values["ttl_hours"], limits.max_ttl_hours)
    values["hyperparameters"] = hyperparameters
    try:
        return RunSettings(profile=name, profiles_version=catalog.version, overrides=tuple(applied), **values)
    except ValidationError:
        raise RunRejected(Reason(ReasonCode.OVERRIDE_INVALID)) from None


def capped_ttl_hours(ttl_hours: float, max_ttl_hours: float) -> float:
    """The time-to-live under the stack's cap. 0 means "keep until torn down by hand", the longest of all: under a
    cap (MaxTtlHours > 0) it becomes the cap, so neither a profile nor an uploader's tag can switch the teardown off.
    MaxTtlHours = 0 is the platform team's "no cap"."""
    if max_ttl_hours > 0 and (ttl_hours == 0 or ttl_hours > max_ttl_hours):
        return max_ttl_hours
    return ttl_hours


def _id(text: str) -> str:
    """Profile and tag names go into reason details: keep them to the safe alphabet."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in text)
    return cleaned[:100] or "_"
