"""The updates extension FixMyStreet uses: servicerequestupdates.

A client reads the hub's progress on the reports it sent: every status
change, hand-off, reply, note and change of category, never a staff-only
entry, and never what the client sent itself. A client sends the
reporter's comments back the same way; a comment that says an open report
still needs work reopens one the hub had finished with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from werkzeug.datastructures import MultiDict

from server import casework
from server.hub.models import Contact
from server.models import Case, CaseEvent, Channel, EventKind, Status
from server.open311.errors import Open311Error, Problems
from server.open311.intake import LENGTHS, NAME_CHARS, param
from server.open311.limits import DESCRIPTION_CHARS
from server.open311.models import Open311Client, Open311Request, Open311Update
from server.open311.queries import Page, Window
from server.open311.service_requests import timelines
from server.open311.statuses import (
    CLOSED,
    EXTENDED,
    SENT_CLOSED,
    SENT_OPEN,
    UPDATE_KINDS,
    describe,
)
from server.open311.times import NotATime, parse_w3c, w3c
from sync.feed import Writer, write_transaction

log = logging.getLogger(__name__)

UPDATE_ID_CHARS = 120


# What the hub did, for the client to read.

async def updates_for(client: Open311Client, window: Window, page: Page,
                      zone: str) -> list[dict[str, Any]]:
    """The hub's updates on the client's reports in `window`, oldest first."""
    touched = await CaseEvent.filter(
        case__open311__client_id=client.id, kind__in=list(UPDATE_KINDS),
        created_at__gte=window.start, created_at__lte=window.end,
    ).distinct().values_list("case_id", flat=True)
    case_ids = sorted({str(case_id) for case_id in touched})
    found_timelines, own = await timelines(case_ids)
    references = {str(case_id): reference for case_id, reference in
                  await Case.filter(id__in=case_ids)
                  .values_list("id", "reference")}

    found = []
    for case_id, timeline in found_timelines.items():
        status = Status.SUBMITTED
        for event in timeline:
            # The status as of each entry, the client's own reopenings too.
            if event.kind == EventKind.STATUS_CHANGE:
                status = Status(event.data["to"])
            text = describe(event)
            if (text and event.id not in own
                    and window.start <= event.created_at <= window.end):
                found.append((event, status, text, references[case_id]))
    found.sort(key=lambda item: (item[0].created_at, str(item[0].id)))
    chosen = found[page.offset:page.offset + page.size]
    return [_update(event, status, text, reference, zone)
            for event, status, text, reference in chosen]


def _update(event: CaseEvent, status: Status, text: str, reference: str,
            zone: str) -> dict[str, Any]:
    return {
        "update_id": str(event.id),
        "service_request_id": reference,
        "status": EXTENDED[status],
        "description": text,
        "updated_datetime": w3c(event.created_at, zone),
        "media_url": None,
        "external_status_code": status.value,
    }


# What the reporter said, sent by the client.

@dataclass(frozen=True)
class Comment:
    reference: str
    update_id: str
    written_at: datetime
    reopen: bool
    text: str
    name: str | None
    email: str | None


def read_comment(form: MultiDict[str, str]) -> Comment:
    problems = Problems()
    missing = [name for name in ("service_request_id", "update_id",
                                 "updated_datetime", "status")
               if param(form, name) is None]
    for field in missing:
        problems.add(f"{field} is required.")
    problems.raise_any()

    update_id = param(form, "update_id") or ""
    if len(update_id) > UPDATE_ID_CHARS:
        problems.add(f"update_id is longer than {UPDATE_ID_CHARS} characters.")
    written_at = _written_at(param(form, "updated_datetime") or "", problems)
    status = (param(form, "status") or "").upper().replace(" ", "_")
    if status not in SENT_OPEN | SENT_CLOSED:
        problems.add("status must be open or closed (or one of FixMyStreet's "
                     f"statuses), got {param(form, 'status')!r}.")
    text = _text(form, problems)
    names = [param(form, "first_name"), param(form, "last_name")]
    name = " ".join(part for part in names if part) or None
    if name and len(name) > NAME_CHARS:
        problems.add(f"first_name and last_name together are longer than "
                     f"{NAME_CHARS} characters.")
    email = param(form, "email")
    if email and len(email) > LENGTHS["email"]:
        problems.add(f"email is longer than {LENGTHS['email']} characters.")
    problems.raise_any()
    return Comment(reference=(param(form, "service_request_id") or "").upper(),
                   update_id=update_id, written_at=written_at,
                   reopen=status in SENT_OPEN, text=text, name=name, email=email)


def _written_at(text: str, problems: Problems) -> datetime:
    try:
        return parse_w3c(text)
    except NotATime:
        problems.add("updated_datetime must be a W3C date and time with a time "
                     f"zone, such as 2026-11-30T09:15:00Z; got {text!r}.")
        return datetime.min


def _text(form: MultiDict[str, str], problems: Problems) -> str:
    description = (form.get("description") or "").strip()
    media_url = param(form, "media_url")
    if len(description) > DESCRIPTION_CHARS:
        problems.add(f"description is longer than {DESCRIPTION_CHARS} "
                     "characters.")
    if media_url and (len(media_url) > LENGTHS["media_url"]
                      or not media_url.lower().startswith(("http://", "https://"))):
        problems.add("media_url must be an http:// or https:// address of at "
                     f"most {LENGTHS['media_url']} characters.")
    if not description and not media_url:
        problems.add("description is required: what the reporter said.")
    if media_url:
        return f"{description}\n\nPhoto: {media_url}".strip()
    return description


async def receive(client: Open311Client, comment: Comment) -> str:
    """Put the comment on the case's timeline; the id of the entry it became.

    A comment the client sent before is not recorded again: the first
    entry's id is the answer, so a client that lost our reply can resend.
    """
    earlier = await _earlier(client, comment)
    if earlier is not None:
        return earlier
    record = await Open311Request.get_or_none(
        client_id=client.id, case__reference=comment.reference)
    if record is None:
        raise Open311Error(404, f"service_request_id {comment.reference} was not "
                           "found among the requests your system sent.")

    try:
        async with write_transaction() as writer:
            case = await Case.select_for_update().get(id=record.case_id)
            event_id = await _record(writer, client, case, comment)
    except IntegrityError:
        earlier = await _earlier(client, comment)
        if earlier is None:
            raise
        return earlier
    log.info("update on case %s from Open311 client %s", comment.reference,
             client.id)
    return event_id


async def _earlier(client: Open311Client, comment: Comment) -> str | None:
    found = await Open311Update.get_or_none(client_id=client.id,
                                            update_id=comment.update_id)
    return str(found.event_id) if found else None


async def _record(writer: Writer, client: Open311Client, case: Case,
                  comment: Comment) -> str:
    note = await casework.add_event(
        writer, case, None, EventKind.NOTE,
        {"text": comment.text, "via": client.name, "name": comment.name,
         "email": comment.email},
        client_time=comment.written_at,
    )
    await Open311Update.create(client_id=client.id, case_id=case.id,
                               event_id=note.id, update_id=comment.update_id,
                               received_at=note.created_at,
                               using_db=writer.connection)
    await Contact.create(channel=Channel.WEB, at=note.created_at, case_id=case.id,
                         summary=comment.text[:300], source=client.name,
                         using_db=writer.connection)
    if (comment.reopen and case.status in CLOSED
            and Status.REOPENED in casework.TRANSITIONS[case.status]):
        await _reopen(writer, client, case)
    await casework.touch(writer, case)
    return str(note.id)


async def _reopen(writer: Writer, client: Open311Client, case: Case) -> None:
    """The reporter says it still needs doing: back to the hub's queue."""
    event = await casework.add_event(
        writer, case, None, EventKind.STATUS_CHANGE,
        {"from": case.status.value, "to": Status.REOPENED.value,
         "note": f"Reopened: the reporter says through {client.name} that it "
                 "still needs doing."},
    )
    case.status = Status.REOPENED
    await Open311Update.create(client_id=client.id, case_id=case.id,
                               event_id=event.id, received_at=event.created_at,
                               using_db=writer.connection)
