"""What phones say about themselves, and the set-up checklist it ticks.

The app sends a report whenever what it would say changes (see
docs/sync.md). Only the latest report per device is kept: it describes
the phone now, not its history.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from server.notifications.models import Delivery, Notification, PushSubscription
from server.rollout.models import AlertCheck, DeviceReport
from sync.models import Device

# What the trainer's checklist and the app's set-up screen call each step.
STEPS = {
    "installed": "Installed on the home screen",
    "push_subscribed": "Alerts turned on",
    "test_push_received": "Test alert received",
    "first_sync": "First sync done",
    "storage_persisted": "Storage kept safe",
}


@dataclass(frozen=True)
class Checklist:
    installed: bool = False
    push_subscribed: bool = False
    test_push_received: bool = False
    first_sync: bool = False
    storage_persisted: bool = False

    @property
    def done(self) -> bool:
        return all(asdict(self).values())

    def steps(self) -> list[tuple[str, str, bool]]:
        ticks = asdict(self)
        return [(key, words, ticks[key]) for key, words in STEPS.items()]


async def record(device: Device, facts: dict[str, Any]) -> DeviceReport:
    """Keep `facts` as the device's latest report, and note a test alert seen."""
    moment = datetime.now(UTC)
    report, _ = await DeviceReport.update_or_create(
        defaults={**facts, "reported_at": moment}, device_id=device.id
    )
    if report.test_push_id is not None:
        await AlertCheck.filter(id=report.test_push_id, device_id=device.id,
                              received_at=None).update(received_at=moment)
    if facts.get("app_version") and facts["app_version"] != device.app_version:
        await Device.filter(id=device.id).update(app_version=facts["app_version"])
    return report


async def checklist(device: Device, report: DeviceReport | None = None) -> Checklist:
    report = report or await DeviceReport.get_or_none(device_id=device.id)
    if report is None or device.revoked_at is not None:
        return Checklist()
    subscribed = await PushSubscription.exists(device_id=device.id)
    received = await AlertCheck.exists(device_id=device.id, received_at__isnull=False)
    return Checklist(
        installed=report.installed,
        push_subscribed=report.push_subscribed and subscribed,
        test_push_received=received,
        first_sync=report.first_sync_at is not None,
        storage_persisted=report.storage_persisted,
    )


async def push_state(device: Device) -> str:
    """"working", "failing", "subscribed" (nothing sent yet) or "off"."""
    subscription = await PushSubscription.get_or_none(device_id=device.id)
    if subscription is None or device.revoked_at is not None:
        return "off"
    if await AlertCheck.exists(device_id=device.id, received_at__isnull=False):
        return "working"
    last = await Notification.filter(
        subscription_id=subscription.id,
        status__in=[Delivery.SENT, Delivery.FAILED],
    ).order_by("-id").first()
    if last is None:
        return "subscribed"
    return "working" if last.status == Delivery.SENT else "failing"
