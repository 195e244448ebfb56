"""Joining with an enrollment code, and managing a user's devices."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from quart import Blueprint, current_app
from quart_schema import tag, validate_request, validate_response

from server import enrollment
from server.auth import client_address, current_device, current_staff
from server.errors import ApiError
from server.models import Role, User
from server.notifications.models import PushSubscription
from server.rollout.access import supported_member, supports
from sync import PROTOCOL_VERSION
from sync.models import Device

blueprint = Blueprint("devices", __name__)


class EnrollRequest(BaseModel):
    code: str = Field(max_length=32, description="The code, e.g. K7QM-4XRP.")
    device_name: str = Field(default="", max_length=120)


class Me(BaseModel):
    id: int
    name: str
    email: str
    role: str
    ward: str | None
    party: str | None


class EnrollResponse(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer TOKEN'.")
    device_id: uuid.UUID
    user: Me
    protocol: int


class DeviceOut(BaseModel):
    id: uuid.UUID
    user_id: int
    name: str
    app_version: str | None
    created_at: datetime
    last_seen_at: datetime | None
    last_pull_at: datetime | None
    revoked_at: datetime | None
    pending_seq: int = Field(description="The last mutation number applied.")


class DeviceList(BaseModel):
    devices: list[DeviceOut]


class CodeRequest(BaseModel):
    email: str = Field(max_length=254)


class CodeResponse(BaseModel):
    code: str
    email: str
    expires_in_hours: int


@blueprint.post("/api/devices/enroll")
@tag(["devices"])
@validate_request(EnrollRequest)
@validate_response(EnrollResponse, 201)
async def enroll(data: EnrollRequest) -> tuple[EnrollResponse, int]:
    """Exchange a one-time enrollment code for this device's token."""
    device, user, token = await enrollment.redeem(
        data.code, data.device_name.strip(), client_address()
    )
    return EnrollResponse(token=token, device_id=device.id,
                          user=await me_of(user), protocol=PROTOCOL_VERSION), 201


@blueprint.get("/api/me")
@tag(["devices"])
@validate_response(Me, 200)
async def me() -> Me:
    """Who this device belongs to."""
    _, user = await current_device()
    return await me_of(user)


@blueprint.get("/api/devices")
@tag(["devices"])
@validate_response(DeviceList, 200)
async def list_devices() -> DeviceList:
    """The calling user's devices."""
    _, user = await current_device()
    devices = await Device.filter(user_id=user.id).order_by("created_at")
    return DeviceList(devices=[device_out(device) for device in devices])


@blueprint.delete("/api/devices/<uuid:device_id>")
@tag(["devices"])
async def revoke_own(device_id: uuid.UUID) -> tuple[str, int]:
    """Sign out one of the calling user's devices; it wipes itself next time."""
    _, user = await current_device()
    await _revoke(device_id, owner=user)
    return "", 204


@blueprint.post("/api/staff/enrollment-codes")
@tag(["staff"])
@validate_request(CodeRequest)
@validate_response(CodeResponse, 201)
async def issue_code(data: CodeRequest) -> tuple[CodeResponse, int]:
    """A trainer or admin issues a one-time code for a member's phone."""
    staff = await current_staff(Role.TRAINER, Role.ADMIN)
    member = await User.get_or_none(email=data.email.strip().lower())
    if member is None or (member.is_member and not await supports(staff, member)):
        raise ApiError(404, "member_not_found",
                       f"No member in your group has the email address "
                       f"{data.email}.", field="email")
    hours = current_app.config["SETTINGS"].enrollment_hours
    code = await enrollment.issue_code(member, staff, hours)
    return CodeResponse(code=code, email=member.email, expires_in_hours=hours), 201


@blueprint.get("/api/staff/users/<int:user_id>/devices")
@tag(["staff"])
@validate_response(DeviceList, 200)
async def user_devices(user_id: int) -> DeviceList:
    """A member's devices, for their trainer or an admin."""
    staff = await current_staff(Role.TRAINER, Role.ADMIN)
    await supported_member(staff, user_id)
    devices = await Device.filter(user_id=user_id).order_by("created_at")
    return DeviceList(devices=[device_out(device) for device in devices])


@blueprint.delete("/api/staff/devices/<uuid:device_id>")
@tag(["staff"])
async def revoke_any(device_id: uuid.UUID) -> tuple[str, int]:
    """A trainer or admin signs out a lost phone; it wipes itself next time."""
    staff = await current_staff(Role.TRAINER, Role.ADMIN)
    device = await Device.get_or_none(id=device_id).select_related("user")
    if device is None or not await supports(staff, device.user):
        raise ApiError(404, "device_not_found", f"There is no device {device_id}.")
    await _revoke(device_id, owner=None)
    return "", 204


async def _revoke(device_id: uuid.UUID, owner: User | None) -> None:
    device = await Device.get_or_none(id=device_id)
    if device is None or (owner is not None and device.user_id != owner.id):
        raise ApiError(404, "device_not_found", f"There is no device {device_id}.")
    if device.revoked_at is None:
        device.revoked_at = datetime.now(UTC)
        await device.save(update_fields=["revoked_at"])
    # A lost phone must stop showing alerts about casework on its lock screen.
    await PushSubscription.filter(device_id=device.id).delete()


def device_out(device: Device) -> DeviceOut:
    return DeviceOut(
        id=device.id,
        user_id=device.user_id,
        name=device.name,
        app_version=device.app_version,
        created_at=device.created_at,
        last_seen_at=device.last_seen_at,
        last_pull_at=device.last_pull_at,
        revoked_at=device.revoked_at,
        pending_seq=device.last_seq,
    )


async def me_of(user: User) -> Me:
    await user.fetch_related("ward", "party")
    return Me(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role.value,
        ward=user.ward.name if user.ward else None,
        party=user.party.name if user.party else None,
    )
