"""The shapes of sync requests and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH = 100
MAX_PAGE = 1000
DEFAULT_PAGE = 500


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Mutation(Strict):
    id: UUID = Field(description="Made by the device; the same on every retry.")
    seq: int = Field(ge=1, description="1, 2, 3... per device, with no gaps.")
    name: str = Field(max_length=40, description="Which mutation, e.g. case.create.")
    args: dict[str, Any] = Field(description="The mutation's own arguments.")
    client_time: datetime | None = Field(
        default=None, description="The device's clock, kept for display only."
    )


class PushRequest(Strict):
    protocol: int = Field(description="The sync protocol the app speaks.")
    app_version: str | None = Field(default=None, max_length=32)
    mutations: list[Mutation] = Field(max_length=MAX_BATCH)


class MutationError(BaseModel):
    code: str
    detail: str
    field: str | None = None
    missing: list[str] | None = Field(
        default=None, description="For not_yet: the photos still to upload."
    )


class MutationResult(BaseModel):
    id: UUID
    seq: int
    status: Literal["applied", "duplicate", "rejected", "not_yet"]
    error: MutationError | None = None


class PushResponse(BaseModel):
    results: list[MutationResult]
    last_seq: int = Field(description="The highest sequence number applied.")


class PullRequest(Strict):
    protocol: int
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    app_version: str | None = Field(default=None, max_length=32)


class ChangeOut(BaseModel):
    version: int
    entity: str
    id: str
    data: dict[str, Any]


class PullResponse(BaseModel):
    cursor: str
    more: bool = Field(description="True when another page waits: pull again.")
    reset: bool = Field(
        description="True when the device must drop what it holds from earlier "
        "pulls before applying these changes. Pending mutations are kept."
    )
    acknowledged_seq: int = Field(
        description="Every mutation up to this number is reflected in the "
        "changes up to this cursor; drop them from the outbox."
    )
    changes: list[ChangeOut]
