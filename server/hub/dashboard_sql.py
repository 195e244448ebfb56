"""Raw SQL for the dashboard, written once for SQLite and PostgreSQL.

The dashboard's counts are aggregates the ORM cannot express (a join on a
list of day boundaries, ranks over a window), so they are sent as SQL with
`?` placeholders, which PostgreSQL receives numbered.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient


def connection() -> BaseDBAsyncClient:
    return Tortoise.get_connection("default")


def is_postgres(client: BaseDBAsyncClient) -> bool:
    return client.capabilities.dialect == "postgres"


async def rows(sql: str, values: list[Any]) -> list[dict[str, Any]]:
    """Run `sql`, whose values are marked `?`, and return its rows."""
    client = connection()
    if is_postgres(client):
        sql = numbered(sql)
    return list(await client.execute_query_dict(sql, values))


def numbered(sql: str) -> str:
    """PostgreSQL's placeholders: the first `?` becomes $1, the next $2."""
    head, *rest = sql.split("?")
    return head + "".join(f"${n}{part}" for n, part in enumerate(rest, start=1))


def day_table(starts: list[datetime]) -> tuple[str, list[Any]]:
    """A VALUES list of (day number, start, end) rows, and its values.

    Joined on a time column, it counts rows per local day exactly, whatever
    the offset from UTC on each day, and reads the column's index a day at a
    time.
    """
    client = connection()
    if is_postgres(client):
        row = "(CAST(? AS INTEGER), CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ))"
    else:
        row = "(?, ?, ?)"
    values: list[Any] = []
    for number, (start, end) in enumerate(itertools.pairwise(starts)):
        values += [number, start, end]
    return f"(VALUES {', '.join([row] * (len(starts) - 1))})", values


def as_datetime(value: Any) -> datetime:
    """A time read back raw: PostgreSQL gives a datetime, SQLite its text."""
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
