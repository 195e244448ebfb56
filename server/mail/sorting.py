"""What hub staff do with mail no rule could place, and with mail that failed.

Unmatched mail is opened as a case for a member, added to a case as an
email contact, or dismissed with a reason; each happens once, so two agents
sorting the same message at the same moment cannot both act on it. Mail the
relay refused for good can be queued again once its cause is fixed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from server import casework, photos
from server.casework import MAX_PHOTOS
from server.config import Settings
from server.errors import ApiError
from server.hub.models import Contact
from server.mail import attachments, intake, outbox
from server.mail.attachments import Kept
from server.mail.models import Attachment, MailDirection, MailMessage, MailState
from server.models import Case, CaseKind, CasePhoto, Channel, EventKind, Role, User
from sync.errors import Rejected
from sync.feed import Writer, write_transaction


async def open_case(settings: Settings, mail: MailMessage, agent: User,
                    member: User, kind: CaseKind) -> Case:
    """Open a case for `member` from an unmatched message."""
    _check_hub(agent)
    if member.role != Role.MEMBER or not member.active:
        raise Rejected("not_a_member", f"{member.name} is not an active member.",
                       field="member_id")
    kept = await _kept(settings, mail)

    async with write_transaction() as writer:
        locked = await _unmatched(mail)
        case = await intake.open_case(writer, locked, kept, member, agent=agent,
                                      kind=kind, source=locked.sender)
        await _sorted(writer, locked, agent, case, user_id=member.id)
    return case


async def add_to_case(settings: Settings, mail: MailMessage, agent: User,
                      reference: str) -> Case:
    """Put an unmatched message on a case as an email the hub took in."""
    _check_hub(agent)
    found = await Case.get_or_none(reference=reference.strip().upper())
    if found is None:
        raise Rejected("case_not_found", f"There is no case {reference}.",
                       field="reference")
    kept = await _kept(settings, mail)

    async with write_transaction() as writer:
        locked = await _unmatched(mail)
        case = await Case.select_for_update().get(id=found.id)
        member = await User.get_or_none(id=locked.user_id) if locked.user_id else None
        text = intake.timeline_text(locked)
        await Contact.create(channel=Channel.EMAIL, at=casework.now(),
                             member_id=member.id if member else None,
                             case_id=case.id, agent_id=agent.id,
                             summary=(locked.subject or text)[:300], notes=text,
                             source=locked.sender[:254], using_db=writer.connection)
        await casework.add_event(writer, case, agent, EventKind.CONTACT, {
            "channel": Channel.EMAIL.value, "summary": locked.subject[:300],
            "notes": text, "member": member.name if member else None,
        })
        room = MAX_PHOTOS - await CasePhoto.filter(case_id=case.id).count()
        for photo in await attachments.photos_of(kept, agent.id, room):
            await casework.add_photo(writer, case, agent, photo.sha256, None)
        await _sorted(writer, locked, agent, case)
    return case


async def dismiss(mail: MailMessage, agent: User, reason: str) -> None:
    """Set an unmatched message aside, saying why; it is kept all the same."""
    _check_hub(agent)
    changed = await MailMessage.filter(id=mail.id, state=MailState.UNMATCHED).update(
        state=MailState.DISMISSED, dismissal_reason=reason.strip()[:300],
        sorted_by_id=agent.id, sorted_at=datetime.now(UTC))
    if not changed:
        raise _already_sorted()


async def send_again(mail: MailMessage, agent: User) -> None:
    """Queue a message that failed, once whatever refused it is put right."""
    _check_hub(agent)
    changed = await MailMessage.filter(
        id=mail.id, direction=MailDirection.OUT, state=MailState.FAILED
    ).update(state=MailState.QUEUED, attempts=0, claim=None, claimed_at=None,
             next_attempt_at=datetime.now(UTC))
    if not changed:
        raise Rejected("mail_not_failed",
                       "Only mail that could not be sent can be sent again.")
    outbox.notify()


def _check_hub(agent: User) -> None:
    if not agent.is_hub:
        raise Rejected("not_allowed", "Only hub staff sort the hub's mail.")


async def _unmatched(mail: MailMessage) -> MailMessage:
    locked = await MailMessage.select_for_update().get(id=mail.id)
    if locked.state != MailState.UNMATCHED:
        raise _already_sorted()
    return locked


def _already_sorted() -> Rejected:
    return Rejected("mail_already_sorted",
                    "Someone in the hub has already sorted this email; it is "
                    "no longer waiting.")


async def _sorted(writer: Writer, mail: MailMessage, agent: User, case: Case,
                  user_id: int | None = None) -> None:
    mail.state = MailState.RECEIVED
    mail.case_id = str(case.id)
    mail.sorted_by_id = agent.id
    mail.sorted_at = casework.now()
    if user_id is not None:
        mail.user_id = user_id
    await mail.save(using_db=writer.connection)
    await Attachment.filter(mail_id=mail.id).using_db(writer.connection).update(
        case_id=case.id)


async def _kept(settings: Settings, mail: MailMessage) -> list[Kept]:
    """The message's files as kept, with the images checked again as photos."""
    kept = []
    for row in await Attachment.filter(mail_id=mail.id).order_by("id"):
        image = None
        if row.mime.startswith("image/"):
            data = await asyncio.to_thread(
                attachments.path_for(settings, row.sha256).read_bytes)
            try:
                image = await photos.checked_image(data)
            except ApiError:
                image = None
            else:
                await attachments.keep_photo(settings, row.sha256, image)
        kept.append(Kept(row.sha256, row.filename, row.mime, row.size, image))
    return kept
