"""The shapes of the staff API's requests and answers, and how the models
become them.

Length limits match the database's columns, so a long value is a 422 that
names the field rather than a failure deeper down.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from server.casework import Constituent, Location, NewCase
from server.hub import queue as hub_queue
from server.hub.models import Contact
from server.hub.queue import Who
from server.ids import RowId
from server.models import Case, CaseKind, Channel, Priority, Status, User

TEXT = 5000


class SignIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class StaffOut(BaseModel):
    id: int
    name: str
    email: str
    role: str
    department_id: int | None


class CaseSummary(BaseModel):
    id: str
    reference: str
    status: str
    priority: str
    kind: str
    channel: str
    category_id: int | None
    department_id: int | None
    member_id: int | None
    assigned_to_id: int | None
    description: str
    created_at: datetime
    updated_at: datetime


class CaseList(BaseModel):
    cases: list[CaseSummary]


class CaseQuery(BaseModel):
    status: Status | None = None
    limit: int = Field(default=50, ge=1, le=500)


class EventOut(BaseModel):
    id: str
    kind: str
    author_id: int | None
    data: dict[str, Any]
    created_at: datetime


class CaseDetail(CaseSummary):
    answers: dict[str, Any]
    events: list[EventOut]


class StatusChange(BaseModel):
    status: Status
    note: str | None = Field(default=None, max_length=TEXT)


class TextEntry(BaseModel):
    text: str = Field(min_length=1, max_length=TEXT)


class HandOff(BaseModel):
    department_id: RowId
    note: str | None = Field(default=None, max_length=TEXT)


class DetailsPatch(BaseModel):
    """Only the fields given change."""

    category_id: RowId | None = None
    priority: Priority | None = None
    kind: CaseKind | None = None


class Assignee(BaseModel):
    assignee_id: RowId | None = Field(description="A person, or null for nobody.")


class DuplicateOf(BaseModel):
    original: str = Field(min_length=1, max_length=16,
                          description="The reference of the original case.")


class QueueQuery(BaseModel):
    channel: Channel | None = None
    status: Status | None = None
    category_id: RowId | None = None
    unsorted: bool = Field(default=False,
                           description="Only cases with no category yet.")
    who: Who = Who.ANYONE
    overdue: bool = False
    q: str = Field(default="", max_length=100,
                   description="Words in the reference, description or address.")
    limit: int = Field(default=200, ge=1, le=200)


class TargetOut(BaseModel):
    what: str = Field(description="acknowledge or answer")
    by: datetime
    overdue: bool


class QueueCase(CaseSummary):
    category: str | None
    member: str | None
    ward: str | None
    assigned_to: str | None
    target: TargetOut | None


class QueueOut(BaseModel):
    cases: list[QueueCase]
    total: int = Field(description="How many cases match, shown or not.")
    overdue: int
    unmatched_mail: int
    version: int = Field(description="The feed's version the list was read at.")


class Nearby(BaseModel):
    reference: str
    description: str
    status: str
    metres: float | None


class NearbyList(BaseModel):
    cases: list[Nearby]


class TemplateOut(BaseModel):
    id: int
    name: str
    category_id: int | None
    text: str = Field(description="The template filled in for this case.")


class TemplateList(BaseModel):
    templates: list[TemplateOut]


class ConstituentIn(BaseModel):
    name: str | None = Field(default=None, max_length=120)
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)


class PhonedCase(BaseModel):
    """A case the member asked for on the call."""

    category_id: RowId
    kind: CaseKind = CaseKind.SERVICE_REQUEST
    description: str = Field(min_length=1, max_length=TEXT)
    answers: dict[str, Any] = Field(default_factory=dict)
    address: str | None = Field(default=None, max_length=300)
    constituent: ConstituentIn = Field(default_factory=ConstituentIn)
    priority: Priority = Priority.NORMAL


class CallIn(BaseModel):
    """A call to the members' line: about a case, raising one, or neither."""

    member_id: RowId
    summary: str = Field(min_length=1, max_length=300)
    notes: str | None = Field(default=None, max_length=TEXT)
    case_reference: str | None = Field(default=None, max_length=16)
    new_case: PhonedCase | None = None


class CallOut(BaseModel):
    id: int
    at: datetime
    member_id: int | None
    agent_id: int | None
    summary: str
    notes: str | None
    case_reference: str | None


class CallList(BaseModel):
    calls: list[CallOut]


# From the models to the answers.

def new_case_of(new: PhonedCase) -> NewCase:
    return NewCase(
        id=uuid.uuid4(), kind=new.kind, category_id=new.category_id,
        description=new.description, answers=new.answers,
        constituent=Constituent(name=new.constituent.name,
                                address=new.constituent.address,
                                phone=new.constituent.phone,
                                email=new.constituent.email),
        location=Location(address=new.address), priority=new.priority)


def summary_of(case: Case) -> CaseSummary:
    return CaseSummary(
        id=str(case.id), reference=case.reference, status=case.status.value,
        priority=case.priority.value, kind=case.kind.value,
        channel=str(case.channel), category_id=case.category_id,
        department_id=case.department_id, member_id=case.member_id,
        assigned_to_id=case.assigned_to_id, description=case.description,
        created_at=case.created_at, updated_at=case.updated_at,
    )


def queued_of(entry: hub_queue.Entry) -> QueueCase:
    case = entry.case
    target = entry.target
    member = case.member
    return QueueCase(
        **summary_of(case).model_dump(),
        category=case.category.name if case.category else None,
        member=member.name if member else None,
        ward=member.ward.name if member and member.ward else None,
        assigned_to=case.assigned_to.name if case.assigned_to else None,
        target=TargetOut(what=target.what, by=target.by, overdue=target.overdue)
        if target else None,
    )


def call_of(contact: Contact, reference: str | None) -> CallOut:
    return CallOut(id=contact.id, at=contact.at, member_id=contact.member_id,
                   agent_id=contact.agent_id, summary=contact.summary,
                   notes=contact.notes, case_reference=reference)


def staff_of(user: User) -> StaffOut:
    return StaffOut(id=user.id, name=user.name, email=user.email,
                    role=user.role.value, department_id=user.department_id)
