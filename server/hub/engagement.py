"""How each member uses the hub: contacts by channel, cases, and the app.

One row per member. Contacts and cases count what happened in the range;
devices and the last sync are as they stand now. docs/hub.md defines each
column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.casework import OPEN
from server.hub.dashboard import CHANNELS
from server.hub.dashboard_range import DateRange
from server.hub.dashboard_sql import as_datetime, rows
from server.models import Channel, Role, User
from server.workdays import calendar


@dataclass(frozen=True)
class Profile:
    member_id: int
    name: str
    party: str
    ward: str
    contacts: dict[Channel, int]
    open_cases: int
    closed_cases: int
    devices: int
    last_sync: datetime | None

    @property
    def total(self) -> int:
        return sum(self.contacts.values())

    @property
    def uses_app(self) -> bool:
        return self.devices > 0


def _by_channel(channel: Channel) -> Callable[[Profile], int]:
    return lambda profile: profile.contacts[channel]


# Every column a profile can be sorted by, and how.
SORT_KEYS: dict[str, Callable[[Profile], Any]] = {
    "name": lambda p: p.name.casefold(),
    "party": lambda p: p.party.casefold(),
    "ward": lambda p: p.ward.casefold(),
    **{channel.value: _by_channel(channel) for channel in CHANNELS},
    "total": lambda p: p.total,
    "open": lambda p: p.open_cases,
    "closed": lambda p: p.closed_cases,
    "devices": lambda p: p.devices,
    "last_sync": lambda p: p.last_sync.timestamp() if p.last_sync else -1.0,
}


async def profiles(chosen: DateRange) -> list[Profile]:
    """Every member's profile over the range, by name.

    Each figure is a count over one member's range of an index, which
    SQLite does far faster than grouping a year of rows by member.
    """
    start, end = chosen.bounds(calendar.zone)
    members = await User.filter(role=Role.MEMBER).select_related(
        "party", "ward").order_by("name")
    counts = await _counts(start, end)
    devices = await _devices()

    found = []
    for member in members:
        row = counts.get(member.id, {})
        raised, still_open = int(row.get("raised") or 0), int(row.get("open") or 0)
        device_count, last_sync = devices.get(member.id, (0, None))
        found.append(Profile(
            member_id=member.id, name=member.name,
            party=member.party.name if member.party else "",
            ward=member.ward.name if member.ward else "",
            contacts={channel: int(row.get(channel.value) or 0)
                      for channel in CHANNELS},
            open_cases=still_open, closed_cases=raised - still_open,
            devices=device_count, last_sync=last_sync,
        ))
    return found


def sort_profiles(found: list[Profile], key: str,
                  descending: bool) -> list[Profile]:
    """Sorted by one column, ties by name; `key` must be in SORT_KEYS."""
    by_name = sorted(found, key=SORT_KEYS["name"])
    return sorted(by_name, key=SORT_KEYS[key], reverse=descending)


async def _counts(start: datetime, end: datetime) -> dict[int, dict[str, Any]]:
    """Each member's contacts by channel, and cases raised and still open."""
    contacts = ", ".join(
        f"(SELECT count(*) FROM contacts AS c WHERE c.member_id = u.id"
        f" AND c.channel = '{channel.value}' AND c.at >= ? AND c.at < ?)"
        f" AS {channel.value}" for channel in CHANNELS)
    open_marks = ", ".join("?" * len(OPEN))
    found = await rows(
        f"SELECT u.id AS id, {contacts},"
        " (SELECT count(*) FROM cases AS k WHERE k.member_id = u.id"
        "  AND k.created_at >= ? AND k.created_at < ?) AS raised,"
        " (SELECT count(*) FROM cases AS k WHERE k.member_id = u.id"
        "  AND k.created_at >= ? AND k.created_at < ?"
        f"  AND k.status IN ({open_marks})) AS open"
        " FROM users AS u WHERE u.role = ?",
        [*[start, end] * len(CHANNELS), start, end, start, end,
         *sorted(status.value for status in OPEN), Role.MEMBER.value])
    return {int(row["id"]): row for row in found}


async def _devices() -> dict[int, tuple[int, datetime | None]]:
    """Each member's phones still signed in, and when one last synced."""
    found = await rows(
        "SELECT user_id, count(*) AS devices, max(last_pull_at) AS last_pull"
        " FROM devices WHERE revoked_at IS NULL GROUP BY user_id", [])
    return {int(row["user_id"]): (
        int(row["devices"]),
        as_datetime(row["last_pull"]) if row["last_pull"] is not None else None,
    ) for row in found}
