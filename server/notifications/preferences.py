"""Which alerts a member wants, shared by all of their devices."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from server.notifications.models import AlertKind, AlertPreferences
from sync.feed import Audience, Writer

# The kinds a member chooses from; a test alert goes whenever one is asked for.
EVERY_KIND = frozenset(AlertKind) - {AlertKind.TEST}


async def wanted(user_id: int,
                 connection: BaseDBAsyncClient | None = None) -> frozenset[AlertKind]:
    found = await AlertPreferences.get_or_none(user_id=user_id, using_db=connection)
    if found is None:
        return EVERY_KIND
    return frozenset(AlertKind(kind) for kind in found.kinds if kind in EVERY_KIND)


async def choose(writer: Writer, user_id: int, choice: dict[AlertKind, bool]) -> None:
    """Store a member's choice and put it on their feed for their other devices.

    Kinds the choice leaves out keep their present setting.
    """
    now_wanted = set(await wanted(user_id))
    for kind, on in choice.items():
        if kind not in EVERY_KIND:
            continue
        if on:
            now_wanted.add(kind)
        else:
            now_wanted.discard(kind)

    kinds = sorted(kind.value for kind in now_wanted)
    await AlertPreferences.update_or_create(
        defaults={"kinds": kinds}, user_id=user_id, using_db=writer.connection
    )
    writer.record("settings", str(user_id), settings_data(frozenset(now_wanted)),
                  Audience(member_id=user_id, personal=True))


def settings_data(kinds: frozenset[AlertKind]) -> dict[str, dict[str, bool]]:
    return {"alerts": {kind.value: kind in kinds for kind in AlertKind
                       if kind in EVERY_KIND}}
