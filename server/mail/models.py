"""What casehub keeps of the email it sends and takes in."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from server.models import Case, Department, User


class MailDirection(StrEnum):
    IN = "in"
    OUT = "out"


class MailState(StrEnum):
    # Incoming: taken in and put on a case, waiting for the hub to sort, or
    # set aside by the hub (spam, a newsletter, a mistake).
    RECEIVED = "received"
    UNMATCHED = "unmatched"
    DISMISSED = "dismissed"
    # Outgoing: waiting, being sent, sent, or given up on.
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class MailMessage(Model):
    """An email in or out, kept so replies thread back onto their case.

    Outgoing mail is written here in the transaction that causes it and sent
    afterwards, so a crash between the two loses nothing. `source` holds the
    whole message as sent or as received.
    """

    id = fields.IntField(primary_key=True)
    message_id = fields.CharField(max_length=255, unique=True)
    direction = fields.CharEnumField(MailDirection, max_length=4)
    state = fields.CharEnumField(MailState, max_length=10)
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "casehub.Case", related_name="mail", null=True, on_delete=fields.SET_NULL
    )
    department: fields.ForeignKeyNullableRelation[Department] = (
        fields.ForeignKeyField(
            "casehub.Department", related_name="mail", null=True,
            on_delete=fields.SET_NULL,
        )
    )
    # The member or member of staff the message is from or to, when known.
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="mail", null=True, on_delete=fields.SET_NULL
    )
    sender = fields.CharField(max_length=254)
    recipient = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300)
    body = fields.TextField()
    source = fields.TextField()
    in_reply_to = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    claim = fields.CharField(max_length=64, null=True)
    claimed_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    # Incoming mail no rule could place: why, and who in the hub sorted it.
    unmatched_reason = fields.CharField(max_length=300, null=True)
    sorted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="sorted_mail", null=True,
        on_delete=fields.SET_NULL,
    )
    sorted_at = fields.DatetimeField(null=True)
    dismissal_reason = fields.CharField(max_length=300, null=True)

    case_id: str | None
    department_id: int | None
    user_id: int | None
    sorted_by_id: int | None

    class Meta:
        table = "mail_messages"
        indexes = (
            Index(fields=("state", "next_attempt_at")),
            Index(fields=("case_id", "created_at")),
        )


class Attachment(Model):
    """A file that came with an email, stored by the SHA-256 of its bytes."""

    id = fields.IntField(primary_key=True)
    mail: fields.ForeignKeyRelation[MailMessage] = fields.ForeignKeyField(
        "casehub.MailMessage", related_name="attachments", on_delete=fields.CASCADE
    )
    # Set once the mail is on a case; until then only the hub sees it.
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "casehub.Case", related_name="attachments", null=True,
        on_delete=fields.SET_NULL,
    )
    sha256 = fields.CharField(max_length=64)
    filename = fields.CharField(max_length=255)
    mime = fields.CharField(max_length=120)
    size = fields.IntField()
    created_at = fields.DatetimeField()

    mail_id: int
    case_id: str | None

    class Meta:
        table = "attachments"
        indexes = (Index(fields=("sha256",)),)
