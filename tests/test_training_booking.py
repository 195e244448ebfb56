"""Booking training slots: the rules, the emails and their calendar files."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.errors import ApiError
from server.models import Role, User
from server.rollout import booking, slots
from server.rollout.models import Booking
from tests.factories import make_council
from tests.training import event, invitation, mail_to, past_slot, slot, soon


async def refused(code: str, call) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await call
    assert caught.value.code == code, caught.value.detail
    return caught.value


async def test_a_booking_sends_an_invitation_in_council_time(db):
    council = await make_council()
    member = council.members[0]
    # A summer time: 09:30 UTC is 10:30 in London.
    starts = datetime(datetime.now(UTC).year + 1, 6, 9, 9, 30, tzinfo=UTC)
    offered = await slot(council.trainer, starts, minutes=45, place="Room 2")

    made = await booking.book(db, member, offered.id)

    assert (await booking.live_booking(member.id)).id == made.id
    [message] = await mail_to(member)
    assert message["To"] == f"{member.name} <{member.email}>"
    assert message["Subject"].startswith("Training booked: ")
    assert "10:30" in message["Subject"]
    calendar = invitation(message)
    found = event(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(found["UID"]) == f"training-{made.id}@casehub.localhost"
    assert int(found["SEQUENCE"]) == 0
    start = found.decoded("DTSTART")
    assert start.tzinfo == ZoneInfo("Europe/London")
    assert (start.hour, start.minute) == (10, 30)
    assert found.decoded("DTEND") - start == timedelta(minutes=45)
    assert str(found["LOCATION"]) == "Room 2"
    assert str(found["STATUS"]) == "CONFIRMED"
    assert str(found["ATTENDEE"]) == f"mailto:{member.email}"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert "/training/book/" in str(found["DESCRIPTION"])


async def test_one_member_to_a_slot_and_one_booking_to_a_member(db):
    council = await make_council()
    first, second = council.members[:2]
    offered = await slot(council.trainer)
    other = await slot(council.trainer, soon(days=4))
    await booking.book(db, first, offered.id)

    await refused("slot_taken", booking.book(db, second, offered.id))
    await refused("already_booked", booking.book(db, first, other.id))
    assert await Booking.filter(cancelled_at=None).count() == 1


async def test_moving_keeps_the_uid_raises_the_sequence_and_frees_the_slot(db):
    council = await make_council()
    member, other = council.members[:2]
    first = await slot(council.trainer)
    later = await slot(council.trainer, soon(days=5))
    made = await booking.book(db, member, first.id)

    moved = await booking.move(db, member, later.id)

    assert moved.id == made.id
    booked, change = await mail_to(member)
    assert change["Subject"].startswith("Training moved: ")
    before, after = event(invitation(booked)), event(invitation(change))
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == 1
    assert str(invitation(change)["METHOD"]) == "REQUEST"
    assert after.decoded("DTSTART") > before.decoded("DTSTART")
    # The first slot is free again.
    await booking.book(db, other, first.id)
    await refused("same_slot", booking.move(db, member, later.id))


async def test_cancelling_sends_a_cancel_and_lets_the_member_book_again(db):
    council = await make_council()
    member = council.members[0]
    offered = await slot(council.trainer)
    made = await booking.book(db, member, offered.id)

    await booking.cancel(db, member)

    assert await booking.live_booking(member.id) is None
    _, cancelled = await mail_to(member)
    calendar = invitation(cancelled)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event(calendar)["UID"]) == f"training-{made.id}@casehub.localhost"
    assert int(event(calendar)["SEQUENCE"]) == 1
    assert str(event(calendar)["STATUS"]) == "CANCELLED"
    await refused("no_booking", booking.cancel(db, member))
    again = await booking.book(db, member, offered.id)
    assert again.id != made.id


async def test_past_and_cancelled_slots_cannot_be_booked(db):
    council = await make_council()
    member = council.members[0]
    gone = await past_slot(council.trainer)
    dropped = await slot(council.trainer)
    await slots.cancel(db, dropped.id, council.trainer)

    await refused("slot_past", booking.book(db, member, gone.id))
    await refused("slot_cancelled", booking.book(db, member, dropped.id))
    await refused("slot_not_found", booking.book(db, member, 9999))
    assert await mail_to(member) == []


async def test_a_booking_that_has_begun_cannot_be_moved_or_cancelled(db):
    council = await make_council()
    member = council.members[0]
    made = await booking.book(db, member, (await slot(council.trainer)).id)
    gone = await past_slot(council.trainer)
    await Booking.filter(id=made.id).update(slot_id=gone.id, held_slot=gone.id)

    await refused("booking_begun", booking.cancel(db, member))
    await refused("booking_begun",
                  booking.move(db, member, (await slot(council.trainer,
                                                       soon(days=6))).id))


async def test_only_members_book(db):
    council = await make_council()
    offered = await slot(council.trainer)
    inactive = await User.create(email="gone@council.test", name="Gone",
                                 role=Role.MEMBER, active=False)

    await refused("not_a_member", booking.book(db, council.agent, offered.id))
    await refused("not_a_member", booking.book(db, inactive, offered.id))


async def test_the_hub_books_for_a_member_and_is_recorded(db):
    council = await make_council()
    member = council.members[0]
    made = await booking.book(db, member, (await slot(council.trainer)).id,
                              by=council.agent)

    assert made.booked_by_id == council.agent.id
    [message] = await mail_to(member)
    assert message["To"].addresses[0].addr_spec == member.email


async def test_a_cancelled_slot_tells_its_member(db):
    council = await make_council()
    member = council.members[0]
    offered = await slot(council.trainer)
    await booking.book(db, member, offered.id)

    other = await User.create(email="trainer2@council.test", name="Trainer Two",
                              role=Role.TRAINER)
    await refused("not_your_slot", slots.cancel(db, offered.id, other))
    await slots.cancel(db, offered.id, council.trainer)

    assert await booking.live_booking(member.id) is None
    _, told = await mail_to(member)
    assert "can no longer run" in told.get_body().get_content()
    assert str(invitation(told)["METHOD"]) == "CANCEL"


async def test_two_members_racing_for_one_slot_give_one_booking(db):
    council = await make_council()
    offered = await slot(council.trainer)

    outcomes = await asyncio.gather(
        *(booking.book(db, member, offered.id) for member in council.members),
        return_exceptions=True,
    )

    won = [outcome for outcome in outcomes if isinstance(outcome, Booking)]
    lost = [outcome for outcome in outcomes if isinstance(outcome, ApiError)]
    assert len(won) == 1
    assert [error.code for error in lost] == ["slot_taken"] * (len(outcomes) - 1)
    assert await Booking.filter(held_slot=offered.id).count() == 1
    assert sum([len(await mail_to(member)) for member in council.members]) == 1


async def test_one_member_racing_for_two_slots_gets_one(db):
    council = await make_council()
    member = council.members[0]
    offered = [await slot(council.trainer, soon(days=day)) for day in (3, 4, 5)]

    outcomes = await asyncio.gather(
        *(booking.book(db, member, each.id) for each in offered),
        return_exceptions=True,
    )

    assert sum(isinstance(outcome, Booking) for outcome in outcomes) == 1
    assert {outcome.code for outcome in outcomes
            if isinstance(outcome, ApiError)} == {"already_booked"}
    assert await Booking.filter(live_member=member.id).count() == 1


async def test_publishing_checks_the_slot(db):
    council = await make_council()
    trainer = council.trainer
    await slot(trainer, soon(days=3), minutes=60)

    async def publish(**changes):
        fields = {"starts_at": soon(days=8), "minutes": 30, "place": "Room 1",
                  "online_url": None, **changes}
        return await slots.publish(trainer, slots.NewSlot(**fields))

    await refused("slot_overlaps", publish(starts_at=soon(days=3) + timedelta(
        minutes=30)))
    await refused("slot_in_past", publish(starts_at=datetime.now(UTC)))
    await refused("invalid_length", publish(minutes=5))
    await refused("place_missing", publish(place=None))
    await refused("invalid_link", publish(online_url="http://meet.example"))
    online = await publish(place=None, online_url="https://meet.example/room")
    assert online.place is None
    # Straight after the hour-long slot is free.
    await publish(starts_at=soon(days=3) + timedelta(minutes=60))
