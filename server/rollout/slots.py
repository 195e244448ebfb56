"""Publishing and cancelling training slots, and listing the ones still open."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from server.config import Settings
from server.errors import ApiError
from server.models import Role, User
from server.rollout import booking, letters
from server.rollout.models import Booking, TrainingSlot

log = logging.getLogger(__name__)

SHORTEST = 10
LONGEST = 240


@dataclass(frozen=True)
class NewSlot:
    starts_at: datetime
    minutes: int
    place: str | None
    online_url: str | None


@dataclass(frozen=True)
class Listed:
    slot: TrainingSlot
    trainer: User
    booked: bool


async def publish(trainer: User, new: NewSlot) -> TrainingSlot:
    """Open a slot in `trainer`'s diary, once it is checked."""
    _check(new)
    ends_at = new.starts_at + timedelta(minutes=new.minutes)
    for other in await TrainingSlot.filter(
        trainer_id=trainer.id, cancelled_at__isnull=True,
        starts_at__lt=ends_at, starts_at__gte=new.starts_at - timedelta(
            minutes=LONGEST),
    ):
        if other.starts_at + timedelta(minutes=other.minutes) > new.starts_at:
            raise ApiError(409, "slot_overlaps",
                           "That time overlaps another of your slots.",
                           field="time")

    slot = await TrainingSlot.create(trainer_id=trainer.id, starts_at=new.starts_at,
                                     minutes=new.minutes, place=new.place,
                                     online_url=new.online_url)
    log.info("training slot %s published by user %s", slot.id, trainer.id)
    return slot


def _check(new: NewSlot) -> None:
    if new.starts_at <= datetime.now(UTC):
        raise ApiError(422, "slot_in_past",
                       "A slot must start in the future; check the date and "
                       "time.", field="date")
    if not SHORTEST <= new.minutes <= LONGEST:
        raise ApiError(422, "invalid_length",
                       f"A slot lasts from {SHORTEST} to {LONGEST} minutes.",
                       field="minutes")
    if not new.place and not new.online_url:
        raise ApiError(422, "place_missing",
                       "Give a place, an online link, or both.", field="place")
    if new.place and len(new.place) > 200:
        raise ApiError(422, "place_too_long",
                       "A place is at most 200 characters.", field="place")
    if new.online_url and (len(new.online_url) > 500 or not new.online_url
                           .startswith("https://")):
        raise ApiError(422, "invalid_link",
                       "An online link starts with https:// and is at most 500 "
                       "characters.", field="online_url")


async def cancel(settings: Settings, slot_id: int, by: User) -> TrainingSlot:
    """Cancel a slot; a member booked into it is told, and may book again."""
    now = datetime.now(UTC)
    async with in_transaction() as connection:
        slot = await booking.open_slot(connection, slot_id, now)
        if by.role != Role.ADMIN and slot.trainer_id != by.id:
            raise ApiError(403, "not_your_slot",
                           "Only the slot's trainer or an administrator may "
                           "cancel it.", field="slot")
        slot.cancelled_at = now
        await slot.save(using_db=connection, update_fields=["cancelled_at"])
        held = await Booking.filter(held_slot=slot.id).using_db(connection).first()
        if held is not None:
            await booking.end(connection, held, now)
            member = await User.get(id=held.member_id, using_db=connection)
            await booking.send(connection, settings, held, slot, member,
                               lambda meeting: letters.cancellation(
                                   meeting, settings.timezone, by_trainer=True))
    log.info("training slot %s cancelled by user %s", slot.id, by.id)
    return slot


async def upcoming(trainer_id: int | None = None,
                   free_only: bool = False) -> list[Listed]:
    """Slots not cancelled and not begun, soonest first."""
    query = TrainingSlot.filter(cancelled_at__isnull=True,
                                starts_at__gt=datetime.now(UTC))
    if trainer_id is not None:
        query = query.filter(trainer_id=trainer_id)
    found = await query.order_by("starts_at", "id")
    held = set(await Booking.filter(
        held_slot__in=[slot.id for slot in found]
    ).values_list("held_slot", flat=True))
    trainers = {user.id: user for user in await User.filter(
        id__in={slot.trainer_id for slot in found})}
    listed = [Listed(slot, trainers[slot.trainer_id], slot.id in held)
              for slot in found]
    return [entry for entry in listed if not (free_only and entry.booked)]
