"""Writers that commit out of order on PostgreSQL, and a reader that misses none.

A transaction that starts first may commit last. A reader paging by a number
handed out at insert time (an autoincrement id) then steps past the late row
for good. The feed's version is taken under the counter row's lock, so a
later writer waits for an earlier one and versions become visible in order.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import asyncpg
import pytest

from server.models import Role, User
from sync.cursor import Cursor
from sync.feed import Audience, write_transaction
from sync.models import Change, Device
from sync.pull import read_page

pytestmark = pytest.mark.skipif(
    os.environ.get("CASEHUB_TEST_DATABASE") != "postgres",
    reason="commit order only differs from start order on PostgreSQL",
)

EVERYONE = [{"public": True}]
INSERT = (
    "INSERT INTO changes (version, entity, entity_id, data, public, personal, "
    "staff_only) VALUES ($1, 'ward', $2, $3, true, false, false) RETURNING id"
)


async def reader_device() -> Device:
    user = await User.create(email="agent@council.test", name="Agent",
                             role=Role.HUB_AGENT)
    return await Device.create(id=uuid.uuid4(), user_id=user.id,
                               token_hash=uuid.uuid4().hex)


async def test_a_reader_misses_nothing_when_writers_overlap(db):
    device = await reader_device()
    first_open, release = asyncio.Event(), asyncio.Event()
    seen: set[str] = set()
    cursor: Cursor | None = None

    async def read() -> None:
        nonlocal cursor
        page = await read_page(device, cursor, EVERYONE, 1, 1000)
        seen.update(change.entity_id for change in page.changes)
        cursor = Cursor(page.version, page.epoch, 1, device.user_id)

    async def write(name: str, hold: bool) -> int:
        async with write_transaction() as writer:
            writer.record("ward", name, {"name": name}, Audience(public=True))
            if hold:
                first_open.set()
                await release.wait()
            return writer.version

    first = asyncio.create_task(write("first", hold=True))
    await first_open.wait()
    second = asyncio.create_task(write("second", hold=False))
    for _ in range(5):
        await read()
        await asyncio.sleep(0.01)
    assert not second.done(), "the later writer must wait for the earlier one"

    release.set()
    versions = await asyncio.gather(first, second)
    await read()

    assert versions[0] < versions[1]
    final = set(await Change.all().values_list("entity_id", flat=True))
    assert seen == final == {"first", "second"}


async def test_a_cursor_over_the_row_id_would_miss_a_row(db):
    url = db.database_url
    early, late = await asyncpg.connect(url), await asyncpg.connect(url)
    seen: set[str] = set()
    last_id = 0

    async def read_by_id() -> None:
        nonlocal last_id
        for row in await Change.filter(id__gt=last_id).order_by("id"):
            seen.add(row.entity_id)
            last_id = max(last_id, row.id)

    try:
        await early.execute("BEGIN")
        await early.fetchval(INSERT, 1, "first", json.dumps({"name": "first"}))
        await late.execute("BEGIN")
        await late.fetchval(INSERT, 2, "second", json.dumps({"name": "second"}))
        await late.execute("COMMIT")
        await read_by_id()
        await early.execute("COMMIT")
        await read_by_id()
    finally:
        await early.close()
        await late.close()

    final = set(await Change.all().values_list("entity_id", flat=True))
    assert final == {"first", "second"}
    assert seen == {"second"}, "the row committed late is skipped for good"
