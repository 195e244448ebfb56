"""Staff sign-in, and the case actions the hub and departments take."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from quart import Blueprint, session
from quart_schema import tag, validate_querystring, validate_request, validate_response

from server import casework
from server.auth import (
    check_attempts,
    client_address,
    current_staff,
    password_matches,
    record_failure,
    start_session,
)
from server.errors import ApiError
from server.models import Case, CaseEvent, Department, Role, Status, User
from sync.errors import Rejected
from sync.feed import Writer, write_transaction

blueprint = Blueprint("staff", __name__)

SIGN_IN_LIMIT = 10
SIGN_IN_MINUTES = 15
REJECTION_STATUS = {"not_allowed": 403, "case_not_found": 404}


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
    category_id: int | None
    department_id: int | None
    member_id: int | None
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
    note: str | None = Field(default=None, max_length=5000)


class TextEntry(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class HandOff(BaseModel):
    department_id: int
    note: str | None = Field(default=None, max_length=5000)


@blueprint.post("/api/staff/session")
@tag(["staff"])
@validate_request(SignIn)
@validate_response(StaffOut, 200)
async def sign_in(data: SignIn) -> StaffOut:
    """Sign in as staff; the session cookie carries the sign-in."""
    address = client_address()
    await check_attempts("staff", address, SIGN_IN_LIMIT, SIGN_IN_MINUTES)
    user = await User.get_or_none(email=data.email.strip().lower(), active=True)
    if (user is None or user.role == Role.MEMBER
            or not password_matches(user.password_hash, data.password)):
        await record_failure("staff", address)
        raise ApiError(401, "wrong_credentials",
                       "That email address and password do not match a staff "
                       "account.", field="password")
    start_session(user)
    return _staff_out(user)


@blueprint.delete("/api/staff/session")
@tag(["staff"])
async def sign_out() -> tuple[str, int]:
    """Sign out of the staff session."""
    session.clear()
    return "", 204


@blueprint.get("/api/staff/me")
@tag(["staff"])
@validate_response(StaffOut, 200)
async def staff_me() -> StaffOut:
    """The signed-in member of staff."""
    return _staff_out(await current_staff())


@blueprint.get("/api/staff/cases")
@tag(["staff"])
@validate_querystring(CaseQuery)
@validate_response(CaseList, 200)
async def list_cases(query_args: CaseQuery) -> CaseList:
    """Cases this member of staff may see, most recently changed first."""
    user = await current_staff(Role.HUB_AGENT, Role.HUB_SUPERVISOR, Role.ADMIN,
                               Role.DEPARTMENT_OFFICER)
    cases = Case.all()
    if user.role == Role.DEPARTMENT_OFFICER:
        cases = cases.filter(department_id=user.department_id)
    if query_args.status is not None:
        cases = cases.filter(status=query_args.status)
    found = await cases.order_by("-updated_at").limit(query_args.limit)
    return CaseList(cases=[_summary(case) for case in found])


@blueprint.get("/api/staff/cases/<reference>")
@tag(["staff"])
@validate_response(CaseDetail, 200)
async def show_case(reference: str) -> CaseDetail:
    """One case with its whole timeline, internal notes included."""
    user = await current_staff()
    case = await _case_for(user, reference)
    events = await CaseEvent.filter(case_id=case.id).order_by("version", "created_at")
    return CaseDetail(
        **_summary(case).model_dump(),
        answers=case.answers,
        events=[EventOut(id=str(e.id), kind=e.kind.value, author_id=e.author_id,
                         data=e.data, created_at=e.created_at) for e in events],
    )


@blueprint.post("/api/staff/cases/<reference>/status")
@tag(["staff"])
@validate_request(StatusChange)
@validate_response(CaseSummary, 200)
async def change_status(reference: str, data: StatusChange) -> CaseSummary:
    """Move a case to a new status; the member's phone hears of it on sync."""
    return await _act(reference, lambda writer, case, user: casework.change_status(
        writer, case, user, data.status, data.note))


@blueprint.post("/api/staff/cases/<reference>/replies")
@tag(["staff"])
@validate_request(TextEntry)
@validate_response(CaseSummary, 200)
async def reply(reference: str, data: TextEntry) -> CaseSummary:
    """A written answer to the member."""
    return await _act(reference, lambda writer, case, user: casework.reply(
        writer, case, user, data.text))


@blueprint.post("/api/staff/cases/<reference>/internal-notes")
@tag(["staff"])
@validate_request(TextEntry)
@validate_response(CaseSummary, 200)
async def internal_note(reference: str, data: TextEntry) -> CaseSummary:
    """A note only staff see."""
    return await _act(reference, lambda writer, case, user: casework.internal_note(
        writer, case, user, data.text))


@blueprint.post("/api/staff/cases/<reference>/handoff")
@tag(["staff"])
@validate_request(HandOff)
@validate_response(CaseSummary, 200)
async def hand_off(reference: str, data: HandOff) -> CaseSummary:
    """Give a case to a department."""
    department = await Department.get_or_none(id=data.department_id)
    if department is None:
        raise ApiError(422, "unknown_department",
                       f"There is no department {data.department_id}.",
                       field="department_id")
    return await _act(reference, lambda writer, case, user: casework.hand_off(
        writer, case, user, department, data.note))


Action = Callable[[Writer, Case, User], Awaitable[object]]


async def _act(reference: str, action: Action) -> CaseSummary:
    user = await current_staff()
    found = await _case_for(user, reference)
    try:
        async with write_transaction() as writer:
            case = await Case.select_for_update().get(id=found.id)
            await action(writer, case, user)
    except Rejected as rejected:
        raise ApiError(REJECTION_STATUS.get(rejected.code, 409), rejected.code,
                       rejected.detail, rejected.field) from None
    return _summary(await Case.get(id=found.id))


async def _case_for(user: User, reference: str) -> Case:
    case = await Case.get_or_none(reference=reference.upper())
    if case is None or not casework.can_see(user, case):
        raise ApiError(404, "case_not_found", f"There is no case {reference}.")
    return case


def _summary(case: Case) -> CaseSummary:
    return CaseSummary(
        id=str(case.id), reference=case.reference, status=case.status.value,
        priority=case.priority.value, kind=case.kind.value,
        category_id=case.category_id, department_id=case.department_id,
        member_id=case.member_id, description=case.description,
        created_at=case.created_at, updated_at=case.updated_at,
    )


def _staff_out(user: User) -> StaffOut:
    return StaffOut(id=user.id, name=user.name, email=user.email,
                    role=user.role.value, department_id=user.department_id)
