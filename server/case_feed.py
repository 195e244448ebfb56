"""How cases and their timelines appear on the change feed, and to whom.

Members read their own cases and every entry but internal notes; the
department handling a case reads all of it; hub staff read everything.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from server.models import Case, CaseEvent, CasePhoto, Role, User
from sync.feed import Audience, Writer

BUMPED = "bumped cases"
PUBLISHED = "case to publish"


def publish_later(writer: Writer, case: Case, bump: bool = False) -> None:
    """Put the case on the feed once, as it stands when the transaction ends.

    With `bump`, something was added to the case (a note, a photo) and only
    its change time and version move: that is written once for every such
    case of the transaction, just before they are published.
    """

    async def publish(ids: set[uuid.UUID]) -> None:
        moment = datetime.now(UTC)
        bumped = writer.gathered.get(BUMPED, set())
        if bumped:
            await Case.filter(id__in=list(bumped)).update(
                updated_at=moment, version=writer.version)
        held = [writer.cache.get((PUBLISHED, case_id)) for case_id in ids]
        if writer.undone or None in held:
            # An undone mutation may have left changes on a case object in
            # memory that never reached the database: read them back.
            cases = await Case.filter(id__in=list(ids)).order_by("updated_at")
        else:
            cases = [found for found in held if found is not None]
            for found in cases:
                if found.id in bumped:
                    found.updated_at = moment
            cases.sort(key=lambda found: found.updated_at)
        await _record_cases(writer, cases)

    writer.cache[(PUBLISHED, case.id)] = case
    if bump:
        writer.gathered.setdefault(BUMPED, set()).add(case.id)
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


async def timeline(writer: Writer, case: Case) -> list[CaseEvent]:
    """Every event of a case, those the transaction has yet to write too."""
    stored = await CaseEvent.filter(case_id=case.id)
    pending = [row for row in writer.inserts
               if isinstance(row, CaseEvent) and str(row.case_id) == str(case.id)]
    return sorted([*stored, *pending], key=lambda event: event.created_at)


async def republish_events(writer: Writer, case: Case) -> None:
    """Put every event of a case on the feed again, for its new readers."""
    events = await timeline(writer, case)
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
    return moment.astimezone(UTC).isoformat() if moment else None
