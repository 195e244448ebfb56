"""What casehub keeps about the systems that speak Open311 to it."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from server.models import Case, CaseEvent


class Open311Client(Model):
    """A system allowed to send reports, such as FixMyStreet, and its API key.

    Only the SHA-256 of the key is kept. The name is what the hub sees as
    the source of every report and comment the system sends.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80, unique=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "open311_clients"


class Open311Request(Model):
    """A case a client system sent in, with what it sent beside the case."""

    id = fields.IntField(primary_key=True)
    case: fields.OneToOneRelation[Case] = fields.OneToOneField(
        "casehub.Case", related_name="open311", on_delete=fields.RESTRICT
    )
    client: fields.ForeignKeyRelation[Open311Client] = fields.ForeignKeyField(
        "casehub.Open311Client", related_name="requests", on_delete=fields.RESTRICT
    )
    received_at = fields.DatetimeField()
    media_url = fields.CharField(max_length=2000, null=True)
    address_id = fields.CharField(max_length=120, null=True)
    account_id = fields.CharField(max_length=120, null=True)
    device_id = fields.CharField(max_length=120, null=True)
    # Every attribute as sent, those the service does not ask for included.
    attributes: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    case_id: str
    client_id: int

    class Meta:
        table = "open311_requests"
        indexes = (
            Index(fields=("received_at",)),
            Index(fields=("client_id", "received_at")),
        )


class Open311Update(Model):
    """A timeline entry a client system wrote: a comment, a photo, a reopening.

    `update_id` is the client's own number for a comment it sent, so a comment
    sent twice is recorded once. Entries listed here are never sent back to
    the client as the hub's updates.
    """

    id = fields.IntField(primary_key=True)
    client: fields.ForeignKeyRelation[Open311Client] = fields.ForeignKeyField(
        "casehub.Open311Client", related_name="updates", on_delete=fields.RESTRICT
    )
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "casehub.Case", related_name="open311_updates", on_delete=fields.RESTRICT
    )
    event: fields.OneToOneRelation[CaseEvent] = fields.OneToOneField(
        "casehub.CaseEvent", related_name="open311_update",
        on_delete=fields.RESTRICT,
    )
    update_id = fields.CharField(max_length=120, null=True)
    received_at = fields.DatetimeField()

    client_id: int
    case_id: str
    event_id: str

    class Meta:
        table = "open311_updates"
        unique_together = (("client", "update_id"),)
        indexes = (Index(fields=("client_id", "received_at")),)
