"""Sending a phone a test alert, on the member's or a trainer's request."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from server.errors import ApiError
from server.models import User
from server.notifications.outbox import enqueue_test
from server.rollout.models import AlertCheck
from sync.models import Device

log = logging.getLogger(__name__)


async def send(device: Device, by: User | None) -> AlertCheck:
    """Queue a test alert for `device`; refused when it has not turned alerts on."""
    if device.revoked_at is not None:
        raise ApiError(409, "device_signed_out",
                       "This phone was signed out; it can no longer get alerts.")

    async with in_transaction() as connection:
        test = await AlertCheck.create(id=uuid.uuid4(), device_id=device.id,
                                     requested_by_id=by.id if by else None,
                                     created_at=datetime.now(UTC),
                                     using_db=connection)
        if not await enqueue_test(connection, device.id, test.id):
            raise ApiError(409, "push_not_subscribed",
                           "This phone has not turned alerts on yet: open "
                           "casehub on it and turn alerts on first.")
    log.info("test alert %s queued for device %s", test.id, device.id)
    return test
