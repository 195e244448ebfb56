"""Finding the case a staff request names, and changing it in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from server import casework
from server.errors import ApiError
from server.models import Case, User
from sync.feed import Writer, write_transaction

T = TypeVar("T")


async def visible_case(user: User, reference: str) -> Case:
    """The case, if this member of staff may see it; otherwise a 404.

    A case the user may not see is not found, so its reference tells them
    nothing about it.
    """
    case = await Case.get_or_none(reference=reference.strip().upper()[:16])
    if case is None or not casework.can_see(user, case):
        raise ApiError(404, "case_not_found", f"There is no case {reference}.")
    return case


async def on_case(case: Case, step: Callable[[Writer, Case], Awaitable[T]]) -> T:
    """Run `step` on the case as it stands, locked, inside a feed transaction."""
    async with write_transaction() as writer:
        locked = await Case.select_for_update().get(id=case.id)
        return await step(writer, locked)
