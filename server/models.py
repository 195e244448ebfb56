"""The council's people, places and casework, as stored."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Role(StrEnum):
    MEMBER = "member"
    HUB_AGENT = "hub_agent"
    HUB_SUPERVISOR = "hub_supervisor"
    DEPARTMENT_OFFICER = "department_officer"
    TRAINER = "trainer"
    ADMIN = "admin"


HUB_ROLES = frozenset({Role.HUB_AGENT, Role.HUB_SUPERVISOR, Role.ADMIN})
STAFF_ROLES = frozenset(Role) - {Role.MEMBER}


class CaseKind(StrEnum):
    SERVICE_REQUEST = "service_request"
    MEMBER_ENQUIRY = "member_enquiry"


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    WITH_DEPARTMENT = "with_department"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class EventKind(StrEnum):
    CREATED = "created"
    NOTE = "note"
    PHOTO = "photo"
    STATUS_CHANGE = "status_change"
    HANDOFF = "handoff"
    REPLY = "reply"
    INTERNAL_NOTE = "internal_note"
    # Hub work on a case: all but an update of its details stay with staff.
    ASSIGNED = "assigned"
    LINKED = "linked"
    CONTACT = "contact"
    ESCALATED = "escalated"
    UPDATED = "updated"


STAFF_ONLY_EVENTS = frozenset({
    EventKind.INTERNAL_NOTE,
    EventKind.ASSIGNED,
    EventKind.LINKED,
    EventKind.CONTACT,
    EventKind.ESCALATED,
})


class Channel(StrEnum):
    """How a contact reached the hub."""

    APP = "app"
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"


class Ward(Model):
    """A district electoral area, represented by several members."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80, unique=True)

    class Meta:
        table = "wards"


class Party(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80, unique=True)
    short_name = fields.CharField(max_length=16)

    class Meta:
        table = "parties"


class Department(Model):
    """A council service that does the work a case asks for."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120, unique=True)
    email = fields.CharField(max_length=254, null=True)
    uses_casehub = fields.BooleanField(default=True)

    class Meta:
        table = "departments"


class User(Model):
    """Anyone who signs in: an elected member or a member of staff."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=120)
    role = fields.CharEnumField(Role, max_length=24)
    password_hash = fields.CharField(max_length=200, null=True)
    ward: fields.ForeignKeyNullableRelation[Ward] = fields.ForeignKeyField(
        "casehub.Ward", related_name="members", null=True, on_delete=fields.RESTRICT
    )
    party: fields.ForeignKeyNullableRelation[Party] = fields.ForeignKeyField(
        "casehub.Party", related_name="members", null=True, on_delete=fields.RESTRICT
    )
    department: fields.ForeignKeyNullableRelation[Department] = (
        fields.ForeignKeyField(
            "casehub.Department",
            related_name="officers",
            null=True,
            on_delete=fields.RESTRICT,
        )
    )
    trainer: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="trainees", null=True, on_delete=fields.SET_NULL
    )
    active = fields.BooleanField(default=True)
    # Raised whenever what this user may see shrinks, so their phones resync.
    acl_epoch = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    ward_id: int | None
    party_id: int | None
    department_id: int | None
    trainer_id: int | None

    class Meta:
        table = "users"

    @property
    def is_member(self) -> bool:
        return self.role == Role.MEMBER

    @property
    def is_hub(self) -> bool:
        return self.role in HUB_ROLES


class Category(Model):
    """What a case is about, which department it goes to, and its targets."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=120)
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "casehub.Department", related_name="categories", on_delete=fields.RESTRICT
    )
    # Extra questions: [{"id", "label", "type", "required", "options"}].
    questions: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(
        default=list
    )
    acknowledge_hours = fields.IntField(default=8)
    answer_days = fields.IntField(default=10)
    active = fields.BooleanField(default=True)

    department_id: int

    class Meta:
        table = "categories"


# Named, so the dashboard's SQL can tell SQLite which one to read.
ARRIVALS_INDEX = "cases_arrivals"
RESPONSE_INDEXES = ("cases_response_seconds", "cases_response_working_seconds")


class Case(Model):
    id = fields.UUIDField(primary_key=True)
    reference = fields.CharField(max_length=16, unique=True)
    # No member for a report another system sent in on a resident's behalf.
    member: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="cases", null=True, on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(CaseKind, max_length=24)
    # No category for an email or a call the hub has not sorted yet.
    category: fields.ForeignKeyNullableRelation[Category] = fields.ForeignKeyField(
        "casehub.Category", related_name="cases", null=True,
        on_delete=fields.RESTRICT,
    )
    department: fields.ForeignKeyNullableRelation[Department] = (
        fields.ForeignKeyField(
            "casehub.Department",
            related_name="cases",
            null=True,
            on_delete=fields.RESTRICT,
        )
    )
    answers: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    description = fields.TextField()
    constituent_name = fields.CharField(max_length=120, null=True)
    constituent_address = fields.CharField(max_length=300, null=True)
    constituent_phone = fields.CharField(max_length=40, null=True)
    constituent_email = fields.CharField(max_length=254, null=True)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    location_accuracy = fields.FloatField(null=True)
    address = fields.CharField(max_length=300, null=True)
    status = fields.CharEnumField(Status, max_length=24, default=Status.SUBMITTED)
    priority = fields.CharEnumField(Priority, max_length=12, default=Priority.NORMAL)
    due_at = fields.DatetimeField(null=True)
    channel = fields.CharEnumField(Channel, max_length=12, default=Channel.APP)
    assigned_to: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User",
        related_name="assigned_cases",
        null=True,
        on_delete=fields.SET_NULL,
    )
    duplicate_of: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "casehub.Case",
        related_name="duplicates",
        null=True,
        on_delete=fields.SET_NULL,
    )
    # Targets and when they were met: the first answer of any kind from the
    # hub acknowledges a case, the first written reply answers it.
    acknowledge_by = fields.DatetimeField(null=True)
    acknowledged_at = fields.DatetimeField(null=True)
    answered_at = fields.DatetimeField(null=True)
    escalated_at = fields.DatetimeField(null=True)
    # When the member's phones were told to let the finished case go, and when
    # its personal details were removed at the end of the retention period.
    released_at = fields.DatetimeField(null=True)
    anonymised_at = fields.DatetimeField(null=True)
    # How long the hub took to acknowledge, set with acknowledged_at: by the
    # clock, and in working time (the dashboard's medians read these).
    response_seconds = fields.IntField(null=True)
    response_working_seconds = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    client_created_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()
    # The sync version of the last change to this row.
    version = fields.BigIntField(default=0)

    member_id: int | None
    category_id: int | None
    department_id: int | None
    assigned_to_id: int | None
    duplicate_of_id: str | None

    class Meta:
        table = "cases"
        indexes = (
            Index(fields=("member_id", "updated_at")),
            # The queue; acknowledged_at lets the dashboard read it alone.
            Index(fields=("status", "created_at", "acknowledged_at")),
            Index(fields=("department_id", "status")),
            # Everything the dashboard counts of the cases that arrived in a
            # range, so it reads this index alone and never the wide rows.
            Index(fields=("created_at", "status", "acknowledge_by",
                          "acknowledged_at", "response_seconds",
                          "response_working_seconds"),
                  name=ARRIVALS_INDEX),
            # Each member's cases over a range, for their engagement profile.
            Index(fields=("member_id", "created_at", "status")),
            # The few cases not yet acknowledged, and the member enquiries,
            # each counted against their targets without reading the rest.
            Index(fields=("acknowledged_at", "created_at", "acknowledge_by",
                          "status")),
            Index(fields=("kind", "created_at", "answered_at", "due_at",
                          "status")),
            # Response times in order, so a percentile over many cases is
            # read by stepping along an index instead of sorting.
            Index(fields=("response_seconds", "created_at"),
                  name=RESPONSE_INDEXES[0]),
            Index(fields=("response_working_seconds", "created_at"),
                  name=RESPONSE_INDEXES[1]),
            Index(fields=("escalated_at", "status")),
        )


class CaseEvent(Model):
    """One entry of the timeline of a case. Entries are never changed or removed."""

    id = fields.UUIDField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "casehub.Case", related_name="events", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(EventKind, max_length=24)
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    # What happened: text, status from and to, department, photo hash.
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    client_created_at = fields.DatetimeField(null=True)
    version = fields.BigIntField(default=0)

    case_id: str
    author_id: int | None

    class Meta:
        table = "case_events"
        indexes = (Index(fields=("case_id", "version")),)

    @property
    def member_visible(self) -> bool:
        return self.kind not in STAFF_ONLY_EVENTS


class Photo(Model):
    """A stored image, addressed by the SHA-256 of the bytes the phone sent."""

    sha256 = fields.CharField(max_length=64, primary_key=True)
    mime = fields.CharField(max_length=32)
    size = fields.IntField()
    width = fields.IntField()
    height = fields.IntField()
    uploaded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="photos", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    uploaded_by_id: int

    class Meta:
        table = "photos"


class CasePhoto(Model):
    """Which case shows which photo, so access follows the case."""

    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "casehub.Case", related_name="photos", on_delete=fields.RESTRICT
    )
    photo: fields.ForeignKeyRelation[Photo] = fields.ForeignKeyField(
        "casehub.Photo", related_name="cases", on_delete=fields.RESTRICT
    )

    case_id: str
    photo_id: str

    class Meta:
        table = "case_photos"
        unique_together = (("case", "photo"),)


class EnrollmentCode(Model):
    """A one-time code that turns the phone of a member into one of their devices."""

    id = fields.IntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "casehub.User", related_name="enrollment_codes", on_delete=fields.CASCADE
    )
    issued_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "casehub.User",
        related_name="issued_codes",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "enrollment_codes"


class SignInAttempt(Model):
    """A failed sign-in or enrollment attempt, counted to slow down guessing."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16)
    key = fields.CharField(max_length=128)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sign_in_attempts"
        indexes = (Index(fields=("kind", "key", "at")),)


class Counter(Model):
    """Named counters, such as the one behind case references."""

    name = fields.CharField(max_length=32, primary_key=True)
    value = fields.BigIntField(default=0)

    class Meta:
        table = "counters"


class ServerKey(Model):
    """Secrets every app instance must share, made on first start."""

    name = fields.CharField(max_length=32, primary_key=True)
    value = fields.CharField(max_length=128)

    class Meta:
        table = "server_keys"
