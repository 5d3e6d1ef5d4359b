"""The pages an approver sees: self-contained HTML, no script, every value escaped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from ..pricing import usd
from ..runs import iso_utc
from .links import ApprovalRecord, Decision


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
    ("priceSource", "Price source"),
)
# The evaluation (base vs custom) runs on what was bought before the model is kept: its cost counts too.
_EVALUATION_ROWS = (
    ("evaluationPrompts", "Evaluation: held-out prompts, judged for both models"),
    ("estimatedJudgeCostUsd", "Estimated cost of the judge"),
    ("estimatedEvaluationCostUsd", "Estimated cost of the evaluation (all of it)"),
)


def review_page(summary: Mapping[str, object], decide_by: int, now: int) -> Page:
    """What GET shows: what would be bought, until when one may decide, and the two buttons.

    The form has no ``action``: it posts back to the page's own URL, so the page never needs
    to contain the secret.
    """
    rows = "".join(f"<tr><th scope=row>{escape(label)}</th><td>{_cell(key, summary.get(key))}</td></tr>" for key, label in _ROWS)
    rows += _evaluation_rows(summary)
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


def _evaluation_rows(summary: Mapping[str, object]) -> str:
    """The evaluation's figures and the total they add to (unknown when any part is), when the run evaluates."""
    if not summary.get("evaluationPrompts"):
        return ""
    rows = "".join(f"<tr><th scope=row>{escape(label)}</th><td>{_cell(key, summary.get(key))}</td></tr>" for key, label in _EVALUATION_ROWS)
    ttl, evaluation = summary.get("estimatedCostOverTtlUsd"), summary.get("estimatedEvaluationCostUsd")
    total = ttl + evaluation if isinstance(ttl, (int, float)) and isinstance(evaluation, (int, float)) else None
    return rows + f"<tr><th scope=row>Estimated total (time-to-live + evaluation)</th><td>{_cell('totalUsd', total)}</td></tr>"
