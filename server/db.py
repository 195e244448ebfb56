"""Connecting to the database and bringing its schema up to date."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from server.config import Settings
from server.models import Counter, ServerKey
from sync.models import SyncState

log = logging.getLogger(__name__)

MODEL_MODULES = [
    "server.models",
    "server.audit",
    "sync.models",
    "server.notifications.models",
    "server.hub.models",
    "server.mail.models",
    "server.open311.models",
    "server.rollout.models",
]


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _with_sqlite_pragmas(database_url)},
        "apps": {
            "casehub": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "server.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _with_sqlite_pragmas(url: str) -> str:
    """Ask SQLite to wait for a busy writer rather than fail at once."""
    if not url.startswith("sqlite") or "?" in url:
        return url
    return f"{url}?busy_timeout=10000&synchronous=NORMAL"


async def open_database(settings: Settings) -> None:
    """Migrate the schema, connect, and make sure the base rows exist."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    config = tortoise_config(settings.database_url)
    try:
        await migrate(config=config)
        await Tortoise.close_connections()
        await Tortoise.init(config=config, _enable_global_fallback=True)
        await _ensure_base_rows()
    except BaseException:
        # An open SQLite connection keeps a thread alive that would hang exit.
        await Tortoise.close_connections()
        raise


async def close_database() -> None:
    await Tortoise.close_connections()


async def _ensure_base_rows() -> None:
    await SyncState.get_or_create(id=1, defaults={"epoch": secrets.token_hex(8)})
    # References start at six digits so they read out evenly on the phone.
    await Counter.get_or_create(name="case_reference", defaults={"value": 100000})


async def server_key(name: str) -> bytes:
    """A named secret shared by every instance, made the first time it is asked."""
    key, created = await ServerKey.get_or_create(
        name=name, defaults={"value": secrets.token_hex(32)}
    )
    if created:
        log.info("made a new server key %s", name)
    return bytes.fromhex(key.value)

# What `tortoise -c server.db.MIGRATIONS_CONFIG makemigrations` reads.
MIGRATIONS_CONFIG = tortoise_config("sqlite://:memory:")
