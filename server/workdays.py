"""Working time: the hub's opening hours on weekdays that are not bank holidays.

Targets are counted in working time. A case that arrives at 5pm on a Friday
with four working hours to be acknowledged is due at 11am on Monday, or on
Tuesday when Monday is a bank holiday where the council is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays

if TYPE_CHECKING:
    from server.config import Settings


class WorkingCalendar:
    def __init__(self, country: str = "GB", subdiv: str | None = "NIR",
                 zone: str = "Europe/London", opens: time = time(8),
                 closes: time = time(18)) -> None:
        self.country = country
        self.subdiv = subdiv
        self.zone = ZoneInfo(zone)
        self.opens = opens
        self.closes = closes

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _holidays(
            self.country, self.subdiv, day.year
        )

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The moment `days` working days after `start`, at the same time of day."""
        moment = start
        remaining = days
        while remaining > 0:
            moment += timedelta(days=1)
            if self.is_working_day(moment.date()):
                remaining -= 1
        return moment

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` of opening time after `start`, in UTC.

        Time before opening, after closing and on days off does not count, so
        a contact made at night starts its clock when the hub opens.
        """
        local = start.astimezone(self.zone)
        remaining = timedelta(hours=hours)
        while True:
            opening, closing = self._hours_of(local.date())
            if self.is_working_day(local.date()) and local < closing:
                local = max(local, opening)
                if local + remaining <= closing:
                    return (local + remaining).astimezone(UTC)
                remaining -= closing - local
            local = self._hours_of(local.date() + timedelta(days=1))[0]

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """How many hours of opening time lie between two moments."""
        if end <= start:
            return 0.0
        local = start.astimezone(self.zone)
        finish = end.astimezone(self.zone)
        total = timedelta()
        day = local.date()
        while day <= finish.date():
            if self.is_working_day(day):
                opening, closing = self._hours_of(day)
                begin, stop = max(opening, local), min(closing, finish)
                if stop > begin:
                    total += stop - begin
            day += timedelta(days=1)
        return total.total_seconds() / 3600

    def _hours_of(self, day: date) -> tuple[datetime, datetime]:
        return (datetime.combine(day, self.opens, self.zone),
                datetime.combine(day, self.closes, self.zone))


@lru_cache(maxsize=32)
def _holidays(country: str, subdiv: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdiv, years=year)


calendar = WorkingCalendar()


def configure(country: str, subdiv: str | None, zone: str = "Europe/London",
              opens: time = time(8), closes: time = time(18)) -> None:
    calendar.country = country
    calendar.subdiv = subdiv
    calendar.zone = ZoneInfo(zone)
    calendar.opens = opens
    calendar.closes = closes
    # Load the holiday tables now rather than on the first case of the day.
    calendar.is_working_day(date.today())


def configure_from(settings: Settings) -> None:
    configure(settings.holidays_country, settings.holidays_subdiv,
              settings.timezone, settings.hub_opens, settings.hub_closes)
