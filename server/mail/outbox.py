"""Writing outgoing mail into the transaction of the change that causes it.

A hand-off, a reply or a booking and its email commit together or not at
all; the mail worker sends the message afterwards, outside any transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from tortoise.backends.base.client import BaseDBAsyncClient

from server.mail.models import MailDirection, MailMessage, MailState


@dataclass(frozen=True)
class Sender:
    """Who casehub's mail comes from; set once from the settings."""

    address: str = "members@casehub.localhost"
    name: str = "Customer Hub"

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


@dataclass(frozen=True)
class Part:
    """A file sent with a message, such as a calendar invitation."""

    filename: str
    mime: str
    content: bytes


sender = Sender()
_listeners: set[Callable[[], None]] = set()
# Bodies are encoded to 7-bit ASCII, so any relay takes the stored source.
SEVEN_BIT = policy.default.clone(cte_type="7bit")


def configure(address: str, name: str = "Customer Hub") -> None:
    global sender
    sender = Sender(address.lower(), name)


def listen(wake: Callable[[], None]) -> None:
    """Call `wake` whenever mail is queued in this process."""
    _listeners.add(wake)


def stop_listening(wake: Callable[[], None]) -> None:
    _listeners.discard(wake)


def notify() -> None:
    """Tell the workers in this process that there is mail to send."""
    for wake in list(_listeners):
        wake()


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@{sender.domain}>"


def compose(to: str, subject: str, body: str, *, in_reply_to: str | None = None,
            references: Iterable[str] = (), parts: Iterable[Part] = (),
            to_name: str | None = None) -> EmailMessage:
    """A plain-text message from the hub, with its own Message-ID."""
    message = EmailMessage(policy=SEVEN_BIT)
    message["From"] = formataddr((sender.name, sender.address))
    message["To"] = formataddr((to_name, to)) if to_name else to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = new_message_id()
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = " ".join([*references, in_reply_to])
    message.set_content(body)
    for part in parts:
        maintype, _, subtype = part.mime.partition("/")
        message.add_attachment(part.content, maintype=maintype, subtype=subtype,
                               filename=part.filename)
    return message


async def queue(connection: BaseDBAsyncClient, message: EmailMessage, *,
                case_id: uuid.UUID | str | None = None,
                department_id: int | None = None,
                user_id: int | None = None) -> MailMessage:
    """Keep `message` to be sent once the surrounding transaction commits."""
    moment = datetime.now(UTC)
    stored = await MailMessage.create(
        message_id=str(message["Message-ID"]),
        direction=MailDirection.OUT,
        state=MailState.QUEUED,
        case_id=case_id,
        department_id=department_id,
        user_id=user_id,
        sender=sender.address,
        recipient=str(message["To"])[:254],
        subject=str(message["Subject"])[:300],
        body=_text_of(message),
        source=message.as_string(),
        in_reply_to=message["In-Reply-To"],
        created_at=moment,
        next_attempt_at=moment,
        using_db=connection,
    )
    notify()
    return stored


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""
