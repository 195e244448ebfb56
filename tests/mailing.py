"""Writing to casehub's SMTP server as a mail program would, and cases to write of."""

from __future__ import annotations

import dataclasses
import io
import uuid
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
from PIL import Image
from quart import Quart

from server import casework
from server.casework import Constituent, Location, NewCase
from server.config import Settings
from server.models import Case, CaseKind, Category, Channel, Department, User
from sync.feed import write_transaction

MAILBOX = "members@casehub.localhost"


def listening(settings: Settings) -> Settings:
    """Settings that take in mail on a free port of the test's own."""
    return dataclasses.replace(settings, smtp_listen=("127.0.0.1", 0))


def smtp_port(app: Quart) -> int:
    return int(app.config["MAIL_SERVER"].address[1])


def message(sender: str, subject: str = "Bins not collected",
            text: str = "The bins on Elm Street were missed again.",
            *, to: str = MAILBOX, in_reply_to: str | None = None,
            references: Iterable[str] = (),
            files: Iterable[tuple[str, str, bytes]] = (),
            message_id: str | None = None,
            headers: dict[str, str] | None = None) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = message_id or make_msgid(domain="sender.test")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = " ".join([*references, in_reply_to])
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(text)
    for filename, mime, content in files:
        maintype, _, subtype = mime.partition("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype,
                            filename=filename)
    return mail


async def send(app: Quart, mail: EmailMessage | bytes, *,
               sender: str | None = None,
               recipients: Iterable[str] = (MAILBOX,)) -> str:
    """Send through casehub's own SMTP server; returns its answer to DATA."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port(app),
                               timeout=30) as client:
        if isinstance(mail, bytes):
            from_address = "someone@sender.test" if sender is None else sender
            _, answer = await client.sendmail(from_address,
                                              list(recipients), mail)
        else:
            _, answer = await client.send_message(mail, sender=sender,
                                                  recipients=list(recipients))
    return answer


def jpeg(colour: str = "red", exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (40, 30), colour)
    if exif:
        data = image.getexif()
        data[0x010F] = "PhoneMaker"
        image.save(out, format="JPEG", exif=data)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


async def raise_case(member: User, category: Category | None = None,
                     channel: Channel = Channel.APP, **details: object) -> Case:
    """A case raised by `member`, as if from the app."""
    async with write_transaction() as writer:
        return await casework.create_case(writer, member, NewCase(
            id=uuid.uuid4(), kind=CaseKind.SERVICE_REQUEST,
            category_id=category.id if category else None,
            description=str(details.get("description",
                                        "Mattress dumped at the entry")),
            answers=dict(details.get("answers", {})),  # type: ignore[call-overload]
            constituent=Constituent(name="Pat Doe", address="3 Elm Street",
                                    phone="028 9000 0000", email="pat@home.test"),
            location=Location(latitude=54.5873, longitude=-5.9301, accuracy=12,
                              address="Entry behind 12 Elm Street"),
            photos=tuple(details.get("photos", ())),  # type: ignore[arg-type]
            channel=channel,
        ))


async def hand_off(case: Case, agent: User, department: Department,
                   note: str | None = None) -> None:
    async with write_transaction() as writer:
        locked = await Case.select_for_update().get(id=case.id)
        await casework.hand_off(writer, locked, agent, department, note)


async def by_email(department: Department, address: str) -> Department:
    """Make `department` one that works by email rather than in casehub."""
    department.uses_casehub = False
    department.email = address
    await department.save()
    return department
