"""Working time: opening hours on weekdays that are not bank holidays."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from server.workdays import WorkingCalendar

LONDON = ZoneInfo("Europe/London")
hub = WorkingCalendar("GB", "NIR", "Europe/London", time(8), time(18))


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)


def test_hours_within_one_day_add_up():
    # Tuesday 1 December 2026, 09:30.
    assert hub.add_working_hours(local(2026, 12, 1, 9, 30), 4) == local(
        2026, 12, 1, 13, 30).astimezone(UTC)


def test_a_friday_afternoon_case_is_due_on_monday():
    due = hub.add_working_hours(local(2026, 12, 4, 17), 4)

    assert due == local(2026, 12, 7, 11).astimezone(UTC)


def test_a_night_time_contact_starts_its_clock_at_opening():
    due = hub.add_working_hours(local(2026, 12, 1, 23, 15), 2)

    assert due == local(2026, 12, 2, 10).astimezone(UTC)


def test_bank_holidays_where_the_council_is_do_not_count():
    # 17 March is St Patrick's Day, a bank holiday in Northern Ireland only.
    northern_ireland = hub.add_working_hours(local(2026, 3, 16, 17), 2)
    england = WorkingCalendar("GB", "ENG").add_working_hours(local(2026, 3, 16, 17), 2)

    assert northern_ireland == local(2026, 3, 18, 9).astimezone(UTC)
    assert england == local(2026, 3, 17, 9).astimezone(UTC)


def test_christmas_and_boxing_day_are_skipped():
    due = hub.add_working_hours(local(2026, 12, 24, 16), 8)

    # 25 and 26 December are holidays, 26 falls on a Saturday and moves the
    # substitute day to Monday 28; work resumes on Tuesday 29.
    assert due == local(2026, 12, 29, 14).astimezone(UTC)


def test_working_hours_between_two_moments():
    start = local(2026, 12, 4, 16)
    end = local(2026, 12, 7, 10)

    assert hub.working_hours_between(start, end) == 4.0
    assert hub.working_hours_between(end, start) == 0.0


def test_working_days_skip_the_weekend():
    due = hub.add_working_days(local(2026, 12, 4, 12), 1)

    assert due == local(2026, 12, 7, 12)


def test_opening_hours_follow_the_clocks_changing():
    # Clocks go forward on 29 March 2026: 09:00 local is 08:00 UTC after it.
    due = hub.add_working_hours(local(2026, 3, 27, 17, 30), 1)

    assert due == datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
