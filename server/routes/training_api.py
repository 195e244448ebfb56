"""What the app tells the server about the phone it runs on, and test alerts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint
from quart_schema import tag, validate_request, validate_response

from server.auth import current_device
from server.rollout import alert_checks, reports

blueprint = Blueprint("training_api", __name__)


class DeviceReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app_version: str | None = Field(default=None, max_length=32)
    platform: Literal["android", "iphone", "ipad", "desktop", "other"]
    installed: bool = Field(description="Running from the home screen, standalone.")
    notifications: Literal["granted", "denied", "default", "unsupported"]
    push_subscribed: bool = Field(description="The browser holds a subscription.")
    test_push_id: uuid.UUID | None = Field(
        default=None, description="The id of the last test alert this phone showed.")
    first_sync_at: datetime | None = Field(
        default=None, description="When the phone first finished a whole sync.")
    last_sync_at: datetime | None = None
    pending_changes: int = Field(ge=0, le=1_000_000,
                                 description="Changes in the outbox, not yet sent.")
    storage_persisted: bool = Field(description="navigator.storage.persisted().")


class ChecklistOut(BaseModel):
    installed: bool
    push_subscribed: bool
    test_push_received: bool
    first_sync: bool
    storage_persisted: bool
    done: bool


class ReportOut(BaseModel):
    device_id: uuid.UUID
    reported_at: datetime
    checklist: ChecklistOut


class TestPushOut(BaseModel):
    id: uuid.UUID = Field(description="The alert's id, which the phone reports back.")


@blueprint.put("/api/devices/report")
@tag(["devices"])
@validate_request(DeviceReportIn)
@validate_response(ReportOut, 200)
async def report(data: DeviceReportIn) -> ReportOut:
    """Replace what the server knows about this phone; answers its checklist."""
    device, _ = await current_device()
    kept = await reports.record(device, data.model_dump())
    ticked = await reports.checklist(device, kept)
    return ReportOut(device_id=device.id, reported_at=kept.reported_at,
                     checklist=ChecklistOut(**ticked.__dict__, done=ticked.done))


@blueprint.post("/api/devices/test-push")
@tag(["devices"])
@validate_response(TestPushOut, 202)
async def send_test_push() -> tuple[TestPushOut, int]:
    """Send this phone a test alert through its push service."""
    device, user = await current_device()
    sent = await alert_checks.send(device, user)
    return TestPushOut(id=sent.id), 202
