"""What an alert says: the case reference and what happened, nothing more.

The text shows on a lock screen anyone holding the phone can read, so it
never carries the constituent's name, address or words.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from server.notifications.models import AlertKind

# RFC 8291 with aes128gcm leaves 3993 bytes of a 4096-byte push body for the
# message; staying far below suits every push service.
PLAINTEXT_LIMIT = 3993
BUDGET = 1024

STATUS_WORDS = {
    "submitted": "Submitted",
    "acknowledged": "Acknowledged",
    "with_department": "With a department",
    "in_progress": "In progress",
    "resolved": "Resolved",
    "closed": "Closed",
    "withdrawn": "Withdrawn",
    "reopened": "Reopened",
}

URGENCY = {
    AlertKind.ACKNOWLEDGED: "low",
    AlertKind.OVERDUE: "high",
}


class PayloadTooLarge(ValueError):
    """An alert would not fit a push message."""


def describe(kind: AlertKind, detail: dict[str, Any]) -> str:
    """The line under the case reference, in the hub's own words."""
    if kind == AlertKind.ACKNOWLEDGED:
        return "The hub has acknowledged your case."
    if kind == AlertKind.HANDOFF:
        return f"Handed to {detail.get('department') or 'a department'}."
    if kind == AlertKind.STATUS:
        words = STATUS_WORDS.get(str(detail.get("to")), "changed")
        return f"Status is now {words}."
    if kind == AlertKind.REPLY:
        return f"New reply from {detail.get('from') or 'the hub'}."
    if kind == AlertKind.DUE_SOON:
        return "The answer to this enquiry is due within a day."
    if kind == AlertKind.OVERDUE:
        return "The answer to this enquiry is overdue."
    if kind == AlertKind.RESOLVED:
        return "Your case is resolved."
    if kind == AlertKind.TEST:
        return "Alerts reach this phone."
    return "Your case is closed."


def build(alert_id: str, kind: AlertKind, case_id: uuid.UUID, reference: str,
          detail: dict[str, Any], at: str) -> dict[str, str]:
    """The message for the phone, checked against the size budget."""
    message = {
        "v": "1",
        "id": alert_id,
        "kind": kind.value,
        "case_id": str(case_id),
        "reference": reference,
        "title": f"Case {reference}",
        "body": describe(kind, detail),
        "tag": str(case_id),
        "url": f"/#case/{case_id}",
        "at": at,
    }
    check_size(encode(message), BUDGET)
    return message


def test_message(alert_id: str, at: str) -> dict[str, str]:
    """A test alert: it says only that alerts reach this phone."""
    message = {
        "v": "1",
        "id": alert_id,
        "kind": AlertKind.TEST.value,
        "title": "casehub test alert",
        "body": "Alerts reach this phone. There is nothing else to do.",
        "tag": "casehub-test",
        "url": "/#setup",
        "at": at,
    }
    check_size(encode(message), BUDGET)
    return message


def minimal(message: dict[str, str]) -> dict[str, str]:
    """The smallest useful message, for a push service that refused the full one."""
    keep = ("v", "id", "kind", "case_id", "reference", "tag")
    return {key: message[key] for key in keep if key in message}


def encode(message: dict[str, str]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def check_size(body: bytes, limit: int = PLAINTEXT_LIMIT) -> None:
    if len(body) > limit:
        raise PayloadTooLarge(
            f"an alert of {len(body)} bytes is over the {limit}-byte limit"
        )


def topic(case_id: uuid.UUID) -> str:
    """A per-case Topic (22 base64url characters), so a newer alert replaces
    an older one still waiting at the push service."""
    return base64.urlsafe_b64encode(case_id.bytes).rstrip(b"=").decode()


def urgency(kind: AlertKind) -> str:
    return URGENCY.get(kind, "normal")
