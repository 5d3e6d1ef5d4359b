"""What a file is checked against: its role in the run and the model's rules, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..models import CustomizationType, DatasetFormat, FoundationModel, InvalidPrompts, MediaRules, find_teacher, records_bounds


class FileRole(StrEnum):
    TRAINING = "training"
    VALIDATION = "validation"


@dataclass(frozen=True)
class DatasetRules:
    """Everything the validator needs to know about a file, as plain values."""

    format: DatasetFormat
    role: FileRole = FileRole.TRAINING
    max_tokens: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    min_text_chars: int | None = None
    max_text_chars: int | None = None
    max_bytes: int | None = None
    max_records: int | None = None  # for this file alone
    media: MediaRules | None = None
    media_bucket: str | None = None  # media must live in this bucket under media_prefix
    media_prefix: str = "media/"
    reserved_strings: tuple[str, ...] = ()
    reasoning_allowed: bool = False  # Nova 2 Lite: reasoningContent in assistant turns
    single_turn: bool = False  # distillation with an Anthropic/Llama teacher or student
    single_turn_model: str | None = None  # which of them imposes it (named in the message)
    # Distillation prompts that do not conform: "drop" them with a PROMPT_DROPPED warning (what Bedrock
    # does) or "reject" the file (SCHEMA_MISMATCH errors). Other formats ignore it.
    invalid_prompts: InvalidPrompts = "drop"
    secrets_block: bool = True
    pii_block: bool = False
    model_name: str | None = None  # for the hints ("<model> expects <format>")

    @classmethod
    def for_run(  # noqa: PLR0917 - plain values, named at every call
        cls,
        model: FoundationModel,
        customization: CustomizationType,
        role: FileRole,
        media_bucket: str | None,
        teacher: str | None = None,
        secrets_block: bool = True,
        pii_block: bool = False,
        invalid_prompts: InvalidPrompts = "drop",
    ) -> DatasetRules:
        bounds = records_bounds(model, customization)
        per_file = bounds.max_training if role is FileRole.TRAINING else bounds.max_validation
        distillation = customization is CustomizationType.DISTILLATION
        single_turn_model = _single_turn_model(model, teacher) if distillation else None
        return cls(
            format=model.formats[customization],
            role=role,
            max_tokens=model.max_tokens_per_record,
            max_input_tokens=model.max_input_tokens,
            max_output_tokens=model.max_output_tokens,
            min_text_chars=model.min_text_chars,
            max_text_chars=model.max_text_chars,
            max_bytes=model.max_training_bytes if role is FileRole.TRAINING else model.max_validation_bytes,
            max_records=per_file or bounds.max_total,
            # "only the text-to-text modality" for distillation [UG distillation-prepare-datasets]:
            # https://docs.aws.amazon.com/bedrock/latest/userguide/distillation-prepare-datasets.html
            media=None if distillation else model.media,
            media_bucket=media_bucket,
            reserved_strings=model.reserved_strings,
            reasoning_allowed=model.model_id.startswith("amazon.nova-2"),
            model_name=model.name,
            single_turn=single_turn_model is not None,
            single_turn_model=single_turn_model,
            secrets_block=secrets_block,
            pii_block=pii_block,
            invalid_prompts=invalid_prompts,
        )


def _single_turn_model(model: FoundationModel, teacher: str | None) -> str | None:
    """The student or the teacher that takes single-turn prompts only (the student first), or None."""
    if _single_turn_student(model):
        return model.model_id
    return teacher if teacher is not None and not find_teacher(teacher).multi_turn else None


def _single_turn_student(model: FoundationModel) -> bool:
    """Single-turn prompts only for an Anthropic or Meta Llama student, as for such a teacher: "Anthropic and
    Meta Llama models support only single-turn conversation prompts"; Nova models support multi-turn
    [UG distillation-data-prep-option-1].
    https://docs.aws.amazon.com/bedrock/latest/userguide/distillation-data-prep-option-1.html"""
    return model.model_id.startswith(("anthropic.", "meta."))
