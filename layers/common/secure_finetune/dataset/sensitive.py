"""Likely secrets and PII in a line (warnings), and turning them into errors when the profile blocks on them."""

from __future__ import annotations

import re

from ..reasons import ReasonCode
from .report import ProblemCollector, WarningCode

# Likely secrets and PII, by pattern, on the raw line (JSON escaping leaves these intact).
# Counts and line numbers only are ever reported. Records can be 100 kB and Python's regex engine
# scans every offset, so the patterns run only where one cheap C pass says they can match.
_PEM_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")
_AWS_ACCESS_KEY_ID = re.compile(rb"A[KS]IA[0-9A-Z]{16}(?![0-9A-Z])")
_EMAIL_AROUND_AT = re.compile(rb"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}")
_CARD = re.compile(rb"[0-9][0-9 -]{11,}[0-9]")
# The one pass: digits and capitals -> "d", spaces and hyphens deleted, every other byte -> "x".
# A card number (13-19 digits between spaces/hyphens), an access key id (20 capitals/digits) and
# "-----BEGIN ... PRIVATE KEY-----" ("BEGINPRIVATEKEY", 15 capitals) each leave 13+ "d"s in a
# row, so a line without such a run holds none of them (the usual case: plain text has few).
_DENSE_SHAPE = bytes(ord("d") if 48 <= b <= 57 or 65 <= b <= 90 else ord("x") for b in range(256))
_DENSE_RUN = b"d" * 13


def _has_secret(raw: bytes) -> bool:
    return _PEM_PRIVATE_KEY.search(raw) is not None or _AWS_ACCESS_KEY_ID.search(raw) is not None


def _has_email(raw: bytes) -> bool:
    at = raw.find(b"@")
    for _ in range(20):  # a few '@' are enough to decide
        if at == -1:
            return False
        if _EMAIL_AROUND_AT.search(raw, max(0, at - 64), at + 400):
            return True
        at = raw.find(b"@", at + 1)
    return False


def _has_card(raw: bytes) -> bool:
    return any(_luhn(match.group()) for match in _CARD.finditer(raw))


def sensitive(raw: bytes) -> tuple[bool, bool]:
    """(likely secret, likely PII) in one line."""
    dense = _DENSE_RUN in raw.translate(_DENSE_SHAPE, b" -")
    secret = dense and _has_secret(raw)
    return secret, _has_email(raw) or (dense and _has_card(raw))


def _luhn(candidate: bytes) -> bool:
    digits = [c - 48 for c in candidate if 48 <= c <= 57]
    if not 13 <= len(digits) <= 19:
        return False
    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return checksum % 10 == 0


def promote(warnings: ProblemCollector, errors: ProblemCollector, code: WarningCode) -> None:
    """The profile blocks on this finding: it becomes a SENSITIVE_DATA error per line."""
    count = warnings.counts.pop(code)
    moved = [w for w in warnings.kept if w.code == code]
    warnings.kept = [w for w in warnings.kept if w.code != code]
    for warning in moved:
        errors.add(warning.line, warning.byte_offset, ReasonCode.SENSITIVE_DATA, warning.message)
    errors.counts[ReasonCode.SENSITIVE_DATA] += count - len(moved)
