"""The figures the dashboard shows: how the hub is coping, over a range of days.

Contacts are counted by the local day they arrived on; case figures cover the
cases that arrived in the range; the queue is as it stands now. Each figure
is one indexed aggregate, so a year of contacts answers as quickly as a week.
docs/hub.md defines every figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from server.casework import OPEN
from server.hub.dashboard_range import DateRange
from server.hub.dashboard_sql import (
    as_datetime,
    connection,
    day_table,
    is_postgres,
    rows,
)
from server.models import (
    ARRIVALS_INDEX,
    RESPONSE_INDEXES,
    CaseKind,
    Channel,
    Status,
)
from server.workdays import calendar

CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.APP, Channel.WEB)
# Open cases the hub itself still holds; the rest are with a department.
WAITING_ON_HUB = (Status.SUBMITTED, Status.ACKNOWLEDGED, Status.REOPENED)


@dataclass
class Day:
    day: date
    contacts: dict[Channel, int]
    # None when the hub is closed: weekends and bank holidays have no plan.
    planned: int | None
    total: int = field(init=False)
    over_plan: bool = field(init=False)

    def __post_init__(self) -> None:
        self.total = sum(self.contacts.values())
        self.over_plan = self.planned is not None and self.total > self.planned


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
    """Contacts on each local day of the range, by channel, beside the plan.

    Each day and channel is a count over one range of the (channel, at)
    index, which SQLite does far faster than grouping the rows.
    """
    table, values = day_table(chosen.day_starts(calendar.zone))
    counts = ", ".join(
        f"(SELECT count(*) FROM contacts WHERE channel = '{channel.value}'"
        f" AND at >= d.column2 AND at < d.column3) AS {channel.value}"
        for channel in CHANNELS)
    found = await rows(f"SELECT d.column1 AS n, {counts} FROM {table} AS d",
                       values)
    by_number = {int(row["n"]): row for row in found}

    days = []
    for number, day in enumerate(chosen.days()):
        row = by_number.get(number, {})
        days.append(Day(
            day=day,
            contacts={channel: int(row.get(channel.value) or 0)
                      for channel in CHANNELS},
            planned=planned if calendar.is_working_day(day) else None,
        ))
    return days


async def _arrivals(start: datetime, end: datetime,
                    now: datetime) -> dict[str, int]:
    """Counts over the cases that arrived in the range.

    Three passes, each over an index that holds only what it counts: all the
    cases, those not yet acknowledged, and the member enquiries. Every case
    expression costs SQLite a little on each row, so each pass has few.
    """
    # A case the member withdrew before anyone answered has no target left.
    kept = f"status <> '{Status.WITHDRAWN.value}'"
    [arrived] = await rows(
        "SELECT count(*) AS arrived, count(response_seconds) AS responded,"
        " sum(CASE WHEN acknowledged_at <= acknowledge_by THEN 1 ELSE 0 END)"
        " AS ack_met,"
        " sum(CASE WHEN acknowledged_at > acknowledge_by THEN 1 ELSE 0 END)"
        " AS ack_late"
        " FROM cases WHERE created_at >= ? AND created_at < ?", [start, end])
    [waiting] = await rows(
        "SELECT sum(CASE WHEN acknowledge_by < ? THEN 1 ELSE 0 END) AS ack_missed,"
        " sum(CASE WHEN acknowledge_by >= ? THEN 1 ELSE 0 END) AS ack_pending"
        " FROM cases WHERE acknowledged_at IS NULL AND created_at >= ?"
        f" AND created_at < ? AND {kept}", [now, now, start, end])
    [enquiries] = await rows(
        "SELECT sum(CASE WHEN answered_at <= due_at THEN 1 ELSE 0 END)"
        " AS answer_met,"
        " sum(CASE WHEN answered_at > due_at OR (answered_at IS NULL"
        f" AND due_at < ? AND {kept}) THEN 1 ELSE 0 END) AS answer_missed,"
        " sum(CASE WHEN answered_at IS NULL AND due_at >= ?"
        f" AND {kept} THEN 1 ELSE 0 END) AS answer_pending"
        " FROM cases WHERE kind = ? AND created_at >= ? AND created_at < ?",
        [now, now, CaseKind.MEMBER_ENQUIRY.value, start, end])

    found = {name: int(value or 0) for part in (arrived, waiting, enquiries)
             for name, value in part.items()}
    found["ack_missed"] += found.pop("ack_late")
    return found


async def _response_spreads(start: datetime, end: datetime,
                            responded: int) -> tuple[Spread, Spread]:
    walk = await _covers_most_history(start, end)
    clock = await _spread("response_seconds", start, end, responded,
                          RESPONSE_INDEXES[0], walk)
    working = await _spread("response_working_seconds", start, end, responded,
                            RESPONSE_INDEXES[1], walk)
    return clock, working


async def _covers_most_history(start: datetime, end: datetime) -> bool:
    """Whether the range spans a quarter or more of the time cases go back."""
    [found] = await rows("SELECT min(created_at) AS first FROM cases", [])
    if found["first"] is None:
        return False
    first = as_datetime(found["first"])
    history = max(end, datetime.now(UTC)) - first
    return (end - max(start, first)) * 4 >= history


async def _spread(column: str, start: datetime, end: datetime, count: int,
                  index: str, walk: bool) -> Spread:
    """Median and 90th percentile of a column, as PERCENTILE.INC has them.

    Only the two cases either side of each percentile are read back. When
    the range holds much of the history, SQLite steps along the column's own
    index to them; otherwise it sorts the few cases of the range.
    """
    if count == 0:
        return Spread(0, None, None)
    hint = ""
    if not is_postgres(connection()):
        hint = f"INDEXED BY {index if walk else ARRIVALS_INDEX}"

    async def pair(h: float) -> float:
        # Counted from whichever end is nearer: the p90 from the top.
        low_rank, high_rank = math.floor(h), math.ceil(h)
        descending = high_rank > count - 1 - low_rank
        found = await rows(
            f"SELECT {column} AS v FROM cases {hint} WHERE {column} IS NOT NULL"
            f" AND created_at >= ? AND created_at < ? ORDER BY {column}"
            f"{' DESC' if descending else ''} LIMIT 2 OFFSET ?",
            [start, end, count - 1 - high_rank if descending else low_rank])
        values = sorted(float(row["v"]) for row in found)
        low, high = values[0], values[-1]
        if high_rank == low_rank:
            low = high = values[-1] if descending else values[0]
        return low + (h - low_rank) * (high - low)

    return Spread(count, await pair((count - 1) * 0.5),
                  await pair((count - 1) * 0.9))


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
        "SELECT d.id AS id, d.name AS name, d.uses_casehub AS uses_casehub,"
        " (SELECT count(*) FROM handoffs AS h WHERE h.department_id = d.id"
        " AND h.at >= ? AND h.at < ?) AS handoffs FROM departments AS d",
        [start, end])
    listed = [Handoffs(str(row["name"]), not row["uses_casehub"],
                       int(row["handoffs"])) for row in found]
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
