"""The hub's dashboard and the member engagement profile, with CSV exports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from quart import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from quart_schema import hide
from werkzeug.wrappers.response import Response as Redirect

from server.auth import current_staff
from server.csrf import csrf_token
from server.errors import ApiError
from server.hub import dashboard, dashboard_csv, engagement
from server.hub.dashboard_range import DateRange, parse_range, quick_choices
from server.models import HUB_ROLES, User
from server.workdays import calendar

blueprint = Blueprint("dashboard_pages", __name__)

Page = str | tuple[str, int] | Redirect


@blueprint.get("/staff/dashboard")
@hide
async def show_dashboard() -> Page:
    user = await _hub_staff()
    if not isinstance(user, User):
        return user
    chosen, error = _range_or_error()
    figures = None
    if chosen is not None:
        figures = await dashboard.build(chosen, _planned(), datetime.now(UTC))
    page = await render_template(
        "dashboard.html", user=user, csrf=csrf_token(), figures=figures,
        chart=_chart(figures) if figures else None,
        **_range_context(chosen, error), **FORMATS)
    return (page, 400) if error else page


@blueprint.get("/staff/dashboard/<table>.csv")
@hide
async def dashboard_csv_table(table: str) -> Response:
    await current_staff(*HUB_ROLES)
    if table not in dashboard_csv.DASHBOARD_TABLES:
        raise ApiError(404, "not_found", f"Nothing is at {request.path}.")
    chosen = _range()
    if table == "days":
        made = dashboard_csv.days(await dashboard.contacts_by_day(chosen,
                                                                  _planned()))
    elif table == "handoffs":
        made = dashboard_csv.handoffs(
            await dashboard.handoffs_by_department(*chosen.bounds(calendar.zone)))
    else:
        made = dashboard_csv.summary(
            await dashboard.build(chosen, _planned(), datetime.now(UTC)))
    return _csv(dashboard_csv.render(made), f"dashboard-{table}", chosen)


@blueprint.get("/staff/members")
@hide
async def show_members() -> Page:
    user = await _hub_staff()
    if not isinstance(user, User):
        return user
    sort, descending = _sort()
    chosen, error = _range_or_error()
    found = None
    if chosen is not None:
        found = engagement.sort_profiles(await engagement.profiles(chosen),
                                         sort, descending)
    page = await render_template(
        "dashboard_members.html", user=user, csrf=csrf_token(), profiles=found,
        sort=sort, descending=descending, columns=MEMBER_COLUMNS,
        **_range_context(chosen, error), **FORMATS)
    return (page, 400) if error else page


@blueprint.get("/staff/members.csv")
@hide
async def members_csv() -> Response:
    await current_staff(*HUB_ROLES)
    sort, descending = _sort()
    chosen = _range()
    found = engagement.sort_profiles(await engagement.profiles(chosen), sort,
                                     descending)
    return _csv(dashboard_csv.render(dashboard_csv.profiles(found)), "members",
                chosen)


# The engagement table's columns: sort key and heading.
MEMBER_COLUMNS = (
    ("name", "Member"), ("party", "Party"), ("ward", "Ward"),
    ("phone", "Phone"), ("email", "Email"), ("app", "App"), ("web", "Web"),
    ("total", "All contacts"), ("open", "Open cases"),
    ("closed", "Closed cases"), ("devices", "Phones with the app"),
    ("last_sync", "Last synced"),
)


async def _hub_staff() -> User | Page:
    """The signed-in hub staff member, or the page to show anyone else."""
    try:
        return await current_staff(*HUB_ROLES)
    except ApiError as refused:
        if refused.status == 401:
            return redirect(url_for("staff_pages.sign_in_form"))
        page = await render_template("dashboard_refused.html", csrf=csrf_token(),
                                     detail=refused.detail)
        return page, 403


def _today() -> date:
    return datetime.now(calendar.zone).date()


def _planned() -> int:
    return int(current_app.config["SETTINGS"].planned_contacts)


def _range() -> DateRange:
    return parse_range(request.args.get("from"), request.args.get("to"), _today())


def _range_or_error() -> tuple[DateRange | None, ApiError | None]:
    try:
        return _range(), None
    except ApiError as error:
        return None, error


def _range_context(chosen: DateRange | None,
                   error: ApiError | None) -> dict[str, Any]:
    return {
        "chosen": chosen, "error": error,
        "raw_from": request.args.get("from", "")[:40],
        "raw_to": request.args.get("to", "")[:40],
        "choices": quick_choices(_today()),
        "query": chosen.query() if chosen else {},
        "zone": calendar.zone.key,
    }


def _sort() -> tuple[str, bool]:
    """The column asked for and its direction; anything unknown sorts by name."""
    sort = request.args.get("sort", "name")
    if sort not in engagement.SORT_KEYS:
        raise ApiError(400, "unknown_sort",
                       f"sort must be one of {', '.join(engagement.SORT_KEYS)}; "
                       f"got {sort[:40]!r}.", field="sort")
    direction = request.args.get("dir", "asc")
    if direction not in ("asc", "desc"):
        raise ApiError(400, "unknown_sort",
                       f"dir must be asc or desc; got {direction[:40]!r}.",
                       field="dir")
    return sort, direction == "desc"


def _csv(text: str, name: str, chosen: DateRange) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name}-{chosen.first}-to-{chosen.last}.csv"')
    response.headers["Cache-Control"] = "no-store"
    return response


def _chart(figures: dashboard.Dashboard) -> dict[str, Any]:
    """What the charts draw, read by dashboard.js from the page."""
    return {
        "days": [day.day.isoformat() for day in figures.days],
        "channels": {channel.value: [day.contacts[channel] for day in figures.days]
                     for channel in dashboard.CHANNELS},
        "planned": [day.planned for day in figures.days],
        "handoffs": {"departments": [e.department for e in figures.handoffs],
                     "counts": [e.count for e in figures.handoffs]},
    }


# Shown where a figure has nothing to be worked out from.
NOTHING = "none"


def _hours(seconds: float | None) -> str:
    return NOTHING if seconds is None else f"{seconds / 3600:.1f} h"


def _age(age: timedelta | None) -> str:
    if age is None:
        return NOTHING
    hours = age.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def _percent(share: float | None) -> str:
    return NOTHING if share is None else f"{share * 100:.1f}%"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return moment.astimezone(calendar.zone).strftime("%d %b %Y %H:%M")


FORMATS = {"hours": _hours, "age": _age, "percent": _percent, "when": _when}
