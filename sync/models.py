"""What the sync protocol stores: devices, applied mutations and the feed."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Device(Model):
    """A phone or browser signed in as one user, and the unit of mutation order."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "casehub.User", related_name="devices", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=120, default="")
    token_hash = fields.CharField(max_length=64, unique=True)
    # The highest sequence number applied from this device, in the same
    # transaction as its effects.
    last_seq = fields.BigIntField(default=0)
    app_version = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(null=True)
    last_pull_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "devices"


class AppliedMutation(Model):
    """The outcome of one mutation, kept so repeats and results can be told."""

    id = fields.UUIDField(primary_key=True)
    device: fields.ForeignKeyRelation[Device] = fields.ForeignKeyField(
        "casehub.Device", related_name="mutations", on_delete=fields.RESTRICT
    )
    seq = fields.BigIntField()
    name = fields.CharField(max_length=40)
    status = fields.CharField(max_length=12)
    error_code = fields.CharField(max_length=40, null=True)
    error_detail = fields.CharField(max_length=500, null=True)
    version = fields.BigIntField()
    applied_at = fields.DatetimeField(auto_now_add=True)

    device_id: str

    class Meta:
        table = "applied_mutations"
        unique_together = (("device", "seq"),)


class Change(Model):
    """One entry of the change feed: the state of an entity as of one version.

    Every row written by one transaction shares its version, and versions are
    handed out in commit order, so a reader never skips a change.
    """

    id = fields.BigIntField(primary_key=True)
    version = fields.BigIntField()
    entity = fields.CharField(max_length=16)
    entity_id = fields.CharField(max_length=64)
    data: fields.JSONField[dict[str, Any]] = fields.JSONField()
    # Who may read it: the member whose case it is (or the user it is for),
    # the department handling the case, reference data for everyone, and
    # entries that only staff may see.
    member_id = fields.IntField(null=True)
    department_id = fields.IntField(null=True)
    public = fields.BooleanField(default=False)
    personal = fields.BooleanField(default=False)
    staff_only = fields.BooleanField(default=False)

    class Meta:
        table = "changes"
        indexes = (
            Index(fields=("version",)),
            Index(fields=("member_id", "version")),
            Index(fields=("department_id", "version")),
            Index(fields=("public", "version")),
            Index(fields=("personal", "version")),
        )


class SyncState(Model):
    """The single row holding the version counter and epoch of the feed.

    The epoch changes when the database is restored from a backup, so that
    phones holding cursors from the lost future start again.
    """

    id = fields.IntField(primary_key=True)
    version = fields.BigIntField(default=0)
    epoch = fields.CharField(max_length=32)

    class Meta:
        table = "sync_state"
