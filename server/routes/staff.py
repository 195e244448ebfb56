"""Staff sign-in, and the case actions the hub and departments take."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

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
from server.hub import actions, calls, live
from server.hub import queue as hub_queue
from server.hub.actions import Triage
from server.hub.models import Contact
from server.hub.queue import QueueFilter
from server.models import Case, CaseEvent, Department, Role, User
from server.routes.case_access import on_case, visible_case
from server.routes.nav import HUB
from server.routes.staff_schemas import (
    Assignee,
    CallIn,
    CallList,
    CallOut,
    CaseDetail,
    CaseList,
    CaseQuery,
    CaseSummary,
    DetailsPatch,
    DuplicateOf,
    EventOut,
    HandOff,
    Nearby,
    NearbyList,
    QueueOut,
    QueueQuery,
    SignIn,
    StaffOut,
    StatusChange,
    TemplateList,
    TemplateOut,
    TextEntry,
    call_of,
    new_case_of,
    queued_of,
    staff_of,
    summary_of,
)
from sync.errors import Rejected
from sync.feed import Writer, write_transaction

blueprint = Blueprint("staff", __name__)

SIGN_IN_LIMIT = 10
SIGN_IN_MINUTES = 15
# Refusals about what was sent are 422; about the case's state, 409.
REJECTION_STATUS = {
    "not_allowed": 403,
    "case_not_found": 404,
    "unknown_category": 422,
    "unknown_answer": 422,
    "answer_required": 422,
    "answer_not_an_option": 422,
    "not_a_member": 422,
    "not_an_assignee": 422,
    "same_case": 422,
}


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
    return staff_of(user)


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
    return staff_of(await current_staff())


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
    return CaseList(cases=[summary_of(case) for case in found])


@blueprint.get("/api/staff/queue")
@tag(["staff"])
@validate_querystring(QueueQuery)
@validate_response(QueueOut, 200)
async def queue(query_args: QueueQuery) -> QueueOut:
    """Open cases that need the hub, the most urgent target first."""
    user = await current_staff(*HUB)
    wanted = QueueFilter(
        channel=query_args.channel, status=query_args.status,
        category_id=query_args.category_id, unsorted=query_args.unsorted,
        who=query_args.who, overdue=query_args.overdue, search=query_args.q)
    version = await live.feed_version()
    found = await hub_queue.hub_queue(user, wanted, datetime.now(UTC),
                                      query_args.limit)
    return QueueOut(cases=[queued_of(entry) for entry in found.entries],
                    total=found.total, overdue=found.overdue,
                    unmatched_mail=await hub_queue.unmatched_mail(),
                    version=version)


@blueprint.get("/api/staff/cases/<reference>")
@tag(["staff"])
@validate_response(CaseDetail, 200)
async def show_case(reference: str) -> CaseDetail:
    """One case with its whole timeline, internal notes included."""
    user = await current_staff()
    case = await visible_case(user, reference)
    events = await CaseEvent.filter(case_id=case.id).order_by("version", "created_at")
    return CaseDetail(
        **summary_of(case).model_dump(),
        answers=case.answers,
        events=[EventOut(id=str(e.id), kind=e.kind.value, author_id=e.author_id,
                         data=e.data, created_at=e.created_at) for e in events],
    )


@blueprint.patch("/api/staff/cases/<reference>")
@tag(["staff"])
@validate_request(DetailsPatch)
@validate_response(CaseSummary, 200)
async def change_details(reference: str, data: DetailsPatch) -> CaseSummary:
    """Set a case's category, priority or kind; its targets follow."""
    triage = Triage(category_id=data.category_id, priority=data.priority,
                    kind=data.kind)
    return await _act(reference, lambda writer, case, user: actions.update_details(
        writer, case, user, triage))


@blueprint.put("/api/staff/cases/<reference>/assignee")
@tag(["staff"])
@validate_request(Assignee)
@validate_response(CaseSummary, 200)
async def assign(reference: str, data: Assignee) -> CaseSummary:
    """Give the case to a person, or to nobody with `null`."""
    assignee = None
    if data.assignee_id is not None:
        assignee = await User.get_or_none(id=data.assignee_id)
        if assignee is None:
            raise ApiError(422, "unknown_assignee",
                           f"There is no user {data.assignee_id}.",
                           field="assignee_id")
    return await _act(reference, lambda writer, case, user: actions.assign(
        writer, case, user, assignee))


@blueprint.post("/api/staff/cases/<reference>/take")
@tag(["staff"])
@validate_response(CaseSummary, 200)
async def take(reference: str) -> CaseSummary:
    """Take the case yourself; `409 already_taken` if someone else has it."""
    return await _act(reference, lambda writer, case, user: actions.assign(
        writer, case, user, user, take=True))


@blueprint.post("/api/staff/cases/<reference>/duplicate-of")
@tag(["staff"])
@validate_request(DuplicateOf)
@validate_response(CaseSummary, 200)
async def duplicate_of(reference: str, data: DuplicateOf) -> CaseSummary:
    """Mark the case as the same issue as another, the original."""
    user = await current_staff()
    original = await Case.get_or_none(reference=data.original.strip().upper())
    if original is None or not casework.can_see(user, original):
        raise ApiError(404, "original_not_found",
                       f"There is no case {data.original}.", field="original")
    return await _act(reference, lambda writer, case, user: actions.link_duplicate(
        writer, case, user, original))


@blueprint.get("/api/staff/cases/<reference>/nearby")
@tag(["staff"])
@validate_response(NearbyList, 200)
async def nearby(reference: str) -> NearbyList:
    """Open cases of the same category close by and recent: likely duplicates."""
    user = await current_staff(*HUB)
    case = await visible_case(user, reference)
    found = await actions.nearby_duplicates(case)
    return NearbyList(cases=[
        Nearby(reference=other.reference, description=other.description,
               status=other.status.value, metres=_metres(case, other))
        for other in found])


@blueprint.get("/api/staff/cases/<reference>/templates")
@tag(["staff"])
@validate_response(TemplateList, 200)
async def templates(reference: str) -> TemplateList:
    """The response templates that fit the case, filled in for it."""
    user = await current_staff()
    case = await visible_case(user, reference)
    return TemplateList(templates=[
        TemplateOut(id=template.id, name=template.name,
                    category_id=template.category_id, text=text)
        for template, text in await actions.filled_templates(case)])


@blueprint.post("/api/staff/calls")
@tag(["staff"])
@validate_request(CallIn)
@validate_response(CallOut, 201)
async def log_call(data: CallIn) -> tuple[CallOut, int]:
    """Log a call to the members' line: about a case, raising one, or neither."""
    user = await current_staff(*HUB)
    if data.case_reference and data.new_case:
        raise ApiError(422, "invalid_field", "Give case_reference or new_case, "
                       "not both.", field="new_case")
    member = await User.get_or_none(id=data.member_id, role=Role.MEMBER)
    if member is None:
        raise ApiError(404, "member_not_found",
                       f"There is no member {data.member_id}.", field="member_id")
    case = None
    if data.case_reference:
        case = await Case.get_or_none(reference=data.case_reference.strip().upper())
        if case is None:
            raise ApiError(404, "case_not_found",
                           f"There is no case {data.case_reference}.",
                           field="case_reference")

    try:
        async with write_transaction() as writer:
            contact, case = await _call(writer, user, member, data, case)
    except Rejected as rejected:
        raise _problem(rejected) from None
    return call_of(contact, case.reference if case else None), 201


async def _call(writer: Writer, user: User, member: User, data: CallIn,
                case: Case | None) -> tuple[Contact, Case | None]:
    if data.new_case is not None:
        raised = await calls.raise_from_call(writer, user, member,
                                             new_case_of(data.new_case),
                                             data.summary, data.notes)
        contact = await Contact.filter(case_id=raised.id).using_db(
            writer.connection).get()
        return contact, raised
    if case is not None:
        case = await Case.select_for_update().get(id=case.id)
    contact = await actions.log_call(writer, user, member, data.summary,
                                     data.notes, case)
    return contact, case


@blueprint.get("/api/staff/calls")
@tag(["staff"])
@validate_response(CallList, 200)
async def todays_calls() -> CallList:
    """The calls logged today, latest first."""
    await current_staff(*HUB)
    found = await calls.calls_on(datetime.now(UTC))
    return CallList(calls=[
        call_of(contact, contact.case.reference if contact.case else None)
        for contact in found])


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
    found = await visible_case(user, reference)
    try:
        await on_case(found, lambda writer, case: action(writer, case, user))
    except Rejected as rejected:
        raise _problem(rejected) from None
    return summary_of(await Case.get(id=found.id))


def _problem(rejected: Rejected) -> ApiError:
    return ApiError(REJECTION_STATUS.get(rejected.code, 409), rejected.code,
                    rejected.detail, rejected.field)


def _metres(case: Case, other: Case) -> float | None:
    metres = actions.metres_between(case, other)
    return None if metres == float("inf") else round(metres, 1)
