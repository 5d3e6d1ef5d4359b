"""The validator's corpus: every dataset reason code and every format, accept and reject.

Each case names the fact it rests on (UG = Bedrock User Guide page; NOVA = Nova guide page; REF =
shared/reference section). Formats are checked with the rules of a real registry model.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, replace
from typing import Any

import pytest

from secure_finetune.dataset import MAX_DEPTH, MAX_LINE_BYTES, DatasetRules, FileRole, record_count_problems, validate_dataset
from secure_finetune.models import CustomizationType, DatasetFormat, InvalidPrompts, find_model
from secure_finetune.reasons import ReasonCode

BUCKET = "data-bucket"
FT, CPT, DISTILL = CustomizationType.FINE_TUNING, CustomizationType.CONTINUED_PRE_TRAINING, CustomizationType.DISTILLATION


@dataclass(frozen=True)
class Spec:
    """What a case's rules were made from, so the same case runs through the CLI and the pipeline
    (test_dataset_agreement.py): a registry model (with changes, e.g. a smaller byte limit) and type."""

    model: str
    kind: CustomizationType
    teacher: str | None
    model_changes: tuple[tuple[str, Any], ...] = ()
    invalid_prompts: InvalidPrompts = "drop"


ORIGIN: dict[DatasetRules, Spec] = {}


def rules(
    model: str, kind: CustomizationType = FT, teacher: str | None = None, invalid_prompts: InvalidPrompts = "drop", **model_changes: Any
) -> DatasetRules:
    spec = Spec(model, kind, teacher, tuple(sorted(model_changes.items())), invalid_prompts)
    found = replace(find_model(model), **model_changes)
    made = DatasetRules.for_run(found, kind, FileRole.TRAINING, media_bucket=BUCKET, teacher=teacher, invalid_prompts=invalid_prompts)
    ORIGIN[made] = spec
    return made


LLAMA31 = rules("meta.llama3-1-8b-instruct-v1:0")
LLAMA32 = rules("meta.llama3-2-11b-instruct-v1:0")
NOVA = rules("amazon.nova-lite-v1:0")
NOVA2 = rules("amazon.nova-2-lite-v1:0")
HAIKU = rules("anthropic.claude-3-haiku-20240307-v1:0")
TITAN_CPT = rules("amazon.titan-text-express-v1", CPT)
CANVAS = rules("amazon.nova-canvas-v1:0")
DISTILL_NOVA = rules("amazon.nova-lite-v1:0", DISTILL, teacher="amazon.nova-pro-v1:0")
DISTILL_LLAMA = rules("meta.llama3-1-8b-instruct-v1:0", DISTILL, teacher="meta.llama3-1-405b-instruct-v1:0")
RFT_NOVA2 = rules("amazon.nova-2-lite-v1:0", CustomizationType.REINFORCEMENT_FINE_TUNING)
RFT_GPT_OSS = rules("openai.gpt-oss-20b", CustomizationType.REINFORCEMENT_FINE_TUNING)
RFT_QA = {
    "messages": [{"role": "system", "content": "You are a helpful assistant"}, {"role": "user", "content": "What is machine learning?"}],
    "reference_answer": "Machine learning is a subset of artificial intelligence that learns from data.",
}


def line(record: object) -> bytes:
    return (json.dumps(record) + "\n").encode()


def conv(*turns: tuple[str, object], system: object = None, **extra: object) -> dict[str, object]:
    record = {"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": r, "content": c} for r, c in turns], **extra}
    if system is not None:
        record["system"] = system
    return record


def text(value: str) -> list[dict[str, str]]:
    return [{"text": value}]


def image(uri: str = f"s3://{BUCKET}/media/a.png", fmt: str = "png") -> dict[str, object]:
    return {"image": {"format": fmt, "source": {"s3Location": {"uri": uri, "bucketOwner": "111122223333"}}}}


def video(uri: str = f"s3://{BUCKET}/media/a.mp4") -> dict[str, object]:
    return {"video": {"format": "mp4", "source": {"s3Location": {"uri": uri}}}}


PC = {"prompt": "Classify: invoice wrong", "completion": "billing"}
QA = conv(("user", text("How do I reset my password?")), ("assistant", text("Settings, Security, Reset.")))


@dataclass(frozen=True)
class Case:
    name: str
    rules: DatasetRules
    data: bytes
    codes: tuple[str, ...]  # () = accepted
    basis: str


CASES = [
    # ---- file-level
    Case("empty file", LLAMA31, b"", ("DATASET_EMPTY",), "REF 4.1: empty file"),
    Case("BOM", LLAMA31, b"\xef\xbb\xbf" + line(PC), ("DATASET_BOM",), "jsonlines.org: UTF-8 without BOM"),
    Case("gzip in disguise", LLAMA31, gzip.compress(line(PC) * 3), ("DATASET_COMPRESSED_OR_BINARY",), "REF GR-OBJ-05 magic bytes"),
    Case("UTF-16", LLAMA31, json.dumps(PC).encode("utf-16"), ("DATASET_COMPRESSED_OR_BINARY",), "REF 4.1: UTF-16/32 never accepted"),
    Case(
        "too large for the file role",
        rules("meta.llama3-1-8b-instruct-v1:0", max_training_bytes=40),
        line(PC) * 3,
        ("DATASET_TOO_LARGE",),
        "UG: train <= 1 GB (Titan)",
    ),
    # ---- line-level
    Case("invalid UTF-8", LLAMA31, b'{"prompt": "\xff", "completion": "c"}\n', ("DATASET_NOT_UTF8",), "REF 4.1"),
    Case("raw NUL", LLAMA31, b'{"prompt": "a\x00", "completion": "c"}\n', ("DATASET_NUL_BYTE",), "REF 4.1"),
    Case("escaped NUL", LLAMA31, b'{"prompt": "a\\u0000", "completion": "c"}\n', ("DATASET_NUL_BYTE",), "decision: escaped NUL rejected"),
    Case("blank line", LLAMA31, line(PC) + b"\n" + line(PC), ("LINE_BLANK",), "UG fine-tuning-troubleshooting: empty lines"),
    Case("whitespace line", LLAMA31, line(PC) + b"   \r\n", ("LINE_BLANK",), "jsonlines.org: a blank line is not a value"),
    Case("lone CR separator", LLAMA31, json.dumps(PC).encode() + b"\r" + line(PC), ("LINE_INVALID_JSON",), "REF 4.1: lone CR"),
    Case("truncated JSON", LLAMA31, b'{"prompt": "a", \n', ("LINE_INVALID_JSON",), "UG: Unable to parse Amazon S3 file"),
    Case("array line", LLAMA31, b'["prompt", "completion"]\n', ("LINE_NOT_OBJECT",), "UG: one JSON object per line"),
    Case("duplicate key", LLAMA31, b'{"prompt": "a", "prompt": "b", "completion": "c"}\n', ("DUPLICATE_KEY",), "REF 4.1 smuggling"),
    Case(
        "nested duplicate key", NOVA, line(QA).replace(b'"role": "user"', b'"role": "user", "role": "user"'), ("DUPLICATE_KEY",), "REF 4.1"
    ),
    Case(
        "deep nesting", LLAMA31, b'{"prompt": ' + b"[" * (MAX_DEPTH + 5) + b"]" * (MAX_DEPTH + 5) + b"}\n", ("NESTING_TOO_DEEP",), "REF 4.1"
    ),
    Case("recursion bomb", LLAMA31, b"[" * 100_000 + b"]" * 100_000 + b"\n", ("NESTING_TOO_DEEP",), "REF 4.1: RecursionError"),
    Case("NaN", LLAMA31, b'{"prompt": NaN, "completion": "c"}\n', ("NON_FINITE_NUMBER",), "RFC 8259"),
    Case("float overflow", LLAMA31, b'{"prompt": 1e400, "completion": "c"}\n', ("NON_FINITE_NUMBER",), "REF 4.1: 1e400 -> inf"),
    Case("huge integer", LLAMA31, b'{"prompt": ' + b"1" * 5000 + b', "completion": "c"}\n', ("NON_FINITE_NUMBER",), "REF 4.1: 4300 digits"),
    Case("lone surrogate", LLAMA31, b'{"prompt": "\\ud800", "completion": "c"}\n', ("LONE_SURROGATE",), "REF 4.1"),
    Case("line too long", LLAMA31, b'{"prompt": "' + b"a" * MAX_LINE_BYTES + b'", "completion": "c"}\n', ("LINE_TOO_LONG",), "REF 4.1"),
    Case("private key", LLAMA31, line({"prompt": "-----BEGIN RSA PRIVATE KEY-----", "completion": "c"}), ("SENSITIVE_DATA",), "REF 4.4"),
    Case("cloud access key", LLAMA31, line({"prompt": "key AKIAIOSFODNN7EXAMPLE", "completion": "c"}), ("SENSITIVE_DATA",), "REF 4.4"),
    # ---- prompt/completion (Llama 3.1 FT, Titan FT)
    Case("prompt/completion ok", LLAMA31, line(PC), (), "UG model-customization-prepare"),
    Case(
        "CRLF and U+2028 ok",
        LLAMA31,
        line({"prompt": "a\u2028b", "completion": "c"}).replace(b"\\u2028", "\u2028".encode()).replace(b"\n", b"\r\n"),
        (),
        "REF 4.1",
    ),
    Case("missing completion", LLAMA31, line({"prompt": "a"}), ("SCHEMA_MISMATCH",), "UG: prompt/completion format"),
    Case("extra key", LLAMA31, line({**PC, "id": 1}), ("SCHEMA_MISMATCH",), "UG troubleshooting: the wrong keys"),
    Case("completion not a string", LLAMA31, line({"prompt": "a", "completion": ["b"]}), ("SCHEMA_MISMATCH",), "UG format"),
    Case(
        "over the character quota",
        LLAMA31,
        line({"prompt": "a" * (16_000 * 6 + 1), "completion": "c"}),
        ("SCHEMA_MISMATCH",),
        "UG: sum <= 16,000 tokens; chars ~ tokens x 6",
    ),
    # ---- continued pre-training
    Case(
        "cpt ok",
        TITAN_CPT,
        line({"input": "Bearing X200 needs lubrication every 500 hours."}),
        (),
        "UG Prepare datasets for continued pre-training",
    ),
    Case("cpt with prompt", TITAN_CPT, line(PC), ("SCHEMA_MISMATCH",), "UG: {input} only"),
    # ---- bedrock-conversation-2024 (Nova, Llama 3.2)
    Case(
        "conversation ok",
        NOVA,
        line(conv(("user", text("hi")), ("assistant", text("hello")), system=[{"text": "Be brief."}])),
        (),
        "NOVA data understanding",
    ),
    Case(
        "assistant first",
        NOVA,
        line(conv(("assistant", text("hi")), ("user", text("hello")))),
        ("SCHEMA_MISMATCH",),
        "NOVA: first turn user",
    ),
    Case("user last", NOVA, line(conv(("user", text("hi")))), ("SCHEMA_MISMATCH",), "NOVA: last turn assistant"),
    Case(
        "role not alternating",
        NOVA,
        line(conv(("user", text("a")), ("user", text("b")), ("assistant", text("c")))),
        ("SCHEMA_MISMATCH",),
        "NOVA roles",
    ),
    Case("system as string", NOVA, line({**QA, "system": "Be brief."}), ("SCHEMA_MISMATCH",), "NOVA: system is a list of {text}"),
    Case(
        "reserved string",
        NOVA,
        line(conv(("user", text("User: hi")), ("assistant", text("ok")))),
        ("SCHEMA_MISMATCH",),
        "NOVA reserved strings",
    ),
    Case(
        "image ok", NOVA, line(conv(("user", [*text("Which part?"), image()]), ("assistant", text("PN-4471")))), (), "UG image-text section"
    ),
    Case(
        "image in another bucket",
        NOVA,
        line(conv(("user", [image("s3://other-bucket/media/a.png")]), ("assistant", text("x")))),
        ("SCHEMA_MISMATCH",),
        "NOVA: same bucket",
    ),
    Case(
        "image outside media/",
        NOVA,
        line(conv(("user", [image(f"s3://{BUCKET}/incoming/a.png")]), ("assistant", text("x")))),
        ("SCHEMA_MISMATCH",),
        "service role reads media/ only",
    ),
    Case(
        "image format",
        NOVA,
        line(conv(("user", [image(fmt="bmp")]), ("assistant", text("x")))),
        ("SCHEMA_MISMATCH",),
        "NOVA png/jpeg/gif/webp",
    ),
    Case("eleven images", NOVA, line(conv(("user", [image()] * 11), ("assistant", text("x")))), ("SCHEMA_MISMATCH",), "NOVA <= 10 images"),
    Case("two videos", NOVA, line(conv(("user", [video(), video()]), ("assistant", text("x")))), ("SCHEMA_MISMATCH",), "NOVA 1 video"),
    Case(
        "images and videos mixed",
        NOVA,
        line(conv(("user", [image()]), ("assistant", text("x")))) + line(conv(("user", [video()]), ("assistant", text("x")))),
        ("SCHEMA_MISMATCH",),
        "NOVA: a dataset cannot mix images and videos",
    ),
    Case(
        "image for a text model",
        rules("amazon.nova-micro-v1:0"),
        line(conv(("user", [image()]), ("assistant", text("x")))),
        ("SCHEMA_MISMATCH",),
        "Nova Micro is text-only",
    ),
    Case(
        "llama vision image ok",
        LLAMA32,
        line(conv(("user", [*text("What?"), image(fmt="jpeg")]), ("assistant", text("x")))),
        (),
        "UG Llama 3.2 images",
    ),
    Case(
        "reasoning on Nova 2",
        NOVA2,
        line(conv(("user", text("91 prime?")), ("assistant", [{"reasoningContent": {"reasoningText": {"text": "7x13"}}}, *text("No")]))),
        (),
        "UG nova-2-sft-data-prep",
    ),
    Case(
        "reasoning on Nova 1",
        NOVA,
        line(conv(("user", text("q")), ("assistant", [{"reasoningContent": {"reasoningText": {"text": "r"}}}, *text("a")]))),
        ("SCHEMA_MISMATCH",),
        "reasoning is Nova 2 only",
    ),
    Case(
        "document block",
        NOVA,
        line(conv(("user", [{"document": {}}]), ("assistant", text("x")))),
        ("SCHEMA_MISMATCH",),
        "documents not for fine-tuning",
    ),
    # ---- Claude 3 Haiku
    Case(
        "haiku ok",
        HAIKU,
        line(
            {
                "system": "One sentence.",
                "messages": [{"role": "user", "content": "VPC?"}, {"role": "assistant", "content": "A private network."}],
            }
        ),
        (),
        "UG preparing-text-data",
    ),
    Case(
        "haiku system list",
        HAIKU,
        line({"system": [{"text": "x"}], "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}),
        ("SCHEMA_MISMATCH",),
        "UG: system is a string",
    ),
    Case("haiku one turn", HAIKU, line({"messages": [{"role": "user", "content": "a"}]}), ("SCHEMA_MISMATCH",), "cookbook: >= 2 messages"),
    Case(
        "haiku reserved",
        HAIKU,
        line({"messages": [{"role": "user", "content": "a\nHuman: b"}, {"role": "assistant", "content": "c"}]}),
        ("SCHEMA_MISMATCH",),
        "reserved \\nHuman:",
    ),
    # ---- image-ref / caption
    Case(
        "caption ok",
        CANVAS,
        line({"image-ref": f"s3://{BUCKET}/media/chair.png", "caption": "a walnut lounge chair"}),
        (),
        "UG image-ref/caption",
    ),
    Case(
        "caption too short",
        CANVAS,
        line({"image-ref": f"s3://{BUCKET}/media/chair.png", "caption": "ab"}),
        ("SCHEMA_MISMATCH",),
        "UG: prompt 3-1,024 chars",
    ),
    Case(
        "caption image webp",
        CANVAS,
        line({"image-ref": f"s3://{BUCKET}/media/chair.webp", "caption": "a chair"}),
        ("SCHEMA_MISMATCH",),
        "UG: JPEG/PNG",
    ),
    # ---- distillation
    Case(
        "distillation prompt only",
        DISTILL_NOVA,
        line(conv(("user", text("Where is order 88-1234?")))),
        (),
        "UG distillation option 1: assistant optional",
    ),
    Case(
        "distillation multi-turn Nova",
        DISTILL_NOVA,
        line(conv(("user", text("a")), ("assistant", text("b")), ("user", text("c")))),
        (),
        "UG: Nova multi-turn",
    ),
    # A prompt that does not conform is dropped with a PROMPT_DROPPED warning (not an error), as Bedrock
    # drops it; only valid prompts count toward the run's minimum (test_dataset_agreement.py).
    Case(
        "distillation multi-turn Llama dropped",
        DISTILL_LLAMA,
        line(conv(("user", text("a")), ("assistant", text("b")), ("user", text("c")))),
        (),
        "UG distillation-data-prep-option-1: Llama single-turn; aws-samples distillation validator: dropped",
    ),
    Case(
        "distillation multi-turn Llama rejected",
        rules("meta.llama3-1-8b-instruct-v1:0", DISTILL, teacher="meta.llama3-1-405b-instruct-v1:0", invalid_prompts="reject"),
        line(conv(("user", text("a")), ("assistant", text("b")), ("user", text("c")))),
        ("SCHEMA_MISMATCH",),
        "profile distillation_invalid_prompts = reject",
    ),
    Case(
        "distillation other schemaVersion rejected",
        rules("amazon.nova-lite-v1:0", DISTILL, teacher="amazon.nova-pro-v1:0", invalid_prompts="reject"),
        line({**conv(("user", text("a"))), "schemaVersion": "bedrock-conversation-2023"}),
        ("SCHEMA_MISMATCH",),
        "a non-standard schemaVersion does not conform (Bedrock drops it)",
    ),
    Case(
        "distillation image prompt rejected",
        rules("amazon.nova-lite-v1:0", DISTILL, teacher="amazon.nova-pro-v1:0", invalid_prompts="reject"),
        line(conv(("user", [*text("Which part?"), image()]))),
        ("SCHEMA_MISMATCH",),
        "UG distillation-prepare-datasets: text-to-text only",
    ),
    # ---- reinforcement fine-tuning [UG rft-prepare-data, rft-prepare-data-open-weight]
    Case("RFT general QA (doc example)", RFT_NOVA2, line(RFT_QA), (), "UG rft-prepare-data: messages + reference_answer"),
    Case("RFT grader fields", RFT_GPT_OSS, line({**RFT_QA, "task_id": "algebra_001", "domain": "algebra"}), (), "optional grader fields"),
    Case("RFT without reference_answer", RFT_NOVA2, line({"messages": RFT_QA["messages"]}), ("SCHEMA_MISMATCH",), "reference_answer"),
    Case("RFT image part", RFT_GPT_OSS, line({**RFT_QA, "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}),
         ("SCHEMA_MISMATCH",), "text only (SageMaker RFT evaluation: multimodal not supported)"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus(case: Case) -> None:
    report = validate_dataset(iter([case.data[i : i + 4096] for i in range(0, len(case.data), 4096)] or [b""]), case.rules)
    assert tuple(sorted(report.errors_by_code)) == case.codes, case.basis
    assert report.accepted is (case.codes == ())


def test_too_many_records_in_one_file() -> None:
    report = validate_dataset(iter([line(PC) * 3]), replace(LLAMA31, max_records=2))
    assert report.errors_by_code == {"TOO_MANY_RECORDS": 1}


def test_record_bounds_span_training_and_validation_files() -> None:
    llama = find_model("meta.llama3-1-8b-instruct-v1:0")
    assert [c for c, _ in record_count_problems(llama, FT, 60, 39)] == [ReasonCode.TOO_FEW_RECORDS]
    assert record_count_problems(llama, FT, 60, 40) == []
    assert [c for c, _ in record_count_problems(llama, FT, 10_000, 1)] == [ReasonCode.TOO_MANY_RECORDS]
    nova2 = find_model("amazon.nova-2-lite-v1:0")
    assert [c for c, _ in record_count_problems(nova2, FT, 100, 10)] == [ReasonCode.SCHEMA_MISMATCH]


def test_pii_warns_by_default_and_blocks_when_the_profile_says_so() -> None:
    data = line({"prompt": "mail jane.doe@example.com card 4111 1111 1111 1111", "completion": "ok"})
    warned = validate_dataset(iter([data]), LLAMA31)
    assert warned.accepted and warned.warnings_by_code == {"PII_FOUND": 1}
    blocked = validate_dataset(iter([data]), replace(LLAMA31, pii_block=True))
    assert blocked.errors_by_code == {"SENSITIVE_DATA": 1}


def test_secrets_only_warn_when_the_profile_says_warn() -> None:
    data = line({"prompt": "AKIAIOSFODNN7EXAMPLE", "completion": "c"})
    assert validate_dataset(iter([data]), replace(LLAMA31, secrets_block=False)).warnings_by_code == {"SECRET_FOUND": 1}


def test_duplicates_and_near_limit_records_are_warnings_not_errors() -> None:
    long = {"prompt": "a" * int(16_000 * 3 * 0.95), "completion": "c"}
    report = validate_dataset(iter([line(PC) * 2 + line(long)]), LLAMA31)
    assert report.accepted
    assert report.warnings_by_code == {"DUPLICATE_RECORD": 1, "NEAR_TOKEN_LIMIT": 1}


def test_stats_estimate_tokens_on_the_safe_side() -> None:
    report = validate_dataset(iter([line({"prompt": "a" * 300, "completion": "b" * 300})]), LLAMA31)
    assert report.stats.estimated_tokens == 200  # 600 chars / 3: real English runs ~4 chars a token
    assert report.stats.records == 1


def test_every_dataset_reason_code_has_a_case() -> None:
    dataset_codes = {
        ReasonCode.DATASET_EMPTY, ReasonCode.DATASET_TOO_LARGE, ReasonCode.DATASET_NOT_UTF8, ReasonCode.DATASET_BOM,
        ReasonCode.DATASET_COMPRESSED_OR_BINARY, ReasonCode.DATASET_NUL_BYTE, ReasonCode.LINE_TOO_LONG, ReasonCode.LINE_BLANK,
        ReasonCode.LINE_INVALID_JSON, ReasonCode.LINE_NOT_OBJECT, ReasonCode.DUPLICATE_KEY, ReasonCode.NESTING_TOO_DEEP,
        ReasonCode.NON_FINITE_NUMBER, ReasonCode.LONE_SURROGATE, ReasonCode.SCHEMA_MISMATCH, ReasonCode.SENSITIVE_DATA,
    }  # fmt: skip
    covered = {code for case in CASES for code in case.codes}
    assert dataset_codes <= covered
    # TOO_MANY_RECORDS / TOO_FEW_RECORDS are covered by the two record-bound tests above.
    # MEDIA_* codes need the media objects, not the JSONL: test_media.py has one case per code.


def test_every_format_has_an_accepted_and_a_rejected_case() -> None:
    for fmt in DatasetFormat:
        outcomes = {case.codes == () for case in CASES if case.rules.format is fmt}
        assert outcomes == {True, False}, fmt


def test_a_literal_backslash_u0000_is_text_not_a_nul() -> None:
    data = line({"prompt": "in C, write \\u0000 for NUL", "completion": "ok"})
    assert b"\\\\u0000" in data
    assert validate_dataset(iter([data]), LLAMA31).accepted


def test_the_validation_split_is_deterministic_capped_and_loses_no_line() -> None:
    from secure_finetune.dataset import split_lines

    data = b"".join(line({"prompt": f"q{i}", "completion": "a"}) for i in range(1000))
    chunks = [data[i : i + 333] for i in range(0, len(data), 333)]
    first = list(split_lines(iter(chunks), 0.1, None))
    assert first == list(split_lines(iter([data]), 0.1, None))
    validation = [ln for role, ln in first if role is FileRole.VALIDATION]
    assert 60 < len(validation) < 140
    assert b"".join(ln for _, ln in first) == data
    capped = [ln for role, ln in split_lines(iter([data]), 0.1, 5) if role is FileRole.VALIDATION]
    assert len(capped) == 5


# ---------------------------------------------------------------- distillation as Bedrock does it

SOME_PROMPT = conv(("user", text("Where is order 88-1234?")))
MULTI_TURN = conv(("user", text("a")), ("assistant", text("b")), ("user", text("c")))


def test_non_conforming_distillation_prompts_are_dropped_with_a_warning_per_line() -> None:
    data = line(SOME_PROMPT) * 3 + line(MULTI_TURN) + line({**SOME_PROMPT, "schemaVersion": "v2"}) + line(SOME_PROMPT)
    report = validate_dataset(iter([data]), DISTILL_LLAMA)
    assert report.accepted and report.records == 4  # only valid prompts count
    assert report.warnings_by_code == {"PROMPT_DROPPED": 2, "DUPLICATE_RECORD": 3}
    assert [(w.line, w.code) for w in report.warnings if w.code == "PROMPT_DROPPED"] == [(4, "PROMPT_DROPPED"), (5, "PROMPT_DROPPED")]
    assert all("v2" not in w.message for w in report.warnings)  # content-free: the value is not echoed


def test_only_valid_prompts_count_toward_the_minimum() -> None:
    from secure_finetune.dataset import judge_run

    llama = find_model("meta.llama3-1-8b-instruct-v1:0")
    enough = validate_dataset(iter([line(SOME_PROMPT) * 100 + line(MULTI_TURN) * 5]), DISTILL_LLAMA)
    assert judge_run(llama, DISTILL, {FileRole.TRAINING: enough}).accepted
    short = validate_dataset(iter([line(SOME_PROMPT) * 99 + line(MULTI_TURN) * 5]), DISTILL_LLAMA)
    verdict = judge_run(llama, DISTILL, {FileRole.TRAINING: short})
    assert short.accepted and not verdict.accepted and verdict.codes == {"TOO_FEW_RECORDS": 1}
    assert verdict.run_problems[0][1] == "99 valid prompts (5 dropped); distillation needs at least 100 valid prompts"


def test_a_file_whose_every_prompt_has_another_schema_version_is_rejected_zero_valid_prompts() -> None:
    nova = find_model("amazon.nova-lite-v1:0")
    from secure_finetune.dataset import judge_run

    report = validate_dataset(iter([line({**SOME_PROMPT, "schemaVersion": "bedrock-conversation-2023"}) * 150]), DISTILL_NOVA)
    assert report.records == 0 and report.warnings_by_code["PROMPT_DROPPED"] == 150
    verdict = judge_run(nova, DISTILL, {FileRole.TRAINING: report})
    assert str(verdict.reason) == "DATASET_INVALID:TOO_FEW_RECORDS"


def test_reject_mode_rejects_the_file_for_one_non_conforming_prompt() -> None:
    strict = rules("meta.llama3-1-8b-instruct-v1:0", DISTILL, teacher="meta.llama3-1-405b-instruct-v1:0", invalid_prompts="reject")
    report = validate_dataset(iter([line(SOME_PROMPT) * 200 + line(MULTI_TURN)]), strict)
    assert not report.accepted and report.errors_by_code == {"SCHEMA_MISMATCH": 1} and "PROMPT_DROPPED" not in report.warnings_by_code


def test_the_single_turn_rule_binds_the_student_as_well_as_the_teacher() -> None:
    # [UG distillation-data-prep-option-1]: Anthropic and Meta Llama models take single-turn prompts only.
    nova_teacher = "amazon.nova-pro-v1:0"  # multi-turn itself: the Llama student still decides
    llama = DatasetRules.for_run(find_model("meta.llama3-2-1b-instruct-v1:0"), DISTILL, FileRole.TRAINING, BUCKET, teacher=nova_teacher)
    nova = DatasetRules.for_run(find_model("amazon.nova-micro-v1:0"), DISTILL, FileRole.TRAINING, BUCKET, teacher=nova_teacher)
    assert llama.single_turn and not nova.single_turn
    assert not DatasetRules.for_run(find_model("meta.llama3-2-1b-instruct-v1:0"), FT, FileRole.TRAINING, BUCKET).single_turn
    assert validate_dataset(iter([line(MULTI_TURN)]), llama).warnings_by_code == {"PROMPT_DROPPED": 1}


def test_a_dropped_prompt_is_still_scanned_for_secrets() -> None:
    leaked = conv(("user", text("key AKIAIOSFODNN7EXAMPLE")), ("assistant", text("b")), ("user", text("c")))
    report = validate_dataset(iter([line(leaked)]), DISTILL_LLAMA)
    assert report.errors_by_code == {"SENSITIVE_DATA": 1}
