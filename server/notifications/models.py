"""What push alerts store: where to send them, what members want, what is queued."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class AlertKind(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    HANDOFF = "handoff"
    STATUS = "status"
    REPLY = "reply"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    RESOLVED = "resolved"
    CLOSED = "closed"
    # Sent on request to show that a phone gets alerts; not a member's choice.
    TEST = "test"


class Delivery(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    GONE = "gone"


class PushSubscription(Model):
    """Where the push service of one device takes alerts for its user."""

    id = fields.IntField(primary_key=True)
    device: fields.OneToOneRelation = fields.OneToOneField(
        "casehub.Device", related_name="push_subscription", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "casehub.User", related_name="push_subscriptions", on_delete=fields.CASCADE
    )
    endpoint = fields.CharField(max_length=1000, unique=True)
    p256dh = fields.CharField(max_length=100)
    auth = fields.CharField(max_length=40)
    # The VAPID key the browser was given when it subscribed; a subscription
    # only works with that key, so rotation drops the others.
    key_id = fields.CharField(max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    device_id: str
    user_id: int

    class Meta:
        table = "push_subscriptions"


class AlertPreferences(Model):
    """Which alerts a member wants. Members without a row get every kind."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "casehub.User", related_name="alert_preferences", on_delete=fields.CASCADE
    )
    kinds: fields.JSONField[list[str]] = fields.JSONField(default=list)
    updated_at = fields.DatetimeField(auto_now=True)

    user_id: int

    class Meta:
        table = "alert_preferences"


class Notification(Model):
    """One alert for one device, written with the change that caused it."""

    id = fields.BigIntField(primary_key=True)
    subscription: fields.ForeignKeyNullableRelation[PushSubscription] = (
        fields.ForeignKeyField(
            "casehub.PushSubscription", related_name="notifications", null=True,
            on_delete=fields.SET_NULL,
        )
    )
    # The cause and the device: the same alert is never queued twice.
    delivery_key = fields.CharField(max_length=120, unique=True)
    case_id = fields.UUIDField()
    kind = fields.CharEnumField(AlertKind, max_length=16)
    payload: fields.JSONField[dict[str, str]] = fields.JSONField()
    urgency = fields.CharField(max_length=8, default="normal")
    status = fields.CharEnumField(Delivery, max_length=8, default=Delivery.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # Who is sending it and since when; a lease that runs out is taken over.
    claim = fields.CharField(max_length=64, null=True)
    claimed_at = fields.DatetimeField(null=True)
    # How often a lease ran out mid-send, each a possible repeat on the phone.
    reclaims = fields.IntField(default=0)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField()

    subscription_id: int | None

    class Meta:
        table = "notifications"
        indexes = (Index(fields=("status", "next_attempt_at")),)


class DueReminder(Model):
    """A due-date alert already raised for a case, so it is raised only once."""

    id = fields.IntField(primary_key=True)
    case_id = fields.UUIDField()
    kind = fields.CharEnumField(AlertKind, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "due_reminders"
        unique_together = (("case_id", "kind"),)
