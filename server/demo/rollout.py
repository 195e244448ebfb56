"""The rollout so far: the slots trainers kept and the members set up at them,
what each phone last reported, the bookings still to come, party briefings
and the feedback members gave.

Members who already use the app were set up at a slot just before their
phone joined; about half of the rest have booked one of the coming slots.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server.demo.people import Cast
from server.models import Party, User
from server.rollout import briefings
from server.rollout.models import (
    Booking,
    Briefing,
    DeviceReport,
    Feedback,
    TrainingSlot,
)
from server.workdays import calendar
from sync.feed import write_transaction
from sync.models import Device

SLOT_MINUTES = 45
PLACES = ("Members' Room, City Hall", "Committee Room 2, City Hall")
ONLINE = "https://meet.council.example/casehub-setup"
# The times of the coming slots in each trainer's diary, council time.
SLOT_TIMES = (time(10), time(11), time(14), time(15, 30))
COMING_DAYS = 10
HUB_COMMENTS = (
    "The hub rang me back the same day.",
    "Quicker than emailing, but I would like to hear when the crew has been.",
    "Hard to get through on the phone line on Mondays.",
    None,
)
APP_COMMENTS = (
    "Taking the photo on the spot saves me a lot of typing.",
    "Works in the lanes with no signal, which is where I need it.",
    "The alerts are handy; I turned off the acknowledgements.",
    None,
)


async def write_rollout(rng: random.Random, cast: Cast) -> int:
    """Slots, bookings, reports, briefings and feedback; how many slots."""
    now = datetime.now(UTC)
    phones = await Device.filter(
        user_id__in=[member.id for member in cast.members]).order_by("created_at")
    first_phone: dict[int, Device] = {}
    for phone in phones:
        first_phone.setdefault(phone.user_id, phone)

    async with in_transaction() as connection:
        trained = await _past_training(rng, cast, first_phone, connection)
        await DeviceReport.bulk_create([_report(rng, phone) for phone in phones],
                                       using_db=connection)
        coming = await _coming_slots(cast, now, connection)
        await _coming_bookings(rng, cast, first_phone, coming, now, connection)
        await Feedback.bulk_create(_feedback(rng, trained, first_phone),
                                   using_db=connection)
    await _briefings(cast, now)
    return len(trained) + len(coming)


async def _past_training(rng: random.Random, cast: Cast,
                         first_phone: dict[int, Device],
                         connection: BaseDBAsyncClient) -> list[User]:
    """A slot ending as each app user's first phone joined, and its booking."""
    trained = []
    diary_free: dict[int, datetime] = {}
    for member in cast.members:
        phone = first_phone.get(member.id)
        if phone is None or member.trainer_id is None:
            continue
        starts = phone.created_at - timedelta(minutes=SLOT_MINUTES - 10)
        # A trainer keeps one member at a time.
        starts = max(starts, diary_free.get(member.trainer_id, starts))
        diary_free[member.trainer_id] = starts + timedelta(minutes=SLOT_MINUTES)
        slot = await TrainingSlot.create(
            trainer_id=member.trainer_id, starts_at=starts, minutes=SLOT_MINUTES,
            place=rng.choice(PLACES), using_db=connection)
        await Booking.create(
            id=uuid.UUID(int=rng.getrandbits(128), version=4), slot_id=slot.id,
            member_id=member.id, held_slot=slot.id, live_member=member.id,
            booked_by_id=member.trainer_id if rng.random() < 0.3 else None,
            booked_at=starts - timedelta(days=rng.uniform(2, 14)),
            trained_at=starts + timedelta(minutes=SLOT_MINUTES - 5),
            using_db=connection)
        trained.append(member)
    return trained


def _report(rng: random.Random, phone: Device) -> DeviceReport:
    iphone = phone.name == "iPhone"
    return DeviceReport(
        device_id=phone.id, app_version="0.1.0",
        platform="ios" if iphone else "android", installed=True,
        notifications="granted" if rng.random() < 0.9 else "denied",
        push_subscribed=rng.random() < 0.85,
        first_sync_at=phone.created_at, last_sync_at=phone.last_seen_at,
        pending_changes=0 if rng.random() < 0.9 else rng.randint(1, 3),
        storage_persisted=rng.random() < 0.8,
        reported_at=phone.last_seen_at or phone.created_at)


async def _coming_slots(cast: Cast, now: datetime,
                        connection: BaseDBAsyncClient) -> list[TrainingSlot]:
    """Each trainer's diary over the next working days, alternating rooms."""
    slots = []
    day = now.astimezone(calendar.zone).date()
    days = 0
    while days < COMING_DAYS:
        day += timedelta(days=1)
        if not calendar.is_working_day(day):
            continue
        days += 1
        for index, trainer in enumerate(cast.trainers):
            for number, at in enumerate(SLOT_TIMES):
                online = (index + number + days) % 4 == 0
                slots.append(await TrainingSlot.create(
                    trainer_id=trainer.id, minutes=SLOT_MINUTES,
                    starts_at=datetime.combine(day, at, calendar.zone)
                    .astimezone(UTC),
                    place=None if online else PLACES[index % len(PLACES)],
                    online_url=ONLINE if online else None, using_db=connection))
    return slots


async def _coming_bookings(rng: random.Random, cast: Cast,
                           first_phone: dict[int, Device],
                           coming: list[TrainingSlot], now: datetime,
                           connection: BaseDBAsyncClient) -> None:
    """About half of the members without the app hold one of the coming slots."""
    free = {trainer.id: [slot for slot in coming if slot.trainer_id == trainer.id]
            for trainer in cast.trainers}
    for member in cast.members:
        if member.id in first_phone or member.trainer_id is None:
            continue
        if rng.random() < 0.5 or not free[member.trainer_id]:
            continue
        slot = free[member.trainer_id].pop(rng.randrange(
            len(free[member.trainer_id])))
        await Booking.create(
            id=uuid.UUID(int=rng.getrandbits(128), version=4), slot_id=slot.id,
            member_id=member.id, held_slot=slot.id, live_member=member.id,
            booked_at=now - timedelta(days=rng.uniform(0.5, 6)),
            using_db=connection)


def _feedback(rng: random.Random, trained: list[User],
              first_phone: dict[int, Device]) -> list[Feedback]:
    given = []
    for member in trained:
        if rng.random() >= 0.4:
            continue
        at = first_phone[member.id].created_at + timedelta(days=rng.uniform(7, 40))
        given.append(Feedback(
            id=uuid.UUID(int=rng.getrandbits(128), version=4), member_id=member.id,
            party_id=member.party_id, hub_rating=rng.choice((3, 4, 4, 5, 5)),
            hub_comment=rng.choice(HUB_COMMENTS), app_rating=rng.choice((3, 4, 5, 5)),
            app_comment=rng.choice(APP_COMMENTS), created_at=at,
            client_created_at=at))
    return given


async def _briefings(cast: Cast, now: datetime) -> None:
    """A briefing for each party in the coming fortnight, on its members' feeds."""
    day = now.astimezone(calendar.zone).date()
    for index, party in enumerate(await Party.all().order_by("id")):
        day += timedelta(days=1)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        async with write_transaction() as writer:
            briefing = await Briefing.create(
                party_id=party.id, minutes=60, place="Party Room, City Hall",
                starts_at=datetime.combine(day, time(17, 30), calendar.zone)
                .astimezone(UTC),
                scheduled_by_id=cast.admin.id if index % 2 else cast.trainers[0].id,
                using_db=writer.connection)
            await briefings.publish(writer, briefing, party)
