"""Queueing alerts in the transaction of the change that causes them.

A change and its alerts commit together or not at all; the worker sends
them afterwards, outside any transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.notifications import payload, preferences
from server.notifications.models import (
    AlertKind,
    Delivery,
    Notification,
    PushSubscription,
)

log = logging.getLogger(__name__)

_listeners: set[Callable[[], None]] = set()


def listen(wake: Callable[[], None]) -> None:
    """Call `wake` whenever alerts are queued in this process."""
    _listeners.add(wake)


def stop_listening(wake: Callable[[], None]) -> None:
    _listeners.discard(wake)


def _wake_workers() -> None:
    for wake in list(_listeners):
        wake()


async def enqueue(connection: BaseDBAsyncClient, member_id: int | None,
                  case_id: uuid.UUID, reference: str, kind: AlertKind, cause: str,
                  detail: dict[str, Any] | None = None) -> int:
    """Queue one alert for every subscribed device of a member who wants it.

    `cause` names what happened (an event id, or a due-date check), and with
    the device makes the delivery key that keeps an alert from being queued
    twice. Returns how many were queued: none for a case no member raised.
    """
    if member_id is None:
        return 0
    if kind not in await preferences.wanted(member_id, connection):
        return 0
    devices = await PushSubscription.filter(user_id=member_id).using_db(connection)
    if not devices:
        return 0

    moment = datetime.now(UTC)
    message = payload.build(uuid.uuid4().hex, kind, case_id, reference,
                            detail or {}, moment.isoformat(timespec="seconds"))
    rows = [
        Notification(
            subscription_id=device.id,
            delivery_key=f"{kind.value}:{cause}:{device.id}",
            case_id=case_id,
            kind=kind,
            payload=message,
            urgency=payload.urgency(kind),
            status=Delivery.PENDING,
            next_attempt_at=moment,
            created_at=moment,
        )
        for device in devices
    ]
    await Notification.bulk_create(rows, using_db=connection)
    _wake_workers()
    return len(rows)


async def enqueue_test(connection: BaseDBAsyncClient, device_id: uuid.UUID,
                       alert_id: uuid.UUID) -> int:
    """Queue a test alert for one device; 0 when it has no subscription.

    A test alert concerns no case: the device's id stands in for the case's,
    so a newer test replaces an older one still waiting at the push service.
    """
    subscription = await PushSubscription.get_or_none(device_id=device_id,
                                                      using_db=connection)
    if subscription is None:
        return 0

    moment = datetime.now(UTC)
    await Notification.create(
        subscription_id=subscription.id,
        delivery_key=f"{AlertKind.TEST.value}:{alert_id}",
        case_id=device_id,
        kind=AlertKind.TEST,
        payload=payload.test_message(str(alert_id),
                                     moment.isoformat(timespec="seconds")),
        urgency=payload.urgency(AlertKind.TEST),
        status=Delivery.PENDING,
        next_attempt_at=moment,
        created_at=moment,
        using_db=connection,
    )
    _wake_workers()
    return 1
