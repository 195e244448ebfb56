"""casehub's statuses and timeline entries in the words Open311 clients read.

The standard knows two statuses, open and closed. The updates extension
uses the longer list FixMyStreet reads, and casehub's own status goes with
each update as its `external_status_code`.
"""

from __future__ import annotations

from typing import Any

from server.models import CaseEvent, EventKind, Status

CLOSED = frozenset({Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN})
OPEN = frozenset(Status) - CLOSED
STANDARD = {"open": OPEN, "closed": CLOSED}

EXTENDED = {
    Status.SUBMITTED: "OPEN",
    Status.ACKNOWLEDGED: "INVESTIGATING",
    Status.WITH_DEPARTMENT: "INVESTIGATING",
    Status.IN_PROGRESS: "IN_PROGRESS",
    Status.RESOLVED: "FIXED",
    Status.CLOSED: "CLOSED",
    Status.WITHDRAWN: "CLOSED",
    Status.REOPENED: "OPEN",
}
# What a client may say of a report in an update it sends.
SENT_OPEN = frozenset({"OPEN", "REOPEN", "IN_PROGRESS", "ACTION_SCHEDULED",
                       "INVESTIGATING", "FOR_TRIAGE"})
SENT_CLOSED = frozenset({"CLOSED", "FIXED", "DUPLICATE", "NO_FURTHER_ACTION",
                         "NOT_COUNCILS_RESPONSIBILITY", "INTERNAL_REFERRAL",
                         "CANCELLED"})

# Entries of a timeline that become updates. Staff-only entries never do.
UPDATE_KINDS = frozenset({EventKind.STATUS_CHANGE, EventKind.HANDOFF,
                          EventKind.REPLY, EventKind.NOTE, EventKind.UPDATED})
MOVED = {
    Status.SUBMITTED: "This report is with the council again.",
    Status.ACKNOWLEDGED: "The council has seen this report and is looking "
                         "into it.",
    Status.WITH_DEPARTMENT: "Passed to the department that will deal with it.",
    Status.IN_PROGRESS: "Work on this report is in progress.",
    Status.RESOLVED: "The council has marked this report fixed.",
    Status.CLOSED: "This report is closed.",
    Status.WITHDRAWN: "This report was withdrawn.",
    Status.REOPENED: "This report has been reopened.",
}


def standard(status: Status) -> str:
    return "closed" if status in CLOSED else "open"


def describe(event: CaseEvent) -> str | None:
    """What an entry says to the public, or None when it says nothing to them."""
    data: dict[str, Any] = event.data
    if event.kind == EventKind.STATUS_CHANGE:
        return data.get("note") or MOVED[Status(data["to"])]
    if event.kind == EventKind.HANDOFF:
        passed = f"Passed to {data['department']}."
        return f"{passed} {data['note']}" if data.get("note") else passed
    if event.kind in (EventKind.REPLY, EventKind.NOTE):
        return str(data.get("text") or "") or None
    if event.kind == EventKind.UPDATED and "category" in data.get("changes", {}):
        return f"Moved to {data['changes']['category']['to']}."
    return None
