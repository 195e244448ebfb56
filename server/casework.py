"""What can happen to a case, who may do it, and how it reaches the feed.

Every change to a case goes through here, whether it came from a phone, a
hub page or an email, so the timeline, the rules and the sync feed agree.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from server.case_feed import (
    event_audience,
    event_data,
    publish_later,
    republish_events,
    timeline,
)
from server.hub import targets
from server.hub.models import Contact, Handoff
from server.mail import handoffs, member_mail
from server.models import (
    Case,
    CaseEvent,
    CaseKind,
    CasePhoto,
    Category,
    Channel,
    Department,
    EventKind,
    Photo,
    Priority,
    Role,
    Status,
    User,
)
from server.notifications import alerts
from sync.errors import NotYet, Rejected
from sync.feed import Writer
from sync.models import Change

OPEN = frozenset({
    Status.SUBMITTED,
    Status.ACKNOWLEDGED,
    Status.WITH_DEPARTMENT,
    Status.IN_PROGRESS,
    Status.REOPENED,
})
FINISHED = frozenset({Status.CLOSED, Status.WITHDRAWN})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({
        Status.ACKNOWLEDGED, Status.WITH_DEPARTMENT, Status.IN_PROGRESS,
        Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN,
    }),
    Status.ACKNOWLEDGED: frozenset({
        Status.WITH_DEPARTMENT, Status.IN_PROGRESS, Status.RESOLVED,
        Status.CLOSED, Status.WITHDRAWN,
    }),
    Status.WITH_DEPARTMENT: frozenset({
        Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED,
        Status.CLOSED, Status.WITHDRAWN,
    }),
    Status.IN_PROGRESS: frozenset({
        Status.WITH_DEPARTMENT, Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN,
    }),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.CLOSED: frozenset({Status.REOPENED}),
    Status.WITHDRAWN: frozenset({Status.REOPENED}),
    Status.REOPENED: frozenset({
        Status.ACKNOWLEDGED, Status.WITH_DEPARTMENT, Status.IN_PROGRESS,
        Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN,
    }),
}
DEPARTMENT_STATUSES = frozenset({Status.IN_PROGRESS, Status.RESOLVED})
MAX_PHOTOS = 5
CHECKED_EVENT_IDS = "checked event ids"


@dataclass(frozen=True)
class Constituent:
    name: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Location:
    latitude: float | None = None
    longitude: float | None = None
    accuracy: float | None = None
    address: str | None = None


@dataclass(frozen=True)
class NewCase:
    id: uuid.UUID
    kind: CaseKind
    # Cases the hub takes in by phone or email may wait for a category.
    category_id: int | None
    description: str
    answers: dict[str, Any]
    constituent: Constituent
    location: Location
    priority: Priority = Priority.NORMAL
    photos: tuple[str, ...] = ()
    channel: Channel = Channel.APP
    client_time: datetime | None = None
    # The agent who took the contact in, for a call or an email logged by hand.
    agent_id: int | None = None


def now() -> datetime:
    return datetime.now(UTC)


# Who may see what.

def can_see(user: User, case: Case) -> bool:
    if user.role == Role.MEMBER:
        return case.member_id == user.id
    if user.role == Role.DEPARTMENT_OFFICER:
        return (case.department_id is not None
                and case.department_id == user.department_id)
    return user.is_hub


def is_staff_for(user: User, case: Case) -> bool:
    """Hub staff, or an officer of the department the case is with."""
    if user.is_hub:
        return True
    return (user.role == Role.DEPARTMENT_OFFICER
            and case.department_id is not None
            and case.department_id == user.department_id)


# Raising a case.

async def create_case(writer: Writer, member: User | None, new: NewCase,
                      author: User | None = None,
                      source: str | None = None) -> Case:
    """Record a new case, giving it its reference.

    `member` raised it, in the app or through the hub, whose agent is then
    the `author`. A report another system sent for a resident has no member;
    `source` names that system.
    """
    if member is not None and member.role != Role.MEMBER:
        raise Rejected("not_a_member", "Only elected members raise cases here.")
    if member is None and new.channel == Channel.APP:
        raise Rejected("not_a_member", "Cases raised in the app need a member.")
    category = await _category(writer, new.category_id)
    if category is not None:
        _check_answers(category, new.answers)
    photos = await _photos_uploaded(new.photos)

    moment = now()
    try:
        case = await Case.create(
            id=new.id,
            reference=await next_reference(writer),
            member_id=member.id if member else None,
            kind=new.kind,
            category_id=category.id if category else None,
            department_id=None,
            answers=new.answers,
            description=new.description,
            constituent_name=new.constituent.name,
            constituent_address=new.constituent.address,
            constituent_phone=new.constituent.phone,
            constituent_email=new.constituent.email,
            latitude=new.location.latitude,
            longitude=new.location.longitude,
            location_accuracy=new.location.accuracy,
            address=new.location.address,
            priority=new.priority,
            due_at=targets.answer_by(new.kind, category, moment),
            acknowledge_by=targets.acknowledge_by(category, moment),
            channel=new.channel,
            created_at=moment,
            client_created_at=new.client_time,
            updated_at=moment,
            version=writer.version,
        )
    except IntegrityError:
        # The savepoint around the mutation undoes the reference too.
        raise Rejected("case_exists", f"A case with id {new.id} already exists.",
                       field="case_id") from None
    creator = author or member
    await add_event(writer, case, creator, EventKind.CREATED,
                    {"status": Status.SUBMITTED.value, "channel": new.channel.value},
                    client_time=new.client_time, later=True)
    await Contact.create(
        channel=new.channel, at=moment, member_id=case.member_id, case_id=case.id,
        agent_id=new.agent_id, summary=new.description[:300], source=source,
    )
    for photo in photos:
        await _attach(writer, case, creator, photo, None, new.client_time)
    publish_later(writer, case)
    writer.cache[("case", case.id)] = case
    return case


async def _category(writer: Writer, category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    key = ("category", category_id)
    category = writer.cache.get(key) or await Category.get_or_none(
        id=category_id, active=True)
    writer.cache[key] = category
    if category is None:
        raise Rejected("unknown_category",
                       f"There is no category {category_id}; pick another.",
                       field="category_id")
    return category


def _check_answers(category: Category, answers: dict[str, Any]) -> None:
    questions = {question["id"]: question for question in category.questions}
    for key in answers:
        if key not in questions:
            raise Rejected("unknown_answer",
                           f"{category.name} has no question {key!r}.",
                           field=f"answers.{key}")
    for question in questions.values():
        value = answers.get(question["id"])
        if question.get("required") and value in (None, "", []):
            raise Rejected("answer_required",
                           f"{question['label']} is required for {category.name}.",
                           field=f"answers.{question['id']}")
        options = question.get("options")
        if options and value not in (None, "") and value not in options:
            raise Rejected(
                "answer_not_an_option",
                f"{question['label']} must be one of: {', '.join(options)}.",
                field=f"answers.{question['id']}",
            )


async def next_reference(writer: Writer) -> str:
    rows = await writer.connection.execute_query_dict(
        "UPDATE counters SET value = value + 1 WHERE name = 'case_reference' "
        "RETURNING value"
    )
    return f"CH-{int(rows[0]['value']):06d}"


async def _photos_uploaded(hashes: tuple[str, ...]) -> list[Photo]:
    if len(hashes) > MAX_PHOTOS:
        raise Rejected("too_many_photos",
                       f"A case can have at most {MAX_PHOTOS} photos.",
                       field="photos")
    if not hashes:
        return []
    found = {photo.sha256: photo for photo in await Photo.filter(sha256__in=hashes)}
    missing = [sha for sha in hashes if sha not in found]
    if missing:
        raise NotYet("photo_missing",
                     "Upload the photos this change names, then send it again.",
                     missing=missing)
    return [found[sha] for sha in dict.fromkeys(hashes)]


# Adding to a case.

async def add_note(writer: Writer, case: Case, author: User, text: str,
                   event_id: uuid.UUID | None = None,
                   client_time: datetime | None = None) -> CaseEvent:
    _check_may_add(author, case)
    event = await add_event(writer, case, author, EventKind.NOTE, {"text": text},
                            event_id, client_time, later=True)
    bump(writer, case)
    return event


async def add_photo(writer: Writer, case: Case, author: User, sha256: str,
                    caption: str | None, event_id: uuid.UUID | None = None,
                    client_time: datetime | None = None) -> CaseEvent:
    _check_may_add(author, case)
    if await CasePhoto.filter(case_id=case.id).count() >= MAX_PHOTOS:
        raise Rejected("too_many_photos",
                       f"A case can have at most {MAX_PHOTOS} photos.",
                       field="sha256")
    (photo,) = await _photos_uploaded((sha256,))
    event = await _attach(writer, case, author, photo, caption, client_time,
                          event_id, later=True)
    bump(writer, case)
    return event


def _check_may_add(author: User, case: Case) -> None:
    if not (case.member_id == author.id or is_staff_for(author, case)):
        raise Rejected("not_allowed", "You cannot add to this case.")
    if author.role == Role.MEMBER and case.status in FINISHED:
        raise Rejected(
            "case_finished",
            f"Case {case.reference} is {case.status.value.replace('_', ' ')}; "
            "raise a new case instead.",
        )


async def _attach(writer: Writer, case: Case, author: User | None, photo: Photo,
                  caption: str | None, client_time: datetime | None,
                  event_id: uuid.UUID | None = None,
                  later: bool = False) -> CaseEvent:
    await CasePhoto.get_or_create(case_id=case.id, photo_id=photo.sha256)
    return await add_event(writer, case, author, EventKind.PHOTO,
                           {"sha256": photo.sha256, "caption": caption},
                           event_id, client_time, later)


async def reply(writer: Writer, case: Case, author: User, text: str,
                event_id: uuid.UUID | None = None) -> CaseEvent:
    """A written answer from the hub or a department to the member."""
    _check_staff(author, case)
    event = await add_event(writer, case, author, EventKind.REPLY, {"text": text},
                            event_id)
    targets.note_response(case, author, event.created_at, written=True)
    await touch(writer, case)
    await alerts.replied(writer, case, author, event)
    await member_mail.reply_sent(writer, case, await _replier(author), text)
    return event


async def department_reply(writer: Writer, case: Case, department: Department,
                           text: str, photos: tuple[Photo, ...] = ()) -> CaseEvent:
    """A department outside casehub answering on a case, by email.

    No one signs in to send it, so the event has no author and names the
    department instead; to the member and the targets it is a reply.
    """
    event = await add_event(writer, case, None, EventKind.REPLY,
                            {"text": text, "department_id": department.id,
                             "department": department.name, "by_email": True})
    room = MAX_PHOTOS - await CasePhoto.filter(case_id=case.id).count()
    for photo in photos[:max(room, 0)]:
        await _attach(writer, case, None, photo, None, None)
    targets.note_response(case, None, event.created_at, written=True)
    await touch(writer, case)
    await alerts.department_replied(writer, case, department, event)
    await member_mail.reply_sent(writer, case, department.name, text)
    return event


async def _replier(author: User) -> str:
    if not author.is_hub and author.department_id is not None:
        department = await Department.get_or_none(id=author.department_id)
        if department is not None:
            return department.name
    return "The Customer Hub"


async def internal_note(writer: Writer, case: Case, author: User, text: str,
                        event_id: uuid.UUID | None = None) -> CaseEvent:
    """A note for staff only; the member never sees it."""
    _check_staff(author, case)
    return await add_event(writer, case, author, EventKind.INTERNAL_NOTE,
                           {"text": text}, event_id)


def _check_staff(actor: User, case: Case) -> None:
    if not is_staff_for(actor, case):
        raise Rejected("not_allowed", "Only hub staff or the department handling "
                       "this case may do that.")


# Moving a case on.

async def change_status(writer: Writer, case: Case, actor: User, to: Status,
                        note: str | None = None,
                        event_id: uuid.UUID | None = None,
                        client_time: datetime | None = None) -> CaseEvent:
    _check_may_move(actor, case, to)
    if to not in TRANSITIONS[case.status]:
        raise Rejected(
            "status_not_allowed",
            f"Case {case.reference} is {_words(case.status)} and cannot become "
            f"{_words(to)}.",
            field="status",
        )
    event = await add_event(writer, case, actor, EventKind.STATUS_CHANGE,
                            {"from": case.status.value, "to": to.value, "note": note},
                            event_id, client_time)
    case.status = to
    targets.note_response(case, actor, event.created_at)
    if to == Status.REOPENED and case.released_at is not None:
        # The phones let the finished case go; it goes back to them whole.
        case.released_at = None
        await republish_events(writer, case)
    await touch(writer, case)
    await alerts.status_changed(writer, case, actor, to, event)
    return event


def _check_may_move(actor: User, case: Case, to: Status) -> None:
    if actor.is_hub:
        return
    if actor.role == Role.MEMBER and case.member_id == actor.id:
        if to == Status.WITHDRAWN and case.status in OPEN:
            return
        if to == Status.REOPENED and case.status == Status.RESOLVED:
            return
        raise Rejected(
            "not_allowed",
            "Members can withdraw an open case or reopen a resolved one; "
            f"case {case.reference} is {_words(case.status)}.",
            field="status",
        )
    if is_staff_for(actor, case) and to in DEPARTMENT_STATUSES:
        return
    raise Rejected("not_allowed", "You cannot change the status of this case.",
                   field="status")


async def hand_off(writer: Writer, case: Case, actor: User, department: Department,
                   note: str | None = None) -> CaseEvent:
    """Give a case to a department, whose officers then see all of it."""
    if not actor.is_hub:
        raise Rejected("not_allowed", "Only hub staff hand cases to departments.")
    if case.status in FINISHED:
        raise Rejected("case_finished",
                       f"Case {case.reference} is {_words(case.status)}.")
    if not department.uses_casehub and not department.email:
        raise Rejected("department_has_no_email",
                       f"{department.name} takes cases by email but has no "
                       "address; add one to the department first.",
                       field="department_id")

    previous = case.department_id
    event = await add_event(writer, case, actor, EventKind.HANDOFF,
                            {"department_id": department.id,
                             "department": department.name, "note": note,
                             "by_email": not department.uses_casehub})
    await Handoff.create(case_id=case.id, department_id=department.id,
                         by_id=actor.id, at=event.created_at,
                         by_email=not department.uses_casehub,
                         using_db=writer.connection)
    case.department_id = department.id
    targets.note_response(case, actor, event.created_at)
    if case.status in {Status.SUBMITTED, Status.ACKNOWLEDGED, Status.REOPENED}:
        await add_event(writer, case, actor, EventKind.STATUS_CHANGE,
                        {"from": case.status.value,
                         "to": Status.WITH_DEPARTMENT.value, "note": None})
        case.status = Status.WITH_DEPARTMENT
    await touch(writer, case)
    await republish_events(writer, case)
    await alerts.handed_off(writer, case, department, event)
    if not department.uses_casehub:
        await handoffs.queue_handoff(writer, case, department, note)
    if previous is not None and previous != department.id:
        await _forget_in_department(writer, case, previous)
        await narrow_department(previous)
    return event


async def _forget_in_department(writer: Writer, case: Case,
                                department_id: int) -> None:
    """Take a case's feed entries out of the sight of a department it left.

    Otherwise the department's officers, starting their feed again, would
    read the case back from the entries written while it was theirs, or from
    the hand-off itself, written before the case changed hands.
    """
    events = await timeline(writer, case)
    entity_ids = {str(case.id), *(str(event.id) for event in events)}
    await Change.filter(department_id=department_id,
                        entity_id__in=list(entity_ids)).update(department_id=None)
    for change in writer.changes:
        if change.department_id == department_id and change.entity_id in entity_ids:
            change.department_id = None


async def narrow_department(department_id: int) -> None:
    """Officers of a department that lost a case must resync their phones."""
    officers = User.filter(role=Role.DEPARTMENT_OFFICER, department_id=department_id)
    for officer in await officers:
        officer.acl_epoch += 1
        await officer.save(update_fields=["acl_epoch"])


def _words(status: Status) -> str:
    return status.value.replace("_", " ")


# The timeline and the feed.

async def check_event_ids(writer: Writer, ids: set[uuid.UUID]) -> None:
    """Find out at once which of these event ids are taken.

    Events whose ids were checked this way are written together when the
    transaction ends, rather than one insert each.
    """
    found = await CaseEvent.filter(id__in=list(ids)).values_list("id", flat=True)
    taken = {uuid.UUID(str(event_id)) for event_id in found}
    taken |= {row.id for row in writer.inserts if isinstance(row, CaseEvent)}
    writer.cache[CHECKED_EVENT_IDS] = (ids, taken)


async def add_event(writer: Writer, case: Case, author: User | None,
                    kind: EventKind, data: dict[str, Any],
                    event_id: uuid.UUID | None = None,
                    client_time: datetime | None = None,
                    later: bool = False) -> CaseEvent:
    """Add an entry to the case's timeline and put it on the feed.

    With `later`, the row may be written with the transaction's other rows
    at its end, when its id cannot be taken: only for events nothing in the
    transaction reads back or refers to.
    """
    event = CaseEvent(
        id=event_id or uuid.uuid4(),
        case_id=case.id,
        kind=kind,
        author_id=author.id if author else None,
        data=data,
        created_at=now(),
        client_created_at=client_time,
        version=writer.version,
    )
    # A fresh random id cannot be taken; a checked one is known to be free.
    free = event_id is None
    checked = writer.cache.get(CHECKED_EVENT_IDS)
    if checked is not None and event.id in checked[0]:
        if event.id in checked[1]:
            raise _event_exists(event_id)
        checked[1].add(event.id)
        free = True
    if later and free:
        writer.insert_later(event)
    else:
        try:
            await event.save(force_create=True)
        except IntegrityError:
            raise _event_exists(event_id) from None
    writer.record("event", str(event.id), event_data(event, author),
                  event_audience(case, event))
    return event


def _event_exists(event_id: uuid.UUID | None) -> Rejected:
    return Rejected("event_exists", f"An event with id {event_id} exists.",
                    field="event_id")


async def touch(writer: Writer, case: Case) -> None:
    """Save a changed case and put its new state on the feed."""
    case.updated_at = now()
    case.version = writer.version
    await case.save()
    publish_later(writer, case)


def bump(writer: Writer, case: Case) -> None:
    """Note that something was added to a case, which is otherwise unchanged."""
    case.updated_at = now()
    case.version = writer.version
    publish_later(writer, case, bump=True)
