"""Context rules (GR-CTX): the account, the bucket's owner and region, the base model."""

from __future__ import annotations

from datetime import date

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
    """Offered for this customization in the run's region, not past its end of life, and, when LEGACY there, not to be
    served on provisioned throughput: "You can't create a new Provisioned Throughput for models in the Legacy state"
    (https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html and model-lifecycle-legacy.html), so such a
    run would train, then fail at the purchase. Judged before training, from the live status in the run's region."""
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
        return legacy_verdict(live.end_of_life_date, ev.customization_type, ev.region, deployment_mode(ev))
    if live.status != "ACTIVE":
        return FAIL, f"the base model's lifecycle status is {live.status or 'missing'}, not ACTIVE or LEGACY"
    return PASS, f"the base model is ACTIVE and supports {ev.customization_type}"


PROVISIONED = "provisioned-throughput"  # deployment/plan.py's resolved modes: provisioned-throughput | on-demand | none


def deployment_mode(ev: Evidence) -> str | None:
    """The run's resolved deployment mode (``deployment.plan.deployment_mode``); None when it is not known."""
    return ev.deployment_mode


def legacy_verdict(end_of_life: date | None, customization: str, region: str, mode: str | None) -> Verdict:
    """A LEGACY base model: refused when the run would buy provisioned throughput (Bedrock refuses the purchase after the
    training is paid for); unknown when the run's mode is not known (fail closed); otherwise passed with the warning.
    Bedrock also documents that "you cannot create new fine-tuning jobs on that model" (model-lifecycle pages, "Customized
    Models and Lifecycle Behavior"): the live customizationsSupported, checked above, lists what it still accepts, and the
    warning says the job may yet be refused when it is created, before anything is spent."""
    eol = f", end of life on {end_of_life.isoformat()}" if end_of_life else ""
    if mode is None:
        return UNKNOWN, (
            f"the base model is LEGACY in {region}{eol} and the run's deployment mode is not known: Bedrock sells no new"
            " provisioned throughput for a LEGACY model"
        )
    if mode == PROVISIONED:
        return FAIL, (
            f"the base model is LEGACY in {region}{eol}: Bedrock sells no new provisioned throughput for it, so this run would train"
            ' and then fail at the purchase; fix: choose an ACTIVE base model, or set the profile\'s deployment to "on-demand"'
            ' (where the model offers it) or "none"'
        )
    return PASS, (
        f"warning: the base model is LEGACY in {region}{eol} (plan a move to an ACTIVE model) and supports {customization}; this run"
        f" deploys {'nothing' if mode == 'none' else mode}, which a LEGACY model still allows, but Bedrock documents that new"
        " fine-tuning jobs on a LEGACY model are refused: if so, the job's creation fails before anything is spent"
    )


def _documented(model_id: str) -> Lifecycle | None:
    try:
        return documented_lifecycle(find_model(model_id).model_id)
    except UnknownModel:
        return None
