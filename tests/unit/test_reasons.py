import pytest

from secure_finetune.reasons import DatasetInvalid, Reason, ReasonCode


def test_reason_is_code_or_code_colon_detail_and_round_trips() -> None:
    assert str(Reason(ReasonCode.DATASET_EMPTY)) == "DATASET_EMPTY"
    reason = Reason(ReasonCode.GUARDRAIL_FAILED, "GR-S3-01,GR-OBJ-01")
    assert str(reason) == "GUARDRAIL_FAILED:GR-S3-01,GR-OBJ-01"
    assert Reason.parse(str(reason)) == reason


@pytest.mark.parametrize("detail", ["has space", "line\nbreak", "x" * 201, "é"])
def test_reason_detail_refuses_anything_that_could_be_content(detail: str) -> None:
    with pytest.raises(ValueError):
        Reason(ReasonCode.INTERNAL_ERROR, detail)


def test_unknown_code_is_refused() -> None:
    with pytest.raises(ValueError):
        Reason.parse("NOT_A_CODE")


def test_a_stop_carries_its_reason_as_message_and_its_class_name_as_error_name() -> None:
    stop = DatasetInvalid(Reason(ReasonCode.DATASET_INVALID, "LINE_BLANK"))
    assert (type(stop).__name__, str(stop)) == ("DatasetInvalid", "DATASET_INVALID:LINE_BLANK")
