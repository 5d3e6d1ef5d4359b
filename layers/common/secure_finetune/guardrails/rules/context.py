"""Context rules (GR-CTX): the account, the bucket's owner and region, the base model."""

from __future__ import annotations

from ...lifecycles import Lifecycle, documented_lifecycle, read_live, today_utc
from ...models import UnknownModel, find_model
from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict


def account_region(ev: Evidence) -> Verdict:
    if ev.caller_account is None:
        return UNKNOWN, "the caller identity could not be read"
    if ev.caller_account != ev.account:
        return FAIL, "running in another account than the stack's"
    if ev.event_bucket != ev.bucket_name:
        return FAIL, "the event names another bucket than the stack's data bucket"
    return PASS, "account and bucket are the stack's"


def bucket_owner(ev: Evidence) -> Verdict:
    if ev.bucket.owned is None or ev.bucket.region is None:
        return UNKNOWN, "HeadBucket with ExpectedBucketOwner could not be read"
    if not ev.bucket.owned:
        return FAIL, "the bucket is owned by another account"
    if ev.bucket.region != ev.region:
        return FAIL, f"the bucket is in {ev.bucket.region}, the job in {ev.region}"
    return PASS, "the bucket is ours and in the job's region"


def base_model(ev: Evidence) -> Verdict:
    """Offered for this customization in the run's region and not past its end of life. A LEGACY model passes
    (it can still be customized until its EOL date) and the detail says so with the date.
    https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html"""
    details = ev.foundation_model
    if details is None:
        return UNKNOWN, "GetFoundationModel could not be read"
    if details.get("offered") is False:  # ResourceNotFoundException: not offered here, or past its end of life here
        documented = _documented(str(details.get("modelId", "")))
        if documented is not None and documented.status_in(ev.region) == "EOL" and documented.end_of_life_date:
            return FAIL, f"the base model reached its end of life in {ev.region} on {documented.end_of_life_date.isoformat()}"
        return FAIL, f"the base model is not offered in {ev.region} (GetFoundationModel: not found)"
    live = read_live(details)
    today = today_utc()
    if live.past_end_of_life(today):
        assert live.end_of_life_date is not None
        return FAIL, f"the base model reached its end of life on {live.end_of_life_date.isoformat()}"
    if ev.customization_type not in details.get("customizationsSupported", []):
        return FAIL, f"the base model does not support {ev.customization_type} here"
    if live.status == "LEGACY":
        eol = f"; end of life on {live.end_of_life_date.isoformat()}" if live.end_of_life_date else ""
        return PASS, f"the base model is LEGACY{eol} (plan a move) and supports {ev.customization_type}"
    if live.status != "ACTIVE":
        return FAIL, f"the base model's lifecycle status is {live.status or 'missing'}, not ACTIVE or LEGACY"
    return PASS, f"the base model is ACTIVE and supports {ev.customization_type}"


def _documented(model_id: str) -> Lifecycle | None:
    try:
        return documented_lifecycle(find_model(model_id).model_id)
    except UnknownModel:
        return None
