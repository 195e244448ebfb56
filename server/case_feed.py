"""How cases and their timelines appear on the change feed, and to whom.

Members read their own cases and every entry but internal notes; the
department handling a case reads all of it; hub staff read everything.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from server.models import Case, CaseEvent, CasePhoto, Role, User
from sync.feed import Audience, Writer


def publish_later(writer: Writer, case: Case) -> None:
    """Put the case on the feed once, as it stands when the transaction ends."""

    async def publish(ids: set[uuid.UUID]) -> None:
        # Read back from the database: an undone mutation may have left
        # changes on a case object in memory that never reached it.
        cases = await Case.filter(id__in=list(ids)).order_by("updated_at")
        await _record_cases(writer, cases)

    writer.defer_each("cases", case.id, publish)


async def _record_cases(writer: Writer, cases: list[Case]) -> None:
    ids = [case.id for case in cases]
    links = await CasePhoto.filter(case_id__in=ids).order_by("id")
    photos: dict[str, list[str]] = {}
    for link in links:
        photos.setdefault(str(link.case_id), []).append(link.photo_id)
    for case in cases:
        writer.record("case", str(case.id),
                      case_data(case, photos.get(str(case.id), [])),
                      case_audience(case))


async def publish_case(writer: Writer, case: Case) -> None:
    """Put the case on the feed now, as this object holds it."""
    await _record_cases(writer, [case])


async def republish_events(writer: Writer, case: Case) -> None:
    """Put every event of a case on the feed again, for its new readers."""
    events = await CaseEvent.filter(case_id=case.id).order_by("created_at")
    authors = await _names({event.author_id for event in events})
    for event in events:
        writer.record("event", str(event.id),
                      event_data(event, authors.get(event.author_id)),
                      event_audience(case, event))


async def _names(ids: set[int | None]) -> dict[int | None, User]:
    found = await User.filter(id__in=[i for i in ids if i is not None])
    return {user.id: user for user in found}


def case_audience(case: Case) -> Audience:
    return Audience(member_id=case.member_id, department_id=case.department_id)


def event_audience(case: Case, event: CaseEvent) -> Audience:
    return Audience(member_id=case.member_id, department_id=case.department_id,
                    staff_only=not event.member_visible)


def case_data(case: Case, photos: list[str]) -> dict[str, Any]:
    return {
        "id": str(case.id),
        "reference": case.reference,
        "member_id": case.member_id,
        "kind": case.kind.value,
        "category_id": case.category_id,
        "department_id": case.department_id,
        "answers": case.answers,
        "description": case.description,
        "constituent": {
            "name": case.constituent_name,
            "address": case.constituent_address,
            "phone": case.constituent_phone,
            "email": case.constituent_email,
        },
        "location": {
            "latitude": case.latitude,
            "longitude": case.longitude,
            "accuracy": case.location_accuracy,
            "address": case.address,
        },
        "status": case.status.value,
        "priority": case.priority.value,
        "due_at": _iso(case.due_at),
        "channel": str(case.channel),
        "photos": photos,
        "created_at": _iso(case.created_at),
        "client_created_at": _iso(case.client_created_at),
        "updated_at": _iso(case.updated_at),
    }


def event_data(event: CaseEvent, author: User | None) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "case_id": str(event.case_id),
        "kind": event.kind.value,
        "author": _author(author),
        "data": event.data,
        "created_at": _iso(event.created_at),
        "client_created_at": _iso(event.client_created_at),
    }


def _author(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    role = "member" if user.role == Role.MEMBER else "staff"
    return {"id": user.id, "name": user.name, "role": role}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
