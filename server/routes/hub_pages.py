"""The hub's lists: the queue with its live updates, a department's cases, and
the escalations.

The queue page works as a plain page that staff reload; with JavaScript it
listens to /staff/queue/events and redraws its rows whenever anything
changes, so an agent sees a case taken by someone else within a second or so.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from quart import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)
from quart_schema import hide
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers.response import Response as Redirect

from server.auth import current_staff
from server.csrf import check_csrf
from server.hub import actions, live
from server.hub import queue as hub_queue
from server.hub.queue import QueueFilter, Who
from server.models import Category, Channel, Department, Role, Status, User
from server.routes.case_access import on_case, visible_case
from server.routes.forms import FormProblem, Reader, from_rejection
from server.routes.nav import HUB, LEADS
from server.routes.rendering import page, render_partial, serve_pages
from sync.errors import Rejected

blueprint = Blueprint("hub_pages", __name__)
serve_pages(blueprint)

# How long one event stream lasts before the browser opens the next, which
# checks the sign-in again; and how often an idle stream says it is alive.
STREAM_SECONDS = 300
HEARTBEAT_SECONDS = 15
RETRY_MILLISECONDS = 2000
FILTER_NAMES = frozenset({"channel", "status", "category", "who", "overdue", "q"})


@blueprint.before_app_serving
async def _watch_feed() -> None:
    current_app.config["FEED_WATCH"] = live.FeedWatch()


@blueprint.after_app_serving
async def _stop_watching() -> None:
    watch: live.FeedWatch | None = current_app.config.get("FEED_WATCH")
    if watch is not None:
        await watch.close()


@blueprint.get("/staff/queue")
@hide
async def queue_page() -> tuple[str, int]:
    user = await current_staff(*HUB)
    return await _queue_page(user, request.args)


@blueprint.get("/staff/queue/rows")
@hide
async def queue_rows() -> Response:
    """The queue's live part alone, for the page to swap in when it changes."""
    user = await current_staff(*HUB)
    wanted, _ = read_filter(request.args)
    body = await render_partial("_queue_live.html", user,
                                **await _queue_context(user, wanted,
                                                       request.args))
    response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/staff/queue/events")
@hide
async def queue_events() -> Response:
    """Server-sent events: `changed` whenever the change feed moves on.

    The page passes the version it was drawn at, and the browser passes the
    last one it heard of when it reconnects, so no change is missed between
    drawing the page and listening.
    """
    await current_staff(*HUB)
    seen = _version_from(request.headers.get("Last-Event-ID")
                         or request.args.get("since"))
    watch: live.FeedWatch = current_app.config["FEED_WATCH"]
    if seen is None:
        seen = await live.feed_version()

    response = Response(_events(watch, seen),
                        mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    response.timeout = None
    return response


async def _events(watch: live.FeedWatch, seen: int) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    ends = loop.time() + STREAM_SECONDS
    yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
    while not watch.closed and loop.time() < ends:
        version = await watch.wait_past(seen, HEARTBEAT_SECONDS)
        if version > seen:
            seen = version
            yield f"id: {version}\nevent: changed\ndata: {version}\n\n".encode()
        else:
            yield b": still listening\n\n"


def _version_from(raw: str | None) -> int | None:
    if raw is None or not raw.strip().isdecimal() or len(raw) > 18:
        return None
    return int(raw)


@blueprint.post("/staff/queue/take")
@hide
async def take_from_queue() -> Redirect | tuple[str, int]:
    """Take a case from the queue and open it; refused if someone was quicker."""
    await check_csrf()
    user = await current_staff(*HUB)
    form = await request.form
    case = await visible_case(user, form.get("reference", ""))

    try:
        await on_case(case, lambda writer, locked: actions.assign(
            writer, locked, user, user, take=True))
    except Rejected as rejected:
        problem = from_rejection(rejected, f"take-{case.reference}", {
            "assignee_id": ""})
        filters = MultiDict(parse_qsl(form.get("filters", "")[:2000]))
        return await _queue_page(user, filters, problem)
    await flash(f"You have taken case {case.reference}.")
    return redirect(url_for("case_pages.case_page", reference=case.reference))


async def _queue_page(user: User, args: MultiDict[str, str],
                      problem: FormProblem | None = None) -> tuple[str, int]:
    wanted, bad_filter = read_filter(args)
    problem = problem or bad_filter
    categories = await Category.filter(active=True).order_by("name")
    return await page(
        "queue.html", user, problem.status if problem else 200, problem=problem,
        args=args, categories=categories, channels=list(Channel),
        statuses=hub_queue.HUB_STATUSES, whos=list(Who),
        unmatched=await hub_queue.unmatched_mail(),
        **await _queue_context(user, wanted, args),
    )


async def _queue_context(user: User, wanted: QueueFilter,
                         args: MultiDict[str, str]) -> dict[str, object]:
    moment = datetime.now(UTC)
    kept = [(name, value) for name, value in args.items(multi=True)
            if name in FILTER_NAMES and value]
    return {
        "queue": await hub_queue.hub_queue(user, wanted, moment),
        "version": await live.feed_version(),
        "moment": moment,
        "filters": urlencode(kept),
    }


def read_filter(args: MultiDict[str, str]) -> tuple[QueueFilter, FormProblem | None]:
    """The queue's filters; a value not on offer drops that filter, with a problem."""
    reader = Reader(args, "filters")
    category = args.get("category", "").strip()
    try:
        wanted = QueueFilter(
            channel=reader.optional_choice("channel", "a channel", Channel),
            status=reader.optional_choice("status", "a status", Status),
            unsorted=category == "none",
            category_id=(None if category in ("", "none")
                         else reader.optional_id("category", "a category")),
            who=reader.optional_choice("who", "whose cases", Who) or Who.ANYONE,
            overdue=reader.flag("overdue"),
            search=reader.text("q", "the search", limit=100),
        )
    except FormProblem as problem:
        problem.status = 400
        return QueueFilter(), problem
    return wanted, None


@blueprint.get("/staff/department")
@hide
async def department_page() -> tuple[str, int]:
    """A department's open cases, overdue first, for its officers."""
    user = await current_staff(Role.DEPARTMENT_OFFICER)
    moment = datetime.now(UTC)
    found = (await hub_queue.department_queue(user.department_id, moment)
             if user.department_id is not None else None)
    department = await Department.get_or_none(id=user.department_id)
    return await page("department.html", user, queue=found, moment=moment,
                      department=department)


@blueprint.get("/staff/escalations")
@hide
async def escalations_page() -> tuple[str, int]:
    user = await current_staff(*LEADS)
    return await page("escalations.html", user,
                      escalations=await hub_queue.escalations(),
                      moment=datetime.now(UTC))
