"""Council time: reading the dates staff type, and writing them for people."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from server.errors import ApiError


def local_moment(day: str, clock: str, zone: str) -> datetime:
    """The moment a date (YYYY-MM-DD) and time (HH:MM) name in council time."""
    try:
        parsed_day = date.fromisoformat(day.strip())
    except ValueError:
        raise ApiError(422, "invalid_date", _wrong("date", day, "2026-12-08"),
                       field="date") from None
    try:
        parsed_clock = time.fromisoformat(clock.strip())
    except ValueError:
        raise ApiError(422, "invalid_time", _wrong("time", clock, "14:30"),
                       field="time") from None
    return datetime.combine(parsed_day, parsed_clock, ZoneInfo(zone))


def _wrong(what: str, typed: str, example: str) -> str:
    if not typed.strip():
        return f"Enter the {what}, for example {example}."
    return f"The {what} must look like {example}, not {typed.strip()!r}."


def in_zone(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def spoken(moment: datetime, zone: str) -> str:
    """Like "Tuesday 8 December 2026 at 10:00"."""
    local = in_zone(moment, zone)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def short(moment: datetime, zone: str) -> str:
    """Like "Tue 8 Dec, 10:00"."""
    local = in_zone(moment, zone)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
