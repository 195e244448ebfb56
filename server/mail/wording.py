"""Words shared by the mail casehub writes: times, kinds, subjects."""

from __future__ import annotations

from datetime import datetime

from server.models import CaseKind
from server.workdays import calendar

KIND_NAMES = {
    CaseKind.SERVICE_REQUEST: "Service request",
    CaseKind.MEMBER_ENQUIRY: "Member enquiry (a written answer is owed)",
}


def local_time(moment: datetime) -> str:
    """A moment in the council's own time zone, as people write it."""
    local = moment.astimezone(calendar.zone)
    return f"{local.day} {local:%B %Y, %H:%M}"


def kind_name(kind: CaseKind) -> str:
    return KIND_NAMES.get(kind, kind.value)


def subject_about(reference: str, subject: str) -> str:
    """The subject of casehub's answer to `subject`, carrying the reference."""
    subject = subject.strip()
    if not subject:
        return f"Your case {reference}"
    answer = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    if reference.lower() not in subject.lower():
        answer += f" [{reference}]"
    return answer[:300]
