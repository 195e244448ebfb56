"""The migrations build the schema the models describe, and keep up with them."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from server.config import Settings, load_settings
from server.db import MIGRATIONS_CONFIG, close_database, open_database
from server.models import Ward
from tests.conftest import ENGINE, PG_SERVER

MIGRATION_TABLE = "tortoise_migrations"


@pytest.fixture
async def empty_database(tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings for a database that has never been migrated."""
    if ENGINE != "postgres":
        yield load_settings({"CASEHUB_DATA_DIR": str(tmp_path),
                             "CASEHUB_DATABASE_URL": f"sqlite://{tmp_path}/new.db"})
        return

    name = f"casehub_empty_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield load_settings({"CASEHUB_DATA_DIR": str(tmp_path),
                             "CASEHUB_DATABASE_URL": f"{PG_SERVER}/{name}"})
    finally:
        await close_database()
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _pg_admin(statement: str) -> None:
    connection = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def tables() -> set[str]:
    connection = Tortoise.get_connection("default")
    if ENGINE == "postgres":
        rows = await connection.execute_query_dict(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        )
    else:
        rows = await connection.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%'"
        )
    return {row["name"] for row in rows}


async def columns(table: str) -> set[str]:
    connection = Tortoise.get_connection("default")
    if ENGINE == "postgres":
        rows = await connection.execute_query_dict(
            "SELECT column_name AS name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = $1", [table]
        )
    else:
        rows = await connection.execute_query_dict(
            f"SELECT name FROM pragma_table_info('{table}')"
        )
    return {row["name"] for row in rows}


async def applied() -> list[str]:
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(
        f"SELECT name FROM {MIGRATION_TABLE} ORDER BY name"
    )
    return [row["name"] for row in rows]


def model_tables() -> dict[str, set[str]]:
    """Each model's table, with the columns its fields need."""
    return {
        model._meta.db_table: set(model._meta.fields_db_projection.values())
        for model in Tortoise.apps["casehub"].values()
    }


async def test_migrating_from_nothing_makes_every_table(empty_database):
    await open_database(empty_database)
    try:
        expected = model_tables()
        found = await tables()

        assert found == set(expected) | {MIGRATION_TABLE}
        for table, needed in expected.items():
            assert needed <= await columns(table), table
        assert await applied()
    finally:
        await close_database()


async def test_migrating_again_changes_nothing(empty_database):
    await open_database(empty_database)
    try:
        await Ward.create(name="Botanic")
        before = (await tables(), await applied())
    finally:
        await close_database()

    await open_database(empty_database)
    try:
        assert (await tables(), await applied()) == before
        assert await Ward.filter(name="Botanic").count() == 1
    finally:
        await close_database()


async def test_the_models_need_no_migration_that_is_not_written():
    config = copy.deepcopy(MIGRATIONS_CONFIG)

    async with TortoiseContext() as context:
        await context.init(config=config)
        detector = MigrationAutodetector(context.apps, config["apps"])
        pending = await detector.changes()

    described = [
        f"{writer.app_label}: {[type(op).__name__ for op in writer.operations]}"
        for writer in pending
    ]
    assert pending == [], (
        "the models changed without a migration; run makemigrations: "
        + "; ".join(described)
    )
