"""Property-based: no input crashes the validator, and its report stays consistent."""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secure_finetune.dataset import DatasetRules, validate_dataset
from secure_finetune.models import DatasetFormat

FORMATS = st.sampled_from(list(DatasetFormat))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def check(data: bytes, fmt: DatasetFormat, chunk: int) -> None:
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)] or [b""]
    report = validate_dataset(iter(chunks), DatasetRules(format=fmt, media_bucket="b"))
    assert report.bytes == len(data)
    assert report.accepted is (report.error_count == 0)
    assert report.error_count == sum(report.errors_by_code.values())
    assert all((e.line is None or e.line >= 1) and 0 <= e.byte_offset <= len(data) for e in report.errors)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=2048), FORMATS, st.integers(min_value=1, max_value=64))
def test_random_bytes_never_crash_the_validator(data: bytes, fmt: DatasetFormat, chunk: int) -> None:
    check(data, fmt, chunk)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(JSON, min_size=1, max_size=5), FORMATS, st.integers(min_value=1, max_value=64))
def test_random_json_lines_never_crash_the_validator(records: list[Any], fmt: DatasetFormat, chunk: int) -> None:
    check(b"".join((json.dumps(r) + "\n").encode() for r in records), fmt, chunk)


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=5), st.integers(min_value=1, max_value=16), st.booleans())
def test_well_formed_prompt_completion_is_accepted_whatever_the_chunking(
    pairs: list[tuple[str, str]], chunk: int, ascii_only: bool
) -> None:
    data = b"".join((json.dumps({"prompt": p + "x", "completion": c + "y"}, ensure_ascii=ascii_only) + "\n").encode() for p, c in pairs)
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    report = validate_dataset(iter(chunks), DatasetRules(format=DatasetFormat.PROMPT_COMPLETION, secrets_block=False))
    assert report.accepted, report.errors
    assert report.records == len(pairs)
