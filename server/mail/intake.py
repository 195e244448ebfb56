"""Taking in one email: onto its case, as a new case, or kept for the hub.

Each message is applied in one write transaction: its row, its files and
what it does to a case commit together, so a message is never half taken
in. A message whose Message-ID casehub already holds is accepted again and
changes nothing, so a sender that retries after a lost answer does no harm.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from server import casework
from server.casework import MAX_PHOTOS, Constituent, Location, NewCase
from server.config import Settings
from server.hub.models import Contact
from server.mail import attachments, matching, member_mail, parsing
from server.mail.attachments import Kept
from server.mail.matching import Kind, Placement
from server.mail.models import MailDirection, MailMessage, MailState
from server.mail.parsing import Incoming
from server.models import Case, CaseKind, CasePhoto, Channel, User
from sync.errors import Rejected
from sync.feed import Writer, write_transaction

log = logging.getLogger(__name__)

# What a case's timeline shows of an email; the message keeps all of it.
MAX_TEXT = 5000


@dataclass(frozen=True)
class TakenIn:
    # None for a message taken in before, which this time changed nothing.
    kind: Kind | None
    mail_id: int
    reference: str | None = None


async def take_in(settings: Settings, raw: bytes, envelope_sender: str | None,
                  recipients: list[str]) -> TakenIn:
    """Read, match and apply one message; safe to call again with the same."""
    incoming = parsing.read(raw, envelope_sender)
    existing = await MailMessage.get_or_none(message_id=incoming.message_id)
    if existing is not None:
        return _again(existing)

    kept = await attachments.keep(settings, incoming.files)
    try:
        try:
            async with write_transaction() as writer:
                taken = await _apply(writer, incoming, recipients, kept)
        except Rejected as rejected:
            # A rule of casework refused it: the hub decides instead.
            async with write_transaction() as writer:
                mail = await record(writer, incoming, recipients, kept, None,
                                    matching.unmatched(rejected.detail))
            taken = TakenIn(Kind.UNMATCHED, mail.id)
    except IntegrityError:
        # The same message, delivered twice at once: the other one stands.
        existing = await MailMessage.get_or_none(message_id=incoming.message_id)
        if existing is None:
            raise
        return _again(existing)
    log.info("took in mail %d as %s%s", taken.mail_id, taken.kind,
             f" on {taken.reference}" if taken.reference else "")
    return taken


def _again(existing: MailMessage) -> TakenIn:
    log.info("mail %d arrived again; nothing changed", existing.id)
    return TakenIn(None, existing.id)


async def _apply(writer: Writer, incoming: Incoming, recipients: list[str],
                 kept: list[Kept]) -> TakenIn:
    placement = await matching.place(incoming, recipients)
    if placement.kind == Kind.REPLY:
        return await _department_reply(writer, incoming, recipients, kept, placement)
    if placement.kind == Kind.NOTE:
        return await _member_note(writer, incoming, recipients, kept, placement)
    if placement.kind == Kind.NEW_CASE:
        return await _new_case(writer, incoming, recipients, kept, placement)
    mail = await record(writer, incoming, recipients, kept, None, placement)
    return TakenIn(Kind.UNMATCHED, mail.id)


async def _department_reply(writer: Writer, incoming: Incoming,
                            recipients: list[str], kept: list[Kept],
                            placement: Placement) -> TakenIn:
    assert placement.case is not None and placement.department is not None
    case = await Case.select_for_update().get(id=placement.case.id)
    mail = await record(writer, incoming, recipients, kept, case, placement)
    # A photo needs someone who uploaded it; no one signs in to send this,
    # and the member of the case is the one person sure to see it.
    photos = (await attachments.photos_of(kept, case.member_id, MAX_PHOTOS)
              if case.member_id else [])
    await casework.department_reply(writer, case, placement.department,
                                    timeline_text(incoming), tuple(photos))
    return TakenIn(Kind.REPLY, mail.id, case.reference)


async def _member_note(writer: Writer, incoming: Incoming, recipients: list[str],
                       kept: list[Kept], placement: Placement) -> TakenIn:
    assert placement.case is not None and placement.member is not None
    member = placement.member
    case = await Case.select_for_update().get(id=placement.case.id)
    mail = await record(writer, incoming, recipients, kept, case, placement)
    await casework.add_note(writer, case, member, timeline_text(incoming))
    room = MAX_PHOTOS - await CasePhoto.filter(case_id=case.id).count()
    for photo in await attachments.photos_of(kept, member.id, room):
        await casework.add_photo(writer, case, member, photo.sha256, None)
    await Contact.create(channel=Channel.EMAIL, at=mail.created_at,
                         member_id=member.id, case_id=case.id,
                         summary=(incoming.subject or incoming.text)[:300],
                         using_db=writer.connection)
    await member_mail.acknowledge(writer, member, case, mail, opened=False)
    return TakenIn(Kind.NOTE, mail.id, case.reference)


async def _new_case(writer: Writer, incoming: Incoming, recipients: list[str],
                    kept: list[Kept], placement: Placement) -> TakenIn:
    assert placement.member is not None
    member = placement.member
    case = await open_case(writer, incoming, kept, member, placement.follows)
    mail = await record(writer, incoming, recipients, kept, case, placement)
    await member_mail.acknowledge(writer, member, case, mail, opened=True,
                                  follows=placement.follows)
    return TakenIn(Kind.NEW_CASE, mail.id, case.reference)


async def open_case(writer: Writer, incoming: Incoming | MailMessage,
                    kept: list[Kept], member: User, follows: str | None = None,
                    agent: User | None = None,
                    kind: CaseKind = CaseKind.MEMBER_ENQUIRY,
                    source: str | None = None) -> Case:
    """A new case from an email, waiting for the hub to give it a category.

    `agent` is the member of staff who opened it by hand from unmatched mail,
    and `source` the address that mail came from.
    """
    uploader = agent or member
    photos = await attachments.photos_of(kept, uploader.id, MAX_PHOTOS)
    # All of it: a new case is often a forwarded message, quote and all.
    text = incoming.text if isinstance(incoming, Incoming) else incoming.body
    description = f"{incoming.subject}\n\n{text}" if incoming.subject else text
    if follows:
        description = f"Follows on from {follows}, which is finished.\n\n{description}"
    return await casework.create_case(writer, member, NewCase(
        id=uuid.uuid4(), kind=kind, category_id=None,
        description=_shortened(description.strip()) or "(an email with no text)",
        answers={}, constituent=Constituent(), location=Location(),
        photos=tuple(photo.sha256 for photo in photos), channel=Channel.EMAIL,
        agent_id=agent.id if agent else None,
    ), author=agent, source=source)


async def record(writer: Writer, incoming: Incoming, recipients: list[str],
                 kept: list[Kept], case: Case | None,
                 placement: Placement) -> MailMessage:
    """The message's own row, and a row for each of its files."""
    body = incoming.text
    if incoming.skipped:
        body += (f"\n\n[casehub left out {incoming.skipped} attachments: at most "
                 f"{parsing.MAX_FILES} files of "
                 f"{parsing.MAX_FILE_BYTES // (1024 * 1024)} MB each are kept. "
                 "The original message holds them.]")
    mail = await MailMessage.create(
        message_id=incoming.message_id,
        direction=MailDirection.IN,
        state=MailState.UNMATCHED if case is None else MailState.RECEIVED,
        case_id=case.id if case else None,
        department_id=placement.department.id if placement.department else None,
        user_id=placement.member.id if placement.member else None,
        sender=incoming.sender,
        recipient=", ".join(recipients)[:254],
        subject=incoming.subject,
        body=body,
        source=incoming.source,
        in_reply_to=incoming.in_reply_to,
        created_at=datetime.now(UTC),
        unmatched_reason=placement.reason[:300] if placement.reason else None,
        using_db=writer.connection,
    )
    await attachments.record(writer.connection, mail, kept,
                             str(case.id) if case else None)
    return mail


def timeline_text(incoming: Incoming | MailMessage) -> str:
    """The new words of a message, as its case's timeline shows them."""
    full = incoming.text if isinstance(incoming, Incoming) else incoming.body
    text = parsing.reply_text(full) or incoming.subject or "(an email with no text)"
    return _shortened(text)


def _shortened(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - 40].rstrip() + "\n[the rest is in the email]"
