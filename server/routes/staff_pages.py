"""The staff pages: sign in, sign out, and the landing page."""

from __future__ import annotations

import logging

from quart import (
    Blueprint,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from quart_schema import hide
from werkzeug.wrappers.response import Response as Redirect

from server.auth import (
    check_attempts,
    client_address,
    current_staff,
    password_matches,
    record_failure,
    start_session,
)
from server.csrf import check_csrf, csrf_token
from server.errors import ApiError
from server.models import Role, User

log = logging.getLogger(__name__)

blueprint = Blueprint("staff_pages", __name__)

ROLE_NAMES = {
    Role.HUB_AGENT: "Hub agent",
    Role.HUB_SUPERVISOR: "Hub supervisor",
    Role.DEPARTMENT_OFFICER: "Department officer",
    Role.TRAINER: "Trainer",
    Role.ADMIN: "Administrator",
}


@blueprint.get("/staff/")
@hide
async def home() -> Redirect | str:
    try:
        user = await current_staff()
    except ApiError:
        return redirect(url_for("staff_pages.sign_in_form"))
    return await render_template("staff_home.html", user=user,
                                 role=ROLE_NAMES[user.role], csrf=csrf_token())


@blueprint.get("/staff/sign-in")
@hide
async def sign_in_form() -> str:
    return await render_template("sign_in.html", csrf=csrf_token(), error=None,
                                 email="")


@blueprint.post("/staff/sign-in")
@hide
async def sign_in() -> Redirect | tuple[str, int]:
    await check_csrf()
    form = await request.form
    email = form.get("email", "").strip().lower()[:254]
    password = form.get("password", "")[:200]

    address = client_address()
    try:
        await check_attempts("staff", address, 10, 15)
    except ApiError as refused:
        return await _form_again(email, refused.detail, 429)
    user = await User.get_or_none(email=email, active=True)
    if (user is None or user.role == Role.MEMBER
            or not password_matches(user.password_hash, password)):
        await record_failure("staff", address)
        return await _form_again(
            email, "The email address or password is not right. Check both and "
            "try again.", 401)

    start_session(user)
    log.info("staff user %s signed in", user.id)
    return redirect(url_for("staff_pages.home"))


@blueprint.post("/staff/sign-out")
@hide
async def sign_out() -> Redirect:
    await check_csrf()
    session.clear()
    return redirect(url_for("staff_pages.sign_in_form"))


async def _form_again(email: str, error: str, status: int) -> tuple[str, int]:
    page = await render_template("sign_in.html", csrf=csrf_token(), error=error,
                                 email=email)
    return page, status
