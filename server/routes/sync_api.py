"""The sync endpoints phones call: push mutations, pull changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from quart import Blueprint, current_app
from quart_schema import tag, validate_request, validate_response

from server.auth import current_device
from server.errors import ApiError
from server.mutators import REGISTRY
from server.visibility import feed_scopes
from sync import OLDEST_PROTOCOL_VERSION, PROTOCOL_VERSION
from sync.cursor import Cursor, decode_cursor, encode_cursor
from sync.models import Device
from sync.protocol import (
    ChangeOut,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)
from sync.pull import read_page
from sync.push import apply_batch

blueprint = Blueprint("sync_api", __name__)

PULL_NOTED_EVERY = timedelta(minutes=1)


@blueprint.post("/api/sync/push")
@tag(["sync"])
@validate_request(PushRequest)
@validate_response(PushResponse, 200)
async def push(data: PushRequest) -> PushResponse:
    """Apply the device's pending mutations, in order, exactly once."""
    _check_protocol(data.protocol)
    device, user = await current_device()
    await _note_version(device, data.app_version)

    results = await apply_batch(device, user, data.mutations, REGISTRY)
    return PushResponse(results=results, last_seq=device.last_seq)


@blueprint.post("/api/sync/pull")
@tag(["sync"])
@validate_request(PullRequest)
@validate_response(PullResponse, 200)
async def pull(data: PullRequest) -> PullResponse:
    """The next page of changes this device's user may see."""
    _check_protocol(data.protocol)
    device, user = await current_device()
    await _note_version(device, data.app_version)

    key = current_app.config["CURSOR_KEY"]
    cursor = decode_cursor(data.cursor, key) if data.cursor else None
    page = await read_page(device, cursor, feed_scopes(user), user.acl_epoch,
                           data.limit)
    await _note_pull(device)

    next_cursor = Cursor(page.version, page.epoch, user.acl_epoch, user.id)
    return PullResponse(
        cursor=encode_cursor(next_cursor, key),
        more=page.more,
        reset=page.reset,
        acknowledged_seq=page.acknowledged_seq,
        changes=[
            ChangeOut(version=row.version, entity=row.entity, id=row.entity_id,
                      data=row.data)
            for row in page.changes
        ],
    )


def _check_protocol(version: int) -> None:
    if version < OLDEST_PROTOCOL_VERSION:
        raise ApiError(
            409, "update_required",
            "This version of the app is too old to sync. Update the app: "
            "your unsent changes are kept and will be sent after the update.",
            field="protocol", supported=[OLDEST_PROTOCOL_VERSION, PROTOCOL_VERSION],
        )
    if version > PROTOCOL_VERSION:
        raise ApiError(
            409, "protocol_unknown",
            f"This server speaks sync protocol {PROTOCOL_VERSION} at most.",
            field="protocol", supported=[OLDEST_PROTOCOL_VERSION, PROTOCOL_VERSION],
        )


async def _note_pull(device: Device) -> None:
    """Keep when the device last pulled, to the minute, without a write a pull."""
    moment = datetime.now(UTC)
    if device.last_pull_at is None or moment - device.last_pull_at > PULL_NOTED_EVERY:
        device.last_pull_at = moment
        await Device.filter(id=device.id).update(last_pull_at=moment)


async def _note_version(device: Device, app_version: str | None) -> None:
    if app_version and app_version != device.app_version:
        device.app_version = app_version
        await Device.filter(id=device.id).update(app_version=app_version)
