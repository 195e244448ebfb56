"""The rollout's staff pages: the overview, publishing slots, and booking for
members. Shared page helpers live here too."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
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
from server.config import Settings
from server.csrf import check_csrf, csrf_token
from server.errors import ApiError
from server.models import Role, User
from server.rollout import access, booking, slots
from server.rollout.models import Booking
from server.rollout.times import local_moment, short

log = logging.getLogger(__name__)

blueprint = Blueprint("training_pages", __name__)

DONE = {
    "published": "The slot is published; members can book it.",
    "cancelled": "Cancelled. Anyone booked has been emailed.",
    "booked": "Booked. The member has been emailed an invitation.",
    "moved": "Moved. The member has been emailed the new time.",
    "sent": "Sent. The member has been emailed a booking link.",
    "scheduled": "The briefing is scheduled; its party's members see it in the app.",
    "unscheduled": "The briefing is cancelled; members see that in the app.",
}

SECTIONS = [
    ("/staff/training/", "Overview", access.BOOKERS),
    ("/staff/training/slots", "Slots", access.TEAM),
    ("/staff/training/bookings", "Bookings", access.BOOKERS),
    ("/staff/training/members", "Members' phones", access.TEAM),
    ("/staff/training/briefings", "Briefings", access.TEAM),
    ("/staff/training/feedback", "Feedback", access.TEAM),
    ("/staff/training/adoption", "Adoption", access.TEAM),
]


def settings() -> Settings:
    return current_app.config["SETTINGS"]  # type: ignore[no-any-return]


async def page(template: str, user: User, status: int = 200,
               **values: Any) -> tuple[str, int]:
    """A training page, with the sections this user may open."""
    values.setdefault("errors", {})
    values.setdefault("notice", DONE.get(request.args.get("done", "")))
    sections = [(path, words) for path, words, roles in SECTIONS
                if user.role in roles]
    body = await render_template(template, user=user, csrf=csrf_token(),
                                 sections=sections, here=request.path,
                                 zone=settings().timezone, short=short, **values)
    return body, status


async def form() -> dict[str, str]:
    """The posted form, once its CSRF token is checked."""
    await check_csrf()
    return {key: value.strip() for key, value in (await request.form).items()}


def install_page_errors(target: Blueprint) -> None:
    """Show refusals on these pages as pages: sign in again, or say why not."""

    @target.errorhandler(ApiError)
    async def refused(error: ApiError) -> Response | Redirect | tuple[str, int]:
        if error.status == 401:
            return redirect(url_for("staff_pages.sign_in_form"))
        titles = {403: "Not allowed", 404: "Not found", 409: "Not done",
                  410: "Expired"}
        body = await render_template(
            "training/problem.html", title=titles.get(error.status, "Not done"),
            detail=error.detail, back=request.referrer or "/staff/training/",
            back_words="Go back")
        return body, error.status


install_page_errors(blueprint)


@blueprint.get("/staff/training/")
@hide
async def home() -> tuple[str, int]:
    user = await current_staff(*access.BOOKERS)
    mine = await slots.upcoming(user.id) if user.role == Role.TRAINER else []
    group = await access.supported_members(user).count() if user.role in (
        access.TEAM) else 0
    return await page("training/home.html", user, slots=mine, group=group)


@blueprint.get("/staff/training/slots")
@hide
async def slot_list() -> tuple[str, int]:
    user = await current_staff(*access.TEAM)
    return await _slots_page(user)


async def _slots_page(user: User, status: int = 200, **values: Any) -> tuple[str, int]:
    listed = await slots.upcoming()
    booked = {found.held_slot: found for found in await Booking.filter(
        held_slot__in=[entry.slot.id for entry in listed]).prefetch_related("member")}
    values.setdefault("entered", {"minutes": "30"})
    return await page("training/slots.html", user, status, listed=listed,
                      booked=booked, **values)


@blueprint.post("/staff/training/slots")
@hide
async def publish_slot() -> Redirect | tuple[str, int]:
    user = await current_staff(*access.TEAM)
    entered = await form()
    try:
        new = slots.NewSlot(
            starts_at=local_moment(entered.get("date", ""), entered.get("time", ""),
                                   settings().timezone),
            minutes=whole(entered.get("minutes", ""), "minutes",
                           "Enter the length in minutes, like 30."),
            place=entered.get("place") or None,
            online_url=entered.get("online_url") or None,
        )
        await slots.publish(user, new)
    except ApiError as refused:
        return await _slots_page(user, refused.status, entered=entered,
                                 errors={refused.field or "date": refused.detail})
    return redirect(url_for("training_pages.slot_list", done="published"))


@blueprint.post("/staff/training/slots/<int:slot_id>/cancel")
@hide
async def cancel_slot(slot_id: int) -> Redirect:
    user = await current_staff(*access.TEAM)
    await form()
    await slots.cancel(settings(), slot_id, user)
    return redirect(url_for("training_pages.slot_list", done="cancelled"))


@blueprint.get("/staff/training/bookings")
@hide
async def bookings() -> tuple[str, int]:
    user = await current_staff(*access.BOOKERS)
    return await _bookings_page(user)


async def _bookings_page(user: User, status: int = 200,
                         **values: Any) -> tuple[str, int]:
    members = await User.filter(role=Role.MEMBER, active=True).order_by("name")
    live = await Booking.filter(cancelled_at=None, live_member__isnull=False
                                ).prefetch_related("member", "slot")
    live.sort(key=lambda found: found.slot.starts_at)
    # A booking whose slot has begun can no longer be moved or cancelled.
    now = datetime.now(UTC)
    coming = [found for found in live if found.slot.starts_at > now]
    held = [found for found in live if found.slot.starts_at <= now]
    held.reverse()
    free = await slots.upcoming(free_only=True)
    booked = {found.member_id for found in live}
    zone = settings().timezone
    return await page(
        "training/bookings.html", user, status, coming=coming, held=held,
        free=free,
        member_options=[(member.id, member.name) for member in members
                        if member.id not in booked],
        free_options=[(entry.slot.id, f"{short(entry.slot.starts_at, zone)} with "
                       f"{entry.trainer.name}") for entry in free],
        **values)


@blueprint.post("/staff/training/bookings")
@hide
async def book_for_member() -> Redirect | tuple[str, int]:
    user = await current_staff(*access.BOOKERS)
    entered = await form()
    try:
        member = await _member(entered.get("member", ""))
        slot_id = whole(entered.get("slot", ""), "slot")
        await booking.book(settings(), member, slot_id, by=user)
    except ApiError as refused:
        return await _bookings_page(user, refused.status, entered=entered,
                                    errors={refused.field or "member":
                                            refused.detail})
    return redirect(url_for("training_pages.bookings", done="booked"))


@blueprint.post("/staff/training/bookings/<uuid:booking_id>/move")
@hide
async def move_for_member(booking_id: Any) -> Redirect | tuple[str, int]:
    user = await current_staff(*access.BOOKERS)
    entered = await form()
    found = await Booking.get_or_none(id=booking_id, cancelled_at=None)
    if found is None:
        raise ApiError(404, "booking_not_found", "That booking no longer exists.")
    member = await User.get(id=found.member_id)
    field = f"move-{found.id}"
    try:
        await booking.move(settings(), member, whole(entered.get("slot", ""), "slot"),
                           by=user)
    except ApiError as refused:
        return await _bookings_page(user, refused.status,
                                    errors={field: refused.detail})
    return redirect(url_for("training_pages.bookings", done="moved"))


@blueprint.post("/staff/training/bookings/<uuid:booking_id>/cancel")
@hide
async def cancel_for_member(booking_id: Any) -> Redirect:
    await current_staff(*access.BOOKERS)
    await form()
    found = await Booking.get_or_none(id=booking_id, cancelled_at=None)
    if found is None:
        raise ApiError(404, "booking_not_found", "That booking no longer exists.")
    await booking.cancel(settings(), await User.get(id=found.member_id))
    return redirect(url_for("training_pages.bookings", done="cancelled"))


@blueprint.post("/staff/training/invitations")
@hide
async def invite() -> Redirect | tuple[str, int]:
    user = await current_staff(*access.TEAM)
    entered = await form()
    chosen = entered.get("invite", "")
    if chosen == "all":
        booked = await Booking.filter(live_member__isnull=False).values_list(
            "member_id", flat=True)
        members = await User.filter(role=Role.MEMBER, active=True).exclude(
            id__in=list(booked))
    else:
        try:
            members = [await _member(chosen, "invite")]
        except ApiError as refused:
            return await _bookings_page(user, refused.status,
                                        errors={"invite": refused.detail})
    for member in members:
        await booking.invite(settings(), member)
    log.info("user %s sent %d booking links", user.id, len(members))
    return redirect(url_for("training_pages.bookings", done="sent"))


async def _member(value: str, field: str = "member") -> User:
    member = await User.get_or_none(id=whole(value, field), role=Role.MEMBER,
                                    active=True)
    if member is None:
        raise ApiError(422, "member_not_found", "Choose a member from the list.",
                       field=field)
    return member


def whole(value: str, field: str, words: str = "Choose one from the list.") -> int:
    if not value.isdecimal() or len(value) > 9:
        raise ApiError(422, "invalid_choice", words, field=field)
    return int(value)


