"""The reminder a member gets the day before their training, once.

A booking is due its reminder at 10:00 council time the day before its
slot. The job runs every few minutes and sends every reminder that is due
and not sent, so a server that was down at 10:00 catches up. A booking
made or moved after its reminder was due gets none: its confirmation has
just arrived. Each reminder is claimed by a conditional update in the
transaction that queues its email, so two servers never send it twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from server.config import Settings
from server.models import User
from server.rollout import booking, letters
from server.rollout.models import Booking, TrainingSlot

log = logging.getLogger(__name__)

SENT_AT = time(10)


def due_at(starts_at: datetime, zone: str) -> datetime:
    """When a booking of a slot starting at `starts_at` is reminded."""
    day_before = starts_at.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
    return datetime.combine(day_before, SENT_AT, ZoneInfo(zone))


async def send_due(moment: datetime, settings: Settings) -> int:
    """Queue every reminder due at `moment`; returns how many."""
    slots = await TrainingSlot.filter(
        cancelled_at__isnull=True, starts_at__gt=moment,
        starts_at__lte=moment + timedelta(days=2),
    )
    ready = {slot.id: slot for slot in slots
             if due_at(slot.starts_at, settings.timezone) <= moment}
    if not ready:
        return 0
    waiting = await Booking.filter(held_slot__in=list(ready), reminded_at=None)

    sent = 0
    for found in waiting:
        slot = ready[found.slot_id]
        if found.booked_at >= due_at(slot.starts_at, settings.timezone):
            continue
        sent += await _remind(settings, found, slot, moment)
    if sent:
        log.info("queued %d training reminders", sent)
    return sent


async def _remind(settings: Settings, found: Booking, slot: TrainingSlot,
                  moment: datetime) -> int:
    async with in_transaction() as connection:
        claimed = await Booking.filter(
            id=found.id, reminded_at=None, held_slot=slot.id
        ).using_db(connection).update(reminded_at=moment)
        if not claimed:
            return 0
        member = await User.get(id=found.member_id, using_db=connection)
        await booking.send(connection, settings, found, slot, member,
                           lambda meeting: letters.reminder(meeting,
                                                            settings.timezone))
    return 1
