"""Calls to the members' line: finding the caller, raising a case, the day's log."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time

from tortoise.expressions import Q

from server import casework
from server.casework import NewCase
from server.hub.actions import check_hub
from server.hub.models import Contact
from server.models import Case, Channel, EventKind, Role, User
from server.workdays import calendar
from sync.errors import Rejected
from sync.feed import Writer

SUMMARY_LENGTH = 300


async def find_members(name: str = "", ward_id: int | None = None,
                       party_id: int | None = None) -> list[User]:
    """Active members whose name holds `name`, in a ward and party if given."""
    members = User.filter(role=Role.MEMBER, active=True)
    words = name.strip()
    if words:
        members = members.filter(Q(name__icontains=words)
                                 | Q(email__icontains=words))
    if ward_id is not None:
        members = members.filter(ward_id=ward_id)
    if party_id is not None:
        members = members.filter(party_id=party_id)
    return await members.select_related("ward", "party").order_by("name")


async def raise_from_call(writer: Writer, agent: User, member: User,
                          new: NewCase, summary: str,
                          notes: str | None = None) -> Case:
    """Raise the case a member asked for on the phone, as their call's contact.

    The call is the contact that opened the case, so it is counted once; its
    notes go on the case's timeline for staff.
    """
    check_hub(agent)
    if member.role != Role.MEMBER:
        raise Rejected("not_a_member", f"{member.name} is not a member.",
                       field="member_id")

    by_phone = replace(new, channel=Channel.PHONE, agent_id=agent.id)
    case = await casework.create_case(writer, member, by_phone, author=agent)
    await Contact.filter(case_id=case.id).using_db(writer.connection).update(
        summary=summary[:SUMMARY_LENGTH], notes=notes)
    await casework.add_event(writer, case, agent, EventKind.CONTACT, {
        "channel": Channel.PHONE.value, "summary": summary[:SUMMARY_LENGTH],
        "notes": notes, "member": member.name,
    })
    return case


async def calls_on(day_of: datetime) -> list[Contact]:
    """The calls logged on the council's calendar day of `day_of`, latest first."""
    local = day_of.astimezone(calendar.zone)
    start = datetime.combine(local.date(), time(0), calendar.zone)
    end = datetime.combine(local.date(), time(23, 59, 59, 999999), calendar.zone)
    return await Contact.filter(channel=Channel.PHONE, at__gte=start,
                                at__lte=end).select_related(
        "member", "case", "agent").order_by("-at")
