"""Hand-made hub history for the dashboard's tests: contacts and cases at set times.

Every time is given in council time (Europe/London) and stored in UTC, as the
server stores it.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.hub.models import Contact, Handoff
from server.models import Case, CaseKind, Channel, Department, Status, User

LONDON = ZoneInfo("Europe/London")
_references = itertools.count(1)


def local(text: str) -> datetime:
    """A council-time moment such as '2026-07-01 09:30', in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def contact(at: datetime, channel: Channel = Channel.PHONE,
                  member: User | None = None, case: Case | None = None) -> Contact:
    return await Contact.create(channel=channel, at=at,
                                member_id=member.id if member else None,
                                case_id=case.id if case else None,
                                summary="Asked about a case")


async def case(created: datetime, member: User | None = None,
               status: Status = Status.SUBMITTED,
               kind: CaseKind = CaseKind.SERVICE_REQUEST, **times: Any) -> Case:
    """A case as the hub left it: its targets and when they were met."""
    return await Case.create(
        id=uuid.uuid4(), reference=f"CH-9{next(_references):05d}",
        member_id=member.id if member else None, kind=kind,
        description="Bins not lifted", status=status, channel=Channel.APP,
        created_at=created, updated_at=created, **times,
    )


async def handoff(at: datetime, case_: Case, department: Department) -> Handoff:
    return await Handoff.create(case_id=case_.id, department_id=department.id,
                                at=at, by_email=not department.uses_casehub)
