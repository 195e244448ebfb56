"""What hub staff do to a case besides moving it on: triage, assign, link, log.

Each action writes a timeline event, so every open hub page hears of it
through the feed. Only a change of details reaches the member; who holds a
case, what it duplicates and the hub's calls stay with staff.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from server import casework
from server.casework import OPEN, add_event, now, touch
from server.hub import targets
from server.hub.models import Contact, ResponseTemplate
from server.models import (
    Case,
    CaseEvent,
    CaseKind,
    Category,
    Channel,
    Department,
    EventKind,
    Priority,
    Role,
    User,
)
from sync.errors import Rejected
from sync.feed import Writer

# How near and how recent an open case must be to be offered as the same one.
NEARBY_METRES = 250
NEARBY_DAYS = 60
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Triage:
    """What the hub may set on a case; None leaves a value as it is."""

    category_id: int | None = None
    priority: Priority | None = None
    kind: CaseKind | None = None


def check_hub(actor: User) -> None:
    if not actor.is_hub:
        raise Rejected("not_allowed", "Only hub staff may do that.")


async def update_details(writer: Writer, case: Case, actor: User,
                         triage: Triage) -> CaseEvent | None:
    """Set category, priority and kind; the targets follow the new category."""
    check_hub(actor)
    changes: dict[str, Any] = {}
    category = await _category_of(case)

    if triage.category_id is not None and triage.category_id != case.category_id:
        new_category = await Category.get_or_none(id=triage.category_id, active=True)
        if new_category is None:
            raise Rejected("unknown_category",
                           f"There is no category {triage.category_id}.",
                           field="category_id")
        changes["category"] = {"from": category.name if category else None,
                               "to": new_category.name}
        case.category_id = new_category.id
        category = new_category
    if triage.priority is not None and triage.priority != case.priority:
        changes["priority"] = {"from": case.priority.value,
                               "to": triage.priority.value}
        case.priority = triage.priority
    if triage.kind is not None and triage.kind != case.kind:
        changes["kind"] = {"from": case.kind.value, "to": triage.kind.value}
        case.kind = triage.kind
    if not changes:
        return None

    if "category" in changes or "kind" in changes:
        targets.set_targets(case, category)
    event = await add_event(writer, case, actor, EventKind.UPDATED,
                            {"changes": changes})
    await touch(writer, case)
    return event


async def assign(writer: Writer, case: Case, actor: User, assignee: User | None,
                 take: bool = False) -> CaseEvent | None:
    """Give the case to a person, or to nobody.

    Taking a case (assigning it to yourself from the queue) fails when someone
    else took it first, so two agents never work the same case unknowingly.
    """
    if not casework.is_staff_for(actor, case):
        raise Rejected("not_allowed", "You cannot assign this case.")
    if take and case.assigned_to_id not in (None, actor.id):
        holder = await User.get_or_none(id=case.assigned_to_id)
        raise Rejected("already_taken",
                       f"{holder.name if holder else 'Someone'} has already "
                       f"taken case {case.reference}.", field="assignee_id")
    if assignee is not None:
        _check_assignee(actor, case, assignee)
    if (assignee.id if assignee else None) == case.assigned_to_id:
        return None

    event = await add_event(writer, case, actor, EventKind.ASSIGNED, {
        "from_id": case.assigned_to_id,
        "to_id": assignee.id if assignee else None,
        "to": assignee.name if assignee else None,
    })
    case.assigned_to_id = assignee.id if assignee else None
    await case.save(update_fields=["assigned_to_id"])
    return event


def _check_assignee(actor: User, case: Case, assignee: User) -> None:
    fits = assignee.active and (
        assignee.is_hub
        or (assignee.role == Role.DEPARTMENT_OFFICER
            and assignee.department_id == case.department_id)
    )
    if not fits:
        raise Rejected("not_an_assignee",
                       f"{assignee.name} cannot work on case {case.reference}: "
                       "choose hub staff or an officer of its department.",
                       field="assignee_id")
    if actor.role == Role.DEPARTMENT_OFFICER and assignee.is_hub:
        raise Rejected("not_an_assignee", "Officers assign within their "
                       "department; hand it back to the hub instead.",
                       field="assignee_id")


async def link_duplicate(writer: Writer, case: Case, actor: User,
                         original: Case) -> CaseEvent:
    """Mark `case` as the same issue as `original`, on both timelines."""
    check_hub(actor)
    if original.id == case.id:
        raise Rejected("same_case", "A case cannot duplicate itself.",
                       field="original")
    if await _leads_to(original, case):
        raise Rejected("duplicate_loop",
                       f"{original.reference} is already a duplicate of "
                       f"{case.reference}.", field="original")

    event = await add_event(writer, case, actor, EventKind.LINKED,
                            {"duplicate_of": original.reference})
    await add_event(writer, original, actor, EventKind.LINKED,
                    {"duplicate": case.reference})
    case.duplicate_of_id = str(original.id)
    await case.save(update_fields=["duplicate_of_id"])
    return event


async def _leads_to(start: Case, target: Case) -> bool:
    """Whether following duplicates from `start` reaches `target`."""
    seen: set[str] = set()
    current = str(start.id)
    while current not in seen:
        seen.add(current)
        row = await Case.get_or_none(id=current).values("duplicate_of_id")
        if row is None or row["duplicate_of_id"] is None:
            return False
        current = str(row["duplicate_of_id"])
        if current == str(target.id):
            return True
    return False


async def nearby_duplicates(case: Case, limit: int = 5) -> list[Case]:
    """Open cases of the same category close by and recent, nearest first."""
    if case.category_id is None:
        return []
    since = case.created_at - timedelta(days=NEARBY_DAYS)
    candidates = Case.filter(category_id=case.category_id, status__in=list(OPEN),
                             created_at__gte=since).exclude(id=case.id)
    if case.latitude is not None and case.longitude is not None:
        dlat = NEARBY_METRES / 111_320
        dlon = dlat / max(math.cos(math.radians(case.latitude)), 0.01)
        found = await candidates.filter(
            latitude__gte=case.latitude - dlat, latitude__lte=case.latitude + dlat,
            longitude__gte=case.longitude - dlon,
            longitude__lte=case.longitude + dlon,
        ).limit(50)
        near = [(metres_between(case, other), other) for other in found]
        near.sort(key=lambda pair: pair[0])
        return [other for distance, other in near if distance <= NEARBY_METRES][
            :limit]
    if case.address:
        same = await candidates.filter(address__iexact=case.address.strip())
        return list(same[:limit])
    return []


def metres_between(a: Case, b: Case) -> float:
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return math.inf
    assert a.latitude is not None and a.longitude is not None
    assert b.latitude is not None and b.longitude is not None
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = (math.sin(dlat / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


async def log_call(writer: Writer, agent: User, member: User | None,
                   summary: str, notes: str | None = None,
                   case: Case | None = None) -> Contact:
    """Record a call to the members' line, on the case it was about if any."""
    check_hub(agent)
    if member is not None and member.role != Role.MEMBER:
        raise Rejected("not_a_member", f"{member.name} is not a member.",
                       field="member_id")
    moment = now()
    contact = await Contact.create(
        channel=Channel.PHONE, at=moment, member_id=member.id if member else None,
        case_id=case.id if case else None, agent_id=agent.id,
        summary=summary[:300], notes=notes, using_db=writer.connection,
    )
    if case is not None:
        await add_event(writer, case, agent, EventKind.CONTACT, {
            "channel": Channel.PHONE.value, "summary": summary[:300],
            "notes": notes, "member": member.name if member else None,
        })
    return contact


async def escalate(writer: Writer, case: Case, reasons: list[str]) -> CaseEvent:
    """Flag a case that missed a target to the hub's supervisors."""
    event = await add_event(writer, case, None, EventKind.ESCALATED,
                            {"reasons": reasons})
    case.escalated_at = event.created_at
    await case.save(update_fields=["escalated_at"])
    return event


async def cases_to_escalate(moment: datetime, limit: int = 200) -> list[Case]:
    """Open cases past a target that no one has escalated yet."""
    base = Case.filter(status__in=list(OPEN), escalated_at__isnull=True)
    late_ack = base.filter(acknowledged_at__isnull=True,
                           acknowledge_by__lt=moment)
    late_answer = base.filter(kind=CaseKind.MEMBER_ENQUIRY,
                              answered_at__isnull=True, due_at__lt=moment)
    found = {case.id: case for case in await late_ack.limit(limit)}
    found.update({case.id: case for case in await late_answer.limit(limit)})
    return sorted(found.values(), key=lambda case: case.created_at)[:limit]


# Replies from templates.

async def templates_for(case: Case) -> list[ResponseTemplate]:
    """The category's own templates first, then those for every category."""
    found = await ResponseTemplate.filter(active=True).order_by("name")
    own = [t for t in found if t.category_id is not None
           and t.category_id == case.category_id]
    general = [t for t in found if t.category_id is None]
    return own + general


async def fill_template(template: ResponseTemplate, case: Case) -> str:
    """The template's text with this case's details in its placeholders.

    Unknown placeholders are left as written, so a typo shows in the draft
    instead of failing the reply.
    """
    return fill(template.body, await placeholder_values(case))


async def filled_templates(case: Case) -> list[tuple[ResponseTemplate, str]]:
    """Every template that fits the case, each with its text filled in."""
    values = await placeholder_values(case)
    return [(template, fill(template.body, values))
            for template in await templates_for(case)]


def fill(body: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), body)


async def placeholder_values(case: Case) -> dict[str, str]:
    member = await User.get_or_none(id=case.member_id) if case.member_id else None
    category = await _category_of(case)
    department = (await Department.get_or_none(id=case.department_id)
                  if case.department_id else None)
    return {
        "reference": case.reference,
        "member_name": member.name if member else "",
        "category": category.name if category else "",
        "department": department.name if department else "",
        "status": case.status.value.replace("_", " "),
        "address": case.address or "",
        "due_date": case.due_at.strftime("%d %B %Y") if case.due_at else "",
        "constituent_name": case.constituent_name or "",
    }


PLACEHOLDERS = ("reference", "member_name", "category", "department", "status",
                "address", "due_date", "constituent_name")


async def _category_of(case: Case) -> Category | None:
    if case.category_id is None:
        return None
    return await Category.get_or_none(id=case.category_id)

