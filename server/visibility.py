"""Which slices of the change feed each kind of user reads."""

from __future__ import annotations

from server.models import Role, User
from sync.pull import Scope


def feed_scopes(user: User) -> list[Scope]:
    """Feed filters for a user, each served by one index of the feed."""
    own = {"member_id": user.id, "personal": True}
    everyone = {"public": True}

    if user.role == Role.MEMBER:
        return [{"member_id": user.id, "staff_only": False}, everyone]
    if user.role == Role.DEPARTMENT_OFFICER and user.department_id is not None:
        return [{"department_id": user.department_id}, everyone, own]
    if user.is_hub:
        return [{"personal": False}, own]
    return [everyone, own]
