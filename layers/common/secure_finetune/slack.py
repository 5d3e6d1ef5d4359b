"""Slack Block Kit message for a milestone: ids, counts, reason codes, costs and links only.

Pure (no I/O); ``adapters/slack.py`` posts it. Every value is escaped (``&``, ``<``, ``>``) so an
uploader-chosen name can neither mention (``<!channel>``) nor smuggle a link, and every text is
cut to Block Kit's limits before Slack would reject the whole message.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from .notifications import MilestoneEvent, flat, label, render, shown, title

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10
MAX_BLOCKS = 50
VALUE_LIMIT = 200  # raw characters per value: even fully escaped (x5) it fits a field
LINK_LIMIT = 1500
ELLIPSIS = "…"
_MORE_RESERVE = 40  # room kept for the "… N more" line
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

Block = dict[str, Any]


def slack_message(event: MilestoneEvent) -> dict[str, Any]:
    """Block Kit payload: fallback text (the SNS subject), header, run fields, one section per fact."""
    fields = [_field("Run", event.run_id), _field("Profile", event.profile), _field("Dataset", event.dataset)]
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _clip(title(event.milestone, str(getattr(event, "model_arn", "") or "")).capitalize(), HEADER_LIMIT),
            },
        },
        {"type": "section", "fields": fields[:MAX_FIELDS]},
    ]
    facts = [_section(_fact(name, value)) for name, value in event.facts().items()]
    room = MAX_BLOCKS - len(blocks) - 1  # the context line closes the message
    if len(facts) > room:
        facts = [*facts[: room - 1], _section(f"{ELLIPSIS} {len(facts) - room + 1} more facts in the run report")]
    blocks += facts
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"secure-finetune · `{event.milestone.value}`"}]})
    return {
        "text": escape(render(event).subject),
        "blocks": blocks,
        # Previews would fetch links (approval links included) on the owner's behalf.
        "unfurl_links": False,
        "unfurl_media": False,
    }


def escape(text: str) -> str:
    """The three characters Slack requires as entities in any text it parses."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _field(label: str, value: str) -> Block:
    return {"type": "mrkdwn", "text": f"*{label}*\n{_scalar(value)}"}


def _fact(name: str, value: object) -> str:
    head = f"*{label(name)}*"
    if isinstance(value, (list, tuple)):
        return _within(head, [f"• {escape(_clip(flat(item), VALUE_LIMIT))}" for item in value] or ["_none_"], SECTION_LIMIT)
    return f"{head}\n{_value(name, value)}"


def _value(name: str, value: object) -> str:
    text = shown(name, value)
    if text is None:
        return "_none_"
    return _scalar(text) if isinstance(value, str) else text  # ids, ARNs and links as code or links


def _scalar(value: str) -> str:
    """A link when the value is a safe https URL or an S3 object, else inline code (ids, ARNs, codes)."""
    link = _link(value)
    if link is not None:
        return link
    return "`" + escape(_clip(value, VALUE_LIMIT)).replace("`", "'") + "`"


def _link(value: str) -> str | None:
    if value.startswith("s3://"):
        url, label = _s3_console_url(value), value
    elif value.startswith("https://"):
        url = value if _safe_https(value) else None
        parts = urlsplit(value)
        label = parts.netloc + parts.path
    else:
        return None
    if url is None:
        return None
    link = f"<{url.replace('&', '&amp;')}|{escape(_clip(label, 80)).replace('|', '¦')}>"
    return link if len(link) <= LINK_LIMIT else None


def _safe_https(url: str) -> bool:
    # Inside <url|label>, "|" and ">" end the URL; whitespace and control characters are never valid.
    return bool(urlsplit(url).hostname) and not any(c in "<>|\"'`" or c.isspace() or ord(c) < 32 for c in url)


def _s3_console_url(uri: str) -> str | None:
    bucket, _, rest = uri.removeprefix("s3://").partition("/")
    key = rest.partition("?")[0]
    if not _BUCKET.fullmatch(bucket):
        return None
    kind = "buckets" if not key or key.endswith("/") else "object"
    return f"https://s3.console.aws.amazon.com/s3/{kind}/{bucket}?prefix={quote(key, safe='/')}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _within(head: str, lines: list[str], limit: int) -> str:
    """Whole lines only (never half an entity or link), then how many were left out."""
    kept = [head]
    size = len(head)
    for line in lines:
        if size + 1 + len(line) + _MORE_RESERVE > limit:
            kept.append(f"{ELLIPSIS} and {len(lines) - len(kept) + 1} more")
            break
        kept.append(line)
        size += 1 + len(line)
    return "\n".join(kept)
