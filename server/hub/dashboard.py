"""The figures the dashboard shows: how the hub is coping, over a range of days.

Contacts are counted by the local day they arrived on; case figures cover the
cases that arrived in the range; the queue is as it stands now. Each figure
is one indexed aggregate, so a year of contacts answers as quickly as a week.
docs/hub.md defines every figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from server.casework import OPEN
from server.hub.dashboard_range import DateRange
from server.hub.dashboard_sql import as_datetime, day_table, rows
from server.models import CaseKind, Channel, Department, Status
from server.workdays import calendar

CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.APP, Channel.WEB)
# Open cases the hub itself still holds; the rest are with a department.
WAITING_ON_HUB = (Status.SUBMITTED, Status.ACKNOWLEDGED, Status.REOPENED)


@dataclass(frozen=True)
class Day:
    day: date
    contacts: dict[Channel, int]
    # None when the hub is closed: weekends and bank holidays have no plan.
    planned: int | None

    @property
    def total(self) -> int:
        return sum(self.contacts.values())

    @property
    def over_plan(self) -> bool:
        return self.planned is not None and self.total > self.planned


@dataclass(frozen=True)
class Spread:
    """The median and 90th percentile of a set of durations, in seconds."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Share:
    """Cases that met a target, missed it, or may still meet it."""

    met: int
    missed: int
    pending: int

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def share(self) -> float | None:
        return self.met / self.decided if self.decided else None


@dataclass(frozen=True)
class Queue:
    waiting: int
    unacknowledged: int
    oldest: timedelta | None
    median: timedelta | None


@dataclass(frozen=True)
class Handoffs:
    department: str
    by_email: bool
    count: int


@dataclass(frozen=True)
class Dashboard:
    range: DateRange
    planned: int
    days: list[Day]
    arrived: int
    unanswered: int
    clock: Spread
    working: Spread
    acknowledged: Share
    answered: Share
    queue: Queue
    handoffs: list[Handoffs]
    escalated: int
    escalated_open: int
    totals: dict[Channel, int] = field(default_factory=dict)

    @property
    def contacts(self) -> int:
        return sum(self.totals.values())

    @property
    def email_share(self) -> float | None:
        total = self.contacts
        return self.totals[Channel.EMAIL] / total if total else None

    @property
    def working_days(self) -> list[Day]:
        return [day for day in self.days if day.planned is not None]

    @property
    def days_over_plan(self) -> int:
        return sum(day.over_plan for day in self.days)

    @property
    def mean_per_working_day(self) -> float | None:
        days = self.working_days
        return sum(day.total for day in days) / len(days) if days else None

    @property
    def busiest(self) -> Day | None:
        return max(self.days, key=lambda day: (day.total, -day.day.toordinal()),
                   default=None)


async def build(chosen: DateRange, planned: int, now: datetime) -> Dashboard:
    """Every figure of the dashboard for the days chosen, as of `now`."""
    start, end = chosen.bounds(calendar.zone)
    days = await contacts_by_day(chosen, planned)
    arrivals = await _arrivals(start, end, now)
    clock, working = await _response_spreads(start, end, arrivals["responded"])
    escalated, escalated_open = await _escalations(start, end)
    return Dashboard(
        range=chosen, planned=planned, days=days,
        totals={channel: sum(day.contacts[channel] for day in days)
                for channel in CHANNELS},
        arrived=arrivals["arrived"],
        unanswered=arrivals["arrived"] - arrivals["responded"],
        clock=clock, working=working,
        acknowledged=Share(arrivals["ack_met"], arrivals["ack_missed"],
                           arrivals["ack_pending"]),
        answered=Share(arrivals["answer_met"], arrivals["answer_missed"],
                       arrivals["answer_pending"]),
        queue=await queue_now(now),
        handoffs=await handoffs_by_department(start, end),
        escalated=escalated, escalated_open=escalated_open,
    )


async def contacts_by_day(chosen: DateRange, planned: int) -> list[Day]:
    """Contacts on each local day of the range, by channel, beside the plan."""
    table, values = day_table(chosen.day_starts(calendar.zone))
    found = await rows(
        f"SELECT d.column1 AS n, c.channel AS channel, count(*) AS contacts"
        f" FROM {table} AS d JOIN contacts AS c"
        f" ON c.at >= d.column2 AND c.at < d.column3"
        f" GROUP BY d.column1, c.channel", values)
    counts: dict[int, dict[Channel, int]] = {}
    for row in found:
        counts.setdefault(int(row["n"]), {})[Channel(row["channel"])] = int(
            row["contacts"])

    days = []
    for number, day in enumerate(chosen.days()):
        per_channel = counts.get(number, {})
        days.append(Day(
            day=day,
            contacts={channel: per_channel.get(channel, 0) for channel in CHANNELS},
            planned=planned if calendar.is_working_day(day) else None,
        ))
    return days


async def _arrivals(start: datetime, end: datetime,
                    now: datetime) -> dict[str, int]:
    """Counts over the cases that arrived in the range, in one pass."""
    enquiry = f"kind = '{CaseKind.MEMBER_ENQUIRY.value}'"
    # A case the member withdrew before anyone answered has no target left.
    dropped = f"status = '{Status.WITHDRAWN.value}'"
    [found] = await rows(
        "SELECT count(*) AS arrived,"
        " count(response_seconds) AS responded,"
        " sum(CASE WHEN acknowledged_at <= acknowledge_by THEN 1 ELSE 0 END)"
        "  AS ack_met,"
        " sum(CASE WHEN acknowledged_at > acknowledge_by OR (acknowledged_at IS"
        f"  NULL AND acknowledge_by < ? AND NOT {dropped}) THEN 1 ELSE 0 END)"
        "  AS ack_missed,"
        " sum(CASE WHEN acknowledged_at IS NULL AND acknowledge_by >= ?"
        f"  AND NOT {dropped} THEN 1 ELSE 0 END) AS ack_pending,"
        f" sum(CASE WHEN {enquiry} AND answered_at <= due_at THEN 1 ELSE 0 END)"
        "  AS answer_met,"
        f" sum(CASE WHEN {enquiry} AND (answered_at > due_at OR (answered_at IS"
        f"  NULL AND due_at < ? AND NOT {dropped})) THEN 1 ELSE 0 END)"
        "  AS answer_missed,"
        f" sum(CASE WHEN {enquiry} AND answered_at IS NULL AND due_at >= ?"
        f"  AND NOT {dropped} THEN 1 ELSE 0 END) AS answer_pending"
        " FROM cases WHERE created_at >= ? AND created_at < ?",
        [now, now, now, now, start, end])
    return {name: int(value or 0) for name, value in found.items()}


async def _response_spreads(start: datetime, end: datetime,
                            responded: int) -> tuple[Spread, Spread]:
    clock = await _spread("response_seconds", start, end, responded)
    working = await _spread("response_working_seconds", start, end, responded)
    return clock, working


async def _spread(column: str, start: datetime, end: datetime,
                  count: int) -> Spread:
    """Median and 90th percentile of a column, as PERCENTILE.INC has them.

    Only the two cases either side of each percentile are read back: the
    database ranks the rest.
    """
    if count == 0:
        return Spread(0, None, None)
    wanted = {p: (count - 1) * p for p in (0.5, 0.9)}
    ranks = sorted({rank for h in wanted.values()
                    for rank in (math.floor(h) + 1, math.ceil(h) + 1)})
    marks = ", ".join("?" * len(ranks))
    found = await rows(
        f"SELECT r, v FROM (SELECT {column} AS v, row_number() OVER"
        f" (ORDER BY {column}) AS r FROM cases WHERE created_at >= ?"
        f" AND created_at < ? AND {column} IS NOT NULL) AS ranked"
        f" WHERE r IN ({marks})", [start, end, *ranks])
    value = {int(row["r"]): float(row["v"]) for row in found}

    def at(h: float) -> float:
        low, high = value[math.floor(h) + 1], value[math.ceil(h) + 1]
        return low + (h - math.floor(h)) * (high - low)

    return Spread(count, at(wanted[0.5]), at(wanted[0.9]))


async def queue_now(now: datetime) -> Queue:
    """Open cases the hub holds now, and how long they have waited."""
    marks = ", ".join("?" * len(WAITING_ON_HUB))
    found = await rows(
        f"SELECT created_at, acknowledged_at FROM cases WHERE status IN ({marks})",
        [status.value for status in WAITING_ON_HUB])
    ages = sorted(now - as_datetime(row["created_at"]) for row in found)
    return Queue(
        waiting=len(ages),
        unacknowledged=sum(row["acknowledged_at"] is None for row in found),
        oldest=ages[-1] if ages else None,
        median=_median(ages) if ages else None,
    )


def _median(ordered: list[timedelta]) -> timedelta:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


async def handoffs_by_department(start: datetime,
                                 end: datetime) -> list[Handoffs]:
    """Hand-offs made in the range to each department, most first."""
    found = await rows(
        "SELECT department_id, count(*) AS handoffs FROM handoffs"
        " WHERE at >= ? AND at < ? GROUP BY department_id", [start, end])
    counts = {int(row["department_id"]): int(row["handoffs"]) for row in found}
    departments = await Department.all()
    listed = [Handoffs(department.name, not department.uses_casehub,
                       counts.get(department.id, 0)) for department in departments]
    return sorted(listed, key=lambda entry: (-entry.count, entry.department))


async def _escalations(start: datetime, end: datetime) -> tuple[int, int]:
    """Cases escalated in the range, and how many of them are still open."""
    marks = ", ".join("?" * len(OPEN))
    [found] = await rows(
        f"SELECT count(*) AS escalated, sum(CASE WHEN status IN ({marks})"
        " THEN 1 ELSE 0 END) AS still_open FROM cases"
        " WHERE escalated_at >= ? AND escalated_at < ?",
        [*sorted(status.value for status in OPEN), start, end])
    return int(found["escalated"] or 0), int(found["still_open"] or 0)
