"""A member's personal link to book, move or cancel their training.

The link carries a random token; only its hash is kept, and it stops
working after `CASEHUB_BOOKING_LINK_DAYS`. Every email about a booking
carries a fresh link, so the latest email always works.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from server.auth import check_attempts, record_failure
from server.errors import ApiError
from server.models import Role, User
from server.rollout.models import BookingLink
from server.tokens import digest

log = logging.getLogger(__name__)

ATTEMPT_LIMIT = 20
ATTEMPT_MINUTES = 15
RENEWALS = 3
RENEWAL_MINUTES = 60
PATH = "/training/book/"


async def issue(connection: BaseDBAsyncClient, member: User, days: int,
                public_url: str) -> str:
    """A new link for `member`, written in the caller's transaction."""
    token = secrets.token_urlsafe(24)
    await BookingLink.create(
        member_id=member.id,
        token_hash=digest(token),
        expires_at=datetime.now(UTC) + timedelta(days=days),
        using_db=connection,
    )
    return f"{public_url}{PATH}{token}"


async def resolve(token: str, address: str) -> tuple[BookingLink, User]:
    """The link and its member, or a problem: unknown (404) or expired (410).

    Tries that name no link count against the caller's address, so tokens
    cannot be guessed at speed.
    """
    await check_attempts("booking_link", address, ATTEMPT_LIMIT, ATTEMPT_MINUTES)
    link = await BookingLink.get_or_none(token_hash=digest(token))
    member = await User.get_or_none(id=link.member_id) if link else None
    if link is None or member is None or not _may_book(member):
        await record_failure("booking_link", address)
        raise ApiError(404, "link_unknown",
                       "This booking link is not right. Use the link in your "
                       "latest email from the council.")
    if link.expires_at <= datetime.now(UTC):
        raise ApiError(410, "link_expired",
                       "This booking link has expired. Ask for a new one below.",
                       member_id=member.id)

    link.last_used_at = datetime.now(UTC)
    await link.save(update_fields=["last_used_at"])
    return link, member


async def expired_owner(token: str, address: str) -> User:
    """The member an expired link belonged to, who may ask for a new one."""
    await check_attempts("booking_link", address, ATTEMPT_LIMIT, ATTEMPT_MINUTES)
    link = await BookingLink.get_or_none(token_hash=digest(token))
    member = await User.get_or_none(id=link.member_id) if link else None
    if link is None or member is None or not _may_book(member):
        await record_failure("booking_link", address)
        raise ApiError(404, "link_unknown",
                       "This booking link is not right. Use the link in your "
                       "latest email from the council.")
    if link.expires_at > datetime.now(UTC):
        raise ApiError(409, "link_still_valid",
                       "This link still works; open it again to book.")

    # A few new links an hour at most, whoever asks.
    await check_attempts("link_renewal", str(member.id), RENEWALS, RENEWAL_MINUTES)
    await record_failure("link_renewal", str(member.id))
    return member


def _may_book(member: User) -> bool:
    return member.role == Role.MEMBER and member.active
