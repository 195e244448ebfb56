"""Who is calling: a phone by its device token, staff by their session."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from quart import g, request, session

from server.errors import ApiError
from server.models import Role, SignInAttempt, User
from server.tokens import digest
from sync.models import Device

log = logging.getLogger(__name__)

SESSION_HOURS = 10
SEEN_EVERY = timedelta(minutes=1)
hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return hasher.hash(password)


def password_matches(stored: str | None, given: str) -> bool:
    if not stored:
        return False
    try:
        return hasher.verify(stored, given)
    except (VerifyMismatchError, InvalidHashError):
        return False


async def current_device() -> tuple[Device, User]:
    """The calling device and its user, or a 401 or 403 problem."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "not_signed_in",
                       "Send the device token as 'Authorization: Bearer TOKEN'.")

    device = await Device.filter(token_hash=digest(token.strip())).select_related(
        "user").first()
    if device is None:
        raise ApiError(401, "invalid_token",
                       "This device token is not known; join again with a code.")
    if device.revoked_at is not None:
        raise ApiError(403, "device_revoked",
                       "This device was signed out by the council; its local "
                       "data must be wiped.", wipe=True)
    user: User = device.user
    if not user.active:
        raise ApiError(403, "user_inactive", "This account is no longer active.",
                       wipe=True)

    await _mark_seen(device)
    return device, user


async def _mark_seen(device: Device) -> None:
    moment = datetime.now(UTC)
    if device.last_seen_at is None or moment - device.last_seen_at > SEEN_EVERY:
        device.last_seen_at = moment
        await Device.filter(id=device.id).update(last_seen_at=moment)


def start_session(user: User) -> None:
    session.clear()
    session["user_id"] = user.id
    session["since"] = datetime.now(UTC).timestamp()
    session.permanent = True


async def current_staff(*roles: Role) -> User:
    """The signed-in member of staff, if they hold one of `roles` (any if none)."""
    user_id = session.get("user_id")
    since = session.get("since", 0)
    age = datetime.now(UTC).timestamp() - float(since)
    if user_id is None or age > SESSION_HOURS * 3600:
        session.clear()
        raise ApiError(401, "not_signed_in", "Sign in as staff first.")

    user = await User.get_or_none(id=user_id, active=True)
    if user is None or user.role == Role.MEMBER:
        session.clear()
        raise ApiError(401, "not_signed_in", "Sign in as staff first.")
    # Whoever signed in is drawn in every page's layout, refusals included.
    g.staff = user
    if roles and user.role not in roles:
        raise ApiError(403, "not_allowed",
                       f"This needs one of these roles: "
                       f"{', '.join(role.value for role in roles)}.")
    return user


async def check_attempts(kind: str, key: str, limit: int, minutes: int) -> None:
    """Refuse with 429 once `key` has failed `limit` times in `minutes`."""
    since = datetime.now(UTC) - timedelta(minutes=minutes)
    failures = await SignInAttempt.filter(kind=kind, key=key, at__gte=since).count()
    if failures >= limit:
        log.warning("too many %s attempts", kind)
        raise ApiError(429, "too_many_attempts",
                       f"Too many failed attempts; wait {minutes} minutes and "
                       "try again.", retry_after=minutes * 60)


async def record_failure(kind: str, key: str) -> None:
    await SignInAttempt.create(kind=kind, key=key)


def client_address() -> str:
    return request.remote_addr or "unknown"
