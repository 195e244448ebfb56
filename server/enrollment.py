"""Turning a member's phone into one of their devices with a one-time code."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from server.auth import check_attempts, record_failure
from server.errors import ApiError
from server.models import EnrollmentCode, Role, User
from server.tokens import digest, new_code, new_device_token, normalise_code
from sync.models import Device

log = logging.getLogger(__name__)

ATTEMPT_LIMIT = 10
ATTEMPT_MINUTES = 15


async def issue_code(member: User, issued_by: User | None, hours: int) -> str:
    """A fresh code for a member; any earlier unused code stops working."""
    if member.role != Role.MEMBER or not member.active:
        raise ApiError(422, "not_a_member",
                       f"{member.email} is not an active elected member.")

    moment = datetime.now(UTC)
    await EnrollmentCode.filter(user_id=member.id, used_at=None).update(
        used_at=moment
    )
    code = new_code()
    await EnrollmentCode.create(
        code_hash=digest(normalise_code(code) or ""),
        user_id=member.id,
        issued_by_id=issued_by.id if issued_by else None,
        expires_at=moment + timedelta(hours=hours),
    )
    log.info("enrollment code issued for user %s", member.id)
    return code


async def redeem(typed: str, device_name: str,
                 address: str) -> tuple[Device, User, str]:
    """Exchange a code for a new device and its token, once."""
    await check_attempts("enroll", address, ATTEMPT_LIMIT, ATTEMPT_MINUTES)
    code = normalise_code(typed)
    if code is None:
        await record_failure("enroll", address)
        raise ApiError(422, "invalid_code",
                       "An enrollment code has 8 letters and numbers, like "
                       "K7QM-4XRP.", field="code")

    async with in_transaction():
        found = await EnrollmentCode.select_for_update().get_or_none(
            code_hash=digest(code)
        )
        refusal = _refusal(found)
        if refusal is None and found is not None:
            found.used_at = datetime.now(UTC)
            await found.save(update_fields=["used_at"])
            token = new_device_token()
            device = await Device.create(
                id=uuid.uuid4(),
                user_id=found.user_id,
                name=device_name,
                token_hash=digest(token),
            )
            user = await User.get(id=found.user_id)

    if refusal is not None:
        await record_failure("enroll", address)
        raise refusal
    log.info("device %s enrolled for user %s", device.id, user.id)
    return device, user, token


def _refusal(found: EnrollmentCode | None) -> ApiError | None:
    if found is None:
        return ApiError(422, "unknown_code",
                        "That code is not right; check it or ask your trainer "
                        "for a new one.", field="code")
    if found.used_at is not None:
        return ApiError(422, "code_used",
                        "That code has already been used; ask your trainer for "
                        "a new one.", field="code")
    if found.expires_at < datetime.now(UTC):
        return ApiError(422, "code_expired",
                        "That code has expired; ask your trainer for a new one.",
                        field="code")
    return None
