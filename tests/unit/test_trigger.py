import pytest

from secure_finetune.steps.trigger import ignore_reason


@pytest.mark.parametrize(
    ("bucket", "key", "ignored"),
    [
        ("ours", "incoming/p/x.jsonl", False),
        ("ours", "incoming/x.jsonl", False),
        ("other", "incoming/x.jsonl", True),
        ("ours", "outgoing/x.jsonl", True),
        ("ours", "incoming/x.json", True),
        ("ours", "incoming/p/x.validation.jsonl", True),
        ("ours", "incoming/p/\x07x.jsonl", True),
        ("ours", "incoming/" + "a" * 1100 + ".jsonl", True),
    ],
)
def test_only_training_files_under_incoming_of_our_bucket_start_runs(bucket: str, key: str, ignored: bool) -> None:
    assert (ignore_reason(bucket, key, "ours") is not None) is ignored
