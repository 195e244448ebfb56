"""Backups taken while casehub serves, and a restore drill with phones mid-work."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from server.backup import BackupError, backup, restore
from server.config import load_settings
from tests.chaos import Network, Server, seed
from tests.conftest import ENGINE
from tests.sim import Fault, Offline, SimDevice, Stored

PROJECT = Path(__file__).resolve().parents[1]


def casehub(data_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    script = f"from server.cli import main; raise SystemExit(main({list(argv)!r}))"
    return subprocess.run([sys.executable, "-c", script], cwd=PROJECT,
                          env={"CASEHUB_DATA_DIR": str(data_dir),
                               "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120, check=False)


def marks_in(database: Path) -> list[str]:
    """The mark each phone put in what it wrote, once per copy held."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT description FROM cases UNION ALL "
            "SELECT data FROM case_events WHERE kind = 'note'").fetchall()
    connection.close()
    found = []
    for (text,) in rows:
        found += [word for word in text.replace('"', " ").split()
                  if word.startswith("mark-")]
    return found


def create(phone: SimDevice, category: int) -> str:
    mark = f"mark-{uuid.uuid4().hex[:12]}"
    phone.mutate("case.create", {"case_id": str(uuid.uuid4()), "category_id": category,
                                 "description": f"Bin missed {mark}",
                                 "answers": {"bin": "Blue"}})
    return mark


def note(phone: SimDevice) -> str:
    mark = f"mark-{uuid.uuid4().hex[:12]}"
    case_id = sorted(phone.held("case"))[0]
    phone.mutate("case.note", {"case_id": case_id, "event_id": str(uuid.uuid4()),
                               "text": f"Still missed {mark}"})
    return mark


@pytest.mark.skipif(ENGINE != "sqlite", reason="a served SQLite casehub")
async def test_a_restore_drill_resends_pending_work_once(tmp_path):
    data_dir = tmp_path / "data"
    codes, category, _ = await seed(data_dir, 4)
    server = Server(data_dir, tmp_path / "serve.log")
    await asyncio.to_thread(server.start)
    network = Network(server.url)
    try:
        phones = []
        for _, code in codes:
            joined = await network.post("/api/devices/enroll", json={"code": code})
            phones.append(SimDevice(network, (await joined.get_json())["token"]))

        # Before the backup: work that every phone has sent.
        kept = [create(phone, category) for phone in phones for _ in range(3)]
        await asyncio.gather(*(phone.sync() for phone in phones))

        # The backup runs while the phones keep pushing.
        busy = [note(phone) for phone in phones for _ in range(20)]
        taken = asyncio.to_thread(casehub, data_dir, "backup",
                                  str(tmp_path / "backup"))
        result, *_ = await asyncio.gather(taken, *(p.sync() for p in phones))
        assert result.returncode == 0, result.stderr
        assert "Backed up the sqlite database" in result.stdout

        # After it: work the server acknowledged (which the restore loses),
        # work whose answer was lost, and work not yet sent.
        after = [note(phone) for phone in phones]
        await asyncio.gather(*(phone.sync() for phone in phones))
        unanswered = [note(phone) for phone in phones[:2]]
        for phone in phones[:2]:
            with pytest.raises(Offline):
                await phone.push(Fault.LOSE_RESPONSE)
        offline = [note(phone) for phone in phones[2:]]
        pending = {p.id for phone in phones for p in phone.stored.outbox}
        assert len(pending) == len(unanswered) + len(offline)

        server.kill()
        restored = await asyncio.to_thread(casehub, data_dir, "restore",
                                           str(tmp_path / "backup"))
        assert restored.returncode == 0, restored.stderr
        await asyncio.to_thread(server.start)

        for phone in phones:
            # The first push meets a server that stands behind the phone:
            # told where it stands, the phone numbers its outbox on from there.
            await phone.sync()
            assert phone.last_pull is not None and phone.last_pull["reset"]
            await phone.sync()
            assert phone.stored.outbox == []
        converged = []
        for phone in phones:
            fresh = SimDevice(network, phone.token, "fresh", Stored())
            await fresh.pull_all()
            converged.append(fresh.stored.confirmed == phone.stored.confirmed)
        assert all(converged)
    finally:
        await network.http.aclose()
        server.kill()

    marks = marks_in(data_dir / "casehub.db")
    assert sorted(set(marks)) == sorted(marks), "a mutation took effect twice"
    assert set(kept) <= set(marks)
    assert set(unanswered) | set(offline) <= set(marks)
    # Work the server had acknowledged after the backup is gone with it; the
    # notes sent while the backup ran are in it or not, never half.
    assert not set(after) & set(marks)
    assert set(marks) <= set(kept) | set(busy) | set(unanswered) | set(offline)


@pytest.mark.skipif(ENGINE != "sqlite", reason="copies the SQLite file")
def test_a_backup_holds_the_files_and_a_sound_database(tmp_path):
    data_dir = tmp_path / "data"
    asyncio.run(seed(data_dir, 2))
    photo = data_dir / "photos" / "ab" / ("ab" * 32)
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a photo")
    settings = load_settings({"CASEHUB_DATA_DIR": str(data_dir)})

    summary = backup(settings, tmp_path / "copy")

    assert summary.files >= 1
    copied = tmp_path / "copy" / "files" / "photos" / "ab" / ("ab" * 32)
    assert copied.read_bytes() == b"\xff\xd8 a photo"
    assert not (tmp_path / "copy" / "files" / "casehub.db").exists()
    manifest = json.loads((tmp_path / "copy" / "manifest.json").read_text())
    assert manifest["engine"] == "sqlite"
    with sqlite3.connect(tmp_path / "copy" / "casehub.db") as connection:
        users = connection.execute("SELECT count(*) FROM users").fetchone()[0]
    connection.close()
    assert users >= 2


def test_a_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    settings = load_settings({"CASEHUB_DATA_DIR": str(tmp_path / "data")})
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")

    with pytest.raises(BackupError, match="not empty"):
        backup(settings, tmp_path / "full")


def test_a_restore_refuses_what_is_not_a_backup(tmp_path):
    settings = load_settings({"CASEHUB_DATA_DIR": str(tmp_path / "data")})
    (tmp_path / "nothing").mkdir()
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "manifest.json").write_text("{not json")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "manifest.json").write_text('{"engine": "sqlite"}')
    (corrupt / "casehub.db").write_bytes(b"this is not SQLite" * 100)
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text('{"engine": "postgres"}')

    with pytest.raises(BackupError, match=r"no manifest\.json"):
        restore(settings, tmp_path / "nothing")
    with pytest.raises(BackupError, match="damaged"):
        restore(settings, damaged)
    with pytest.raises(BackupError, match="not a readable SQLite database"):
        restore(settings, corrupt)
    with pytest.raises(BackupError, match="postgres backup"):
        restore(settings, other)
    assert not (tmp_path / "data" / "casehub.db").exists()


def test_the_commands_report_a_refusal_without_a_traceback(tmp_path):
    (tmp_path / "nothing").mkdir()

    result = casehub(tmp_path / "data", "restore", str(tmp_path / "nothing"))

    assert result.returncode == 1
    assert result.stderr.startswith("casehub: ")
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(ENGINE != "postgres", reason="pg_dump and pg_restore")
async def test_postgres_backs_up_and_restores_with_its_own_tools(settings, tmp_path):
    from server.db import close_database, open_database
    from server.models import Ward

    await open_database(settings)
    await Ward.create(name="Before the backup")
    await close_database()

    summary = await asyncio.to_thread(backup, settings, tmp_path / "copy")
    await open_database(settings)
    await Ward.create(name="After the backup")
    await close_database()
    await asyncio.to_thread(restore, settings, tmp_path / "copy")

    await open_database(settings)
    names = set(await Ward.all().values_list("name", flat=True))
    await close_database()
    assert summary.engine == "postgres"
    assert (tmp_path / "copy" / "casehub.pgdump").stat().st_size > 0
    assert names == {"Before the backup"}
