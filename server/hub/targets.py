"""The hub's targets for a case, and whether they were met.

A case must be acknowledged within its category's working hours: the first
answer of any kind from staff (a status change, a hand-off, a reply) counts.
A member enquiry must also be answered in writing within its category's
working days. Both clocks start when the case reaches the hub.
"""

from __future__ import annotations

from datetime import datetime

from server.models import Case, CaseKind, Category, User
from server.reference import publish_category
from server.workdays import calendar
from sync.errors import Rejected
from sync.feed import Writer

# For a case the hub has not yet given a category.
DEFAULT_ACKNOWLEDGE_HOURS = 8
DEFAULT_ANSWER_DAYS = 10
# What a category may ask: up to a fortnight of working hours to acknowledge,
# up to three months of working days to answer.
MOST_ACKNOWLEDGE_HOURS = 100
MOST_ANSWER_DAYS = 65


def acknowledge_by(category: Category | None, arrived: datetime) -> datetime:
    hours = category.acknowledge_hours if category else DEFAULT_ACKNOWLEDGE_HOURS
    return calendar.add_working_hours(arrived, hours)


def answer_by(kind: CaseKind, category: Category | None,
              arrived: datetime) -> datetime | None:
    """When a written answer is due: only member enquiries have a due date."""
    if kind != CaseKind.MEMBER_ENQUIRY:
        return None
    days = category.answer_days if category else DEFAULT_ANSWER_DAYS
    return calendar.add_working_days(arrived, days)


def set_targets(case: Case, category: Category | None) -> None:
    """Work out both targets again, from when the case arrived."""
    case.acknowledge_by = acknowledge_by(category, case.created_at)
    case.due_at = answer_by(case.kind, category, case.created_at)


def note_response(case: Case, actor: User | None, moment: datetime,
                  written: bool = False) -> None:
    """Record the hub's first response, and its first written answer."""
    if actor is not None and actor.is_member:
        return
    if case.acknowledged_at is None:
        case.acknowledged_at = moment
        case.response_seconds, case.response_working_seconds = response_times(
            case.created_at, moment)
    if written and case.answered_at is None:
        case.answered_at = moment


def response_times(arrived: datetime, answered: datetime) -> tuple[int, int]:
    """Seconds from arrival to the first response: by the clock, and working."""
    clock = max(0, round((answered - arrived).total_seconds()))
    working = round(calendar.working_hours_between(arrived, answered) * 3600)
    return clock, working


def missed(case: Case, now: datetime) -> list[str]:
    """Which targets an open case has missed, in words for staff."""
    found = []
    if (case.acknowledged_at is None and case.acknowledge_by is not None
            and case.acknowledge_by < now):
        found.append("not acknowledged in time")
    if (case.kind == CaseKind.MEMBER_ENQUIRY and case.answered_at is None
            and case.due_at is not None and case.due_at < now):
        found.append("no written answer by the due date")
    return found


async def change_category_targets(writer: Writer, category: Category,
                                  acknowledge_hours: int,
                                  answer_days: int) -> bool:
    """Set a category's targets for the cases raised from now on.

    Cases already raised keep the targets they were given, so nobody's
    clock moves under them. The category goes on the feed for the phones.
    Returns whether anything changed.
    """
    if not 1 <= acknowledge_hours <= MOST_ACKNOWLEDGE_HOURS:
        raise Rejected(
            "target_out_of_range",
            f"Acknowledge within must be from 1 to {MOST_ACKNOWLEDGE_HOURS} "
            f"working hours; {acknowledge_hours} is outside that.",
            field="acknowledge_hours",
        )
    if not 1 <= answer_days <= MOST_ANSWER_DAYS:
        raise Rejected(
            "target_out_of_range",
            f"Answer within must be from 1 to {MOST_ANSWER_DAYS} working days; "
            f"{answer_days} is outside that.",
            field="answer_days",
        )
    if (category.acknowledge_hours, category.answer_days) == (acknowledge_hours,
                                                              answer_days):
        return False

    category.acknowledge_hours = acknowledge_hours
    category.answer_days = answer_days
    await category.save(update_fields=["acknowledge_hours", "answer_days"],
                        using_db=writer.connection)
    publish_category(writer, category)
    return True
