"""The days a dashboard covers, as the council's calendar has them.

A range runs from the start of its first day to the end of its last, in the
council's time zone, so a day is a local day: 23 hours long when the clocks
go forward, 25 when they go back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.errors import ApiError

# A year, leap or not: the dashboard answers quickly over this many days.
MAX_DAYS = 366
DEFAULT_DAYS = 30
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


@dataclass(frozen=True)
class DateRange:
    """From the first day to the last, both included."""

    first: date
    last: date

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.length)]

    def day_starts(self, zone: ZoneInfo) -> list[datetime]:
        """When each day starts in UTC, and when the last one ends."""
        return [_midnight(self.first + timedelta(days=n), zone)
                for n in range(self.length + 1)]

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The start of the first day and the end of the last, in UTC."""
        return (_midnight(self.first, zone),
                _midnight(self.last + timedelta(days=1), zone))

    def query(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


@dataclass(frozen=True)
class QuickChoice:
    label: str
    range: DateRange


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def parse_range(raw_from: str | None, raw_to: str | None,
                today: date) -> DateRange:
    """The range the query asks for, or a 400 naming the field that is wrong.

    Without either date the range is the last 30 days; with only one, the
    other is today or the 30 days before.
    """
    first = _parse_day("from", raw_from)
    last = _parse_day("to", raw_to)
    if last is None:
        last = max(today, first) if first else today
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)

    if last < first:
        raise ApiError(400, "range_reversed",
                       f"to ({last.isoformat()}) is before from "
                       f"({first.isoformat()}); choose a to date on or after "
                       "the from date.", field="to")
    chosen = DateRange(first, last)
    if chosen.length > MAX_DAYS:
        raise ApiError(400, "range_too_long",
                       f"The range covers {chosen.length} days; choose at most "
                       f"{MAX_DAYS} days between from and to.", field="to")
    return chosen


def _parse_day(name: str, raw: str | None) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or len(text) != 10:
        raise ApiError(400, "invalid_date",
                       f"{name} must be a date written as YYYY-MM-DD, such as "
                       f"2026-03-01; got {text[:40]!r}.", field=name)
    if not EARLIEST <= day <= LATEST:
        raise ApiError(400, "invalid_date",
                       f"{name} must be between {EARLIEST.isoformat()} and "
                       f"{LATEST.isoformat()}; got {text}.", field=name)
    return day


def quick_choices(today: date) -> list[QuickChoice]:
    """Ranges staff ask for often, ending today or in the last whole week."""
    monday = today - timedelta(days=today.weekday())
    last_monday = monday - timedelta(days=7)
    return [
        QuickChoice("Today", DateRange(today, today)),
        QuickChoice("This week", DateRange(monday, today)),
        QuickChoice("Last week", DateRange(last_monday,
                                           last_monday + timedelta(days=6))),
        QuickChoice("Last 30 days", DateRange(today - timedelta(days=29), today)),
        QuickChoice("This month", DateRange(today.replace(day=1), today)),
        QuickChoice("This year", DateRange(today.replace(month=1, day=1), today)),
    ]
