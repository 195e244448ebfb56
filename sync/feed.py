"""Writing the change feed: one version per transaction, in commit order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from sync.models import Change, SyncState


@dataclass(frozen=True)
class Audience:
    """Who may read a change. See `Change` for the meaning of each part."""

    member_id: int | None = None
    department_id: int | None = None
    public: bool = False
    personal: bool = False
    staff_only: bool = False


Deferred = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Mark:
    """How far a writer had got, to go back to when a savepoint is undone."""

    changes: int
    inserts: int
    deferred: frozenset[Hashable]
    gathered: dict[Hashable, frozenset[Any]]


@dataclass
class Writer:
    """Collects the changes of one transaction under its version.

    `defer` runs a step once, just before the changes are written, however
    often it was asked for under the same key: an entity changed by many
    mutations of one batch reaches the feed once, in its final state.
    `insert_later` keeps rows to be written together when the transaction
    ends, for tables nothing reads back within it. `cache` holds what
    mutators may share within the transaction. `mark` and `restore` forget
    all of these for a mutation that was undone.
    """

    connection: BaseDBAsyncClient
    version: int
    changes: list[Change] = field(default_factory=list)
    deferred: dict[Hashable, Deferred] = field(default_factory=dict)
    gathered: dict[Hashable, set[Any]] = field(default_factory=dict)
    cache: dict[Hashable, Any] = field(default_factory=dict)
    inserts: list[Model] = field(default_factory=list)
    # Whether a mutation was undone: objects in memory may then be stale.
    undone: bool = False

    def defer(self, key: Hashable, step: Deferred) -> None:
        self.deferred.setdefault(key, step)

    def defer_each(self, key: Hashable, item: Any,
                   step: Callable[[set[Any]], Awaitable[None]]) -> None:
        """Gather `item` under `key`; `step` runs once, with every item."""
        items = self.gathered.setdefault(key, set())
        items.add(item)
        self.defer(key, lambda: step(items))

    def insert_later(self, row: Model) -> None:
        self.inserts.append(row)

    def mark(self) -> Mark:
        return Mark(len(self.changes), len(self.inserts), frozenset(self.deferred),
                    {key: frozenset(items) for key, items in self.gathered.items()})

    def restore(self, mark: Mark) -> None:
        del self.changes[mark.changes:]
        del self.inserts[mark.inserts:]
        for key in set(self.deferred) - mark.deferred:
            del self.deferred[key]
        for key, items in list(self.gathered.items()):
            # Deferred steps hold these very sets: change them in place.
            items.intersection_update(mark.gathered.get(key, frozenset()))
            if not items and key not in mark.gathered:
                del self.gathered[key]
        self.cache.clear()
        self.undone = True

    def record(self, entity: str, entity_id: str, data: dict[str, Any],
               audience: Audience) -> None:
        self.changes.append(
            Change(
                version=self.version,
                entity=entity,
                entity_id=entity_id,
                data=data,
                member_id=audience.member_id,
                department_id=audience.department_id,
                public=audience.public,
                personal=audience.personal,
                staff_only=audience.staff_only,
            )
        )

    async def flush(self) -> None:
        while self.deferred:
            key = next(iter(self.deferred))
            await self.deferred.pop(key)()
        for model in dict.fromkeys(type(row) for row in self.inserts):
            rows = [row for row in self.inserts if type(row) is model]
            await model.bulk_create(rows, using_db=self.connection)
        self.inserts.clear()
        if self.changes:
            await Change.bulk_create(self.changes, using_db=self.connection)
            self.changes.clear()


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Writer]:
    """Open a transaction that owns the next feed version.

    Taking the version first holds the counter row's lock until commit, so
    transactions commit in version order on PostgreSQL too, and on SQLite the
    write lock is taken at once instead of being upgraded later.
    """
    async with in_transaction() as connection:
        version = await next_version(connection)
        writer = Writer(connection, version)
        yield writer
        await writer.flush()


async def next_version(connection: BaseDBAsyncClient) -> int:
    rows = await connection.execute_query_dict(
        "UPDATE sync_state SET version = version + 1 WHERE id = 1 RETURNING version"
    )
    if not rows:
        raise RuntimeError("sync_state has no row: the database was not migrated")
    return int(rows[0]["version"])


async def current_state() -> SyncState:
    state = await SyncState.get_or_none(id=1)
    if state is None:
        raise RuntimeError("sync_state has no row: the database was not migrated")
    return state
