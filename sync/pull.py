"""Reading the change feed a page at a time, without splitting a transaction.

The reader says which slices of the feed it may see as a list of scopes (each
a set of column filters served by an index). Each scope is read separately up
to the page size and the results merged, which keeps every read an index
range scan however large the feed grows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync.cursor import Cursor
from sync.feed import current_state
from sync.models import AppliedMutation, Change, Device

Scope = dict[str, Any]


@dataclass
class Page:
    changes: list[Change]
    version: int
    more: bool
    reset: bool
    epoch: str
    acknowledged_seq: int


async def read_page(device: Device, cursor: Cursor | None, scopes: Sequence[Scope],
                    acl_epoch: int, limit: int) -> Page:
    """The next page of changes for a device, from its cursor."""
    state = await current_state()
    after, reset = _starting_point(cursor, state.version, state.epoch, acl_epoch,
                                   device.user_id)

    rows = await _merged(scopes, after, state.version, limit + 1)
    if len(rows) <= limit:
        page, end, more = rows, state.version, False
    else:
        page, end = await _cut(rows, scopes, limit)
        more = True

    return Page(
        changes=_latest_only(page),
        version=end,
        more=more,
        reset=reset,
        epoch=state.epoch,
        acknowledged_seq=await _acknowledged(device, end),
    )


def _starting_point(cursor: Cursor | None, version: int, epoch: str,
                    acl_epoch: int, user_id: int) -> tuple[int, bool]:
    """Where to read from, and whether the device must start again.

    A device starts again from nothing when its cursor belongs to a restored
    past, to another user, or to a time when it could see more than now.
    """
    if cursor is None:
        return 0, True
    if (cursor.epoch != epoch or cursor.version > version
            or cursor.acl_epoch != acl_epoch or cursor.user_id != user_id):
        return 0, True
    return cursor.version, False


async def _merged(scopes: Sequence[Scope], after: int, upto: int,
                  limit: int | None) -> list[Change]:
    by_id: dict[int, Change] = {}
    for scope in scopes:
        query = Change.filter(version__gt=after, version__lte=upto, **scope)
        query = query.order_by("version", "id")
        if limit is not None:
            query = query.limit(limit)
        for row in await query:
            by_id[row.id] = row
    return sorted(by_id.values(), key=lambda row: (row.version, row.id))


async def _cut(rows: list[Change], scopes: Sequence[Scope],
               limit: int) -> tuple[list[Change], int]:
    """Cut a page at a version boundary.

    Each scope was read to `limit + 1` rows, so every row older than the first
    one past the limit is already here. When one transaction alone fills the
    page, the page is that whole transaction.
    """
    boundary = rows[limit].version
    if rows[0].version < boundary:
        return [row for row in rows if row.version < boundary], boundary - 1

    whole = await _merged(scopes, boundary - 1, boundary, None)
    return whole, boundary


def _latest_only(rows: list[Change]) -> list[Change]:
    """Keep only the newest state of each entity in a page."""
    last: dict[tuple[str, str], Change] = {}
    for row in rows:
        key = (row.entity, row.entity_id)
        last.pop(key, None)
        last[key] = row
    return list(last.values())


async def _acknowledged(device: Device, version: int) -> int:
    """The device's last mutation whose effects are within this page."""
    if device.last_seq == 0:
        return 0
    newest = (
        await AppliedMutation.filter(device_id=device.id, version__lte=version)
        .order_by("-seq")
        .first()
    )
    return newest.seq if newest else 0
