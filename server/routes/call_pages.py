"""Logging a call to the members' line, and raising the case it asks for.

The agent finds the member, notes what they called about, and either names
the case it was about, raises a new case for them there and then, or just
logs the call. The day's calls are listed below the form.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from quart import Blueprint, flash, redirect, request, url_for
from quart_schema import hide
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers.response import Response as Redirect

from server.auth import current_staff
from server.casework import Constituent, Location, NewCase
from server.csrf import check_csrf
from server.hub import actions, calls
from server.models import (
    Case,
    CaseKind,
    Category,
    Party,
    Priority,
    Role,
    User,
    Ward,
)
from server.routes.forms import FormProblem, Reader, from_rejection
from server.routes.nav import HUB
from server.routes.rendering import page, serve_pages
from sync.errors import Rejected
from sync.feed import write_transaction

blueprint = Blueprint("call_pages", __name__)
serve_pages(blueprint)

FORM = "call"
ABOUT = ("case", "new", "none")


@blueprint.get("/staff/calls/new")
@hide
async def call_form() -> tuple[str, int]:
    user = await current_staff(*HUB)
    return await _draw(user, request.args, MultiDict())


@blueprint.post("/staff/calls")
@hide
async def log_call() -> Redirect | tuple[str, int]:
    await check_csrf()
    user = await current_staff(*HUB)
    values = await request.form

    if values.get("action") == "questions":
        # Without script, choosing a category shows its questions this way.
        return await _draw(user, MultiDict(), values)
    try:
        notice = await _log(Reader(values, FORM), user)
    except FormProblem as problem:
        problem.form = FORM
        return await _draw(user, MultiDict(), values, problem)
    except Rejected as rejected:
        return await _draw(user, MultiDict(), values,
                           _problem(rejected, values.get("category_id", "")))
    await flash(notice)
    return redirect(url_for("call_pages.call_form"))


def _problem(rejected: Rejected, category_id: str) -> FormProblem:
    """The rules' refusal on the call form; an answer names its question's box."""
    problem = from_rejection(rejected, FORM)
    if problem.field.startswith("answers."):
        question = problem.field.removeprefix("answers.")
        problem.field = f"answer-{category_id}-{question}"
    return problem


async def _log(read: Reader, user: User) -> str:
    member = await _member(read)
    summary = read.text("summary", "what they called about",
                        limit=calls.SUMMARY_LENGTH, required=True)
    notes = read.optional_text("notes", "the notes", limit=5000)
    about = read.values.get("about", "")
    if about not in ABOUT:
        raise read.error("about", "Choose what to do with the call.")

    if about == "case":
        reference = read.text("reference", "the case's reference", limit=16,
                              required=True)
        case = await Case.get_or_none(reference=reference.upper())
        if case is None:
            raise read.error("reference", f"There is no case {reference}; check "
                             "the reference, such as CH-000123.")
        async with write_transaction() as writer:
            locked = await Case.select_for_update().get(id=case.id)
            await actions.log_call(writer, user, member, summary, notes, locked)
        return f"The call from {member.name} is logged on case {case.reference}."
    if about == "new":
        new = await _new_case(read)
        async with write_transaction() as writer:
            case = await calls.raise_from_call(writer, user, member, new, summary,
                                               notes)
        return (f"Case {case.reference} is raised for {member.name}, and the "
                "call logged on it.")
    async with write_transaction() as writer:
        await actions.log_call(writer, user, member, summary, notes)
    return f"The call from {member.name} is logged."


async def _member(read: Reader) -> User:
    member_id = read.required_id("member_id", "the member who called")
    member = await User.get_or_none(id=member_id, role=Role.MEMBER, active=True)
    if member is None:
        raise read.error("member_id", "Choose the member who called from the "
                         "list; search for them by name, ward or party.")
    return member


async def _new_case(read: Reader) -> NewCase:
    category_id = read.required_id("category_id", "the case's category")
    category = await Category.get_or_none(id=category_id, active=True)
    if category is None:
        raise read.error("category_id", "Choose a category from the list.")
    description = read.text("description", "a description of the issue",
                            limit=5000, required=True)
    return NewCase(
        id=uuid.uuid4(),
        kind=read.choice("kind", "the kind of case", CaseKind),
        category_id=category.id,
        description=description,
        answers=_answers(read, category),
        constituent=Constituent(
            name=read.optional_text("constituent_name", "the constituent's name",
                                    limit=120),
            address=read.optional_text("constituent_address",
                                       "the constituent's address", limit=300),
            phone=read.optional_text("constituent_phone",
                                     "the constituent's phone number", limit=40),
            email=read.optional_text("constituent_email",
                                     "the constituent's email address", limit=254),
        ),
        location=Location(address=read.optional_text(
            "address", "the address of the issue", limit=300)),
        priority=read.optional_choice("priority", "a priority", Priority)
        or Priority.NORMAL,
    )


def _answers(read: Reader, category: Category) -> dict[str, Any]:
    """The answers to the category's questions; the rules check them."""
    found: dict[str, Any] = {}
    for question in category.questions:
        name = f"answer-{category.id}-{question['id']}"
        value = read.text(name, question["label"].lower(), limit=500)
        if value:
            found[question["id"]] = value
    return found


async def _draw(user: User, search: MultiDict[str, str],
                values: MultiDict[str, str],
                problem: FormProblem | None = None) -> tuple[str, int]:
    ward_id = _id_or_none(search.get("ward"))
    party_id = _id_or_none(search.get("party"))
    name = search.get("name", "").strip()[:120]
    members = await calls.find_members(name, ward_id, party_id)
    categories = await Category.filter(active=True).order_by("name")
    chosen = values.get("category_id", "")
    if problem is not None:
        problem.values = {key: values.get(key, "") for key in values}
    return await page(
        "call.html", user, problem.status if problem else 200, problem=problem,
        members=members, searched=bool(name or ward_id or party_id),
        search={"name": name, "ward": ward_id, "party": party_id},
        wards=await Ward.all().order_by("name"),
        parties=await Party.all().order_by("name"),
        categories=categories, chosen_category=chosen, values=values,
        kinds=list(CaseKind), priorities=list(Priority),
        calls=await calls.calls_on(datetime.now(UTC)),
    )


def _id_or_none(raw: str | None) -> int | None:
    """A ward or party to search in; anything else searches them all."""
    if raw is None or not raw.strip().isdecimal() or len(raw) > 9:
        return None
    return int(raw)
