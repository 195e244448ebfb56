"""The filters of GET requests and GET servicerequestupdates, checked.

An empty parameter counts as absent. Dates are W3C-DTF with a time zone;
a window may span at most 90 days, and without dates it is the most recent
stretch the endpoint answers for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from werkzeug.datastructures import MultiDict

from server.models import Status
from server.open311.errors import Open311Error, Problems
from server.open311.limits import MAX_SPAN, PAGE_SIZE
from server.open311.statuses import STANDARD
from server.open311.times import NotATime, parse_w3c


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class RequestQuery:
    ids: list[str] | None
    service_codes: list[str] | None
    statuses: frozenset[Status] | None
    window: Window
    page: Page


def listed(args: MultiDict[str, str], name: str) -> list[str] | None:
    """A comma-separated parameter, given once or several times."""
    values = [part.strip() for value in args.getlist(name)
              for part in value.split(",") if part.strip()]
    return values or None


def window(args: MultiDict[str, str], now: datetime, default: timedelta,
           problems: Problems) -> Window:
    start = _moment(args, "start_date", problems)
    end = _moment(args, "end_date", problems)
    if start is None and end is None:
        return Window(now - default, now)
    if start is None:
        assert end is not None
        return Window(end - default, end)
    if end is None:
        return Window(start, start + default)

    if end < start:
        problems.add("end_date is before start_date.")
    elif end - start > MAX_SPAN:
        problems.add(f"start_date and end_date may be at most {MAX_SPAN.days} "
                     "days apart.")
    return Window(start, end)


def _moment(args: MultiDict[str, str], name: str,
            problems: Problems) -> datetime | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        return parse_w3c(text)
    except NotATime:
        problems.add(f"{name} must be a W3C date and time with a time zone, "
                     f"such as 2026-11-30T09:15:00Z; got {text!r}.")
        return None


def page(args: MultiDict[str, str], problems: Problems) -> Page:
    number = _whole(args, "page", 1, None, problems)
    size = _whole(args, "page_size", PAGE_SIZE, PAGE_SIZE, problems)
    return Page(number, size)


def _whole(args: MultiDict[str, str], name: str, default: int, most: int | None,
           problems: Problems) -> int:
    text = (args.get(name) or "").strip()
    if not text:
        return default
    if not text.isdecimal() or int(text) < 1 or (most and int(text) > most):
        limit = f" to {most}" if most else " or more"
        problems.add(f"{name} must be a whole number from 1{limit}, got {text!r}.")
        return default
    return int(text)


def request_query(args: MultiDict[str, str], now: datetime) -> RequestQuery:
    problems = Problems()
    ids = listed(args, "service_request_id")
    if ids and len(ids) > PAGE_SIZE:
        problems.add(f"service_request_id may list at most {PAGE_SIZE} ids.")
    statuses = None
    words = listed(args, "status")
    if words:
        unknown = [word for word in words if word.lower() not in STANDARD]
        if unknown:
            problems.add(f"status must be open, closed or both; got "
                         f"{', '.join(unknown)}.")
        statuses = frozenset().union(*(STANDARD.get(word.lower(), frozenset())
                                       for word in words))
    query = RequestQuery(
        ids=[one.upper() for one in ids] if ids else None,
        service_codes=listed(args, "service_code"),
        statuses=statuses,
        window=window(args, now, MAX_SPAN, problems),
        page=page(args, problems),
    )
    problems.raise_any()
    return query


def required(args: MultiDict[str, str], *names: str) -> dict[str, str]:
    """The named parameters, or one 400 error naming each that is missing."""
    found = {name: (args.get(name) or "").strip() for name in names}
    missing = [name for name, value in found.items() if not value]
    if missing:
        raise Open311Error(400, *(f"{name} is required." for name in missing))
    return found
