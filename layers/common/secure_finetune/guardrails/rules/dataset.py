"""Dataset object rules (GR-OBJ): the run's object, its key and version, the validator's findings, malware."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ...runs import dataset_key_problem
from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from ..policy.core import FRESH
from ..policy_engine import Tri
from .policy import KMS_ALGORITHMS, blocking, denied_to_all_but


def key(ev: Evidence) -> Verdict:
    obj = ev.object
    if not obj.readable:
        return UNKNOWN, "the object version could not be read"
    if obj.sse not in KMS_ALGORITHMS:
        return FAIL, f"object is encrypted with {obj.sse or 'nothing'}, not SSE-KMS"
    if obj.kms_key != ev.expected_key_arn:
        return FAIL, "object is SSE-KMS with another key"
    return PASS, "object is SSE-KMS with the expected key ARN"


def unchanged(ev: Evidence) -> Verdict:
    obj = ev.object
    if not obj.readable or obj.etag is None:
        return UNKNOWN, "the object version could not be read"
    if (obj.event_etag and obj.etag != obj.event_etag) or (obj.event_size and obj.size != obj.event_size):
        return FAIL, "the object version differs from the event (ETag or size)"
    validated = ev.validation.training_sha256 if ev.validation else None
    if validated is None or validated != ev.dataset_sha256:
        return FAIL, "the validator's sha256 is not the one this run trains on"
    return PASS, "version, ETag, size and sha256 match what was validated"


def key_sanity(ev: Evidence) -> Verdict:
    problem = dataset_key_problem(ev.object.key)  # the trigger's own rule, checked again on the run
    return (FAIL, problem) if problem else (PASS, "the key is a dataset under incoming/")


def validator_rule(codes: Iterable[str], what: str) -> Callable[[Evidence], Verdict]:
    wanted = set(codes)

    def rule(ev: Evidence) -> Verdict:
        if ev.validation is None:
            return UNKNOWN, "the validator's report for this run is missing"
        found = ev.validation.error_codes
        hits = sorted(wanted & set(found))
        return (FAIL, f"the validator found {', '.join(hits)}") if hits else (PASS, f"the validator found no {what} problem")

    return rule


SCAN_TAG = "GuardDutyMalwareScanStatus"
CLEAN = "NO_THREATS_FOUND"


def malware(ev: Evidence) -> Verdict:
    """A clean scan result counts only when nobody but GuardDuty could have written it.

    GuardDuty Malware Protection for S3 writes the tag ``GuardDutyMalwareScanStatus`` itself, assuming the IAM role
    named in the plan (session ``GuardDutyMalwareProtection``); an uploader allowed s3:PutObjectTagging could write
    ``NO_THREATS_FOUND`` on their own object. GuardDuty's "Using tag-based access control (TBAC) with Malware Protection
    for S3" (https://docs.aws.amazon.com/guardduty/latest/ug/tag-based-access-s3-malware-protection.html) recommends a
    bucket-policy Deny of s3:PutObjectTagging on that tag key (``ForAnyValue:StringEquals s3:RequestObjectTagKeys``) to
    everyone but that role and its session. The same action is authorised when tags come with an upload (PutObject with
    x-amz-tagging needs s3:PutObjectTagging, and s3:RequestObjectTagKeys applies to it: S3 user guide, "Tagging and
    access control policies") and when a version is tagged (s3:PutObjectVersionTagging is needed *also*: S3 API
    reference, PutObjectTagging), so one Deny on s3:PutObjectTagging covers all three ways in.

    So: the plan protecting the bucket (guardduty:GetMalwareProtectionPlan) must tag, must cover this object's prefix,
    and the engine must prove a Deny of s3:PutObjectTagging with that key (alone or among others, any value) for every
    requester but the plan's role and its sessions. Anything less makes a clean tag FAIL (forgeable) or UNKNOWN.
    """
    if not ev.malware_scan_enabled:
        return PASS, "GuardDuty malware protection is not enabled for this stack (not applicable)"
    if ev.object.tags is None:
        return UNKNOWN, "the object's tags could not be read"
    status = ev.object.tags.get(SCAN_TAG)
    if status is None:
        return UNKNOWN, "no malware scan result yet"
    if status != CLEAN:
        return FAIL, f"malware scan: {status}"
    return _only_guardduty_tags(ev) or (PASS, "no threats found, and only GuardDuty's role may write that tag")


def _only_guardduty_tags(ev: Evidence) -> Verdict | None:
    plan, policy = ev.bucket.malware_protection, ev.bucket.policy
    if plan is None or policy is None:
        return UNKNOWN, "the Malware Protection plan or the bucket policy could not be read: a clean tag cannot be trusted"
    role = plan.get("Role")
    if not plan or not isinstance(role, str):
        return FAIL, "no Malware Protection plan protects the bucket: the scan tag was not written by GuardDuty"
    if str(plan.get("Tagging", "")).upper() != "ENABLED":
        return FAIL, "the Malware Protection plan does not tag objects: the scan tag was written by someone else"
    prefixes = [str(p) for p in plan.get("ObjectPrefixes") or []]
    if prefixes and not any(ev.object.key.startswith(p) for p in prefixes):
        return FAIL, "the Malware Protection plan does not scan this object's prefix: the scan tag was written by someone else"
    resource = f"arn:{ev.partition}:s3:::{ev.bucket.name}/{ev.object.key}"
    for tag_keys in ([SCAN_TAG], [SCAN_TAG, FRESH], [FRESH, SCAN_TAG]):
        keys = {"s3:RequestObjectTagKeys": tag_keys, f"s3:RequestObjectTag/{SCAN_TAG}": CLEAN, "aws:SecureTransport": True}
        answer = denied_to_all_but(policy, ev.account, role, ("s3:PutObjectTagging", resource), keys)
        found = blocking(answer, Tri.TRUE, "the scan tag can be written by others than GuardDuty")
        if found:
            return found
    return None
