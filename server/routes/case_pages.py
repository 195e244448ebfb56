"""The case page and its forms: triage, take and assign, hand-off, replies,
notes, status, duplicates and calls.

Every form posts to its own address. Done, it sends the browser back to the
case with a message saying what happened; refused, it draws the case again
with the values sent and a message on the field at fault.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from quart import Blueprint, flash, redirect, request, url_for
from quart_schema import hide
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers.response import Response as Redirect

from server import casework
from server.auth import current_staff
from server.csrf import check_csrf
from server.hub import actions
from server.hub.actions import Triage
from server.models import (
    Case,
    CaseKind,
    Department,
    Priority,
    Role,
    Status,
    User,
)
from server.routes.case_access import on_case, visible_case
from server.routes.case_view import case_context
from server.routes.forms import FormProblem, Reader, from_rejection
from server.routes.rendering import page, serve_pages, words
from sync.errors import Rejected

blueprint = Blueprint("case_pages", __name__)
serve_pages(blueprint)

TEXT_LENGTH = 5000
SUMMARY_LENGTH = 300
CASE = "/staff/cases/<reference>"

Work = Callable[[Reader, User, Case], Awaitable[str]]


@blueprint.get(CASE)
@hide
async def case_page(reference: str) -> tuple[str, int]:
    """The case; `?template=ID` puts that template's text in the reply box."""
    user = await current_staff()
    case = await visible_case(user, reference)
    template = request.args.get("template", "")
    chosen = int(template) if template.isdecimal() and len(template) < 10 else None
    return await _draw(user, case, None, chosen)


async def _draw(user: User, case: Case, problem: FormProblem | None,
                template_id: int | None = None) -> tuple[str, int]:
    context = await case_context(case, user, template_id)
    return await page("case.html", user, problem.status if problem else 200,
                      problem=problem, **context)


async def _handle(reference: str, form: str, work: Work,
                  fields: dict[str, str] | None = None,
                  ) -> Redirect | tuple[str, int]:
    """Run a form's work, then show the case with a message or the problem.

    `fields` renames the fields the rules blame to the form's own.
    """
    await check_csrf()
    user = await current_staff()
    case = await visible_case(user, reference)
    values = await request.form

    try:
        notice = await work(Reader(values, form), user, case)
    except FormProblem as problem:
        problem.form = form
        return await _again(user, case, problem, values)
    except Rejected as rejected:
        return await _again(user, case, from_rejection(rejected, form, fields),
                            values)
    await flash(notice)
    return redirect(url_for("case_pages.case_page", reference=case.reference))


async def _again(user: User, case: Case, problem: FormProblem,
                 values: MultiDict[str, str]) -> tuple[str, int]:
    """The case as it now stands, with the form that failed as it was sent."""
    problem.values = {name: values.get(name, "") for name in values}
    return await _draw(user, await Case.get(id=case.id), problem)


def _hub_only(read: Reader, user: User) -> None:
    if not user.is_hub:
        raise read.error("", "Only hub staff may do that.", 403)


@blueprint.post(f"{CASE}/take")
@hide
async def take(reference: str) -> Redirect | tuple[str, int]:
    async def work(read: Reader, user: User, case: Case) -> str:
        await on_case(case, lambda writer, locked: actions.assign(
            writer, locked, user, user, take=True))
        return f"You have taken case {case.reference}."

    return await _handle(reference, "take", work, {"assignee_id": ""})


@blueprint.post(f"{CASE}/assign")
@hide
async def assign(reference: str) -> Redirect | tuple[str, int]:
    async def work(read: Reader, user: User, case: Case) -> str:
        assignee_id = read.optional_id("assignee_id", "who should have it")
        assignee = None
        if assignee_id is not None:
            assignee = await User.get_or_none(id=assignee_id)
            if assignee is None:
                raise read.error("assignee_id", "Choose who should have it from "
                                 "the list.")
        changed = await on_case(case, lambda writer, locked: actions.assign(
            writer, locked, user, assignee))
        name = assignee.name if assignee else "nobody"
        if changed is None:
            return f"Case {case.reference} was already with {name}."
        return f"Case {case.reference} is now with {name}."

    return await _handle(reference, "assign", work)


@blueprint.post(f"{CASE}/details")
@hide
async def details(reference: str) -> Redirect | tuple[str, int]:
    async def work(read: Reader, user: User, case: Case) -> str:
        _hub_only(read, user)
        triage = Triage(
            category_id=read.optional_id("category_id", "a category"),
            priority=read.choice("priority", "a priority", Priority),
            kind=read.choice("kind", "the kind of case", CaseKind),
        )
        changed = await on_case(case, lambda writer, locked: actions.update_details(
            writer, locked, user, triage))
        if changed is None:
            return f"Nothing changed: case {case.reference} already had those details."
        return f"The details of case {case.reference} are saved."

    return await _handle(reference, "details", work)


@blueprint.post(f"{CASE}/handoff")
@hide
async def hand_off(reference: str) -> Redirect | tuple[str, int]:
    async def work(read: Reader, user: User, case: Case) -> str:
        _hub_only(read, user)
        department_id = read.required_id("department_id", "a department")
        note = read.optional_text("note", "the note", limit=TEXT_LENGTH)
        department = await Department.get_or_none(id=department_id)
        if department is None:
            raise read.error("department_id", "Choose a department from the "
                             "list.")
        await on_case(case, lambda writer, locked: casework.hand_off(
            writer, locked, user, department, note))
        how = " by email" if not department.uses_casehub else ""
        return f"Case {case.reference} was handed to {department.name}{how}."

    return await _handle(reference, "handoff", work)


@blueprint.post(f"{CASE}/reply")
@hide
async def reply(reference: str) -> Redirect | tuple[str, int]:
    async def work(read: Reader, user: User, case: Case) -> str:
        text = read.text("text", "the reply", limit=TEXT_LENGTH, required=True)
        await on_case(case, lambda writer, locked: casework.reply(
            writer, locked, user, text))
        return f"Your reply on case {case.reference} was sent to the member."

    return await _handle(reference, "reply", work)


@blueprint.post(f"{CASE}/note")
@hide
async def internal_note(reference: str) -> Redirect | tuple[str, int]:
    async def work(read: Reader, user: User, case: Case) -> str:
        text = read.text("text", "the note", limit=TEXT_LENGTH, required=True)
        await on_case(case, lambda writer, locked: casework.internal_note(
            writer, locked, user, text))
        return f"Your note is on case {case.reference}, for staff only."

    return await _handle(reference, "note", work)


@blueprint.post(f"{CASE}/status")
@hide
async def change_status(reference: str) -> Redirect | tuple[str, int]:
    async def work(read: Reader, user: User, case: Case) -> str:
        status = read.choice("status", "the new status", Status)
        note = read.optional_text("note", "the note", limit=TEXT_LENGTH)
        await on_case(case, lambda writer, locked: casework.change_status(
            writer, locked, user, status, note))
        return f"Case {case.reference} is now {words(status)}."

    return await _handle(reference, "status", work)


@blueprint.post(f"{CASE}/duplicate")
@hide
async def link_duplicate(reference: str) -> Redirect | tuple[str, int]:
    async def work(read: Reader, user: User, case: Case) -> str:
        _hub_only(read, user)
        typed = read.text("original", "the reference of the original case",
                          limit=16)
        chosen = typed or read.values.get("suggested", "").strip()
        if not chosen:
            raise read.error("original", "Choose a case it duplicates, or enter "
                             "the reference of the original, such as CH-000123.")
        original = await Case.get_or_none(reference=chosen.upper())
        if original is None:
            raise read.error("original", f"There is no case {chosen}; check the "
                             "reference, such as CH-000123.")
        await on_case(case, lambda writer, locked: actions.link_duplicate(
            writer, locked, user, original))
        return (f"Case {case.reference} is marked as a duplicate of "
                f"{original.reference}.")

    return await _handle(reference, "duplicate", work)


@blueprint.post(f"{CASE}/call")
@hide
async def log_call(reference: str) -> Redirect | tuple[str, int]:
    async def work(read: Reader, user: User, case: Case) -> str:
        _hub_only(read, user)
        member_id = read.optional_id("member_id", "the member who called")
        summary = read.text("summary", "what they called about",
                            limit=SUMMARY_LENGTH, required=True)
        notes = read.optional_text("notes", "the notes", limit=TEXT_LENGTH)
        member = None
        if member_id is not None:
            member = await User.get_or_none(id=member_id, role=Role.MEMBER)
            if member is None:
                raise read.error("member_id", "Choose the member who called from "
                                 "the list.")
        await on_case(case, lambda writer, locked: actions.log_call(
            writer, user, member, summary, notes, locked))
        return f"The call is logged on case {case.reference}."

    return await _handle(reference, "call", work)

