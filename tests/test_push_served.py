"""The worker started with the server sends alerts as soon as they are queued."""

from __future__ import annotations

import asyncio
import time

import pytest

from server.notifications import vapid
from server.notifications.models import Delivery, Notification
from tests.fake_push import change_status, fake, loopback_settings, scene

__all__ = ["fake"]


@pytest.fixture
def settings(settings):
    return loopback_settings(settings, worker=True)


async def test_the_served_app_sends_an_alert_within_a_second(app, client, fake,
                                                            settings):
    running = app.config["PUSH_WORKER"]
    assert running is not None and not running.task.done()
    setup = await scene(client, fake)
    fake.server_key = vapid.load_or_create(settings.data_dir).public_key

    started = time.monotonic()
    await change_status(client, setup.case.reference, "acknowledged")
    await fake.wait_for(1, within=5)

    assert time.monotonic() - started < 1.0
    assert fake.problems == []
    assert fake.messages[0].data["reference"] == setup.case.reference
    for _ in range(50):
        if (await Notification.get()).status == Delivery.SENT:
            break
        await asyncio.sleep(0.02)
    assert (await Notification.get()).status == Delivery.SENT


async def test_the_worker_stops_with_the_server(settings):
    from server.app import create_app

    application = create_app(settings)
    async with application.test_app():
        task = application.config["PUSH_WORKER"].task
        assert not task.done()
    assert task.done() and not task.cancelled()
