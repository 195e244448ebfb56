"""The staff pages' way in: sign in, sign out, and each role's start page."""

from __future__ import annotations

import logging

from quart import Blueprint, redirect, request, session, url_for
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
from server.csrf import check_csrf
from server.errors import ApiError
from server.models import Role, User
from server.routes.nav import start_page
from server.routes.rendering import page, safe_next, serve_pages

log = logging.getLogger(__name__)

blueprint = Blueprint("staff_pages", __name__)
serve_pages(blueprint)

SIGN_IN_LIMIT = 10
SIGN_IN_MINUTES = 15


@blueprint.get("/staff/")
@hide
async def home() -> Redirect:
    """Each role starts where its work is."""
    try:
        user = await current_staff()
    except ApiError:
        return redirect(url_for("staff_pages.sign_in_form"))
    return redirect(start_page(user))


@blueprint.get("/staff/sign-in")
@hide
async def sign_in_form() -> tuple[str, int]:
    return await _form("", None, 200)


@blueprint.post("/staff/sign-in")
@hide
async def sign_in() -> Redirect | tuple[str, int]:
    await check_csrf()
    form = await request.form
    email = form.get("email", "").strip().lower()[:254]
    password = form.get("password", "")[:200]

    address = client_address()
    try:
        await check_attempts("staff", address, SIGN_IN_LIMIT, SIGN_IN_MINUTES)
    except ApiError as refused:
        return await _form(email, refused.detail, 429)
    user = await User.get_or_none(email=email, active=True)
    if (user is None or user.role == Role.MEMBER
            or not password_matches(user.password_hash, password)):
        await record_failure("staff", address)
        return await _form(
            email, "The email address or password is not right. Check both and "
            "try again.", 401)

    start_session(user)
    log.info("staff user %s signed in", user.id)
    return redirect(safe_next(request.args.get("next")) or start_page(user))


@blueprint.post("/staff/sign-out")
@hide
async def sign_out() -> Redirect:
    await check_csrf()
    session.clear()
    return redirect(url_for("staff_pages.sign_in_form"))


async def _form(email: str, error: str | None, status: int) -> tuple[str, int]:
    return await page("sign_in.html", None, status, error=error, email=email,
                      next=safe_next(request.args.get("next")))
