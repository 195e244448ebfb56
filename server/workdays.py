"""Working days: weekdays that are not bank holidays where the council is."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays


class WorkingCalendar:
    def __init__(self, country: str = "GB", subdiv: str | None = "NIR") -> None:
        self.country = country
        self.subdiv = subdiv

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


@lru_cache(maxsize=32)
def _holidays(country: str, subdiv: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdiv, years=year)


calendar = WorkingCalendar()


def configure(country: str, subdiv: str | None) -> None:
    calendar.country = country
    calendar.subdiv = subdiv
