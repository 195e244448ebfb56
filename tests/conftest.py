"""Shared fixtures: a migrated database per test, and the app on top of it.

Tests run on SQLite by default. With CASEHUB_TEST_DATABASE=postgres they run
on the PostgreSQL server at CASEHUB_TEST_PG (127.0.0.1:5432 by default).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from server.app import create_app
from server.config import Settings, load_settings
from server.db import close_database, open_database

ENGINE = os.environ.get("CASEHUB_TEST_DATABASE", "sqlite")
PG_SERVER = os.environ.get("CASEHUB_TEST_PG", "postgres://postgres@127.0.0.1:5432")
KEPT_TABLES = {"tortoise_migrations"}


def pytest_report_header() -> str:
    return f"casehub database engine: {ENGINE}"


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database that every test starts from."""
    if ENGINE == "postgres":
        name = f"casehub_test_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        url = f"{PG_SERVER}/{name}"
        asyncio.run(_migrate(url, tmp_path_factory.mktemp("pg")))
        yield url
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        folder = tmp_path_factory.mktemp("template")
        url = f"sqlite://{folder / 'template.db'}"
        asyncio.run(_migrate(url, folder))
        yield str(folder / "template.db")


@pytest.fixture
def settings(template: str, tmp_path: Path) -> Settings:
    """Settings for one test, with a database as fresh as the template."""
    if ENGINE == "postgres":
        asyncio.run(_pg_empty(template))
        url = template
    else:
        shutil.copy(template, tmp_path / "casehub.db")
        url = f"sqlite://{tmp_path / 'casehub.db'}"
    return load_settings({
        "CASEHUB_DATA_DIR": str(tmp_path),
        "CASEHUB_DATABASE_URL": url,
        "CASEHUB_PUBLIC_URL": "http://127.0.0.1:8000",
        # Tests that take in mail listen on a port of their own.
        "CASEHUB_SMTP_LISTEN": "off",
    })


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Quart]:
    """The app, served in-process with its start-up and shut-down hooks."""
    application = create_app(settings)
    async with application.test_app():
        yield application


@pytest.fixture
def client(app: Quart) -> TestClientProtocol:
    return app.test_client()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Settings]:
    """The database alone, for tests below the web layer."""
    await open_database(settings)
    yield settings
    await close_database()


async def _migrate(url: str, folder: Path) -> None:
    await open_database(load_settings({
        "CASEHUB_DATA_DIR": str(folder), "CASEHUB_DATABASE_URL": url,
    }))
    await close_database()


async def _pg_admin(statement: str) -> None:
    connection = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _pg_empty(url: str) -> None:
    """Empty every table but the migration record, as after migrating."""
    connection = await asyncpg.connect(url)
    try:
        tables = [
            row["tablename"]
            for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
            if row["tablename"] not in KEPT_TABLES
        ]
        quoted = ", ".join(f'"{table}"' for table in tables)
        await connection.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()
