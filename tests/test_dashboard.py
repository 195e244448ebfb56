"""Every dashboard figure, against history made by hand with known answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from server import casework, workdays
from server.hub import dashboard, targets
from server.hub.dashboard_range import DateRange
from server.models import (
    RESPONSE_INDEXES,
    Case,
    CaseKind,
    Channel,
    Department,
    Status,
)
from sync.feed import write_transaction
from tests.factories import make_council
from tests.hub_history import case, contact, handoff, local, utc

pytestmark = pytest.mark.usefixtures("db")

JULY = DateRange(date(2026, 7, 1), date(2026, 7, 2))
NOW = utc("2026-07-10 12:00")


def counts(days: list[dashboard.Day]) -> dict[str, list[int]]:
    return {day.day.isoformat(): [day.contacts[c] for c in dashboard.CHANNELS]
            for day in days}


async def test_contacts_fall_on_the_council_day_they_arrived_in_summer():
    for moment, channel in [
        ("2026-06-30 22:59:59", Channel.PHONE),  # 23:59:59 on 30 June locally
        ("2026-06-30 23:00:00", Channel.PHONE),  # midnight starting 1 July
        ("2026-07-01 08:15:00", Channel.EMAIL),
        ("2026-07-01 22:30:00", Channel.APP),    # 23:30 on 1 July
        ("2026-07-01 23:30:00", Channel.WEB),    # 00:30 on 2 July
        ("2026-07-02 22:59:59", Channel.EMAIL),
        ("2026-07-02 23:00:00", Channel.PHONE),  # 3 July locally
    ]:
        await contact(utc(moment), channel)

    days = await dashboard.contacts_by_day(JULY, planned=750)

    # Channels in order: phone, email, app, web.
    assert counts(days) == {"2026-07-01": [1, 1, 1, 0], "2026-07-02": [0, 1, 0, 1]}
    assert [day.total for day in days] == [3, 2]


async def test_winter_days_are_utc_days_and_the_clock_change_day_is_short():
    await contact(utc("2026-11-30 23:59:59"))
    await contact(utc("2026-12-01 00:00:00"))
    await contact(utc("2026-03-29 00:30:00"))  # 00:30 GMT, before the change
    await contact(utc("2026-03-29 22:59:00"))  # 23:59 BST, still the 29th
    await contact(utc("2026-03-29 23:00:00"))  # midnight BST: the 30th

    december = await dashboard.contacts_by_day(
        DateRange(date(2026, 12, 1), date(2026, 12, 1)), 750)
    spring = await dashboard.contacts_by_day(
        DateRange(date(2026, 3, 29), date(2026, 3, 30)), 750)

    assert [day.total for day in december] == [1]
    assert [day.total for day in spring] == [2, 1]


@pytest.fixture
def auckland() -> Iterator[None]:
    """The calendar of a council on the other side of the world, for one test."""
    workdays.configure("NZ", None, "Pacific/Auckland")
    yield
    workdays.configure("GB", "NIR", "Europe/London")


@pytest.mark.usefixtures("auckland")
async def test_days_follow_the_configured_time_zone():
    await contact(utc("2026-06-30 12:00"))  # midnight starting 1 July there
    await contact(utc("2026-06-30 11:59"))

    days = await dashboard.contacts_by_day(
        DateRange(date(2026, 7, 1), date(2026, 7, 1)), 750)

    assert [day.total for day in days] == [1]


async def test_the_plan_applies_to_working_days_only():
    # Tuesday 17 March 2026 is St Patrick's Day, a bank holiday in the council.
    chosen = DateRange(date(2026, 3, 13), date(2026, 3, 18))
    for _ in range(3):
        await contact(local("2026-03-13 10:00"))
    await contact(local("2026-03-16 10:00"), Channel.EMAIL)
    await contact(local("2026-03-17 10:00"), Channel.EMAIL)

    figures = await dashboard.build(chosen, planned=2, now=NOW)

    assert [day.planned for day in figures.days] == [2, None, None, 2, None, 2]
    assert [day.over_plan for day in figures.days] == [True, False, False,
                                                       False, False, False]
    assert figures.days_over_plan == 1
    assert len(figures.working_days) == 3
    assert figures.mean_per_working_day == pytest.approx(4 / 3)
    assert figures.contacts == 5
    assert figures.totals[Channel.EMAIL] == 2
    assert figures.email_share == pytest.approx(0.4)
    assert figures.busiest is not None and figures.busiest.day == date(2026, 3, 13)


async def test_an_empty_range_has_no_shares_rather_than_zero():
    figures = await dashboard.build(JULY, planned=750, now=NOW)

    assert figures.contacts == 0 and figures.email_share is None
    assert figures.clock == dashboard.Spread(0, None, None)
    assert figures.acknowledged.share is None and figures.answered.share is None
    assert figures.queue == dashboard.Queue(0, 0, None, None)


async def test_response_times_are_read_at_their_percentiles():
    arrived = local("2026-07-01 09:00")
    for hours in (1, 2, 3, 4):
        answered = arrived + timedelta(hours=hours)
        clock, working = targets.response_times(arrived, answered)
        await case(arrived, acknowledged_at=answered, response_seconds=clock,
                   response_working_seconds=working)
    await case(arrived)  # not answered yet
    await case(local("2026-07-03 09:00"), acknowledged_at=local("2026-07-03 10:00"),
               response_seconds=3600, response_working_seconds=3600)  # outside

    figures = await dashboard.build(JULY, planned=750, now=NOW)

    assert figures.arrived == 5 and figures.unanswered == 1
    assert figures.clock.count == 4
    assert figures.clock.median == 2.5 * 3600
    # PERCENTILE.INC: rank 0.9 * 3 = 2.7 lies 70% of the way from 3 h to 4 h.
    assert figures.clock.p90 == pytest.approx(3.7 * 3600)
    assert figures.working.median == 2.5 * 3600


async def test_working_time_leaves_out_nights_weekends_and_holidays():
    friday = local("2026-07-03 17:00")
    monday = local("2026-07-06 09:00")
    clock, working = targets.response_times(friday, monday)
    assert (clock, working) == (64 * 3600, 2 * 3600)

    # Monday 13 July 2026 is the Twelfth's holiday in Northern Ireland.
    before = local("2026-07-10 17:30")
    after = local("2026-07-14 08:30")
    assert targets.response_times(before, after)[1] == 3600


async def test_an_acknowledgement_through_casework_records_its_times():
    council = await make_council()
    created = await case(local("2026-07-03 17:00"), member=council.members[0])
    async with write_transaction() as writer:
        fresh = await Case.select_for_update().get(id=created.id)
        await casework.change_status(writer, fresh, council.agent,
                                     Status.ACKNOWLEDGED)
    stored = await Case.get(id=created.id)

    assert stored.acknowledged_at is not None
    expected = targets.response_times(stored.created_at, stored.acknowledged_at)
    assert (stored.response_seconds, stored.response_working_seconds) == expected
    assert stored.response_seconds > 0


async def test_targets_count_met_late_and_not_yet_due():
    arrived = local("2026-07-01 09:00")
    due = local("2026-07-01 17:00")
    soon, late = local("2026-07-01 10:00"), local("2026-07-02 10:00")
    await case(arrived, acknowledge_by=due, acknowledged_at=soon)
    await case(arrived, acknowledge_by=due, acknowledged_at=due)  # on the dot
    await case(arrived, acknowledge_by=due, acknowledged_at=late)
    await case(arrived, acknowledge_by=due)  # never answered, now past
    await case(arrived, acknowledge_by=NOW + timedelta(hours=1))  # not yet due
    await case(arrived, acknowledge_by=due, status=Status.WITHDRAWN)  # dropped
    await case(arrived, acknowledge_by=due, acknowledged_at=late,
               status=Status.WITHDRAWN)  # answered late, then withdrawn

    enquiry = {"kind": CaseKind.MEMBER_ENQUIRY, "acknowledge_by": due,
               "acknowledged_at": soon, "due_at": local("2026-07-08 09:00")}
    await case(arrived, answered_at=local("2026-07-07 12:00"), **enquiry)
    await case(arrived, answered_at=local("2026-07-09 12:00"), **enquiry)
    await case(arrived, **enquiry)  # no answer, past due
    await case(arrived, **{**enquiry, "due_at": NOW + timedelta(days=2)})

    figures = await dashboard.build(JULY, planned=750, now=NOW)

    assert figures.acknowledged == dashboard.Share(met=6, missed=3, pending=1)
    assert figures.acknowledged.share == pytest.approx(6 / 9)
    assert figures.answered == dashboard.Share(met=1, missed=2, pending=1)
    assert figures.answered.share == pytest.approx(1 / 3)


async def test_the_queue_is_what_the_hub_holds_now():
    for hours, status, acknowledged in [
        (1, Status.SUBMITTED, None),
        (3, Status.ACKNOWLEDGED, NOW - timedelta(hours=2)),
        (10, Status.REOPENED, NOW - timedelta(hours=9)),
        (30, Status.SUBMITTED, None),
        (50, Status.WITH_DEPARTMENT, None),  # with a department
        (70, Status.RESOLVED, None),
    ]:
        await case(NOW - timedelta(hours=hours), status=status,
                   acknowledged_at=acknowledged)

    queue = await dashboard.queue_now(NOW)

    assert queue == dashboard.Queue(waiting=4, unacknowledged=2,
                                    oldest=timedelta(hours=30),
                                    median=timedelta(hours=6.5))


async def test_handoffs_are_counted_per_department_in_the_range():
    council = await make_council()
    lighting = await Department.create(name="Street Lighting", uses_casehub=False,
                                       email="lights@infrastructure.example")
    one = await case(local("2026-06-30 09:00"))
    await handoff(local("2026-06-30 23:59"), one, council.parks)  # day before
    await handoff(local("2026-07-01 00:00"), one, council.parks)
    await handoff(local("2026-07-02 12:00"), one, lighting)
    await handoff(local("2026-07-02 12:05"), one, lighting)

    figures = await dashboard.build(JULY, planned=750, now=NOW)

    assert [(e.department, e.by_email, e.count) for e in figures.handoffs] == [
        ("Street Lighting", True, 2),
        ("Parks and Open Spaces", False, 1),
        ("Cleansing and Waste", False, 0),
    ]


async def test_escalations_in_the_range_and_those_still_open():
    arrived = local("2026-06-20 09:00")
    await case(arrived, escalated_at=local("2026-07-01 10:00"))
    await case(arrived, escalated_at=local("2026-07-02 23:59"),
               status=Status.CLOSED)
    await case(arrived, escalated_at=local("2026-07-03 00:00"))  # after
    await case(arrived)

    figures = await dashboard.build(JULY, planned=750, now=NOW)

    assert (figures.escalated, figures.escalated_open) == (2, 1)


@pytest.mark.parametrize("walk", [True, False])
async def test_a_percentile_on_a_case_is_that_case(walk):
    arrived = local("2026-07-01 09:00")
    for minutes in range(110, 0, -10):
        await case(arrived, response_seconds=minutes * 60,
                   response_working_seconds=minutes * 60)
    start, end = JULY.bounds(workdays.calendar.zone)

    spread = await dashboard._spread("response_working_seconds", start, end, 11,
                                     RESPONSE_INDEXES[1], walk)

    # Eleven values: the median is the 6th, and rank 0.9 * 10 = 9 the 10th.
    assert spread == dashboard.Spread(11, 60 * 60, 100 * 60)


@pytest.mark.parametrize("walk", [True, False])
async def test_both_ways_to_a_percentile_agree(walk):
    arrived = local("2026-07-01 09:00")
    for minutes in (50, 10, 40, 20, 30, 70, 60):
        await case(arrived, response_seconds=minutes * 60,
                   response_working_seconds=minutes * 30)
    await case(local("2026-06-01 09:00"), response_seconds=1,
               response_working_seconds=1)  # before the range
    start, end = JULY.bounds(workdays.calendar.zone)

    spread = await dashboard._spread("response_seconds", start, end, 7,
                                     RESPONSE_INDEXES[0], walk)

    # Seven values: the median is the 4th; the p90 lies at rank 0.9 * 6 = 5.4,
    # 40% of the way from the 6th (60 minutes) to the 7th (70 minutes).
    assert spread == dashboard.Spread(7, 40 * 60, 64 * 60)
