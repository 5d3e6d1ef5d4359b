"""Context rules (GR-CTX): the account, the bucket's owner and region, the base model."""

from __future__ import annotations

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
    details = ev.foundation_model
    if details is None:
        return UNKNOWN, "GetFoundationModel could not be read"
    if ev.customization_type not in details.get("customizationsSupported", []):
        return FAIL, f"the base model does not support {ev.customization_type} here"
    if details.get("modelLifecycle", {}).get("status") != "ACTIVE":
        return FAIL, "the base model is not ACTIVE"
    return PASS, f"the base model is ACTIVE and supports {ev.customization_type}"
