"""Which case changes a member hears about, called from casework."""

from __future__ import annotations

from server.models import Case, CaseEvent, Department, Status, User
from server.notifications.models import AlertKind
from server.notifications.outbox import enqueue
from sync.feed import Writer

STATUS_KINDS = {
    Status.ACKNOWLEDGED: AlertKind.ACKNOWLEDGED,
    Status.RESOLVED: AlertKind.RESOLVED,
    Status.CLOSED: AlertKind.CLOSED,
}


async def status_changed(writer: Writer, case: Case, actor: User, to: Status,
                         event: CaseEvent) -> None:
    if actor.id == case.member_id:
        return
    kind = STATUS_KINDS.get(to, AlertKind.STATUS)
    await enqueue(writer.connection, case.member_id, case.id, case.reference, kind,
                  str(event.id), {"to": to.value})


async def handed_off(writer: Writer, case: Case, department: Department,
                     event: CaseEvent) -> None:
    await enqueue(writer.connection, case.member_id, case.id, case.reference,
                  AlertKind.HANDOFF, str(event.id), {"department": department.name})


async def replied(writer: Writer, case: Case, author: User,
                  event: CaseEvent) -> None:
    sender = "the hub"
    if not author.is_hub and author.department_id is not None:
        department = await Department.get_or_none(id=author.department_id)
        sender = department.name if department else "the department"
    await enqueue(writer.connection, case.member_id, case.id, case.reference,
                  AlertKind.REPLY, str(event.id), {"from": sender})


async def department_replied(writer: Writer, case: Case, department: Department,
                             event: CaseEvent) -> None:
    """A reply a department outside casehub sent by email."""
    await enqueue(writer.connection, case.member_id, case.id, case.reference,
                  AlertKind.REPLY, str(event.id), {"from": department.name})
