"""Who on the staff may do what in the rollout.

Trainers and administrators run it. A trainer supports their own group of
members (`User.trainer`) and, at a slot, whoever booked it; an administrator
supports everyone. The hub may book slots for members. Nobody here sees a
case: what a trainer sees of a member is their phones, never their casework.
"""

from __future__ import annotations

from tortoise.queryset import QuerySet

from server.errors import ApiError
from server.models import Role, User
from server.rollout.models import Booking

TEAM = (Role.TRAINER, Role.ADMIN)
BOOKERS = (Role.TRAINER, Role.ADMIN, Role.HUB_AGENT, Role.HUB_SUPERVISOR)


def supported_members(user: User) -> QuerySet[User]:
    """The members whose phones `user` looks after, by name."""
    members = User.filter(role=Role.MEMBER, active=True)
    if user.role != Role.ADMIN:
        members = members.filter(trainer_id=user.id)
    return members.order_by("name")


async def supported_member(user: User, member_id: int) -> User:
    """The member, if `user` supports them; otherwise a 404 that reveals nothing."""
    member = await User.get_or_none(id=member_id, role=Role.MEMBER)
    if member is None or not await supports(user, member):
        raise ApiError(404, "member_not_found",
                       f"There is no member {member_id} in your group.")
    return member


async def supports(user: User, member: User) -> bool:
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.TRAINER:
        return False
    if member.trainer_id == user.id:
        return True
    return await Booking.filter(member_id=member.id, slot__trainer_id=user.id,
                                cancelled_at__isnull=True).exists()
