"""The base-model registry: the single source of truth for what each model accepts.

Every figure cites its source (``shared/reference/bedrock-customization.md``):
[UG model-customization-prepare] (formats, records, tokens, files), [UG custom-models-hp] and the
cm-hp-* pages (hyperparameters), [NOVA fine-tune-prepare-data-understanding] (Nova), [UG
prequisites-model-distillation] (teacher/student pairs), [UG prov-thru-supported] and [UG
deploy-custom-model-on-demand] (deployment). ``None`` means the documentation gives no figure;
the validator then applies no limit of its own there and says so in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class CustomizationType(StrEnum):
    FINE_TUNING = "FINE_TUNING"
    CONTINUED_PRE_TRAINING = "CONTINUED_PRE_TRAINING"
    DISTILLATION = "DISTILLATION"
    REINFORCEMENT_FINE_TUNING = "REINFORCEMENT_FINE_TUNING"  # botocore 1.44.8 bedrock CustomizationType


class DatasetFormat(StrEnum):
    PROMPT_COMPLETION = "prompt-completion"  # {"prompt": str, "completion": str}
    CONVERSATION = "bedrock-conversation-2024"  # {"schemaVersion", "system"?: [{text}], "messages": [...]}
    CLAUDE_MESSAGES = "claude-messages"  # {"system"?: str, "messages": [{"role", "content": str}]}
    CONTINUED_PRETRAINING = "input"  # {"input": str}
    IMAGE_CAPTION = "image-ref-caption"  # {"image-ref": "s3://...", "caption": str}
    DISTILLATION_PROMPTS = "distillation-prompts"  # conversation schema, assistant turn optional
    # {"messages": [{role, content}], "reference_answer", <grader fields>...}: reference_answer is required ("Required. The
    # expected output or evaluation criteria that your reward function uses", Nova 2 user guide nova-data-prep-rft-2;
    # listed with messages, only the grader's extra fields "[Optional]", UG rft-prepare-data and
    # rft-prepare-data-open-weight), as dataset/formats.py checks it.
    RFT_CHAT = "openai-chat-rft"


# What becomes of a distillation prompt that does not conform: Bedrock drops it ("drop"); a profile may
# reject the file instead ("reject"). See settings.Profile.distillation_invalid_prompts.
InvalidPrompts = Literal["drop", "reject"]


@dataclass(frozen=True)
class Hyperparameter:
    minimum: float
    maximum: float
    default: str | None  # None = required (no default)
    integer: bool = False
    words: tuple[str, ...] = ()  # accepted non-numeric values, e.g. "auto"


@dataclass(frozen=True)
class RecordBounds:
    min_total: int | None = None  # training + validation, unless noted
    max_training: int | None = None
    max_validation: int | None = None
    max_total: int | None = None


@dataclass(frozen=True)
class MediaRules:
    image_formats: tuple[str, ...] = ()
    max_image_bytes: int | None = None
    max_images_per_record: int | None = None
    min_side_px: int | None = None  # per side (width and height)
    max_side_px: int | None = None
    max_pixels: int | None = None  # width x height
    max_aspect_ratio: float | None = None  # long side / short side
    video_formats: tuple[str, ...] = ()
    max_video_bytes: int | None = None
    max_video_seconds: float | None = None
    max_videos_per_record: int | None = None


@dataclass(frozen=True)
class FoundationModel:
    model_id: str  # the foundation-model id, without context suffix
    customization_id: str  # the id (with context suffix) CreateModelCustomizationJob takes
    name: str
    formats: dict[CustomizationType, DatasetFormat]
    records: RecordBounds
    max_tokens_per_record: int | None  # input + output
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    max_text_chars: int | None = None  # caption / text models measured in characters
    min_text_chars: int | None = None
    max_training_bytes: int | None = None
    max_validation_bytes: int | None = None
    validation_allowed: bool = True
    media: MediaRules | None = None
    hyperparameters: dict[str, Hyperparameter] = field(default_factory=dict)
    rft_hyperparameters: dict[str, Hyperparameter] = field(default_factory=dict)  # REINFORCEMENT_FINE_TUNING (typed rftConfig)
    distillation_teachers: tuple[str, ...] = ()
    provisioned_throughput: bool = True
    on_demand_deployment: bool = False
    reserved_strings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Teacher:
    model_id: str
    name: str
    multi_turn: bool  # [UG distillation-data-prep-option-1]: Nova multi-turn; Anthropic/Llama single-turn


GB = 1_000_000_000
MB = 1_000_000
FT = CustomizationType.FINE_TUNING
CPT = CustomizationType.CONTINUED_PRE_TRAINING
DISTILL = CustomizationType.DISTILLATION
RFT = CustomizationType.REINFORCEMENT_FINE_TUNING

# [UG cm-hp-meta-llama] Llama 3.1 and 3.2 (3.3 has no table of its own; the same is assumed).
_LLAMA_HP = {
    "epochCount": Hyperparameter(1, 10, "5", integer=True),
    "batchSize": Hyperparameter(1, 1, "1", integer=True),
    "learningRate": Hyperparameter(5e-6, 0.1, "0.0001"),
}
# [UG cm-hp-nova]
_NOVA_HP = {
    "epochCount": Hyperparameter(1, 5, "2", integer=True),
    "learningRate": Hyperparameter(1e-6, 1e-4, "0.00001"),
    "learningRateWarmupSteps": Hyperparameter(0, 100, "10", integer=True),
}
# [UG cm-hp-anth-claude-3]
_HAIKU_HP = {
    "epochCount": Hyperparameter(1, 10, "2", integer=True),
    "batchSize": Hyperparameter(4, 256, "32", integer=True),
    "learningRateMultiplier": Hyperparameter(0.1, 2, "1"),
    "earlyStoppingThreshold": Hyperparameter(0, 0.1, "0.001"),
    "earlyStoppingPatience": Hyperparameter(1, 10, "2", integer=True),
}
# [UG cm-hp-titan-text]
_TITAN_TEXT_HP = {
    "epochCount": Hyperparameter(1, 10, "5", integer=True),
    "batchSize": Hyperparameter(1, 64, "1", integer=True),
    "learningRate": Hyperparameter(0.0, 1, "0.00001"),
    "learningRateWarmupSteps": Hyperparameter(0, 250, "5", integer=True),
}
_TITAN_PREMIER_HP = {
    "epochCount": Hyperparameter(1, 5, "2", integer=True),
    "batchSize": Hyperparameter(1, 1, "1", integer=True),
    "learningRate": Hyperparameter(1e-7, 1e-5, "0.000001"),
    "learningRateWarmupSteps": Hyperparameter(0, 20, "5", integer=True),
}
_TITAN_IMAGE_HP = {
    "batchSize": Hyperparameter(8, 192, "8", integer=True),
    "stepCount": Hyperparameter(10, 40_000, None, integer=True, words=("auto",)),
    "learningRate": Hyperparameter(1e-7, 1, "0.00001"),
}
_NOVA_CANVAS_HP = {
    "batchSize": Hyperparameter(8, 192, "8", integer=True),
    "stepCount": Hyperparameter(10, 20_000, "500", integer=True),
    "learningRate": Hyperparameter(1e-7, 1e-4, "0.00001"),
}
_EMBED_HP = {
    "epochCount": Hyperparameter(1, 100, None, integer=True, words=("Auto",)),
    "batchSize": Hyperparameter(256, 9_216, "576", integer=True),
    "learningRate": Hyperparameter(5e-8, 1, "0.00005"),
}

_LLAMA_RECORDS = RecordBounds(min_total=100, max_total=10_000)  # train+val sum, adjustable quota
# At most 15K prompts [UG distillation-data-prep-option-2]; at least 100 *valid* prompts ("Invalid prompts
# that do not conform to the format will be dropped"): AWS's distillation validator, aws-samples/
# amazon-bedrock-samples custom-models/model_distillation/dataset-validation (README, MIN_NUM_PROMPTS).
_DISTILL_RECORDS = RecordBounds(min_total=100, max_total=15_000)
# Reinforcement fine-tuning: "A minimum of 100 records in training dataset"; "a maximum of 20,000 prompts"
# https://docs.aws.amazon.com/bedrock/latest/userguide/rft-prepare-data.html (Nova),
# https://docs.aws.amazon.com/bedrock/latest/userguide/rft-prepare-data-open-weight.html ("100-20K examples").
_RFT_RECORDS = RecordBounds(min_total=100, max_total=20_000)
# RFTHyperParameters, typed in rftConfig (not the string map): the ranges of botocore 1.44.8's shapes
# (EpochCount, RFTBatchSize, RFTLearningRate, RFTTrainingSamplePerPrompt, RFTEvalInterval, ReasoningEffort) =
# https://docs.aws.amazon.com/bedrock/latest/APIReference/API_RFTHyperParameters.html. maxPromptLength and
# inferenceMaxTokens have no documented bounds: any positive integer passes here, Bedrock judges the rest.
# Defaults are the service's (not documented): "" = leave it to Bedrock.
_RFT_HP = {
    "epochCount": Hyperparameter(1, 50, "", integer=True),
    "batchSize": Hyperparameter(16, 512, "", integer=True),
    "learningRate": Hyperparameter(1e-7, 1e-3, ""),
    "trainingSamplePerPrompt": Hyperparameter(2, 16, "", integer=True),
    "evalInterval": Hyperparameter(1, 100, "", integer=True),
    "maxPromptLength": Hyperparameter(1, 2**31 - 1, "", integer=True),
    "inferenceMaxTokens": Hyperparameter(1, 2**31 - 1, "", integer=True),
    "reasoningEffort": Hyperparameter(1, 0, "", words=("low", "medium", "high")),  # words only: no number is in 1..0
}
_NOVA_RECORDS = RecordBounds(min_total=8, max_total=20_000)  # [NOVA fine-tune-prepare-data-understanding]
# [UG model-customization-prepare] Llama 3.2 vision: gif/jpeg/png/webp, <= 10 MB, 10-8192 px per side.
_LLAMA_IMAGES = MediaRules(image_formats=("gif", "jpeg", "png", "webp"), max_image_bytes=10 * MB, min_side_px=10, max_side_px=8192)
# [NOVA fine-tune-prepare-data-understanding]: images <= 10 MB, videos <= 50 MB and <= 90 s (read
# from the container's header, media.video_seconds); no pixel limits documented.
_NOVA_MEDIA = MediaRules(
    image_formats=("png", "jpeg", "gif", "webp"),
    max_image_bytes=10 * MB,
    max_images_per_record=10,
    video_formats=("mov", "mkv", "mp4", "webm"),
    max_video_bytes=50 * MB,
    max_video_seconds=90,
    max_videos_per_record=1,
)
# [NOVA fine-tune-prepare-data-understanding]: these strings make Nova jobs fail.
_NOVA_RESERVED = ("User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]")
_LLAMA_FT = "UG model-customization-prepare; UG custom-model-fine-tuning"

_TEACHERS = (
    Teacher("amazon.nova-pro-v1:0", "Amazon Nova Pro", multi_turn=True),
    Teacher("us.amazon.nova-premier-v1:0", "Amazon Nova Premier (inference profile)", multi_turn=True),
    Teacher("meta.llama3-1-405b-instruct-v1:0", "Meta Llama 3.1 405B Instruct", multi_turn=False),
    Teacher("meta.llama3-1-70b-instruct-v1:0", "Meta Llama 3.1 70B Instruct", multi_turn=False),
    Teacher("meta.llama3-3-70b-instruct-v1:0", "Meta Llama 3.3 70B Instruct", multi_turn=False),
)


def _llama(model_id: str, suffix: str, name: str, fmt: DatasetFormat, **extra: object) -> FoundationModel:
    formats = {FT: fmt}
    if extra.get("distillation_teachers"):
        formats[DISTILL] = DatasetFormat.DISTILLATION_PROMPTS
    return FoundationModel(
        model_id=model_id,
        customization_id=f"{model_id}:{suffix}",
        name=name,
        formats=formats,
        records=_LLAMA_RECORDS,
        max_tokens_per_record=16_000,
        hyperparameters=_LLAMA_HP,
        sources=(_LLAMA_FT, "UG cm-hp-meta-llama"),
        **extra,  # type: ignore[arg-type]
    )


def _nova(model_id: str, suffix: str, name: str, media: MediaRules | None, teachers: tuple[str, ...], **extra: object) -> FoundationModel:
    return FoundationModel(
        model_id=model_id,
        customization_id=f"{model_id}:{suffix}",
        name=name,
        formats={FT: DatasetFormat.CONVERSATION, DISTILL: DatasetFormat.DISTILLATION_PROMPTS}
        if teachers
        else {FT: DatasetFormat.CONVERSATION, RFT: DatasetFormat.RFT_CHAT}
        if "rft_hyperparameters" in extra
        else {FT: DatasetFormat.CONVERSATION},
        records=_NOVA_RECORDS,
        max_tokens_per_record=32_000,  # context 32k
        media=media,
        hyperparameters=_NOVA_HP,
        distillation_teachers=teachers,
        on_demand_deployment=True,  # [UG deploy-custom-model-on-demand]
        reserved_strings=_NOVA_RESERVED,
        sources=("NOVA fine-tune-prepare-data-understanding", "UG cm-hp-nova", "UG deploy-custom-model-on-demand"),
        **extra,  # type: ignore[arg-type]
    )


def _open_weight_rft(model_id: str, name: str) -> FoundationModel:
    """An open-weight model offered for reinforcement fine-tuning only (us-west-2), under the id the RFT table
    gives: https://docs.aws.amazon.com/bedrock/latest/userguide/reinforcement-fine-tuning.html. Its data:
    https://docs.aws.amazon.com/bedrock/latest/userguide/rft-prepare-data-open-weight.html. No validation file
    and no deployment path are documented for its custom model: none is assumed here (deployment "none")."""
    return FoundationModel(
        model_id=model_id,
        customization_id=model_id,
        name=name,
        formats={RFT: DatasetFormat.RFT_CHAT},
        records=_RFT_RECORDS,
        max_tokens_per_record=None,
        validation_allowed=False,
        rft_hyperparameters=_RFT_HP,
        provisioned_throughput=False,
        sources=("UG reinforcement-fine-tuning", "UG rft-prepare-data-open-weight", "API RFTHyperParameters"),
    )


def _titan_text(model_id: str, suffix: str, name: str) -> FoundationModel:
    return FoundationModel(
        model_id=model_id,
        customization_id=f"{model_id}:0:{suffix}",
        name=name,
        formats={FT: DatasetFormat.PROMPT_COMPLETION, CPT: DatasetFormat.CONTINUED_PRETRAINING},
        records=RecordBounds(),  # record counts: open question 1 (General Reference not readable)
        max_tokens_per_record=4_096,
        max_training_bytes=1 * GB,
        max_validation_bytes=100 * MB,
        hyperparameters=_TITAN_TEXT_HP,
        sources=("UG custom-model-supported (older)", "UG cm-hp-titan-text"),
    )


def _image_generator(
    model_id: str, name: str, hyperparameters: dict[str, Hyperparameter], hp_source: str, customization_id: str | None = None
) -> FoundationModel:
    # [UG model-customization-prepare]: 5-10,000 images; prompt 3-1,024 chars; JPEG/PNG <= 50 MB,
    # 512-4096 px, <= 12,582,912 px in all, aspect ratio 1:4 to 4:1; no validation dataset.
    return FoundationModel(
        model_id=model_id,
        customization_id=customization_id or model_id,
        name=name,
        formats={FT: DatasetFormat.IMAGE_CAPTION},
        records=RecordBounds(min_total=5, max_training=10_000),
        max_tokens_per_record=None,
        min_text_chars=3,
        max_text_chars=1_024,
        validation_allowed=False,
        media=MediaRules(
            image_formats=("jpeg", "png"),
            max_image_bytes=50 * MB,
            min_side_px=512,
            max_side_px=4096,
            max_pixels=12_582_912,
            max_aspect_ratio=4.0,
        ),
        hyperparameters=hyperparameters,
        sources=("UG model-customization-prepare", hp_source),
    )


_MODELS: tuple[FoundationModel, ...] = (
    _llama(
        "meta.llama3-1-8b-instruct-v1:0",
        "128k",
        "Meta Llama 3.1 8B Instruct",
        DatasetFormat.PROMPT_COMPLETION,
        max_input_tokens=16_000,
        max_output_tokens=16_000,
        distillation_teachers=("meta.llama3-1-405b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0", "meta.llama3-3-70b-instruct-v1:0"),
    ),
    _llama(
        "meta.llama3-1-70b-instruct-v1:0",
        "128k",
        "Meta Llama 3.1 70B Instruct",
        DatasetFormat.PROMPT_COMPLETION,
        max_input_tokens=16_000,
        max_output_tokens=16_000,
        distillation_teachers=("meta.llama3-1-405b-instruct-v1:0",),
    ),
    _llama(
        "meta.llama3-2-1b-instruct-v1:0",
        "128k",
        "Meta Llama 3.2 1B Instruct",
        DatasetFormat.CONVERSATION,
        distillation_teachers=("meta.llama3-1-405b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0", "meta.llama3-3-70b-instruct-v1:0"),
    ),
    _llama(
        "meta.llama3-2-3b-instruct-v1:0",
        "128k",
        "Meta Llama 3.2 3B Instruct",
        DatasetFormat.CONVERSATION,
        distillation_teachers=("meta.llama3-1-70b-instruct-v1:0", "meta.llama3-3-70b-instruct-v1:0"),
    ),
    _llama(
        "meta.llama3-2-11b-instruct-v1:0", "128k", "Meta Llama 3.2 11B Vision Instruct", DatasetFormat.CONVERSATION, media=_LLAMA_IMAGES
    ),
    FoundationModel(
        model_id="meta.llama3-2-90b-instruct-v1:0",
        customization_id="meta.llama3-2-90b-instruct-v1:0:128k",
        name="Meta Llama 3.2 90B Vision Instruct",
        formats={FT: DatasetFormat.CONVERSATION},
        records=_LLAMA_RECORDS,
        max_tokens_per_record=10_000,  # 10,000 for 90B [UG model-customization-prepare]
        media=_LLAMA_IMAGES,
        hyperparameters=_LLAMA_HP,
        sources=(_LLAMA_FT, "UG cm-hp-meta-llama"),
    ),
    # Llama 3.3 70B: absent from the PT table, present in the on-demand list (open question 7).
    _llama(
        "meta.llama3-3-70b-instruct-v1:0",
        "128k",
        "Meta Llama 3.3 70B Instruct",
        DatasetFormat.CONVERSATION,
        distillation_teachers=("meta.llama3-1-405b-instruct-v1:0",),
        provisioned_throughput=False,
        on_demand_deployment=True,
    ),
    _nova("amazon.nova-micro-v1:0", "128k", "Amazon Nova Micro", None, ("amazon.nova-pro-v1:0", "us.amazon.nova-premier-v1:0")),
    _nova("amazon.nova-lite-v1:0", "300k", "Amazon Nova Lite", _NOVA_MEDIA, ("amazon.nova-pro-v1:0", "us.amazon.nova-premier-v1:0")),
    _nova("amazon.nova-pro-v1:0", "300k", "Amazon Nova Pro", _NOVA_MEDIA, ("us.amazon.nova-premier-v1:0",)),
    # Nova 2 Lite SFT: "a validation set will not be supported" [UG nova-2-sft-data-prep]. RFT (us-east-1):
    # https://docs.aws.amazon.com/bedrock/latest/userguide/reinforcement-fine-tuning.html
    _nova("amazon.nova-2-lite-v1:0", "256k", "Amazon Nova 2 Lite", _NOVA_MEDIA, (), validation_allowed=False, rft_hyperparameters=_RFT_HP),
    _open_weight_rft("openai.gpt-oss-20b", "OpenAI gpt-oss-20b"),
    _open_weight_rft("qwen.qwen3-32b", "Qwen3 32B"),
    FoundationModel(
        model_id="anthropic.claude-3-haiku-20240307-v1:0",
        customization_id="anthropic.claude-3-haiku-20240307-v1:0:200k",
        name="Anthropic Claude 3 Haiku",
        formats={FT: DatasetFormat.CLAUDE_MESSAGES},
        records=RecordBounds(min_total=32, max_training=10_000, max_validation=1_000, max_total=10_000),
        max_tokens_per_record=32_000,
        max_training_bytes=10 * GB,
        max_validation_bytes=1 * GB,
        hyperparameters=_HAIKU_HP,
        sources=("UG model-customization-prepare", "UG cm-hp-anth-claude-3"),
    ),
    _titan_text("amazon.titan-text-express-v1", "8k", "Amazon Titan Text G1 - Express"),  # 4,096 tokens at batch 1; 2,048 at 2-4
    _titan_text("amazon.titan-text-lite-v1", "4k", "Amazon Titan Text G1 - Lite"),  # 4,096 tokens at batch 1-2; 2,048 at 3-6
    FoundationModel(
        model_id="amazon.titan-text-premier-v1:0",
        customization_id="amazon.titan-text-premier-v1:0:32k",
        name="Amazon Titan Text Premier",
        formats={FT: DatasetFormat.PROMPT_COMPLETION},
        records=RecordBounds(),
        max_tokens_per_record=4_096,
        max_training_bytes=1 * GB,
        max_validation_bytes=100 * MB,
        hyperparameters=_TITAN_PREMIER_HP,
        sources=("UG model-customization-prepare", "UG cm-hp-titan-text-premier"),
    ),
    # Titan Image Generator G1 (v1): "Titan Image Generator G1 | amazon.titan-image-generator-v1:0 | us-east-1" in the fine-tuning
    # table of https://docs.aws.amazon.com/bedrock/latest/userguide/custom-model-supported.html (the current
    # custom-model-fine-tuning.html no longer lists it: model_regions.py). Its data and limits are the "Titan Image Generator
    # G1" row of [UG model-customization-prepare] (image-ref + caption, as v2), its hyperparameters the one table for "the
    # Amazon Titan Image Generator G1 models" ([UG cm-hp-titan-image],
    # https://docs.aws.amazon.com/bedrock/latest/userguide/cm-hp-titan-image.html): the same rows as v2.
    _image_generator(
        "amazon.titan-image-generator-v1",
        "Amazon Titan Image Generator G1",
        _TITAN_IMAGE_HP,
        "UG cm-hp-titan-image",
        customization_id="amazon.titan-image-generator-v1:0",
    ),
    _image_generator("amazon.titan-image-generator-v2:0", "Amazon Titan Image Generator G1 v2", _TITAN_IMAGE_HP, "UG cm-hp-titan-image"),
    _image_generator("amazon.nova-canvas-v1:0", "Amazon Nova Canvas", _NOVA_CANVAS_HP, "UG cm-hp-nova-canvas"),
    FoundationModel(
        model_id="amazon.titan-embed-image-v1",
        customization_id="amazon.titan-embed-image-v1:0",
        name="Amazon Titan Multimodal Embeddings G1",
        formats={FT: DatasetFormat.IMAGE_CAPTION},
        records=RecordBounds(min_total=1_000, max_training=500_000),
        max_tokens_per_record=None,
        min_text_chars=0,
        max_text_chars=2_560,
        validation_allowed=False,
        # [UG model-customization-prepare]: JPEG/PNG <= 5 MB, 128-4096 px per side.
        media=MediaRules(image_formats=("jpeg", "png"), max_image_bytes=5 * MB, min_side_px=128, max_side_px=4096),
        hyperparameters=_EMBED_HP,
        sources=("UG model-customization-prepare", "UG cm-hp-titan-mm"),
    ),
)


class UnknownModel(LookupError):
    pass


def _bare(identifier: str) -> str:
    """``arn:...:foundation-model/x:0:128k`` or ``x:0:128k`` -> ``x`` + version, without context."""
    return identifier.rsplit("foundation-model/", 1)[-1].rsplit("/", 1)[-1]


def find_model(identifier: str) -> FoundationModel:
    """Accept the ids users pass: with or without the ``:<context>`` suffix, or a model ARN."""
    wanted = _bare(identifier)
    for model in _MODELS:
        if wanted in (model.model_id, model.customization_id):
            return model
    raise UnknownModel(identifier)


def find_teacher(identifier: str) -> Teacher:
    wanted = _bare(identifier)
    for teacher in _TEACHERS:
        if wanted == teacher.model_id:
            return teacher
    raise UnknownModel(identifier)


def known_models() -> tuple[FoundationModel, ...]:
    return _MODELS


def known_teachers() -> tuple[Teacher, ...]:
    return _TEACHERS


def records_bounds(model: FoundationModel, customization: CustomizationType) -> RecordBounds:
    if customization is CustomizationType.REINFORCEMENT_FINE_TUNING:
        return _RFT_RECORDS
    return _DISTILL_RECORDS if customization is CustomizationType.DISTILLATION else model.records


def hyperparameters_of(model: FoundationModel, customization: CustomizationType | None = None) -> dict[str, Hyperparameter]:
    """The hyperparameters a customization of the model takes: RFT has its own, typed, table."""
    return model.rft_hyperparameters if customization is CustomizationType.REINFORCEMENT_FINE_TUNING else model.hyperparameters


def hyperparameter_problems(model: FoundationModel, values: dict[str, str], customization: CustomizationType | None = None) -> list[str]:
    """Names of hyperparameters the model does not take or whose value is out of its range."""
    problems = []
    specs = hyperparameters_of(model, customization)
    for name, value in values.items():
        spec = specs.get(name)
        if spec is None or not _in_range(spec, value):
            problems.append(name)
    return problems


def _in_range(spec: Hyperparameter, value: str) -> bool:
    if value in spec.words:
        return True
    try:
        number = float(value)
    except ValueError:
        return False
    if spec.integer and not number.is_integer():
        return False
    return spec.minimum <= number <= spec.maximum
