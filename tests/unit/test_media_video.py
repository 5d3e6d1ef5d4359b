"""Video duration (Nova: at most 90 s), read from the container's own header.

Containers are built box by box / element by element here (no media library): MP4/MOV keep the
duration in ``moov/mvhd`` (first in "fast start" files, after the media data otherwise); Matroska
and WebM in the segment's ``Info`` (``Duration`` x ``TimecodeScale``).
"""

from __future__ import annotations

import json
import struct
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secure_finetune.adapters.s3 import DataBucket
from secure_finetune.dataset import HEAD_BYTES, MediaObject, media_problems, video_seconds
from secure_finetune.models import MediaRules, find_model
from secure_finetune.reasons import DatasetInvalid
from secure_finetune.reports import ValidationDocument, read_report
from secure_finetune.settings import ProfileCatalog, StackLimits, resolve_settings
from secure_finetune.state import PipelineState, Registered, RunObject, Timing
from secure_finetune.steps.validate import validate_run_dataset
from tests.unit.conftest import DATA_BUCKET
from tests.unit.fakes import CONFIG, FakeDeps
from tests.unit.test_media import codes, ref

NOVA = cast(MediaRules, find_model("amazon.nova-lite-v1:0").media)  # Nova Lite has media rules


# ---------------------------------------------------------------- containers, by hand


def box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def mvhd(timescale: int, duration: int, version: int = 0) -> bytes:
    times = bytes(8) if version == 0 else bytes(16)
    width = 4 if version == 0 else 8
    return bytes([version, 0, 0, 0]) + times + timescale.to_bytes(4, "big") + duration.to_bytes(width, "big") + bytes(80)


def mp4(seconds: float, *, fast_start: bool = True, media_bytes: int = 100_000, version: int = 0, large_mdat: bool = False) -> bytes:
    ftyp = box(b"ftyp", b"isom\0\0\2\0isomiso2mp41")
    moov = box(b"moov", box(b"mvhd", mvhd(600, round(seconds * 600), version)) + box(b"trak", bytes(300)))
    if large_mdat:  # size 1: a 64-bit size follows the type
        mdat = (1).to_bytes(4, "big") + b"mdat" + (16 + media_bytes).to_bytes(8, "big") + bytes(media_bytes)
    else:
        mdat = box(b"mdat", bytes(media_bytes))
    return ftyp + (moov + mdat if fast_start else mdat + moov)


def element(element_id: int, payload: bytes) -> bytes:
    # An 8-byte size (marker 0x01 + 7 bytes), as many muxers write it
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + b"\x01" + len(payload).to_bytes(7, "big") + payload


def mkv(seconds: float | None, *, scale: int = 1_000_000, float_bytes: int = 8, live: bool = False, doc: bytes = b"matroska") -> bytes:
    header = element(0x1A45DFA3, element(0x4282, doc))
    info = element(0x2AD7B1, scale.to_bytes(3, "big"))
    if seconds is not None:
        info += element(0x4489, struct.pack(">d" if float_bytes == 8 else ">f", seconds * 1e9 / scale))
    body = element(0x114D9B74, bytes(40)) + element(0x1549A966, info) + element(0x1654AE6B, bytes(200)) + element(0x1F43B675, bytes(5000))
    if live:  # a live stream's Segment: size unknown (all value bits set)
        return header + (0x18538067).to_bytes(4, "big") + b"\x01\xff\xff\xff\xff\xff\xff\xff" + body
    return header + element(0x18538067, body)


class Reads:
    """The object's bytes by range, counting what was read (the step reads S3 the same way)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.bytes_read = data, 0

    def __call__(self, offset: int, length: int) -> bytes:
        # S3 refuses a range that starts at or past the end (InvalidRange): the parser never asks for one
        assert 0 <= offset < len(self.data) and length > 0, f"range {offset}+{length} of {len(self.data)} bytes"
        chunk = self.data[offset : offset + length]
        self.bytes_read += len(chunk)
        return chunk


def seconds_of(data: bytes) -> float | None:
    return video_seconds(Reads(data), len(data))


# ---------------------------------------------------------------- bad and unreadable first


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a video at all, just some text",
        mp4(30)[:40],  # cut inside the moov box
        box(b"ftyp", b"isom") + box(b"mdat", bytes(100)),  # no moov at all
        box(b"ftyp", b"isom") + box(b"moov", box(b"trak", bytes(20))),  # a moov without mvhd
        mkv(None),  # a WebM/MKV without Duration (e.g. a browser's live recording)
        box(b"ftyp", b"isom") + box(b"moov", box(b"mvhd", mvhd(0, 100))),  # timescale 0
        mp4(0),  # a fragmented MP4 writes duration 0 in mvhd: its length is in the fragments
        mkv(0.0),
        box(b"ftyp", b"isom") + box(b"mdat", bytes(100)) + box(b"moov", b""),  # an empty moov at the end
    ],
    ids=["empty", "text", "cut", "no-moov", "no-mvhd", "mkv-without-duration", "timescale-0", "fragmented", "mkv-zero", "empty-moov"],
)
def test_a_container_that_does_not_tell_its_duration_reads_none(data: bytes) -> None:
    assert seconds_of(data) is None


def test_an_unreadable_duration_is_rejected_where_the_model_limits_it() -> None:
    video = MediaObject(ref(4, "video", "mp4"), size=1_000, seconds=None)
    problems = media_problems([video], NOVA)
    assert codes(problems) == [(4, "MEDIA_UNREADABLE")]
    assert "duration" in problems[0][2]


def test_a_video_longer_than_90_seconds_is_too_long_and_says_by_how_much() -> None:
    problems = media_problems([MediaObject(ref(4, "video", "mp4"), size=1_000, seconds=95.5)], NOVA)
    assert codes(problems) == [(4, "MEDIA_TOO_LONG")]
    assert "95.5 s; at most 90 s" in problems[0][2]
    assert media_problems([MediaObject(ref(4, "video", "mp4"), size=1_000, seconds=90.0)], NOVA) == []


# ---------------------------------------------------------------- durations read


def test_a_fast_start_mp4_tells_its_duration_from_its_head() -> None:
    assert seconds_of(mp4(30)) == 30.0


def test_an_mp4_whose_index_follows_the_media_is_read_from_box_headers_only() -> None:
    data = mp4(95.5, fast_start=False, media_bytes=2_000_000, version=1, large_mdat=True)
    reads = Reads(data)
    assert video_seconds(reads, len(data)) == 95.5
    assert reads.bytes_read < 2_000  # two box headers and the small moov, not the 2 MB of media


@pytest.mark.parametrize(("float_bytes", "scale"), [(8, 1_000_000), (4, 1_000_000), (8, 100_000)])
def test_a_matroska_or_webm_tells_its_duration_in_its_info(float_bytes: int, scale: int) -> None:
    assert seconds_of(mkv(42.25, float_bytes=float_bytes, scale=scale)) == pytest.approx(42.25, abs=0.01)
    assert seconds_of(mkv(42.25, doc=b"webm", float_bytes=float_bytes, scale=scale)) == pytest.approx(42.25, abs=0.01)


def test_a_live_segment_of_unknown_size_is_still_read() -> None:
    assert seconds_of(mkv(12.0, live=True)) == 12.0


# ---------------------------------------------------------------- the step, on moto's S3


def video_line(uri: str, fmt: str = "mp4") -> bytes:
    record = {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {
                "role": "user",
                "content": [{"text": "How many forklifts appear?"}, {"video": {"format": fmt, "source": {"s3Location": {"uri": uri}}}}],
            },
            {"role": "assistant", "content": [{"text": "Two."}]},
        ],
    }
    return (json.dumps(record) + "\n").encode()


def test_the_step_names_each_video_too_long_empty_or_unreadable_on_its_line(moto_bucket: tuple[Any, DataBucket, str]) -> None:
    # Given Nova Lite video data (8 records): line 2 shows a 95 s MP4 whose index follows 200 KB of media
    s3, bucket, key_arn = moto_bucket
    s3.put_object(Bucket=DATA_BUCKET, Key="media/short.mp4", Body=mp4(30))
    s3.put_object(Bucket=DATA_BUCKET, Key="media/long.mp4", Body=mp4(95, fast_start=False, media_bytes=HEAD_BYTES * 3))
    s3.put_object(Bucket=DATA_BUCKET, Key="media/clip.webm", Body=mkv(60, doc=b"webm"))
    s3.put_object(Bucket=DATA_BUCKET, Key="media/empty.mp4", Body=b"")
    # an empty moov box as the last 8 bytes, past the 64 KiB head: nothing left to range-read
    s3.put_object(
        Bucket=DATA_BUCKET, Key="media/tail.mp4", Body=box(b"ftyp", b"isom") + box(b"mdat", bytes(HEAD_BYTES)) + box(b"moov", b"")
    )
    lines = [video_line(f"s3://{DATA_BUCKET}/media/short.mp4") for _ in range(8)]
    lines[1] = video_line(f"s3://{DATA_BUCKET}/media/long.mp4")
    lines[3] = video_line(f"s3://{DATA_BUCKET}/media/empty.mp4")
    lines[4] = video_line(f"s3://{DATA_BUCKET}/media/tail.mp4")
    lines[5] = video_line(f"s3://{DATA_BUCKET}/media/clip.webm", "webm")
    key = "incoming/videos.jsonl"
    version = s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=b"".join(lines))["VersionId"]
    catalog = ProfileCatalog.model_validate({"version": "v", "profiles": {"default": {"base_model": "amazon.nova-lite-v1:0"}}})
    state = PipelineState(
        run=RunObject(run_id="videos-0123456789abcdef0123", bucket=DATA_BUCKET, key=key, version_id=version, etag="e", size=1),
        timing=Timing(training_timeout_seconds=60, job_slot_timeout_seconds=60, throughput_poll_seconds=1, throughput_max_polls=3),
        registered=Registered(settings=resolve_settings(catalog, None, {}, StackLimits())),
    )
    deps = FakeDeps(config=CONFIG.model_copy(update={"key_arn": key_arn, "bucket": DATA_BUCKET}), bucket=bucket)
    # When the step validates it
    with pytest.raises(DatasetInvalid, match="DATASET_INVALID:MEDIA_"):
        validate_run_dataset(state, deps)
    # Then the long, the empty and the unreadable lines are named (the 30 s MP4 and the 60 s WebM pass)
    document = read_report(bucket, state.run.run_id, ValidationDocument)
    assert document is not None
    assert [(e.line, e.code) for e in document.training.errors] == [(2, "MEDIA_TOO_LONG"), (4, "MEDIA_UNREADABLE"), (5, "MEDIA_UNREADABLE")]


# ---------------------------------------------------------------- no bytes crash it

_CONTAINERS = [mp4(30), mp4(95, fast_start=False, media_bytes=2_000, version=1, large_mdat=True), mkv(42.0), mkv(12.0, live=True)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_CONTAINERS), st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8))
def test_a_damaged_container_reads_a_duration_or_none_and_never_raises(container: bytes, damage: list[tuple[int, int]]) -> None:
    data = bytearray(container)
    for position, value in damage:
        data[position % len(data)] = value
    seconds = seconds_of(bytes(data))
    assert seconds is None or (seconds >= 0 and seconds == seconds)  # no NaN, nothing negative


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([b"", b"\x00\x00\x00\x18ftyp", b"\x1a\x45\xdf\xa3"]), st.binary(max_size=512))
def test_random_bytes_behind_a_container_magic_never_raise(magic: bytes, tail: bytes) -> None:
    seconds = seconds_of(magic + tail)
    assert seconds is None or seconds >= 0
