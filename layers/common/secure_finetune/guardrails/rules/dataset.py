"""Dataset object rules (GR-OBJ): the run's object, its key and version, the validator's findings, malware."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ...runs import dataset_key_problem
from ..evidence import Evidence
from ..framework import FAIL, PASS, UNKNOWN, Verdict
from .policy import KMS_ALGORITHMS


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
    validated = (ev.validation or {}).get("training", {}).get("sha256")
    if validated is None or validated != ev.dataset_sha256:
        return FAIL, "the validator's sha256 is not the one this run trains on"
    return PASS, "version, ETag, size and sha256 match what was validated"


def key_sanity(ev: Evidence) -> Verdict:
    problem = dataset_key_problem(ev.object.key)  # the trigger's own rule, checked again on the run
    return (FAIL, problem) if problem else (PASS, "the key is a dataset under incoming/")


def _validator_codes(ev: Evidence) -> dict[str, int] | None:
    if ev.validation is None:
        return None
    codes: dict[str, int] = {}
    for role in ("training", "validation"):
        for code, count in (ev.validation.get(role) or {}).get("errors_by_code", {}).items():
            codes[code] = codes.get(code, 0) + count
    for problem in ev.validation.get("runProblems", []):
        codes[problem["code"]] = codes.get(problem["code"], 0) + 1
    return codes


def validator_rule(codes: Iterable[str], what: str) -> Callable[[Evidence], Verdict]:
    wanted = set(codes)

    def rule(ev: Evidence) -> Verdict:
        found = _validator_codes(ev)
        if found is None:
            return UNKNOWN, "the validator's report for this run is missing"
        hits = sorted(wanted & set(found))
        return (FAIL, f"the validator found {', '.join(hits)}") if hits else (PASS, f"the validator found no {what} problem")

    return rule


def malware(ev: Evidence) -> Verdict:
    if not ev.malware_scan_enabled:
        return PASS, "GuardDuty malware protection is not enabled for this stack (not applicable)"
    if ev.object.tags is None:
        return UNKNOWN, "the object's tags could not be read"
    status = ev.object.tags.get("GuardDutyMalwareScanStatus")
    if status is None:
        return UNKNOWN, "no malware scan result yet"
    return (PASS, "no threats found") if status == "NO_THREATS_FOUND" else (FAIL, f"malware scan: {status}")
