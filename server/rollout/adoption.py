"""How far the rollout has gone: members booked, trained, with the app
installed, and active in the last week, by party and by ward."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server.models import Party, Role, User, Ward
from server.rollout.models import Booking, DeviceReport
from sync.models import Device

ACTIVE_DAYS = 7
COLUMNS = ("members", "booked", "trained", "installed", "active")


@dataclass
class Line:
    group: str
    members: int = 0
    booked: int = 0
    trained: int = 0
    installed: int = 0
    active: int = 0


@dataclass(frozen=True)
class Report:
    by_party: list[Line]
    by_ward: list[Line]
    total: Line


async def report(now: datetime | None = None) -> Report:
    now = now or datetime.now(UTC)
    members = await User.filter(role=Role.MEMBER, active=True)
    ids = [member.id for member in members]
    booked = {row["member_id"] for row in await Booking.filter(
        member_id__in=ids, cancelled_at=None).values("member_id")}
    trained = {row["member_id"] for row in await Booking.filter(
        member_id__in=ids, trained_at__isnull=False).values("member_id")}
    devices = await Device.filter(user_id__in=ids, revoked_at=None)
    installed_devices = {str(device_id) for device_id in await DeviceReport.filter(
        installed=True, device_id__in=[device.id for device in devices]
    ).values_list("device_id", flat=True)}
    installed = {device.user_id for device in devices
                 if str(device.id) in installed_devices}
    since = now - timedelta(days=ACTIVE_DAYS)
    active = {device.user_id for device in devices
              if device.last_seen_at is not None and device.last_seen_at >= since}

    facts: Facts = (booked, trained, installed, active)
    parties = {party.id: party.name for party in await Party.all()}
    wards = {ward.id: ward.name for ward in await Ward.all()}
    return Report(
        by_party=_lines(members, lambda m: parties.get(m.party_id or 0, "No party"),
                        facts),
        by_ward=_lines(members, lambda m: wards.get(m.ward_id or 0, "No ward"),
                       facts),
        total=_lines(members, lambda m: "All members", facts)[0] if members
        else Line("All members"),
    )


Facts = tuple[set[int], set[int], set[int], set[int]]


def _lines(members: Iterable[User], group_of: Callable[[User], str],
           facts: Facts) -> list[Line]:
    booked, trained, installed, active = facts
    lines: dict[str, Line] = {}
    for member in members:
        line = lines.setdefault(group_of(member), Line(group_of(member)))
        line.members += 1
        line.booked += member.id in booked
        line.trained += member.id in trained
        line.installed += member.id in installed
        line.active += member.id in active
    return [lines[name] for name in sorted(lines)]


def csv_text(found: Report) -> str:
    out = io.StringIO()
    table = csv.writer(out)
    table.writerow(["grouping", "group", *COLUMNS])
    for grouping, lines in (("party", found.by_party), ("ward", found.by_ward),
                            ("total", [found.total])):
        for line in lines:
            table.writerow([grouping, line.group,
                            *(getattr(line, column) for column in COLUMNS)])
    return out.getvalue()
