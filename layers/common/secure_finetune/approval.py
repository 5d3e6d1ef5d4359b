"""Approval before spending: the link's capability, the decision and the pages a person sees.

Who may approve, and how it is checked
    Whoever holds the link. The link is a bearer capability: a random 256-bit secret
    (``secrets.token_urlsafe(32)``) in the URL path, delivered only in the APPROVAL_NEEDED
    message, i.e. to the notification topic's subscribers and the Slack channel. The endpoint
    checks nothing about *who* the person is; it checks that the secret is one we issued
    (only its SHA-256 is stored, so a copy of the table cannot approve), that it is still
    PENDING (single use: one conditional write moves it to APPROVED or REJECTED) and that its
    deadline has not passed. Opening the link (GET) only shows what would be bought; the
    decision is a separate POST, so mail and chat scanners that prefetch links decide nothing.
    The page needs no extra anti-CSRF token: a cross-site form can only post to a URL it
    already knows, and knowing the URL *is* the authority.

    What this does not give: an identity. Anyone the message reaches (a forwarded mail, every
    member of the channel, a mail gateway that stores URLs) can decide, and a scanner that
    submits forms could too. The record keeps what can be known about the decider (source IP
    and user agent from API Gateway), which is evidence, not authentication. Teams that need a
    named approver decide from the CLI instead, where IAM checks the operator's right to read
    the table and answer the task token; or put the endpoint behind IAM or Cognito auth.

    No answer before the deadline means "no": the state machine's wait times out (set its
    ``TimeoutSeconds`` a little beyond the link's deadline) and the run stops, owner told.

Everything here is pure; the table adapter is ``adapters/approvals.py``, the step
``steps/approval.py``. Pages are self-contained (no script, no external asset), every value
is escaped, and the summary carries ids and numbers only (:func:`clean_summary`).
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from html import escape
from urllib.parse import parse_qs, urlsplit

from .pricing import usd
from .runs import iso_utc
from .urls import url_allowed

SECRET_BYTES = 32  # 256 bits: guessing is not an attack worth rate-limiting
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32): 43 base64url characters
_MAX_FORM_BYTES = 1024


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"

    @property
    def status(self) -> ApprovalStatus:
        return ApprovalStatus.APPROVED if self is Decision.APPROVE else ApprovalStatus.REJECTED


class ApprovalStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


Summary = dict[str, str | int | float]


@dataclass(frozen=True)
class ApprovalRecord:
    digest: str
    run_id: str
    task_token: str = field(repr=False)  # a credential for the run's wait: never shown or logged
    status: ApprovalStatus
    decide_by: int  # epoch seconds
    created_at: int
    summary: Summary
    decided_at: int | None = None
    decided_by: dict[str, str] | None = None


class ApprovalNotFound(Exception):
    """No approval was issued for this secret (or it was purged)."""


class ApprovalExpired(Exception):
    def __init__(self, record: ApprovalRecord) -> None:
        super().__init__("the decision deadline has passed")
        self.record = record


class ApprovalAlreadyDecided(Exception):
    def __init__(self, record: ApprovalRecord) -> None:
        super().__init__(f"already {record.status.value}")
        self.record = record


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_digest(secret: str) -> str:
    """What is stored and looked up: a leaked table or log line cannot be turned back into a link."""
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_secret(text: str) -> bool:
    """Shape check before any lookup (anything else is simply unknown)."""
    return bool(_SECRET_SHAPE.match(text))


def log_id(digest: str) -> str:
    """The most of an approval that goes into a log line."""
    return digest[:12]


def approval_link(base_url: str, secret: str, *, allow_loopback_http: bool = False) -> str:
    """``<base_url>/approvals/<secret>``; https only (plain http solely to loopback, for the emulator)."""
    parts = urlsplit(base_url)
    if not url_allowed(base_url, allow_loopback_http=allow_loopback_http) or parts.query or parts.fragment:
        raise ValueError("the approval base URL must be https://host[/stage] without query or fragment")
    return f"{base_url.rstrip('/')}/approvals/{secret}"


# The summary: what the approver sees. Ids and numbers only, never anything from the dataset.
_SUMMARY_NUMBERS = ("modelUnits", "ttlHours", "estimatedHourlyCostUsd", "estimatedCostOverTtlUsd")
_SUMMARY_IDS = ("runId", "profile", "baseModel", "modelArn", "mode")
_ID = re.compile(r"^[A-Za-z0-9_.:/@+=,-]{1,256}$")


def clean_summary(raw: Mapping[str, object]) -> Summary:
    """Keep the known keys whose values are finite numbers or id-shaped strings; drop the rest."""
    summary: Summary = {}
    for key in _SUMMARY_NUMBERS:
        value = raw.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            summary[key] = value
    for key in _SUMMARY_IDS:
        value = raw.get(key)
        if isinstance(value, str) and _ID.match(value):
            summary[key] = value
    return summary


def decision_from_form(body: str, content_type: str) -> Decision | None:
    """``decision=approve|reject`` from an HTML form post; None for anything else."""
    if not content_type.lower().startswith("application/x-www-form-urlencoded") or len(body) > _MAX_FORM_BYTES:
        return None
    try:
        fields = parse_qs(body, strict_parsing=True, max_num_fields=4)
    except ValueError:
        return None
    values = fields.get("decision", [])
    if len(values) != 1 or values[0] not in {d.value for d in Decision}:
        return None
    return Decision(values[0])


# ---------------------------------------------------------------- pages


@dataclass(frozen=True)
class Page:
    status: int
    html: str


_CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;max-width:720px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.45rem}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left}
th{background:#f3f5f7;white-space:nowrap}code{overflow-wrap:anywhere}.note{color:#57606a}
button{font-size:1rem;padding:.55rem 1.2rem;margin-right:.8rem;border-radius:6px;border:1px solid #1b1f24;cursor:pointer}
.approve{background:#1f883d;color:#fff}.reject{background:#fff;color:#b42318;border-color:#b42318}
"""

_ROWS = (
    ("runId", "Run"),
    ("profile", "Profile"),
    ("baseModel", "Base model"),
    ("modelArn", "Custom model"),
    ("mode", "Deployment"),
    ("modelUnits", "Model units"),
    ("ttlHours", "Time-to-live"),
    ("estimatedHourlyCostUsd", "Estimated cost per hour"),
    ("estimatedCostOverTtlUsd", "Estimated cost over the time-to-live"),
)


def review_page(summary: Mapping[str, object], decide_by: int, now: int) -> Page:
    """What GET shows: what would be bought, until when one may decide, and the two buttons.

    The form has no ``action``: it posts back to the page's own URL, so the page never needs
    to contain the secret.
    """
    rows = "".join(f"<tr><th scope=row>{escape(label)}</th><td>{_cell(key, summary.get(key))}</td></tr>" for key, label in _ROWS)
    rows += f"<tr><th scope=row>Decide by</th><td>{escape(iso_utc(decide_by))} ({escape(_remaining(decide_by - now))} left)</td></tr>"
    body = (
        "<h1>Approve deploying this model?</h1>"
        "<p>This run's model is trained. Approving deploys it as below; provisioned throughput is billed by the hour "
        "until it is deleted. Opening this page decided nothing.</p>"
        f"<table>{rows}</table>"
        '<form method="post">'
        '<button class="approve" type="submit" name="decision" value="approve">Approve</button>'
        '<button class="reject" type="submit" name="decision" value="reject">Reject</button>'
        "</form>"
        '<p class="note">The link works once: the first decision counts. No decision by the deadline rejects the run.</p>'
    )
    return Page(200, _document("Approval needed", body))


def outcome_page(status: int, heading: str, detail: str) -> Page:
    """The answer to a POST, and the page for unknown, decided or expired links."""
    return Page(status, _document(heading, f"<h1>{escape(heading)}</h1><p>{escape(detail)}</p>"))


def decided_page(decision: Decision, decided_at: int, *, answered: bool) -> Page:
    if not answered:  # the wait had ended (timed out, aborted, or answered by an operator)
        return outcome_page(
            409, "The run is no longer waiting", "Your answer was recorded but changed nothing: the run had stopped waiting."
        )
    if decision is Decision.APPROVE:
        return outcome_page(200, "Approved", f"Approved at {iso_utc(decided_at)}. The pipeline buys the throughput and tells the owners.")
    return outcome_page(200, "Rejected", f"Rejected at {iso_utc(decided_at)}. Nothing is bought; the run stops and the owners are told.")


def already_decided_page(record: ApprovalRecord) -> Page:
    when = f" at {iso_utc(record.decided_at)}" if record.decided_at is not None else ""
    return outcome_page(409, "Already decided", f"This link was already used: {record.status.value.lower()}{when}.")


# Unknown and expired links get distinct pages on purpose: telling them apart needs a valid
# 256-bit secret, so it is no oracle, and it tells a real approver why nothing happened.
def expired_page(decide_by: int) -> Page:
    return outcome_page(
        410,
        "Link expired",
        f"The deadline was {iso_utc(decide_by)}. No decision came in time: the run is rejected and the owners are told.",
    )


def not_found_page() -> Page:
    return outcome_page(404, "Unknown link", "This approval link is not valid. Use the link from the message, unchanged.")


def bad_request_page() -> Page:
    return outcome_page(400, "Bad request", "Use the Approve or Reject button on the approval page.")


def method_not_allowed_page() -> Page:
    return outcome_page(405, "Method not allowed", "Open the link in a browser; decide with the buttons on the page.")


def error_page() -> Page:
    return outcome_page(500, "Something went wrong", "Nothing was decided. Try again in a minute.")


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex,nofollow">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>"
    )


def _cell(key: str, value: object) -> str:
    if key.endswith("Usd") and (value is None or isinstance(value, (int, float))):
        return escape(usd(value))
    if value is None:
        return "-"
    if key == "ttlHours" and isinstance(value, (int, float)):
        return "kept until torn down by hand" if value == 0 else escape(f"{value:g} hours, then deleted")
    if key == "modelArn":
        return f"<code>{escape(str(value))}</code>"
    return escape(str(value))


def _remaining(seconds: int) -> str:
    if seconds <= 0:
        return "no time"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
