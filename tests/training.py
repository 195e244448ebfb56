"""Helpers for the rollout's tests: slots, sent mail and its invitations."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import icalendar

from server.mail.models import MailMessage
from server.models import User
from server.rollout import slots
from server.rollout.models import TrainingSlot


def soon(days: int = 3, hour: int = 10) -> datetime:
    """A moment `days` ahead at `hour`:00 UTC."""
    today = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


async def slot(trainer: User, starts_at: datetime | None = None,
               minutes: int = 30, place: str | None = "Room 2, City Hall",
               online_url: str | None = None) -> TrainingSlot:
    return await slots.publish(trainer, slots.NewSlot(
        starts_at or soon(), minutes, place, online_url))


async def past_slot(trainer: User) -> TrainingSlot:
    """A slot that began an hour ago, which publishing would refuse."""
    return await TrainingSlot.create(
        trainer_id=trainer.id, starts_at=datetime.now(UTC) - timedelta(hours=1),
        minutes=30, place="Room 2",
    )


async def mail_to(member: User) -> list[EmailMessage]:
    """Every message queued for `member`, oldest first, as parsed email."""
    rows = await MailMessage.filter(user_id=member.id).order_by("id")
    return [email.message_from_string(row.source, policy=email.policy.default)
            for row in rows]  # type: ignore[misc]


def invitation(message: EmailMessage) -> Any:
    """The message's calendar file, parsed back with icalendar."""
    files = [part for part in message.iter_attachments()
             if part.get_content_type() == "text/calendar"]
    assert len(files) == 1, [part.get_content_type() for part in files]
    content = files[0].get_content()
    raw = content if isinstance(content, bytes) else content.encode()
    return icalendar.Calendar.from_ical(raw)


def event(calendar: Any) -> Any:
    [found] = calendar.walk("VEVENT")
    return found


def link_in(message: EmailMessage) -> str:
    """The personal booking link a message carries."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    for word in body.get_content().split():
        if "/training/book/" in word:
            return str(word)
    raise AssertionError("the message has no booking link")
