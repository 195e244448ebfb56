"""Booking, moving and cancelling a member's place at a training slot.

The rules: one member to a slot, one live booking to a member, and no
booking into a slot that is cancelled or has begun. Each change and its
email (with the calendar invitation) commit together. The slot's row is
locked first, and the unique `held_slot` and `live_member` columns settle
any race the lock does not: of two members after the last place, exactly
one gets it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.config import Settings
from server.errors import ApiError
from server.mail import outbox as mail_outbox
from server.models import Role, User
from server.rollout import letters, links
from server.rollout.invitation import Meeting
from server.rollout.models import Booking, TrainingSlot

log = logging.getLogger(__name__)

Letter = Callable[[Meeting], EmailMessage]


async def live_booking(member_id: int) -> Booking | None:
    return await Booking.get_or_none(live_member=member_id)


async def invite(settings: Settings, member: User) -> None:
    """Email the member their personal link to choose a time."""
    _check_member(member)
    async with in_transaction() as connection:
        link = await links.issue(connection, member, settings.booking_link_days,
                                 settings.public_url)
        await mail_outbox.queue(connection, letters.invite_to_book(member, link),
                                user_id=member.id)


async def book(settings: Settings, member: User, slot_id: int,
               by: User | None = None) -> Booking:
    """Give `member` the slot; `by` is the member of staff booking for them."""
    _check_member(member)
    now = datetime.now(UTC)
    try:
        async with in_transaction() as connection:
            slot = await open_slot(connection, slot_id, now)
            if await _holds_booking(connection, member):
                raise ApiError(409, "already_booked",
                               "This member already has a training booking; "
                               "move it instead.", field="slot")
            await _check_free(connection, slot)
            booking = await Booking.create(
                id=uuid.uuid4(), slot_id=slot.id, member_id=member.id,
                booked_by_id=_staff_id(by, member), held_slot=slot.id,
                live_member=member.id, booked_at=now, using_db=connection,
            )
            await send(connection, settings, booking, slot, member,
                       lambda meeting: letters.confirmation(
                           meeting, settings.timezone, moved=False))
    except IntegrityError:
        raise await _lost_race(member) from None
    log.info("booking %s made at slot %s", booking.id, slot.id)
    return booking


async def move(settings: Settings, member: User, slot_id: int,
               by: User | None = None) -> Booking:
    """Move the member's live booking to another slot; its UID stays."""
    now = datetime.now(UTC)
    try:
        async with in_transaction() as connection:
            booking = await _live_for_update(connection, member)
            if booking.slot_id == slot_id:
                raise ApiError(409, "same_slot",
                               "The booking is already at that time.", field="slot")
            await _check_not_begun(connection, booking, now)
            slot = await open_slot(connection, slot_id, now)
            await _check_free(connection, slot)
            booking.slot_id = slot.id
            booking.held_slot = slot.id
            booking.sequence += 1
            booking.booked_at = now
            booking.reminded_at = None
            booking.booked_by_id = _staff_id(by, member)
            await booking.save(using_db=connection, update_fields=[
                "slot_id", "held_slot", "sequence", "booked_at", "reminded_at",
                "booked_by_id"])
            await send(connection, settings, booking, slot, member,
                       lambda meeting: letters.confirmation(
                           meeting, settings.timezone, moved=True))
    except IntegrityError:
        raise await _lost_race(member) from None
    log.info("booking %s moved to slot %s", booking.id, slot.id)
    return booking


async def cancel(settings: Settings, member: User) -> Booking:
    """Cancel the member's live booking; the slot is free again."""
    now = datetime.now(UTC)
    async with in_transaction() as connection:
        booking = await _live_for_update(connection, member)
        await _check_not_begun(connection, booking, now)
        slot = await end(connection, booking, now)
        await send(connection, settings, booking, slot, member,
                   lambda meeting: letters.cancellation(
                       meeting, settings.timezone, by_trainer=False))
    log.info("booking %s cancelled", booking.id)
    return booking


async def end(connection: BaseDBAsyncClient, booking: Booking,
              now: datetime) -> TrainingSlot:
    """Cancel a booking in the caller's transaction; returns its slot."""
    booking.cancelled_at = now
    booking.held_slot = None
    booking.live_member = None
    booking.sequence += 1
    await booking.save(using_db=connection, update_fields=[
        "cancelled_at", "held_slot", "live_member", "sequence"])
    return await TrainingSlot.get(id=booking.slot_id, using_db=connection)


async def open_slot(connection: BaseDBAsyncClient, slot_id: int,
                    now: datetime) -> TrainingSlot:
    """The slot, locked, if it can still be booked."""
    slot = await TrainingSlot.select_for_update().using_db(connection).get_or_none(
        id=slot_id
    )
    if slot is None:
        raise ApiError(404, "slot_not_found", f"There is no training slot {slot_id}.",
                       field="slot")
    if slot.cancelled_at is not None:
        raise ApiError(409, "slot_cancelled",
                       "That slot was cancelled; choose another time.", field="slot")
    if slot.starts_at <= now:
        raise ApiError(409, "slot_past",
                       "That slot has already begun; choose a later time.",
                       field="slot")
    return slot


async def send(connection: BaseDBAsyncClient, settings: Settings,
               booking: Booking, slot: TrainingSlot, member: User,
               letter: Letter) -> None:
    """Queue the letter about `booking`, with a fresh personal link."""
    trainer = await User.get(id=slot.trainer_id, using_db=connection)
    link = await links.issue(connection, member, settings.booking_link_days,
                             settings.public_url)
    message = letter(Meeting(booking, slot, member, trainer, link))
    await mail_outbox.queue(connection, message, user_id=member.id)


def _check_member(member: User) -> None:
    if member.role != Role.MEMBER or not member.active:
        raise ApiError(422, "not_a_member",
                       f"User {member.id} is not an active elected member.",
                       field="member")


def _staff_id(by: User | None, member: User) -> int | None:
    return by.id if by is not None and by.id != member.id else None


async def _holds_booking(connection: BaseDBAsyncClient, member: User) -> bool:
    return await Booking.filter(live_member=member.id).using_db(connection).exists()


async def _check_free(connection: BaseDBAsyncClient, slot: TrainingSlot) -> None:
    if await Booking.filter(held_slot=slot.id).using_db(connection).exists():
        raise _taken()


async def _live_for_update(connection: BaseDBAsyncClient, member: User) -> Booking:
    booking = await Booking.select_for_update().using_db(connection).get_or_none(
        live_member=member.id
    )
    if booking is None:
        raise ApiError(409, "no_booking",
                       "There is no training booking to change; book a slot "
                       "first.", field="slot")
    return booking


async def _check_not_begun(connection: BaseDBAsyncClient, booking: Booking,
                           now: datetime) -> None:
    slot = await TrainingSlot.get(id=booking.slot_id, using_db=connection)
    if slot.starts_at <= now:
        raise ApiError(409, "booking_begun",
                       "This training has already begun, so it can no longer be "
                       "moved or cancelled.", field="slot")


async def _lost_race(member: User) -> ApiError:
    """What to say when the database refused a booking another request won."""
    if await Booking.filter(live_member=member.id).exists():
        return ApiError(409, "already_booked",
                        "This member already has a training booking; move it "
                        "instead.", field="slot")
    return _taken()


def _taken() -> ApiError:
    return ApiError(409, "slot_taken",
                    "Someone has just booked that slot; choose another time.",
                    field="slot")
