"""Party group briefings: scheduled by the team, shown in each member's app.

A briefing reaches the phones of its party's members through the change
feed as a `briefing` entity, so the feedback screen can name it offline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.errors import ApiError
from server.models import Party, Role, User
from server.rollout.models import Briefing
from sync.feed import Audience, Writer, write_transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewBriefing:
    party_id: int
    starts_at: datetime
    minutes: int
    place: str | None
    online_url: str | None


async def schedule(new: NewBriefing, by: User) -> Briefing:
    party = await Party.get_or_none(id=new.party_id)
    if party is None:
        raise ApiError(422, "unknown_party", "Choose a party from the list.",
                       field="party")
    if new.starts_at <= datetime.now(UTC):
        raise ApiError(422, "briefing_in_past",
                       "A briefing must be in the future; check the date and "
                       "time.", field="date")
    if not 10 <= new.minutes <= 480:
        raise ApiError(422, "invalid_length",
                       "A briefing lasts from 10 to 480 minutes.", field="minutes")
    if not new.place and not new.online_url:
        raise ApiError(422, "place_missing",
                       "Give a place, an online link, or both.", field="place")

    async with write_transaction() as writer:
        briefing = await Briefing.create(
            party_id=party.id, starts_at=new.starts_at, minutes=new.minutes,
            place=new.place, online_url=new.online_url, scheduled_by_id=by.id,
            using_db=writer.connection,
        )
        await publish(writer, briefing, party)
    log.info("briefing %s scheduled for party %s", briefing.id, party.id)
    return briefing


async def cancel(briefing_id: int) -> Briefing:
    async with write_transaction() as writer:
        briefing = await Briefing.select_for_update().using_db(
            writer.connection).get_or_none(id=briefing_id)
        if briefing is None:
            raise ApiError(404, "briefing_not_found",
                           f"There is no briefing {briefing_id}.")
        if briefing.cancelled_at is None:
            briefing.cancelled_at = datetime.now(UTC)
            await briefing.save(using_db=writer.connection,
                                update_fields=["cancelled_at"])
            await publish(writer, briefing, await Party.get(id=briefing.party_id))
    return briefing


async def publish(writer: Writer, briefing: Briefing, party: Party) -> None:
    """Put the briefing on the feed of each of its party's members."""
    members = await User.filter(role=Role.MEMBER, party_id=party.id).using_db(
        writer.connection).values("id")
    data = briefing_data(briefing, party)
    for member in members:
        writer.record("briefing", str(briefing.id), data,
                      Audience(member_id=member["id"], personal=True))


def briefing_data(briefing: Briefing, party: Party) -> dict[str, Any]:
    return {
        "id": briefing.id,
        "party": party.name,
        "starts_at": briefing.starts_at.isoformat(),
        "minutes": briefing.minutes,
        "place": briefing.place,
        "online_url": briefing.online_url,
        "cancelled": briefing.cancelled_at is not None,
    }


async def listed() -> list[tuple[Briefing, Party]]:
    found = await Briefing.all().order_by("-starts_at").prefetch_related("party")
    return [(briefing, briefing.party) for briefing in found]
