"""The day-before reminder: sent once, at the right time, to live bookings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server.rollout import booking, reminders
from server.rollout.models import Booking
from tests.factories import make_council
from tests.training import mail_to, slot, soon


@dataclass
class Booked:
    council: Any
    member: Any
    offered: Any
    due: datetime


async def booked_two_days_ahead(db) -> Booked:
    council = await make_council()
    member = council.members[0]
    offered = await slot(council.trainer, soon(days=2, hour=14))
    made = await booking.book(db, member, offered.id)
    # Booked well before its reminder falls due.
    await Booking.filter(id=made.id).update(
        booked_at=datetime.now(UTC) - timedelta(days=3))
    due = reminders.due_at(offered.starts_at, db.timezone)
    return Booked(council, member, offered, due)


async def test_the_reminder_goes_the_day_before_and_only_once(db):
    scene = await booked_two_days_ahead(db)

    assert await reminders.send_due(scene.due - timedelta(minutes=1), db) == 0
    assert await reminders.send_due(scene.due, db) == 1
    assert await reminders.send_due(scene.due + timedelta(minutes=5), db) == 0

    _, reminded = await mail_to(scene.member)
    assert reminded["Subject"].startswith("Tomorrow: casehub training at ")
    assert "/training/book/" in reminded.get_body().get_content()
    assert scene.due.hour == 10 and scene.due.date() == (
        scene.offered.starts_at.astimezone(scene.due.tzinfo).date() - timedelta(days=1))


async def test_two_rounds_at_once_send_one_reminder(db):
    scene = await booked_two_days_ahead(db)

    counts = await asyncio.gather(reminders.send_due(scene.due, db),
                                  reminders.send_due(scene.due, db))

    assert sorted(counts) == [0, 1]
    assert len(await mail_to(scene.member)) == 2


async def test_a_missed_round_catches_up_before_the_slot_but_not_after(db):
    scene = await booked_two_days_ahead(db)

    assert await reminders.send_due(scene.offered.starts_at + timedelta(minutes=1),
                                    db) == 0
    assert await reminders.send_due(scene.offered.starts_at - timedelta(hours=2),
                                    db) == 1


async def test_no_reminder_for_a_late_booking_or_a_cancelled_one(db):
    scene = await booked_two_days_ahead(db)
    late = scene.council.members[1]
    other = await slot(scene.council.trainer,
                       scene.offered.starts_at + timedelta(hours=1))
    made = await booking.book(db, late, other.id)
    await Booking.filter(id=made.id).update(booked_at=scene.due + timedelta(minutes=1))
    await booking.cancel(db, scene.member)

    assert await reminders.send_due(scene.due + timedelta(hours=1), db) == 0


async def test_a_moved_booking_is_reminded_again_for_its_new_slot(db):
    scene = await booked_two_days_ahead(db)
    assert await reminders.send_due(scene.due, db) == 1
    later = await slot(scene.council.trainer,
                       scene.offered.starts_at + timedelta(days=2))
    await booking.move(db, scene.member, later.id)
    await Booking.filter(member_id=scene.member.id).update(
        booked_at=datetime.now(UTC) - timedelta(days=3))

    next_due = reminders.due_at(later.starts_at, db.timezone)
    assert await reminders.send_due(next_due, db) == 1
    assert [m["Subject"].split(":")[0] for m in await mail_to(scene.member)] == [
        "Training booked", "Tomorrow", "Training moved", "Tomorrow"]
