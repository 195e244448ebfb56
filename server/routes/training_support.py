"""Supporting members' phones: the group's phones at a glance, and a
member's page with the join code, the QR code and each phone's checklist.

No page here reads a case: a trainer sees phones, never casework.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from quart import Blueprint, Response, redirect, request, session, url_for
from quart_schema import hide
from werkzeug.wrappers.response import Response as Redirect

from server import enrollment
from server.auth import current_staff
from server.errors import ApiError
from server.models import EnrollmentCode, User
from server.rollout import access, alert_checks, booking, qr, support
from server.routes.training_pages import form, install_page_errors, page, settings
from server.tokens import digest, normalise_code
from sync.models import Device

log = logging.getLogger(__name__)

blueprint = Blueprint("training_support", __name__)
install_page_errors(blueprint)

DONE = {
    "code": "A new code is ready. Any earlier code for this member stops working.",
    "test": "A test alert is on its way to the phone.",
    "revoked": "The phone is signed out. It wipes casehub's data when it next "
               "goes online.",
    "trained": "Noted: this member's training is done.",
    "sent": "Sent. The member has been emailed a booking link.",
}


@blueprint.get("/staff/training/members")
@hide
async def members() -> tuple[str, int]:
    user = await current_staff(*access.TEAM)
    group = [await support.member_status(member)
             for member in await access.supported_members(user)]
    return await page("training/members.html", user, group=group)


@blueprint.get("/staff/training/members/<int:member_id>")
@hide
async def member_page(member_id: int) -> tuple[str, int]:
    user = await current_staff(*access.TEAM)
    member = await access.supported_member(user, member_id)
    await member.fetch_related("ward", "party")
    state = await support.member_status(member)
    code = await _shown_code(member)
    return await page("training/member.html", user, state=state, member=member,
                      code=code, join_url=qr.join_url(settings().public_url, code)
                      if code else None, hours=settings().enrollment_hours,
                      notice=DONE.get(request.args.get("done", "")))


@blueprint.post("/staff/training/members/<int:member_id>/code")
@hide
async def issue_code(member_id: int) -> Redirect:
    user = await current_staff(*access.TEAM)
    member = await access.supported_member(user, member_id)
    await form()
    code = await enrollment.issue_code(member, user, settings().enrollment_hours)
    # Only the hash is stored, so the trainer's session keeps the code to show.
    shown = dict(session.get("join_codes", {}))
    shown[str(member.id)] = code
    session["join_codes"] = shown
    return redirect(_back(member, "code"))


@blueprint.get("/staff/training/members/<int:member_id>/code.png")
@hide
async def code_image(member_id: int) -> Response:
    user = await current_staff(*access.TEAM)
    member = await access.supported_member(user, member_id)
    code = await _shown_code(member)
    if code is None:
        raise ApiError(404, "code_not_shown",
                       "There is no unused code to show; issue a new one.")
    image = qr.png(qr.join_url(settings().public_url, code))
    response = Response(image, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/staff/training/members/<int:member_id>/checklist")
@hide
async def checklist(member_id: int) -> dict[str, object]:
    """Each phone's checklist, for the member's page to tick as it changes."""
    user = await current_staff(*access.TEAM)
    member = await access.supported_member(user, member_id)
    phones = await support.phones_of(member)
    return {"phones": [
        {"id": str(phone.device.id), "done": phone.checklist.done,
         "steps": {key: ticked for key, _, ticked in phone.checklist.steps()}}
        for phone in phones if phone.device.revoked_at is None
    ], "code_used": await _shown_code(member) is None}


@blueprint.post("/staff/training/members/<int:member_id>/trained")
@hide
async def trained(member_id: int) -> Redirect:
    user = await current_staff(*access.TEAM)
    member = await access.supported_member(user, member_id)
    await form()
    if await support.mark_trained(member) is None:
        raise ApiError(409, "no_booking",
                       "This member has no training booking to mark as done; "
                       "book one first.")
    return redirect(_back(member, "trained"))


@blueprint.post("/staff/training/members/<int:member_id>/link")
@hide
async def send_link(member_id: int) -> Redirect:
    user = await current_staff(*access.TEAM)
    member = await access.supported_member(user, member_id)
    await form()
    await booking.invite(settings(), member)
    return redirect(_back(member, "sent"))


@blueprint.post("/staff/training/devices/<uuid:device_id>/test-push")
@hide
async def send_test(device_id: uuid.UUID) -> Redirect:
    user = await current_staff(*access.TEAM)
    device, member = await _device(user, device_id)
    await form()
    await alert_checks.send(device, user)
    return redirect(_back(member, "test"))


@blueprint.post("/staff/training/devices/<uuid:device_id>/revoke")
@hide
async def revoke(device_id: uuid.UUID) -> Redirect | tuple[str, int]:
    user = await current_staff(*access.TEAM)
    device, member = await _device(user, device_id)
    entered = await form()
    if entered.get("confirm") != "yes":
        await member.fetch_related("ward", "party")
        field = f"confirm-{device.id}"
        return await page("training/member.html", user, 422,
                          state=await support.member_status(member), member=member,
                          code=await _shown_code(member), join_url=None,
                          hours=settings().enrollment_hours,
                          errors={field: "Tick the box to confirm the phone is "
                                  "lost or no longer used."})
    await support.revoke(device)
    return redirect(_back(member, "revoked"))


async def _device(user: User, device_id: uuid.UUID) -> tuple[Device, User]:
    device = await Device.get_or_none(id=device_id)
    member = await User.get_or_none(id=device.user_id) if device else None
    if device is None or member is None or not await access.supports(user, member):
        raise ApiError(404, "device_not_found", f"There is no device {device_id}.")
    return device, member


async def _shown_code(member: User) -> str | None:
    """The code this trainer issued, while it is the member's unused one."""
    code = session.get("join_codes", {}).get(str(member.id))
    if code is None:
        return None
    stored = await EnrollmentCode.get_or_none(
        code_hash=digest(normalise_code(code) or ""), user_id=member.id,
        used_at=None, expires_at__gt=datetime.now(UTC))
    return str(code) if stored else None


def _back(member: User, done: str) -> str:
    return url_for("training_support.member_page", member_id=member.id, done=done)

