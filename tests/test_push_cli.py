"""`casehub push-worker` and `casehub rotate-vapid`, run as real commands."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from server.notifications import vapid
from server.notifications.models import Delivery, Notification, PushSubscription
from tests.fake_push import change_status, fake, loopback_settings, scene

__all__ = ["fake"]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(settings):
    return loopback_settings(settings)


def environment(settings) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT),
            "CASEHUB_DATA_DIR": str(settings.data_dir),
            "CASEHUB_DATABASE_URL": settings.database_url,
            "CASEHUB_PUSH_HOSTS": "127.0.0.1",
            "CASEHUB_VAPID_CONTACT": settings.vapid_contact}


async def casehub(settings, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from server.cli import main; raise SystemExit(main())",
        *args, env=environment(settings), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def test_the_push_worker_command_sends_and_finishes_its_batch(client, fake,
                                                              settings):
    setup = await scene(client, fake)
    fake.server_key = vapid.load_or_create(settings.data_dir).public_key
    await change_status(client, setup.case.reference, "acknowledged")
    await change_status(client, setup.case.reference, "in_progress")

    worker = await casehub(settings, "push-worker")
    try:
        await fake.wait_for(2, within=30)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = await asyncio.wait_for(worker.communicate(), 30)

    assert worker.returncode == 0, errors.decode()
    assert fake.problems == []
    assert [m.data["kind"] for m in fake.messages] == ["acknowledged", "status"]
    # Stopping lets the batch in hand finish: nothing is left half-sent.
    assert {row.status for row in await Notification.all()} == {Delivery.SENT}


async def test_the_rotate_command_drops_old_subscriptions(client, fake, settings):
    await scene(client, fake)
    before = vapid.load_or_create(settings.data_dir)

    rotation = await casehub(settings, "rotate-vapid")
    output, errors = await asyncio.wait_for(rotation.communicate(), 60)

    assert rotation.returncode == 0, errors.decode()
    after = vapid.load_or_create(settings.data_dir)
    assert after.key_id != before.key_id
    assert after.key_id in output.decode()
    assert await PushSubscription.all().count() == 0
    key = await (await client.get("/api/push/key")).get_json()
    assert key["key_id"] == after.key_id
