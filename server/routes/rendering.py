"""Drawing a staff page: the layout's navigation, messages, and shared filters.

Staff pages answer in HTML even when refused: a visitor who is not signed in
is sent to sign in and brought back, and any other refusal is a page saying
what happened and what to do next.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from quart import (
    Blueprint,
    Response,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from quart.blueprints import BlueprintSetupState
from werkzeug.wrappers.response import Response as Redirect

from server.auth import current_staff
from server.csrf import csrf_token
from server.errors import ApiError
from server.models import Role, User
from server.routes.forms import FormProblem
from server.routes.nav import links_for
from server.workdays import calendar

STATIC = Path(__file__).resolve().parents[1] / "static"
ROLE_NAMES = {
    Role.HUB_AGENT: "Hub agent",
    Role.HUB_SUPERVISOR: "Hub supervisor",
    Role.DEPARTMENT_OFFICER: "Department officer",
    Role.TRAINER: "Trainer",
    Role.ADMIN: "Administrator",
}


async def page(template_name: str, user: User | None, status: int = 200,
               problem: FormProblem | None = None,
               **context: Any) -> tuple[str, int]:
    """A staff page in the layout, with the user's navigation and messages."""
    body = await render_template(
        template_name,
        user=user,
        role=ROLE_NAMES.get(user.role) if user else None,
        nav=links_for(user) if user else [],
        csrf=csrf_token(),
        notices=get_flashed_messages(),
        problem=problem,
        now=datetime.now(UTC),
        **context,
    )
    return body, status


async def render_partial(template: str, user: User, **context: Any) -> str:
    """A part of a page, drawn alone for the page's script to swap in."""
    return await render_template(template, user=user, csrf=csrf_token(),
                                 problem=None, now=datetime.now(UTC), **context)


def serve_pages(blueprint: Blueprint) -> None:
    """Make a blueprint's refusals pages, and give its templates the filters."""
    blueprint.register_error_handler(ApiError, _refused)
    blueprint.record_once(_add_filters)


def _add_filters(state: BlueprintSetupState) -> None:
    state.app.jinja_env.filters.update(
        when=when, day=day, age=age, words=words, size=size)
    state.app.jinja_env.globals["asset"] = asset
    if _signed_in not in state.app.template_context_processors[None]:
        state.app.context_processor(_signed_in)


async def _signed_in() -> dict[str, Any]:
    """The layout's user, role and navigation, for pages that did not give them."""
    user = g.get("staff")
    if user is None:
        return {}
    return {"user": user, "role": ROLE_NAMES.get(user.role), "nav": links_for(user),
            "csrf": csrf_token()}


def asset(name: str) -> str:
    """A static file's address, changed whenever the file is.

    Browsers keep static files for hours; a new version must not be drawn
    with the styles or script of the old one.
    """
    return url_for("static", filename=name, v=_fingerprint(name))


@lru_cache(maxsize=64)
def _fingerprint(name: str) -> str:
    data = (STATIC / name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


async def _refused(error: ApiError) -> Response | Redirect | tuple[str, int]:
    if error.status == 401:
        return redirect(url_for("staff_pages.sign_in_form",
                                next=request.full_path.rstrip("?")))
    try:
        user = await current_staff()
    except ApiError:
        user = None
    return await page("refused.html", user, error.status, error=error)


def safe_next(target: str | None) -> str | None:
    """A staff page to return to, or None for anything that would leave them."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff/"):
        return None
    if "//" in parts.path or "\\" in target:
        return None
    return target


# Filters, in the council's time zone and in words.

def when(moment: datetime | None) -> str:
    """'Tue 8 Dec, 14:05', with the year when it is not this year."""
    if moment is None:
        return ""
    local = moment.astimezone(calendar.zone)
    this_year = datetime.now(UTC).astimezone(calendar.zone).year
    shown = f"{local:%a} {local.day} {local:%b}"
    if local.year != this_year:
        shown += f" {local.year}"
    return f"{shown}, {local:%H:%M}"


def day(moment: datetime | None) -> str:
    """'8 December 2026'."""
    if moment is None:
        return ""
    local = moment.astimezone(calendar.zone)
    return f"{local.day} {local:%B %Y}"


def age(moment: datetime | None, since: datetime | None = None) -> str:
    """How long ago: '25 min', '3 h 10 min', '4 days'."""
    if moment is None:
        return ""
    minutes = int(((since or datetime.now(UTC)) - moment).total_seconds() // 60)
    return span(minutes)


def span(minutes: int) -> str:
    """A length of time in the largest units that read well; never split."""
    minutes = max(minutes, 0)
    if minutes < 60:
        shown = f"{minutes} min"
    elif minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        shown = f"{hours} h {rest} min" if rest and hours < 10 else f"{hours} h"
    else:
        shown = f"{minutes // (24 * 60)} days"
    return shown.replace(" ", "\u00a0")


def words(value: object) -> str:
    """An enum value as words: 'with_department' becomes 'with department'."""
    raw = getattr(value, "value", value)
    return str(raw or "").replace("_", " ")


def size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / 1024 / 1024:.1f} MB"
