"""Where an incoming email belongs: which case, and as what.

A department's answer is known by its sender (a department's address) or
by its threading (it answers a hand-off email); its case by the threading,
the reply address or the reference in the subject, and only a case once
handed to that department. A member's email joins one of their open cases
named the same ways, or else opens a new case. Everything else, and every
automatic message, waits for the hub.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from server.casework import FINISHED
from server.hub.models import Handoff
from server.mail import addresses, outbox, parsing
from server.mail.models import MailMessage
from server.mail.parsing import Incoming
from server.models import Case, Department, Role, User


class Kind(StrEnum):
    REPLY = "reply"
    NOTE = "note"
    NEW_CASE = "new_case"
    UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Placement:
    kind: Kind
    case: Case | None = None
    department: Department | None = None
    member: User | None = None
    # Why the hub must sort it, for an unmatched message.
    reason: str | None = None
    # The finished case a member's email named, when it opened a new one.
    follows: str | None = None


def unmatched(reason: str, department: Department | None = None) -> Placement:
    return Placement(Kind.UNMATCHED, department=department, reason=reason)


async def place(incoming: Incoming, recipients: Iterable[str]) -> Placement:
    if incoming.automatic:
        return unmatched("an automatic message: an out-of-office, a bounce or a "
                         "mailing list")
    if not incoming.sender:
        return unmatched("it gives no sender address")
    if incoming.sender == outbox.sender.address:
        return unmatched("it claims to come from casehub's own address")

    parent = await _answered(incoming.thread)
    department = await Department.get_or_none(email__iexact=incoming.sender)
    if department is None and parent is not None and parent.department_id:
        department = await Department.get_or_none(id=parent.department_id)
    if department is not None:
        return await _department_answer(incoming, recipients, parent, department)

    member = await User.get_or_none(email__iexact=incoming.sender,
                                    role=Role.MEMBER, active=True)
    if member is not None:
        return await _member_email(incoming, recipients, parent, member)
    return unmatched("the sender is not a member or a department casehub knows")


async def _department_answer(incoming: Incoming, recipients: Iterable[str],
                             parent: MailMessage | None,
                             department: Department) -> Placement:
    case = await _case_of(parent)
    if case is None:
        case = await _named_case(incoming, recipients)
    if case is None:
        return unmatched(f"it is from {department.name} but names no case",
                         department=department)
    handed = await Handoff.exists(case_id=case.id, department_id=department.id)
    if not handed:
        return unmatched(f"it is from {department.name} about {case.reference}, "
                         "which was never handed to it", department=department)
    return Placement(Kind.REPLY, case=case, department=department)


async def _member_email(incoming: Incoming, recipients: Iterable[str],
                        parent: MailMessage | None, member: User) -> Placement:
    case = await _case_of(parent)
    if case is None or case.member_id != member.id:
        case = await _named_case(incoming, recipients, member)
    if case is None:
        return Placement(Kind.NEW_CASE, member=member)
    if case.status in FINISHED:
        return Placement(Kind.NEW_CASE, member=member, follows=case.reference)
    return Placement(Kind.NOTE, case=case, member=member)


async def _answered(thread: tuple[str, ...]) -> MailMessage | None:
    """The message casehub holds that this one answers, nearest first."""
    if not thread:
        return None
    found = {row.message_id: row
             for row in await MailMessage.filter(message_id__in=list(thread))}
    for message_id in thread:
        if message_id in found:
            return found[message_id]
    return None


async def _case_of(parent: MailMessage | None) -> Case | None:
    if parent is None or parent.case_id is None:
        return None
    return await Case.get_or_none(id=parent.case_id)


async def _named_case(incoming: Incoming, recipients: Iterable[str],
                      member: User | None = None) -> Case | None:
    """The first case named by a reply address or the subject that exists.

    For a member, only one of their own cases counts.
    """
    named = [addresses.reference_in(recipient) for recipient in recipients]
    named += parsing.references(incoming.subject)
    for reference in dict.fromkeys(ref for ref in named if ref):
        case = await Case.get_or_none(reference=reference)
        if case is not None and (member is None or case.member_id == member.id):
            return case
    return None
