"""What the hub records beside the cases: contacts, handoffs and templates."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from server.models import Case, Category, Channel, Department, User


class Contact(Model):
    """One contact with the hub on any channel, counted on the dashboard.

    A case raised in the app, a call to the members' line, an email to the
    members' mailbox: each is one contact, whether or not it opened a case.
    """

    id = fields.IntField(primary_key=True)
    channel = fields.CharEnumField(Channel, max_length=12)
    at = fields.DatetimeField()
    member: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="contacts", null=True,
        on_delete=fields.SET_NULL,
    )
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "casehub.Case", related_name="contacts", null=True,
        on_delete=fields.SET_NULL,
    )
    # The agent who logged a call, or who took in an email by hand.
    agent: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="logged_contacts", null=True,
        on_delete=fields.SET_NULL,
    )
    summary = fields.CharField(max_length=300, default="")
    notes = fields.TextField(null=True)
    # Who it came from when that is not a known member: an address or a system.
    source = fields.CharField(max_length=254, null=True)

    member_id: int | None
    case_id: str | None
    agent_id: int | None

    class Meta:
        table = "contacts"
        indexes = (
            # The dashboard counts each channel's contacts a day at a time,
            # and the engagement profile each member's on each channel.
            Index(fields=("channel", "at")),
            Index(fields=("member_id", "at")),
            Index(fields=("member_id", "channel", "at")),
        )


class Handoff(Model):
    """A case given to a department, through casehub or by email."""

    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "casehub.Case", related_name="handoffs", on_delete=fields.CASCADE
    )
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "casehub.Department", related_name="handoffs", on_delete=fields.RESTRICT
    )
    by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="handoffs", null=True,
        on_delete=fields.SET_NULL,
    )
    at = fields.DatetimeField()
    by_email = fields.BooleanField(default=False)

    case_id: str
    department_id: int
    by_id: int | None

    class Meta:
        table = "handoffs"
        # The dashboard counts each department's hand-offs over a range.
        indexes = (Index(fields=("department_id", "at")),)


class ResponseTemplate(Model):
    """A reply the hub sends often, with placeholders such as {reference}."""

    id = fields.IntField(primary_key=True)
    category: fields.ForeignKeyNullableRelation[Category] = fields.ForeignKeyField(
        "casehub.Category", related_name="templates", null=True,
        on_delete=fields.CASCADE,
    )
    name = fields.CharField(max_length=120)
    body = fields.TextField()
    active = fields.BooleanField(default=True)

    category_id: int | None

    class Meta:
        table = "response_templates"
