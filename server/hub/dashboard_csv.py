"""The dashboard's and the engagement profile's figures as CSV tables.

Each table holds exactly what its page shows for the same range, with plain
numbers (hours to two decimals, shares as fractions) for spreadsheets.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from server.hub.dashboard import CHANNELS, Dashboard, Day, Handoffs, Share, Spread
from server.hub.engagement import Profile
from server.workdays import calendar

Table = tuple[Sequence[str], Iterable[Sequence[Any]]]
DASHBOARD_TABLES = ("days", "summary", "handoffs")


def render(table: Table) -> str:
    header, body = table
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in body)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return value.astimezone(calendar.zone).isoformat(timespec="seconds")
    # A leading =, +, - or @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def days(found: list[Day]) -> Table:
    header = ["date", *(channel.value for channel in CHANNELS), "total", "planned"]
    return header, ([day.day.isoformat(), *(day.contacts[c] for c in CHANNELS),
                     day.total, day.planned] for day in found)


def handoffs(found: list[Handoffs]) -> Table:
    return (["department", "by_email", "handoffs"],
            ([entry.department, "yes" if entry.by_email else "no", entry.count]
             for entry in found))


def summary(dashboard: Dashboard) -> Table:
    """Every single figure of the dashboard, one a row."""
    d = dashboard
    rows: list[list[Any]] = [
        ["from", d.range.first.isoformat(), "date"],
        ["to", d.range.last.isoformat(), "date"],
        ["contacts", d.contacts, "contacts"],
        *([f"contacts_{c.value}", d.totals[c], "contacts"] for c in CHANNELS),
        ["email_share", d.email_share, "fraction"],
        ["planned_per_working_day", d.planned, "contacts"],
        ["working_days", len(d.working_days), "days"],
        ["mean_per_working_day", d.mean_per_working_day, "contacts"],
        ["days_over_plan", d.days_over_plan, "days"],
        ["busiest_day", d.busiest.day.isoformat() if d.busiest else None, "date"],
        ["busiest_day_contacts", d.busiest.total if d.busiest else None,
         "contacts"],
        ["queue_waiting", d.queue.waiting, "cases"],
        ["queue_unacknowledged", d.queue.unacknowledged, "cases"],
        ["queue_oldest_age", _hours(d.queue.oldest), "clock hours"],
        ["queue_median_age", _hours(d.queue.median), "clock hours"],
        ["cases_arrived", d.arrived, "cases"],
        ["cases_not_yet_acknowledged", d.unanswered, "cases"],
        *_spread("first_response_clock", d.clock, "clock hours"),
        *_spread("first_response_working", d.working, "working hours"),
        *_share("acknowledged", d.acknowledged),
        *_share("enquiries_answered", d.answered),
        ["escalated", d.escalated, "cases"],
        ["escalated_still_open", d.escalated_open, "cases"],
    ]
    return ["figure", "value", "unit"], rows


def _hours(age: timedelta | None) -> float | None:
    return age.total_seconds() / 3600 if age is not None else None


def _spread(name: str, spread: Spread, unit: str) -> list[list[Any]]:
    def hours(seconds: float | None) -> float | None:
        return seconds / 3600 if seconds is not None else None

    return [[f"{name}_cases", spread.count, "cases"],
            [f"{name}_median", hours(spread.median), unit],
            [f"{name}_p90", hours(spread.p90), unit]]


def _share(name: str, share: Share) -> list[list[Any]]:
    return [[f"{name}_within_target", share.met, "cases"],
            [f"{name}_late", share.missed, "cases"],
            [f"{name}_not_yet_due", share.pending, "cases"],
            [f"{name}_share_within_target", share.share, "fraction"]]


def profiles(found: list[Profile]) -> Table:
    header = ["member", "party", "ward", *(c.value for c in CHANNELS), "total",
              "open_cases", "closed_cases", "devices", "last_sync"]
    return header, ([p.name, p.party, p.ward, *(p.contacts[c] for c in CHANNELS),
                     p.total, p.open_cases, p.closed_cases, p.devices, p.last_sync]
                    for p in found)
