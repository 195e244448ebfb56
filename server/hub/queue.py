"""The hub's queue, a department's queue and the escalations, in working order.

Every list is ordered by the target that runs out first, so the case at the
top is the one to work next: an overdue case comes before one still in time,
and cases with the same target come in order of priority, urgent first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from server.casework import OPEN
from server.mail.models import MailDirection, MailMessage, MailState
from server.models import (
    Case,
    CaseEvent,
    CaseKind,
    Channel,
    EventKind,
    Priority,
    Status,
    User,
)

# More than a screen could usefully hold; filters narrow the rest.
QUEUE_LIMIT = 100
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2,
                 Priority.LOW: 3}
# The statuses a case can have while it waits for the hub.
HUB_STATUSES = (Status.SUBMITTED, Status.ACKNOWLEDGED, Status.IN_PROGRESS,
                Status.REOPENED)
# What each row shows besides the case itself.
RELATED = ("member", "member__ward", "category", "assigned_to", "department")


class Who(StrEnum):
    ANYONE = "anyone"
    MINE = "mine"
    UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows; the defaults show every case that needs the hub."""

    channel: Channel | None = None
    status: Status | None = None
    category_id: int | None = None
    # Cases the hub has not given a category yet; wins over category_id.
    unsorted: bool = False
    who: Who = Who.ANYONE
    overdue: bool = False
    search: str = ""


@dataclass(frozen=True)
class Target:
    """The next target a case must meet: acknowledge it, or answer it."""

    what: str
    by: datetime
    overdue: bool


@dataclass(frozen=True)
class Entry:
    case: Case
    target: Target | None


@dataclass(frozen=True)
class Queue:
    entries: list[Entry]
    # How many cases match in all, and how many of those are overdue.
    total: int
    overdue: int


class Timing(NamedTuple):
    """What orders a case in a list, read without the rest of the case."""

    id: uuid.UUID
    acknowledge_by: datetime | None
    acknowledged_at: datetime | None
    kind: CaseKind
    answered_at: datetime | None
    due_at: datetime | None
    priority: Priority
    created_at: datetime


class Timed(Protocol):
    """A case, or its timing: what its targets are worked out from."""

    @property
    def acknowledge_by(self) -> datetime | None: ...
    @property
    def acknowledged_at(self) -> datetime | None: ...
    @property
    def kind(self) -> CaseKind: ...
    @property
    def answered_at(self) -> datetime | None: ...
    @property
    def due_at(self) -> datetime | None: ...


def next_target(case: Timed, moment: datetime) -> Target | None:
    """The first target of the case still to be met, if any is left."""
    pending = []
    if case.acknowledged_at is None and case.acknowledge_by is not None:
        pending.append(("acknowledge", case.acknowledge_by))
    if (case.kind == CaseKind.MEMBER_ENQUIRY and case.answered_at is None
            and case.due_at is not None):
        pending.append(("answer", case.due_at))
    if not pending:
        return None
    what, by = min(pending, key=lambda item: item[1])
    return Target(what, by, by < moment)


def urgency(timed: tuple[Timing, Target | None]) -> tuple[int, datetime, int,
                                                          datetime]:
    """Sort key: cases with a target first, soonest first, then by priority."""
    case, target = timed
    rank = PRIORITY_RANK[case.priority]
    if target is None:
        return (1, case.created_at, rank, case.created_at)
    return (0, target.by, rank, case.created_at)


def overdue_filter(moment: datetime) -> Q:
    """Open cases past a target they have not met, as a query."""
    return (Q(acknowledged_at__isnull=True, acknowledge_by__lt=moment)
            | Q(kind=CaseKind.MEMBER_ENQUIRY, answered_at__isnull=True,
                due_at__lt=moment))


async def hub_queue(user: User, wanted: QueueFilter, moment: datetime,
                    limit: int = QUEUE_LIMIT) -> Queue:
    """Open cases that need the hub: not with a department, or reopened."""
    cases = Case.filter(status__in=list(OPEN)).filter(
        Q(department_id__isnull=True) | Q(status=Status.REOPENED))
    cases = _narrowed(cases, user, wanted, moment)
    return await _ordered(cases, moment, limit)


async def department_queue(department_id: int, moment: datetime,
                           limit: int = QUEUE_LIMIT) -> Queue:
    """A department's open cases, overdue first."""
    cases = Case.filter(status__in=list(OPEN), department_id=department_id)
    return await _ordered(cases, moment, limit)


def _narrowed(cases: QuerySet[Case], user: User, wanted: QueueFilter,
              moment: datetime) -> QuerySet[Case]:
    if wanted.channel is not None:
        cases = cases.filter(channel=wanted.channel)
    if wanted.status is not None:
        cases = cases.filter(status=wanted.status)
    if wanted.unsorted:
        cases = cases.filter(category_id__isnull=True)
    elif wanted.category_id is not None:
        cases = cases.filter(category_id=wanted.category_id)
    if wanted.who == Who.MINE:
        cases = cases.filter(assigned_to_id=user.id)
    elif wanted.who == Who.UNASSIGNED:
        cases = cases.filter(assigned_to_id__isnull=True)
    if wanted.overdue:
        cases = cases.filter(overdue_filter(moment))
    words = wanted.search.strip()
    if words:
        cases = cases.filter(
            Q(reference__icontains=words) | Q(description__icontains=words)
            | Q(address__icontains=words) | Q(constituent_name__icontains=words))
    return cases


async def _ordered(cases: QuerySet[Case], moment: datetime, limit: int) -> Queue:
    """The most urgent `limit` cases in full, ranked from the timings of all.

    Every match is ranked from a few columns, and only the cases shown are
    read whole, so a long queue on a bad day stays quick to draw.
    """
    timings = [Timing(*row) for row in await cases.values_list(*Timing._fields)]
    ranked = sorted(((timing, next_target(timing, moment)) for timing in timings),
                    key=urgency)
    overdue = sum(1 for _, target in ranked if target and target.overdue)

    shown = ranked[:limit]
    found = {case.id: case for case in await Case.filter(
        id__in=[timing.id for timing, _ in shown]).select_related(*RELATED)}
    entries = [Entry(found[timing.id], target) for timing, target in shown
               if timing.id in found]
    return Queue(entries, len(ranked), overdue)


@dataclass(frozen=True)
class Escalation:
    case: Case
    at: datetime
    reasons: list[str]


async def escalations() -> list[Escalation]:
    """Open escalated cases with the reasons they were escalated, oldest first."""
    cases = await Case.filter(status__in=list(OPEN),
                              escalated_at__isnull=False).select_related(*RELATED)
    events = await CaseEvent.filter(
        case_id__in=[case.id for case in cases], kind=EventKind.ESCALATED,
    ).order_by("created_at")
    reasons = {str(event.case_id): list(event.data.get("reasons", []))
               for event in events}
    found = [Escalation(case, case.escalated_at, reasons.get(str(case.id), []))
             for case in cases if case.escalated_at is not None]
    found.sort(key=lambda escalation: escalation.at)
    return found


async def unmatched_mail() -> int:
    """Emails to the members' mailbox no one could put on a case."""
    return await MailMessage.filter(direction=MailDirection.IN,
                                    state=MailState.UNMATCHED).count()
