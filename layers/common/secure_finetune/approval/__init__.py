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

``links`` and ``pages`` are pure; the table adapter is ``adapters/approvals.py``, the steps
``approval/decisions.py``. Pages are self-contained (no script, no external asset), every value
is escaped, and the summary carries ids and numbers only (:func:`clean_summary`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .links import (
        SECRET_BYTES,
        ApprovalAlreadyDecided,
        ApprovalExpired,
        ApprovalNotFound,
        ApprovalRecord,
        ApprovalStatus,
        Decision,
        Summary,
        approval_link,
        clean_summary,
        decision_from_form,
        log_id,
        looks_like_secret,
        new_secret,
        request_body,
        secret_digest,
    )
    from .pages import (
        Page,
        already_decided_page,
        bad_request_page,
        decided_page,
        error_page,
        expired_page,
        method_not_allowed_page,
        not_found_page,
        outcome_page,
        review_page,
    )

# Lazy (cold starts): ports.py needs the approval records, not the HTML pages; each name loads its submodule on use.
_WHERE = {
    "SECRET_BYTES": ".links",
    "ApprovalAlreadyDecided": ".links",
    "ApprovalExpired": ".links",
    "ApprovalNotFound": ".links",
    "ApprovalRecord": ".links",
    "ApprovalStatus": ".links",
    "Decision": ".links",
    "Summary": ".links",
    "approval_link": ".links",
    "clean_summary": ".links",
    "decision_from_form": ".links",
    "log_id": ".links",
    "looks_like_secret": ".links",
    "new_secret": ".links",
    "request_body": ".links",
    "secret_digest": ".links",
    "Page": ".pages",
    "already_decided_page": ".pages",
    "bad_request_page": ".pages",
    "decided_page": ".pages",
    "error_page": ".pages",
    "expired_page": ".pages",
    "method_not_allowed_page": ".pages",
    "not_found_page": ".pages",
    "outcome_page": ".pages",
    "review_page": ".pages",
}


__getattr__ = lazy_exports(__name__, _WHERE, globals())

__all__ = [
    "SECRET_BYTES",
    "ApprovalAlreadyDecided",
    "ApprovalExpired",
    "ApprovalNotFound",
    "ApprovalRecord",
    "ApprovalStatus",
    "Decision",
    "Page",
    "Summary",
    "already_decided_page",
    "approval_link",
    "bad_request_page",
    "clean_summary",
    "decided_page",
    "decision_from_form",
    "error_page",
    "expired_page",
    "log_id",
    "looks_like_secret",
    "method_not_allowed_page",
    "new_secret",
    "not_found_page",
    "outcome_page",
    "request_body",
    "review_page",
    "secret_digest",
]
