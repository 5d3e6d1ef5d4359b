"""Media object limits: image headers, bytes and pixel limits, folding into the report, the step.

Images are built byte by byte here (a few header bytes each; no imaging library). Limits are
those of [UG model-customization-prepare] (Llama 3.2 vision, Titan Image Generator / Nova Canvas,
Titan Multimodal Embeddings) and [NOVA fine-tune-prepare-data-understanding] (Nova), as the
registry (models.py) holds them.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from botocore.stub import Stubber

from secure_finetune import dataset
from secure_finetune.adapters.s3 import DataBucket
from secure_finetune.dataset import (
    HEAD_BYTES,
    DatasetRules,
    FileRole,
    MediaObject,
    MediaReference,
    image_dimensions,
    media_problems,
    validate_dataset,
    with_media_problems,
)
from secure_finetune.models import MB, CustomizationType, MediaRules, find_model
from secure_finetune.reasons import DatasetInvalid, ReasonCode
from secure_finetune.reports import ValidationDocument, read_report
from secure_finetune.settings import ProfileCatalog, StackLimits, resolve_settings
from secure_finetune.state import PipelineState, Registered, RunObject, Timing
from secure_finetune.steps.validate import validate_run_dataset
from tests.unit.conftest import DATA_BUCKET
from tests.unit.fakes import CONFIG, FakeDeps

LLAMA_VISION = cast(MediaRules, find_model("meta.llama3-2-11b-instruct-v1:0").media)  # 10 MB, 10-8192 px per side
NOVA = cast(MediaRules, find_model("amazon.nova-lite-v1:0").media)  # 10 MB images, 50 MB videos, no pixel limits
CANVAS = cast(MediaRules, find_model("amazon.nova-canvas-v1:0").media)  # 50 MB, 512-4096 px, 12,582,912 px, 1:4-4:1
EMBED = cast(MediaRules, find_model("amazon.titan-embed-image-v1").media)  # 5 MB, 128-4096 px
BUCKET = DATA_BUCKET


# ---------------------------------------------------------------- hand-made image headers


def png(width: int, height: int) -> bytes:
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x06\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + len(ihdr).to_bytes(4, "big") + b"IHDR" + ihdr + b"\x00" * 4


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + width.to_bytes(2, "little") + height.to_bytes(2, "little") + b"\x00\x00\x00"


def webp(chunk: bytes, payload: bytes) -> bytes:
    body = b"WEBP" + chunk + len(payload).to_bytes(4, "little") + payload
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def webp_lossy(width: int, height: int, start_code: bytes = b"\x9d\x01\x2a") -> bytes:
    return webp(b"VP8 ", b"\x10\x02\x00" + start_code + width.to_bytes(2, "little") + height.to_bytes(2, "little"))


def webp_lossless(width: int, height: int, signature: int = 0x2F) -> bytes:
    return webp(b"VP8L", bytes([signature]) + ((width - 1) | (height - 1) << 14).to_bytes(4, "little"))


def webp_extended(width: int, height: int) -> bytes:
    return webp(b"VP8X", b"\x00" * 4 + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"))


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def jpeg(width: int, height: int, metadata_bytes: int = 0) -> bytes:
    """SOI, APP0 (JFIF), APP1 segments of metadata_bytes in all, SOF0, SOS, EOI."""
    parts = [b"\xff\xd8", segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")]
    while metadata_bytes > 0:
        size = min(metadata_bytes, 65_000)
        parts.append(segment(0xE1, b"\x00" * size))
        metadata_bytes -= size
    sof = b"\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big") + b"\x03" + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    parts += [segment(0xC0, sof), segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"), b"\x00" * 8, b"\xff\xd9"]
    return b"".join(parts)


def ref(line: int = 3, kind: str = "image", fmt: str = "png") -> MediaReference:
    return MediaReference(uri=f"s3://{BUCKET}/media/x{line}.{fmt}", line=line, byte_offset=100 * line, kind=kind, format=fmt)


def image_object(data: bytes, line: int = 3, size: int | None = None) -> MediaObject:
    return MediaObject(ref(line), size=len(data) if size is None else size, head=data[:HEAD_BYTES])


def codes(problems: list[tuple[int, ReasonCode, str]]) -> list[tuple[int, str]]:
    return [(line, code.value) for line, code, _ in problems]


# ---------------------------------------------------------------- bad headers first


@pytest.mark.parametrize(
    "head",
    [
        png(100, 100)[:20],  # signature and IHDR type, the size cut off
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIEND" + b"\x00" * 8,  # first chunk is not IHDR
        jpeg(100, 100)[:20],  # SOI and APP0, the file ends before the SOF
        jpeg(100, 100)[:27],  # cut inside the SOF, before the width
        b"\xff\xd8" + segment(0xDA, b"\x00" * 4),  # the scan starts before any frame header
        b"\xff\xd8\x00\x00\x00\x00",  # not at a marker after SOI
        b"\xff\xd8\xff\xe0\x00\x01",  # a segment length below 2
        jpeg(100, 0),  # height 0: defined by a later DNL marker
        gif(100, 100)[:8],  # GIF cut in its screen descriptor
        webp_lossy(100, 100, start_code=b"\x00\x00\x00"),  # VP8 without a key frame start code
        webp_lossless(100, 100, signature=0x00),  # VP8L without its signature byte
        webp_extended(100, 100)[:26],  # VP8X cut in the canvas size
        b"RIFF\x00\x00\x00\x00WEBPALPH",  # an unknown first WEBP chunk
        b"BM" + b"\x00" * 40,  # BMP: not a format we read
        b"",
    ],
    ids=lambda head: repr(head[:12]),
)
def test_an_unreadable_header_has_no_dimensions(head: bytes) -> None:
    assert image_dimensions(head) is None


def test_a_jpeg_whose_frame_header_lies_beyond_the_head_is_unreadable_and_rejected() -> None:
    data = jpeg(640, 480, metadata_bytes=HEAD_BYTES)  # EXIF/ICC metadata push the SOF past 64 KiB
    assert image_dimensions(data) == (640, 480)  # the whole file does tell ...
    assert image_dimensions(data[:HEAD_BYTES]) is None  # ... its head does not: fail closed
    assert codes(media_problems([image_object(data)], LLAMA_VISION)) == [(3, "MEDIA_UNREADABLE")]


def test_an_image_without_a_head_is_unreadable_where_pixel_limits_apply() -> None:
    assert codes(media_problems([MediaObject(ref(), size=1_000)], CANVAS)) == [(3, "MEDIA_UNREADABLE")]


def test_an_empty_object_is_unreadable() -> None:
    assert codes(media_problems([image_object(b"")], NOVA)) == [(3, "MEDIA_UNREADABLE")]


def test_a_missing_object_is_not_found() -> None:
    assert codes(media_problems([MediaObject(ref(7), size=None)], NOVA)) == [(7, "MEDIA_NOT_FOUND")]


def test_an_image_over_the_byte_limit_is_too_large() -> None:
    problems = media_problems([image_object(png(100, 100), size=10 * MB + 1)], NOVA)
    assert codes(problems) == [(3, "MEDIA_TOO_LARGE")]
    assert "10000000" in problems[0][2]


def test_a_video_over_the_byte_limit_is_too_large() -> None:
    video = MediaObject(ref(4, "video", "mp4"), size=50 * MB + 1)
    assert codes(media_problems([video], NOVA)) == [(4, "MEDIA_TOO_LARGE")]


def test_embeddings_take_5_mb_where_llama_takes_10() -> None:
    big = image_object(png(200, 200), size=6 * MB)
    assert codes(media_problems([big], EMBED)) == [(3, "MEDIA_TOO_LARGE")]
    assert media_problems([big], LLAMA_VISION) == []


@pytest.mark.parametrize(
    ("data", "rules"),
    [
        (png(0, 100), LLAMA_VISION),  # zero width
        (png(9, 100), LLAMA_VISION),  # below 10 px
        (png(8193, 100), LLAMA_VISION),  # above 8192 px
        (png(2**31 - 1, 2**31 - 1), LLAMA_VISION),  # huge
        (gif(100, 9), LLAMA_VISION),
        (webp_lossless(16384, 100), LLAMA_VISION),
        (jpeg(4096, 511), CANVAS),  # Canvas: at least 512 px a side
        (jpeg(4000, 4000), CANVAS),  # 16,000,000 px > 12,582,912
        (png(4096, 1000), CANVAS),  # aspect 4.1:1
        (png(127, 127), EMBED),
        (png(4097, 200), EMBED),
    ],
    ids=[
        "zero",
        "tiny",
        "wide",
        "huge",
        "gif-short",
        "webp-wide",
        "canvas-short",
        "canvas-pixels",
        "canvas-aspect",
        "embed-small",
        "embed-big",
    ],
)
def test_dimensions_outside_the_documented_range_are_rejected(data: bytes, rules: MediaRules) -> None:
    assert codes(media_problems([image_object(data)], rules)) == [(3, "MEDIA_DIMENSIONS_OUT_OF_RANGE")]


# ---------------------------------------------------------------- valid images


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png(1024, 768), (1024, 768)),
        (gif(320, 200), (320, 200)),
        (webp_lossy(800, 600), (800, 600)),
        (webp_lossless(16384, 1), (16384, 1)),
        (webp_extended(8192, 10), (8192, 10)),
        (jpeg(640, 480), (640, 480)),
        (b"\xff\xd8\xff\xff" + jpeg(12, 34)[2:], (12, 34)),  # a fill byte before a marker
        (jpeg(3000, 2000, metadata_bytes=60_000), (3000, 2000)),  # metadata that still fits the head
    ],
    ids=["png", "gif", "webp-vp8", "webp-vp8l", "webp-vp8x", "jpeg", "jpeg-fill", "jpeg-metadata"],
)
def test_dimensions_are_read_from_each_format(data: bytes, size: tuple[int, int]) -> None:
    assert image_dimensions(data[:HEAD_BYTES]) == size


@pytest.mark.parametrize(
    ("data", "rules"),
    [
        (png(10, 8192), LLAMA_VISION),  # both Llama bounds, inclusive
        (webp_lossy(560, 560), LLAMA_VISION),
        (jpeg(4096, 3072), CANVAS),  # 12,582,912 px exactly
        (png(2048, 512), CANVAS),  # 4:1 exactly
        (png(128, 4096), EMBED),
    ],
)
def test_images_within_the_documented_limits_pass(data: bytes, rules: MediaRules) -> None:
    assert media_problems([image_object(data)], rules) == []


def test_nova_documents_no_pixel_limits_so_only_bytes_are_checked() -> None:
    assert media_problems([MediaObject(ref(), size=10 * MB)], NOVA) == []
    assert media_problems([MediaObject(ref(2, "video", "mp4"), size=50 * MB, seconds=90.0)], NOVA) == []


def test_dimensions_read_earlier_stand_in_for_the_head() -> None:
    assert codes(media_problems([MediaObject(ref(), size=100, dimensions=(5, 5))], LLAMA_VISION)) == [(3, "MEDIA_DIMENSIONS_OUT_OF_RANGE")]


def test_messages_carry_no_object_name() -> None:
    problems = media_problems([MediaObject(ref(7), size=None), image_object(png(5, 5))], LLAMA_VISION)
    assert all("media/" not in message and "s3://" not in message for _, _, message in problems)


# ---------------------------------------------------------------- the report


def conversation_line(*uris: str) -> bytes:
    blocks = [{"image": {"format": "png", "source": {"s3Location": {"uri": uri}}}} for uri in uris]
    record = {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [{"role": "user", "content": [{"text": "What is shown?"}, *blocks]}, {"role": "assistant", "content": [{"text": "x"}]}],
    }
    return (json.dumps(record) + "\n").encode()


NOVA_RULES = DatasetRules.for_run(
    find_model("amazon.nova-lite-v1:0"), CustomizationType.FINE_TUNING, FileRole.TRAINING, media_bucket=BUCKET
)


def test_the_report_keeps_each_distinct_media_uri_once_with_its_first_line_and_never_serializes_it() -> None:
    a, b = f"s3://{BUCKET}/media/a.png", f"s3://{BUCKET}/media/b.png"
    data = conversation_line(a) + b'{"bad json\n' + conversation_line(b, a) + conversation_line(b)
    report = validate_dataset(iter([data]), NOVA_RULES)
    assert [(r.uri, r.line, r.byte_offset) for r in report.media] == [(a, 1, 0), (b, 3, len(conversation_line(a)) + 11)]
    assert not report.media_truncated
    assert "media" not in report.model_dump() and "media/" not in report.model_dump_json()


def test_the_report_caps_the_media_uris_it_keeps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataset.checker, "MAX_MEDIA_REFERENCES", 2)
    data = b"".join(conversation_line(f"s3://{BUCKET}/media/{n}.png") for n in range(3))
    report = validate_dataset(iter([data]), NOVA_RULES)
    assert [r.line for r in report.media] == [1, 2]
    assert report.media_truncated


def test_media_problems_fold_into_the_errors_by_line_and_reject_the_report() -> None:
    a, b = f"s3://{BUCKET}/media/a.png", f"s3://{BUCKET}/media/b.png"
    report = validate_dataset(iter([conversation_line(a) + conversation_line(b)]), NOVA_RULES)
    assert report.accepted
    folded = with_media_problems(report, [(2, ReasonCode.MEDIA_NOT_FOUND, "the image object does not exist")])
    assert not folded.accepted
    assert [(e.line, e.byte_offset, e.code) for e in folded.errors] == [(2, len(conversation_line(a)), "MEDIA_NOT_FOUND")]
    assert folded.errors_by_code == {"MEDIA_NOT_FOUND": 1}
    assert str(folded.reason()) == "DATASET_INVALID:MEDIA_NOT_FOUND"


def test_folded_media_errors_are_capped_per_code_with_the_total_kept() -> None:
    report = validate_dataset(iter([conversation_line(f"s3://{BUCKET}/media/a.png")]), NOVA_RULES)
    folded = with_media_problems(report, [(n, ReasonCode.MEDIA_TOO_LARGE, "too large") for n in range(1, 31)], "5 not checked")
    assert folded.error_count == 30 and len(folded.errors) == dataset.ERRORS_KEPT_PER_CODE
    assert folded.warnings_by_code == {"MEDIA_NOT_CHECKED": 1}


# ---------------------------------------------------------------- S3: the adapter and the step

OWNER = "111122223333"


def test_peek_heads_then_reads_a_pinned_range_naming_the_bucket_owner(offline_aws: None) -> None:
    data = DataBucket(BUCKET, OWNER, "arn:aws:kms:us-east-1:111122223333:key/k")
    with Stubber(data._s3) as stub:
        stub.add_response(
            "head_object", {"ETag": '"e1"', "ContentLength": 5000}, {"Bucket": BUCKET, "Key": "media/a.png", "ExpectedBucketOwner": OWNER}
        )
        stub.add_response(
            "get_object",
            {"Body": _body(png(20, 20))},
            {"Bucket": BUCKET, "Key": "media/a.png", "IfMatch": '"e1"', "Range": "bytes=0-65535", "ExpectedBucketOwner": OWNER},
        )
        stub.add_client_error("head_object", service_error_code="404", http_status_code=404)
        found = data.peek("media/a.png", HEAD_BYTES)
        assert found is not None and found[0].size == 5000 and image_dimensions(found[1]) == (20, 20)
        assert data.peek("media/gone.png", HEAD_BYTES) is None
        stub.assert_no_pending_responses()


def _body(data: bytes) -> object:
    from io import BytesIO

    from botocore.response import StreamingBody

    return StreamingBody(BytesIO(data), len(data))


def run_state(s3: Any, lines: list[bytes]) -> PipelineState:
    key = "incoming/vision.jsonl"
    version = s3.put_object(Bucket=BUCKET, Key=key, Body=b"".join(lines))["VersionId"]
    catalog = ProfileCatalog.model_validate({"version": "v", "profiles": {"default": {"base_model": "meta.llama3-2-11b-instruct-v1:0"}}})
    return PipelineState(
        run=RunObject(run_id="vision-0123456789abcdef0123", bucket=BUCKET, key=key, version_id=version, etag="e", size=1),
        timing=Timing(training_timeout_seconds=60, job_slot_timeout_seconds=60, throughput_poll_seconds=1, throughput_max_polls=3),
        registered=Registered(settings=resolve_settings(catalog, None, {}, StackLimits())),
    )


def vision_lines_with_two_bad_media(s3: Any) -> list[bytes]:
    """Llama 3.2 vision data (100 records) whose line 3 shows a 5x5 PNG and line 7 a missing one."""
    s3.put_object(Bucket=BUCKET, Key="media/tiny.png", Body=png(5, 5))
    s3.put_object(Bucket=BUCKET, Key="media/ok.png", Body=png(600, 400))
    lines = [conversation_line(f"s3://{BUCKET}/media/ok.png") for _ in range(100)]
    lines[2] = conversation_line(f"s3://{BUCKET}/media/tiny.png")
    lines[6] = conversation_line(f"s3://{BUCKET}/media/missing.png")
    return lines


def test_the_step_rejects_a_dataset_whose_media_break_the_limits_with_their_lines(moto_bucket: tuple[Any, DataBucket, str]) -> None:
    s3, bucket, key_arn = moto_bucket
    state = run_state(s3, vision_lines_with_two_bad_media(s3))
    deps = FakeDeps(config=CONFIG.model_copy(update={"key_arn": key_arn}), bucket=bucket)
    # When the step validates it
    with pytest.raises(DatasetInvalid) as stopped:
        validate_run_dataset(state, deps)
    # Then the run is DATASET_INVALID and the report names each line and code
    assert str(stopped.value).startswith("DATASET_INVALID:MEDIA_")
    document = read_report(bucket, state.run.run_id, ValidationDocument)
    assert document is not None
    assert [(e.line, e.code) for e in document.training.errors] == [(3, "MEDIA_DIMENSIONS_OUT_OF_RANGE"), (7, "MEDIA_NOT_FOUND")]
    assert "media/" not in json.dumps(document.wire())


def test_the_step_accepts_a_dataset_whose_media_are_within_the_limits(moto_bucket: tuple[Any, DataBucket, str]) -> None:
    s3, bucket, key_arn = moto_bucket
    s3.put_object(Bucket=BUCKET, Key="media/ok.jpg", Body=jpeg(600, 400))
    state = run_state(s3, [conversation_line(f"s3://{BUCKET}/media/ok.jpg")] * 100)
    deps = FakeDeps(config=CONFIG.model_copy(update={"key_arn": key_arn}), bucket=bucket)
    result = validate_run_dataset(state, deps)
    assert result.records == 100 and result.training_uri.startswith(f"s3://{BUCKET}/validated/")


# ---------------------------------------------------------------- one case per media reason code

MEDIA_CASES = [
    (MediaObject(ref(), size=None), NOVA, ReasonCode.MEDIA_NOT_FOUND),
    (image_object(png(100, 100), size=10 * MB + 1), NOVA, ReasonCode.MEDIA_TOO_LARGE),
    (image_object(png(9, 9)), LLAMA_VISION, ReasonCode.MEDIA_DIMENSIONS_OUT_OF_RANGE),
    (image_object(b"\xff\xd8\xff\xe1"), LLAMA_VISION, ReasonCode.MEDIA_UNREADABLE),
    (MediaObject(ref(4, "video", "mp4"), size=1_000, seconds=91.0), NOVA, ReasonCode.MEDIA_TOO_LONG),
]


def test_every_media_reason_code_has_a_case() -> None:
    # The corpus (test_dataset_corpus.py) feeds JSONL only; these codes need objects, so they are covered here.
    produced: set[ReasonCode] = set()
    for item, rules, expected in MEDIA_CASES:
        [(_, code, _)] = media_problems([item], rules)
        assert code is expected
        produced.add(code)
    assert produced == {code for code in ReasonCode if code.name.startswith("MEDIA_")}
