"""The mail casehub sends members who write to the hub by email.

A member whose email opened or joined a case is told its reference, and
one whose case came by email hears each reply by email too, threaded onto
what they wrote. casehub writes only to the address it holds for the
member, never to whatever address a message claims to come from.
"""

from __future__ import annotations

from server.mail import addresses, outbox
from server.mail.models import MailDirection, MailMessage
from server.mail.wording import subject_about
from server.models import Case, Channel, User
from sync.feed import Writer

APP_LINE = "You can follow the case in the casehub app too."


async def acknowledge(writer: Writer, member: User, case: Case,
                      answering: MailMessage, *, opened: bool,
                      follows: str | None = None) -> MailMessage:
    """Tell a member their email reached the hub, and which case it is on."""
    if opened and follows:
        first = (f"Case {follows} is finished, so your email has opened a new "
                 f"case, {case.reference}.")
    elif opened:
        first = f"Your email has reached the Customer Hub as case {case.reference}."
    else:
        first = f"Your email has been added to case {case.reference}."
    text = (f"{first}\n\nTo add to the case, reply to this email or keep "
            f"{case.reference} in the subject. {APP_LINE}\n\nCustomer Hub\n")
    message = outbox.compose(
        member.email, subject_about(case.reference, answering.subject), text,
        in_reply_to=answering.message_id,
        to_name=member.name,
    )
    # RFC 3834: an automatic answer, so an out-of-office does not answer it.
    message["Auto-Submitted"] = "auto-replied"
    message["Reply-To"] = addresses.reply_address(case.reference)
    return await outbox.queue(writer.connection, message, case_id=case.id,
                              user_id=member.id)


async def reply_sent(writer: Writer, case: Case, sender_name: str,
                     text: str) -> MailMessage | None:
    """Email a reply to the member when their case came in by email."""
    if case.channel != Channel.EMAIL or case.member_id is None:
        return None
    member = await User.get_or_none(id=case.member_id, active=True)
    if member is None:
        return None

    theirs = MailMessage.filter(case_id=case.id, user_id=member.id,
                                direction=MailDirection.IN)
    latest = await theirs.order_by("-created_at", "-id").first()
    first = await theirs.order_by("created_at", "id").first()
    subject = latest.subject if latest else ""
    body = (f"{sender_name} replied on case {case.reference}:\n\n{text}\n\n"
            f"To answer, reply to this email. {APP_LINE}\n\nCustomer Hub\n")
    message = outbox.compose(
        member.email, subject_about(case.reference, subject), body,
        in_reply_to=latest.message_id if latest else None,
        references=[first.message_id] if first and first != latest else [],
        to_name=member.name,
    )
    message["Reply-To"] = addresses.reply_address(case.reference)
    return await outbox.queue(writer.connection, message, case_id=case.id,
                              user_id=member.id)

