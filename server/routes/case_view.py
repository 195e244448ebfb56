"""What the case page shows: a case with its story, and what this user may do.

Officers of the case's department see the forms their role allows and no
others, so a page never offers an action the rules would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server import casework
from server.casework import DEPARTMENT_STATUSES, FINISHED, TRANSITIONS
from server.hub import actions, targets
from server.hub.queue import next_target
from server.mail.models import Attachment
from server.models import (
    HUB_ROLES,
    STAFF_ONLY_EVENTS,
    Case,
    CaseEvent,
    CaseKind,
    Category,
    Department,
    EventKind,
    Priority,
    Role,
    Status,
    User,
)


@dataclass(frozen=True)
class Answer:
    label: str
    value: str


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    event: CaseEvent
    author: User | None
    staff_only: bool


@dataclass(frozen=True)
class Suggestion:
    case: Case
    metres: float | None


@dataclass(frozen=True)
class NextStep:
    text: str
    anchor: str


async def case_context(case: Case, user: User,
                       template_id: int | None = None) -> dict[str, Any]:
    """Everything the case page draws, for this member of staff."""
    await case.fetch_related("member", "member__ward", "member__party",
                             "category", "department", "assigned_to",
                             "duplicate_of")
    moment = datetime.now(UTC)
    hub = user.is_hub
    templates = await actions.filled_templates(case)
    chosen = next((text for template, text in templates
                   if template.id == template_id), None)
    category = case.category
    return {
        "case": case,
        "moment": moment,
        "hub": hub,
        "answers": answers_of(case),
        "timeline": await timeline(case),
        "photos": await photos_of(case),
        "attachments": await Attachment.filter(case_id=case.id).order_by("id"),
        "missed": targets.missed(case, moment) if case.status in
        casework.OPEN else [],
        "target": next_target(case, moment),
        "next_step": next_step(case, user),
        "statuses": statuses_for(user, case),
        "assignees": await assignees_for(user, case),
        "templates": templates,
        "template_id": template_id,
        "reply_text": chosen or "",
        "categories": await Category.filter(active=True).order_by("name"),
        "departments": await Department.all().order_by("name"),
        "suggested": category.department_id if category else None,
        "priorities": list(Priority),
        "kinds": list(CaseKind),
        "nearby": await nearby(case) if hub else [],
        "callers": await User.filter(role=Role.MEMBER, active=True).order_by(
            "name") if hub else [],
    }


def answers_of(case: Case) -> list[Answer]:
    """The category's extra questions with the answers given, in its order."""
    questions = case.category.questions if case.category else []
    labels = {question["id"]: question["label"] for question in questions}
    order = [question["id"] for question in questions]
    keys = [key for key in order if key in case.answers] + [
        key for key in case.answers if key not in labels]
    return [Answer(labels.get(key, key), _shown(case.answers[key]))
            for key in keys]


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


async def timeline(case: Case) -> list[Entry]:
    events = await CaseEvent.filter(case_id=case.id).order_by("version",
                                                             "created_at")
    ids = {event.author_id for event in events if event.author_id is not None}
    authors = {user.id: user for user in await User.filter(id__in=list(ids))}
    return [Entry(event, authors.get(event.author_id) if event.author_id else None,
                  event.kind in STAFF_ONLY_EVENTS) for event in events]


async def photos_of(case: Case) -> list[dict[str, str]]:
    """The case's photos with their captions, as the timeline recorded them."""
    events = await CaseEvent.filter(case_id=case.id, kind=EventKind.PHOTO).order_by(
        "version", "created_at")
    seen: dict[str, str] = {}
    for event in events:
        sha = str(event.data.get("sha256", ""))
        if sha and sha not in seen:
            seen[sha] = str(event.data.get("caption") or "")
    return [{"sha256": sha, "caption": caption} for sha, caption in seen.items()]


def next_step(case: Case, user: User) -> NextStep | None:
    """The one thing this case most needs from this user now."""
    if case.status in FINISHED or case.status == Status.RESOLVED:
        return None
    if case.assigned_to_id is None:
        return NextStep("Take this case, so others can see you are working on it.",
                        "take-section")
    if case.assigned_to_id != user.id:
        return None
    if not user.is_hub:
        if case.status == Status.WITH_DEPARTMENT:
            return NextStep("Start the work: set the case in progress.",
                            "status-section")
        return NextStep("When the work is done, tell the member and resolve the "
                        "case.", "reply-section")
    if case.category_id is None:
        return NextStep("Sort the case: choose its category.", "details-section")
    if case.department_id is None or case.status == Status.REOPENED:
        return NextStep("Hand the case to the department that will do the work.",
                        "handoff-section")
    if case.kind == CaseKind.MEMBER_ENQUIRY and case.answered_at is None:
        return NextStep("Reply to the member: a written answer is owed.",
                        "reply-section")
    return None


def statuses_for(user: User, case: Case) -> list[Status]:
    allowed = sorted(TRANSITIONS[case.status], key=list(Status).index)
    if user.is_hub:
        return allowed
    return [status for status in allowed if status in DEPARTMENT_STATUSES]


async def assignees_for(user: User, case: Case) -> list[User]:
    """Who this user may give the case to: hub staff and the department's officers."""
    officers = (User.filter(role=Role.DEPARTMENT_OFFICER, active=True,
                            department_id=case.department_id)
                if case.department_id is not None else None)
    found = await officers if officers is not None else []
    if user.is_hub:
        found = await User.filter(role__in=list(HUB_ROLES), active=True) + found
    return sorted(found, key=lambda person: person.name)


async def nearby(case: Case) -> list[Suggestion]:
    found = await actions.nearby_duplicates(case)
    suggestions = []
    for other in found:
        metres = actions.metres_between(case, other)
        suggestions.append(Suggestion(other, None if metres == float("inf")
                                      else round(metres)))
    return suggestions
