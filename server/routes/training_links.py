"""A member's own booking pages, reached by the personal link in their email.

The link's token is the member's only credential here, so every action
acts on that member's booking alone, and each page is kept out of caches.
"""

from __future__ import annotations

import logging

from quart import Blueprint, Response, redirect, render_template, request
from quart_schema import hide
from werkzeug.wrappers.response import Response as Redirect

from server.auth import client_address
from server.csrf import csrf_token
from server.errors import ApiError
from server.models import User
from server.rollout import booking, invitation, links, slots
from server.rollout.invitation import Meeting, Method
from server.rollout.models import TrainingSlot
from server.rollout.times import short, spoken
from server.routes.training_pages import form, settings, whole

log = logging.getLogger(__name__)

blueprint = Blueprint("training_links", __name__)

DONE = {
    "booked": "Booked. We have emailed you the details and a calendar invitation.",
    "moved": "Moved. We have emailed you the new time.",
    "cancelled": "Cancelled. You can book another time below.",
}


@blueprint.errorhandler(ApiError)
async def refused(error: ApiError) -> tuple[str, int]:
    body = await render_template("booking/refused.html", error=error,
                                 csrf=csrf_token(), token=request.view_args and
                                 request.view_args.get("token"))
    return body, error.status


@blueprint.after_request
async def private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/training/book/<token>")
@hide
async def show(token: str) -> tuple[str, int]:
    _, member = await links.resolve(token, client_address())
    return await _page(token, member)


async def _page(token: str, member: User, status: int = 200,
                error: ApiError | None = None) -> tuple[str, int]:
    live = await booking.live_booking(member.id)
    slot = await TrainingSlot.get(id=live.slot_id).prefetch_related(
        "trainer") if live else None
    zone = settings().timezone
    free = await slots.upcoming(free_only=True)
    body = await render_template(
        "booking/page.html", member=member, live=live, slot=slot, free=free,
        token=token, csrf=csrf_token(), zone=zone, short=short, spoken=spoken,
        notice=DONE.get(request.args.get("done", "")), error=error,
    )
    return body, status


@blueprint.post("/training/book/<token>/book")
@hide
async def book(token: str) -> Redirect | tuple[str, int]:
    return await _act(token, "booked")


@blueprint.post("/training/book/<token>/move")
@hide
async def move(token: str) -> Redirect | tuple[str, int]:
    return await _act(token, "moved")


@blueprint.post("/training/book/<token>/cancel")
@hide
async def cancel(token: str) -> Redirect | tuple[str, int]:
    return await _act(token, "cancelled")


async def _act(token: str, done: str) -> Redirect | tuple[str, int]:
    _, member = await links.resolve(token, client_address())
    entered = await form()
    try:
        if done == "cancelled":
            await booking.cancel(settings(), member)
        else:
            slot_id = whole(entered.get("slot", ""), "slot",
                            "Choose a time from the list.")
            act = booking.book if done == "booked" else booking.move
            await act(settings(), member, slot_id)
    except ApiError as refused:
        if refused.status >= 500 or refused.code.startswith("link_"):
            raise
        return await _page(token, member, refused.status, refused)
    return redirect(f"{links.PATH}{token}?done={done}")


@blueprint.get("/training/book/<token>/invitation.ics")
@hide
async def calendar_file(token: str) -> Response:
    _, member = await links.resolve(token, client_address())
    live = await booking.live_booking(member.id)
    if live is None:
        raise ApiError(404, "no_booking", "You have no training booked.")
    slot = await TrainingSlot.get(id=live.slot_id)
    trainer = await User.get(id=slot.trainer_id)
    meeting = Meeting(live, slot, member, trainer,
                      f"{settings().public_url}{links.PATH}{token}")
    response = Response(invitation.invitation(meeting, Method.REQUEST,
                                              settings().timezone),
                        mimetype="text/calendar")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{invitation.FILENAME}"')
    return response


@blueprint.post("/training/book/<token>/renew")
@hide
async def renew(token: str) -> tuple[str, int]:
    """Email a fresh link to the owner of an expired one, a few times an hour."""
    await form()
    member = await links.expired_owner(token, client_address())
    await booking.invite(settings(), member)
    log.info("a new booking link was sent to member %s", member.id)
    body = await render_template("booking/sent.html")
    return body, 200
