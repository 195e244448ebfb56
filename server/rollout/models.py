"""What the rollout keeps: training slots and bookings, personal links, what
each phone last reported, test alerts, party briefings and feedback."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from server.models import Party, User
from sync.models import Device


class TrainingSlot(Model):
    """A time a trainer keeps free to set up one member's phone."""

    id = fields.IntField(primary_key=True)
    trainer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="training_slots", on_delete=fields.RESTRICT
    )
    starts_at = fields.DatetimeField()
    minutes = fields.IntField()
    place = fields.CharField(max_length=200, null=True)
    online_url = fields.CharField(max_length=500, null=True)
    cancelled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    trainer_id: int

    class Meta:
        table = "training_slots"
        indexes = (Index(fields=("starts_at",)),)


class Booking(Model):
    """One member's place at a slot, from booking through moves to the end.

    While the booking is live, `held_slot` and `live_member` repeat its slot
    and member. Both are unique, so the database itself refuses a second
    live booking of a slot or of a member, however requests race. Both are
    emptied when the booking is cancelled.
    """

    id = fields.UUIDField(primary_key=True)
    slot: fields.ForeignKeyRelation[TrainingSlot] = fields.ForeignKeyField(
        "casehub.TrainingSlot", related_name="bookings", on_delete=fields.RESTRICT
    )
    member: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="training_bookings", on_delete=fields.RESTRICT
    )
    # A member of staff who booked for the member; none when they booked.
    booked_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="bookings_made", null=True,
        on_delete=fields.SET_NULL,
    )
    held_slot = fields.IntField(null=True, unique=True)
    live_member = fields.IntField(null=True, unique=True)
    # The calendar invitation's SEQUENCE: raised by every move and the cancel.
    sequence = fields.IntField(default=0)
    booked_at = fields.DatetimeField()
    cancelled_at = fields.DatetimeField(null=True)
    reminded_at = fields.DatetimeField(null=True)
    trained_at = fields.DatetimeField(null=True)

    slot_id: int
    member_id: int
    booked_by_id: int | None

    class Meta:
        table = "training_bookings"
        indexes = (Index(fields=("member_id", "booked_at")),)

    @property
    def live(self) -> bool:
        return self.cancelled_at is None


class BookingLink(Model):
    """A member's personal link to their bookings, stored only as a hash."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="booking_links", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)

    member_id: int

    class Meta:
        table = "booking_links"


class DeviceReport(Model):
    """What a phone last said about itself. Each report replaces the one before."""

    id = fields.IntField(primary_key=True)
    device: fields.OneToOneRelation[Device] = fields.OneToOneField(
        "casehub.Device", related_name="report", on_delete=fields.CASCADE
    )
    app_version = fields.CharField(max_length=32, null=True)
    platform = fields.CharField(max_length=16)
    installed = fields.BooleanField()
    notifications = fields.CharField(max_length=16)
    push_subscribed = fields.BooleanField()
    test_push_id = fields.UUIDField(null=True)
    first_sync_at = fields.DatetimeField(null=True)
    last_sync_at = fields.DatetimeField(null=True)
    pending_changes = fields.IntField(default=0)
    storage_persisted = fields.BooleanField()
    reported_at = fields.DatetimeField()

    device_id: str

    class Meta:
        table = "device_reports"


class AlertCheck(Model):
    """A test alert sent to one phone, and when the phone said it arrived."""

    id = fields.UUIDField(primary_key=True)
    device: fields.ForeignKeyRelation[Device] = fields.ForeignKeyField(
        "casehub.Device", related_name="alert_checks", on_delete=fields.CASCADE
    )
    requested_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="alert_checks", null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField()
    received_at = fields.DatetimeField(null=True)

    device_id: str
    requested_by_id: int | None

    class Meta:
        table = "alert_checks"
        indexes = (Index(fields=("device_id", "created_at")),)


class Briefing(Model):
    """A party group's briefing on casehub and the hub, run by the team."""

    id = fields.IntField(primary_key=True)
    party: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "casehub.Party", related_name="briefings", on_delete=fields.RESTRICT
    )
    starts_at = fields.DatetimeField()
    minutes = fields.IntField()
    place = fields.CharField(max_length=200, null=True)
    online_url = fields.CharField(max_length=500, null=True)
    scheduled_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="briefings_scheduled", null=True,
        on_delete=fields.SET_NULL,
    )
    cancelled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    party_id: int

    class Meta:
        table = "briefings"


class Feedback(Model):
    """A member's ratings of the hub and of the app, given in the app."""

    id = fields.UUIDField(primary_key=True)
    member: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="feedback", on_delete=fields.RESTRICT
    )
    # The member's party when they gave it, so a later move keeps the count.
    party: fields.ForeignKeyNullableRelation[Party] = fields.ForeignKeyField(
        "casehub.Party", related_name="feedback", null=True,
        on_delete=fields.SET_NULL,
    )
    briefing: fields.ForeignKeyNullableRelation[Briefing] = fields.ForeignKeyField(
        "casehub.Briefing", related_name="feedback", null=True,
        on_delete=fields.SET_NULL,
    )
    hub_rating = fields.IntField()
    hub_comment = fields.TextField(null=True)
    app_rating = fields.IntField()
    app_comment = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    client_created_at = fields.DatetimeField(null=True)

    member_id: int
    party_id: int | None
    briefing_id: int | None

    class Meta:
        table = "feedback"
        indexes = (Index(fields=("party_id", "created_at")),)
