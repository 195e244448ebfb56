"""What a trainer sees of the members they support: their phones, never
their cases.

Everything here comes from devices, their reports and push subscriptions,
and training bookings; nothing reads a case or its timeline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from server.models import User
from server.notifications.models import PushSubscription
from server.rollout import reports
from server.rollout.models import Booking, DeviceReport, TrainingSlot
from sync.models import Device

log = logging.getLogger(__name__)

PUSH_WORDS = {
    "working": "Working",
    "failing": "Failing",
    "subscribed": "On, nothing sent yet",
    "off": "Off",
}


@dataclass(frozen=True)
class Phone:
    device: Device
    report: DeviceReport | None
    checklist: reports.Checklist
    push: str

    @property
    def push_words(self) -> str:
        return PUSH_WORDS[self.push]

    @property
    def ticked(self) -> int:
        return sum(ticked for _, _, ticked in self.checklist.steps())


@dataclass(frozen=True)
class Member:
    user: User
    booking: Booking | None
    slot: TrainingSlot | None
    phones: list[Phone]


async def phones_of(member: User) -> list[Phone]:
    """The member's phones, signed-in ones first, newest first within each."""
    devices = await Device.filter(user_id=member.id).order_by("-created_at")
    kept = {str(found.device_id): found for found in await DeviceReport.filter(
        device_id__in=[device.id for device in devices])}
    phones = []
    for device in sorted(devices, key=lambda one: one.revoked_at is not None):
        found = kept.get(str(device.id))
        phones.append(Phone(device, found, await reports.checklist(device, found),
                            await reports.push_state(device)))
    return phones


async def member_status(member: User) -> Member:
    booking = await latest_booking(member.id)
    slot = await TrainingSlot.get(id=booking.slot_id) if booking else None
    return Member(member, booking, slot, await phones_of(member))


async def latest_booking(member_id: int) -> Booking | None:
    """The live booking, or else the last one that was kept."""
    live = await Booking.get_or_none(live_member=member_id)
    if live is not None:
        return live
    return await Booking.filter(member_id=member_id, cancelled_at=None).order_by(
        "-booked_at").first()


async def revoke(device: Device) -> None:
    """Sign out a lost phone: it wipes itself the next time it calls."""
    if device.revoked_at is None:
        device.revoked_at = datetime.now(UTC)
        await device.save(update_fields=["revoked_at"])
    await PushSubscription.filter(device_id=device.id).delete()
    log.info("device %s revoked by its member's trainer", device.id)


async def mark_trained(member: User) -> Booking | None:
    """Note that the member's training took place; None without a booking."""
    found = await latest_booking(member.id)
    if found is None:
        return None
    if found.trained_at is None:
        found.trained_at = datetime.now(UTC)
        await found.save(update_fields=["trained_at"])
    return found
