"""Backing casehub up while it serves, and restoring it from a backup.

A backup is a folder: the database (an SQLite copy made with SQLite's own
online backup, or a `pg_dump` archive), the files of the data folder
(photos, attachments, keys) and a manifest. The database is copied first and
the files after it, so every file a copied row names is in the backup.

Restoring gives the feed a new epoch. Phones then hold cursors from a future
the server no longer has: they start their feed again, keep what they have
not yet sent, and send it again; what the server already has from them is
answered as a repeat.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from server.config import Settings, redact

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SQLITE_COPY = "casehub.db"
PG_ARCHIVE = "casehub.pgdump"
FILES = "files"


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class Summary:
    folder: Path
    engine: str
    files: int
    bytes: int


def backup(settings: Settings, target: Path) -> Summary:
    """Copy the database and the data folder's files into `target`."""
    target = target.resolve()
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; back up into a new folder")
    target.mkdir(parents=True, exist_ok=True)

    if settings.is_sqlite:
        _copy_sqlite(_sqlite_path(settings), target / SQLITE_COPY)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner",
              f"--file={target / PG_ARCHIVE}", _pg_url(settings)], "pg_dump")
    files, size = _copy_files(settings.data_dir, target / FILES,
                              skip={_sqlite_path(settings), target})
    engine = "sqlite" if settings.is_sqlite else "postgres"
    manifest = {
        "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    log.info("backed up the database and %d files to %s", files, target)
    return Summary(target, engine, files, size)


def restore(settings: Settings, source: Path) -> Summary:
    """Put a backup back in place of the database and files. Stop casehub first."""
    source = source.resolve()
    manifest = _manifest(source)
    engine = "sqlite" if settings.is_sqlite else "postgres"
    if manifest.get("engine") != engine:
        raise BackupError(f"{source} holds a {manifest.get('engine')} backup; "
                          f"this casehub uses {engine}")

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.is_sqlite:
        _restore_sqlite(source / SQLITE_COPY, _sqlite_path(settings))
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner",
              f"--dbname={_pg_url(settings)}", str(source / PG_ARCHIVE)],
             "pg_restore")
    files, size = _copy_files(source / FILES, settings.data_dir, skip=set())
    log.info("restored the database and %d files from %s", files, source)
    return Summary(source, engine, files, size)


def new_epoch() -> str:
    return secrets.token_hex(8)


async def start_new_epoch() -> None:
    """Tell every phone its cursor is from before the restore."""
    from sync.models import SyncState

    await SyncState.filter(id=1).update(epoch=new_epoch())


# SQLite.

def _sqlite_path(settings: Settings) -> Path:
    location = settings.database_url.split("://", 1)[1].split("?", 1)[0]
    return Path(location).resolve()


def _copy_sqlite(database: Path, copy: Path) -> None:
    if not database.exists():
        raise BackupError(f"there is no database at {database}")
    # SQLite's online backup copies a consistent snapshot while writers go on.
    with closing(sqlite3.connect(database, timeout=30)) as source, \
            closing(sqlite3.connect(copy)) as destination:
        source.backup(destination)


def _restore_sqlite(copy: Path, database: Path) -> None:
    if not copy.exists():
        raise BackupError(f"{copy.parent} holds no SQLite database")
    _check_sqlite(copy)
    staged = database.with_name(database.name + ".restoring")
    shutil.copyfile(copy, staged)
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    staged.replace(database)


def _check_sqlite(copy: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as db:
            (answer,) = db.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{copy} is not a readable SQLite database: {error}") \
            from None
    if answer != "ok":
        raise BackupError(f"{copy} fails SQLite's integrity check: {answer}")


# PostgreSQL.

def _pg_url(settings: Settings) -> str:
    parts = urlsplit(settings.database_url)
    return parts._replace(scheme="postgresql").geturl()


def _run(command: list[str], name: str) -> None:
    shown = [redact(part.split("=", 1)[-1]) if "://" in part else part
             for part in command]
    try:
        result = subprocess.run(command, capture_output=True, text=True,
                                check=False, timeout=3600)
    except FileNotFoundError:
        raise BackupError(f"{name} is not installed; install the PostgreSQL "
                          "client tools") from None
    if result.returncode != 0:
        raise BackupError(f"{' '.join(shown)} failed: {result.stderr.strip()}")


# Files.

def _copy_files(source: Path, target: Path, skip: set[Path]) -> tuple[int, int]:
    """Copy every file under `source`, leaving out the database and `skip`."""
    count = size = 0
    if not source.exists():
        return count, size
    for path in sorted(source.rglob("*")):
        if not path.is_file() or _skipped(path, skip):
            continue
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        count += 1
        size += path.stat().st_size
    return count, size


def _skipped(path: Path, skip: set[Path]) -> bool:
    resolved = path.resolve()
    for left_out in skip:
        if resolved == left_out or left_out in resolved.parents:
            return True
        # The database's journal files go with it, never on their own.
        if resolved.name.startswith(left_out.name + "-") and \
                resolved.parent == left_out.parent:
            return True
    return resolved.name.endswith(".restoring")


def _manifest(source: Path) -> dict[str, object]:
    try:
        return dict(json.loads((source / MANIFEST).read_text()))
    except FileNotFoundError:
        raise BackupError(f"{source} is not a casehub backup: it has no "
                          f"{MANIFEST}") from None
    except ValueError as error:
        raise BackupError(f"{source / MANIFEST} is damaged: {error}") from None
