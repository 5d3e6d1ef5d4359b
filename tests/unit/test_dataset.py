"""The streaming validator: bad input first. Every problem has a code, a line, an offset; no content."""

import gzip

import pytest

from secure_finetune.dataset import ERRORS_KEPT_PER_CODE, MAX_LINE_BYTES, DatasetReport, validate_dataset
from secure_finetune.models import DatasetFormat
from secure_finetune.reasons import ReasonCode

PC = DatasetFormat.PROMPT_COMPLETION
GOOD = b'{"prompt": "p", "completion": "c"}\n'


def check(data: bytes, chunk: int = 7) -> DatasetReport:
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)] or [b""]
    return validate_dataset(iter(chunks), PC)


def codes(report: DatasetReport) -> list[tuple[int | None, str]]:
    return [(e.line, e.code) for e in report.errors]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", [(None, ReasonCode.DATASET_EMPTY)]),  # file-level: no line
        (b"\xef\xbb\xbf" + GOOD, [(None, ReasonCode.DATASET_BOM)]),
        (gzip.compress(GOOD * 3), [(None, ReasonCode.DATASET_COMPRESSED_OR_BINARY)]),
        (GOOD + b"\n" + GOOD, [(2, ReasonCode.LINE_BLANK)]),
        (GOOD + b'{"prompt": "p", "completion": \n', [(2, ReasonCode.LINE_INVALID_JSON)]),
        (b'["prompt", "completion"]\n', [(1, ReasonCode.LINE_NOT_OBJECT)]),
        (b'{"prompt": NaN, "completion": "c"}\n', [(1, ReasonCode.NON_FINITE_NUMBER)]),
        (b'{"prompt": "p"}\n', [(1, ReasonCode.SCHEMA_MISMATCH)]),
        (b'{"prompt": "p", "completion": "c", "extra": 1}\n', [(1, ReasonCode.SCHEMA_MISMATCH)]),
        (b'{"prompt": "  ", "completion": "c"}\n', [(1, ReasonCode.SCHEMA_MISMATCH)]),
        (b'{"prompt": 3, "completion": "c"}\n', [(1, ReasonCode.SCHEMA_MISMATCH)]),
        (GOOD + b'{"prompt": "\x00", "completion": "c"}\n', [(2, ReasonCode.DATASET_NUL_BYTE)]),
    ],
)
def test_bad_input_is_reported_with_its_code_and_line(data: bytes, expected: list[tuple[int | None, str]]) -> None:
    # Given a dataset with one kind of problem / When validated
    report = check(data)
    # Then it is rejected with that code at that line
    assert not report.accepted
    assert codes(report) == expected


def test_invalid_utf8_reports_the_byte_offset_of_the_bad_byte() -> None:
    report = check(GOOD + b'{"prompt": "ab\xff", "completion": "c"}\n')
    assert codes(report) == [(2, ReasonCode.DATASET_NOT_UTF8)]
    assert report.errors[0].byte_offset == len(GOOD) + len(b'{"prompt": "ab')


def test_an_oversized_line_is_rejected_without_buffering_it_and_later_lines_are_still_checked() -> None:
    huge = b'{"prompt": "' + b"a" * (MAX_LINE_BYTES + 10) + b'", "completion": "c"}\n'
    report = check(huge + b"not json\n", chunk=65536)
    assert codes(report) == [(1, ReasonCode.LINE_TOO_LONG), (2, ReasonCode.LINE_INVALID_JSON)]


def test_crlf_line_endings_and_u2028_inside_strings_are_accepted() -> None:
    data = b'{"prompt": "a\xe2\x80\xa8b", "completion": "c"}\r\n' + GOOD
    report = check(data, chunk=3)
    assert report.accepted
    assert report.records == 2


def test_multibyte_characters_split_across_chunks_are_valid() -> None:
    data = '{"prompt": "ééééé", "completion": "ü"}\n'.encode() * 5
    for chunk in (1, 2, 3, 5):
        assert check(data, chunk=chunk).accepted


def test_messages_never_echo_record_content() -> None:
    secret = "AKIAIOSFODNN7EXAMPLE"
    data = f'{{"prompt": "{secret}", "completion": "c", "{secret}": 1}}\n{{"{secret}"\n'.encode()
    report = check(data)
    assert not report.accepted
    assert secret not in report.model_dump_json()


def test_errors_are_capped_per_code_but_counted_in_full() -> None:
    report = check(b"x\n" * (ERRORS_KEPT_PER_CODE + 5))
    assert len(report.errors) == ERRORS_KEPT_PER_CODE
    assert report.error_count == ERRORS_KEPT_PER_CODE + 5
    assert report.errors_by_code == {"LINE_INVALID_JSON": ERRORS_KEPT_PER_CODE + 5}


def test_a_good_file_is_accepted_with_its_sha256_and_counts() -> None:
    import hashlib

    data = GOOD * 4
    report = check(data)
    assert report.accepted
    assert (report.records, report.bytes, report.sha256) == (4, len(data), hashlib.sha256(data).hexdigest())


def test_the_run_level_reason_names_the_most_frequent_line_code() -> None:
    report = check(b"x\n" * 3 + b"[]\n")
    assert str(report.reason()) == "DATASET_INVALID:LINE_INVALID_JSON"
