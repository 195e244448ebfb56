"""The worker against a fake push service: what arrives, and each answer."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from server.notifications import payload, vapid
from server.notifications.delivery import retry_after
from server.notifications.models import Delivery, Notification, PushSubscription
from server.notifications.worker import PushWorker
from tests.fake_push import Answer, change_status, fake, loopback_settings, scene

__all__ = ["fake"]


@pytest.fixture
def settings(settings):
    return loopback_settings(settings)


async def send_batch(settings, fake, **options) -> int:
    fake.server_key = vapid.load_or_create(settings.data_dir).public_key
    worker = PushWorker(settings, **options)
    async with aiohttp.ClientSession() as session:
        return await worker.run_once(session)


async def test_an_alert_arrives_encrypted_signed_and_labelled(client, fake,
                                                             settings):
    setup = await scene(client, fake)
    await change_status(client, setup.case.reference, "acknowledged")

    assert await send_batch(settings, fake) == 1

    assert fake.problems == []
    (message,) = fake.messages
    row = await Notification.get()
    assert message.data == row.payload
    assert message.data["reference"] == setup.case.reference
    assert message.data["tag"] == str(setup.case.id)
    assert message.headers["TTL"] == "86400"
    assert message.headers["Urgency"] == "low"
    assert message.headers["Topic"] == payload.topic(setup.case.id)
    assert message.claims["sub"] == settings.vapid_contact
    assert message.size < 4096
    assert row.status == Delivery.SENT and row.sent_at is not None


@pytest.mark.parametrize("status", [404, 410])
async def test_a_subscription_the_service_forgot_is_dropped(client, fake, settings,
                                                            status):
    setup = await scene(client, fake)
    fake.answer(setup.devices[0], Answer(status), Answer(status))
    await change_status(client, setup.case.reference, "acknowledged")
    await change_status(client, setup.case.reference, "in_progress")

    await send_batch(settings, fake)

    assert await PushSubscription.all().count() == 0
    assert {row.status for row in await Notification.all()} == {Delivery.GONE}
    assert fake.messages == []

    await change_status(client, setup.case.reference, "resolved")
    assert await Notification.all().count() == 2


async def test_a_refused_size_is_retried_once_with_the_minimal_alert(client, fake,
                                                                    settings):
    setup = await scene(client, fake)
    fake.answer(setup.devices[0], Answer(413))
    await change_status(client, setup.case.reference, "acknowledged")

    await send_batch(settings, fake)

    assert fake.refused == [(setup.devices[0].endpoint.rsplit("/", 1)[1], 413)]
    (message,) = fake.messages
    assert set(message.data) == {"v", "id", "kind", "case_id", "reference", "tag"}
    assert (await Notification.get()).status == Delivery.SENT


async def test_a_second_refused_size_is_not_retried_again(client, fake, settings):
    setup = await scene(client, fake)
    fake.answer(setup.devices[0], Answer(413), Answer(413))
    await change_status(client, setup.case.reference, "acknowledged")

    await send_batch(settings, fake)

    assert len(fake.refused) == 2 and fake.messages == []
    row = await Notification.get()
    assert row.status == Delivery.PENDING and row.attempts == 1


async def test_too_many_requests_waits_as_long_as_asked(client, fake, settings):
    setup = await scene(client, fake)
    fake.answer(setup.devices[0], Answer(429, {"Retry-After": "120"}))
    await change_status(client, setup.case.reference, "acknowledged")

    await send_batch(settings, fake)

    row = await Notification.get()
    wait = (row.next_attempt_at - datetime.now(UTC)).total_seconds()
    assert row.status == Delivery.PENDING and row.claim is None
    assert 110 < wait <= 120
    assert row.last_error == "429"
    assert await send_batch(settings, fake) == 0


def test_retry_after_reads_seconds_and_dates():
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    assert retry_after("30", now) == timedelta(seconds=30)
    assert retry_after("Thu, 03 Dec 2026 12:02:00 GMT", now) == timedelta(minutes=2)
    assert retry_after("Thu, 03 Dec 2026 11:00:00 GMT", now) == timedelta(0)
    assert retry_after("soon", now) is None
    assert retry_after("999999999", now) == timedelta(days=1)


async def test_server_errors_back_off_then_give_up_with_the_reason(client, fake,
                                                                   settings):
    setup = await scene(client, fake)
    fake.answer(setup.devices[0], *[Answer(500)] * 3)
    await change_status(client, setup.case.reference, "acknowledged")

    await send_batch(settings, fake, max_attempts=3, backoff=60)
    row = await Notification.get()
    assert row.status == Delivery.PENDING and row.attempts == 1
    assert (row.next_attempt_at - datetime.now(UTC)).total_seconds() > 25

    for attempt in (2, 3):
        await Notification.all().update(next_attempt_at=datetime.now(UTC))
        await send_batch(settings, fake, max_attempts=3, backoff=60)
        row = await Notification.get()
        assert row.attempts == attempt

    assert row.status == Delivery.FAILED
    assert row.last_error.startswith("gave up after 3 attempts: 500")
    assert fake.messages == []
    assert await send_batch(settings, fake) == 0


async def test_an_unreachable_service_is_retried(client, fake, settings):
    setup = await scene(client, fake)
    await change_status(client, setup.case.reference, "acknowledged")
    await fake.stop()

    await send_batch(settings, fake, timeout=2)

    row = await Notification.get()
    assert row.status == Delivery.PENDING and row.attempts == 1
    assert row.last_error.startswith("network")


async def test_a_worker_killed_mid_batch_leaves_nothing_unsent(client, fake,
                                                               settings):
    setup = await scene(client, fake)
    for number in range(24):
        response = await client.post(
            f"/api/staff/cases/{setup.case.reference}/replies",
            json={"text": f"Update {number}"},
        )
        assert response.status_code == 200
    fake.server_key = vapid.load_or_create(settings.data_dir).public_key
    fake.delay = 0.3

    first = PushWorker(settings, concurrency=4, batch=24, lease=1.0, poll=30)
    task = asyncio.create_task(first.run())
    await fake.wait_for(6)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    statuses = Counter(row.status for row in await Notification.all())
    in_flight = statuses[Delivery.SENDING]
    assert 0 < in_flight <= 4
    assert statuses[Delivery.PENDING] > 0

    fake.delay = 0
    await asyncio.sleep(1.1)
    while await send_batch(settings, fake, lease=1.0):
        pass

    rows = await Notification.all()
    assert {row.status for row in rows} == {Delivery.SENT}
    arrived = Counter(message.data["id"] for message in fake.messages)
    assert set(arrived) == {row.payload["id"] for row in rows}
    repeated = {alert for alert, count in arrived.items() if count > 1}
    assert max(arrived.values()) <= 2
    assert len(repeated) <= in_flight
    assert {row.payload["id"] for row in rows if row.reclaims} == repeated
    topics = {message.headers["Topic"] for message in fake.messages}
    tags = {message.data["tag"] for message in fake.messages}
    assert topics == {payload.topic(setup.case.id)}
    assert tags == {str(setup.case.id)}


async def test_a_queued_alert_wakes_the_worker(client, fake, settings):
    setup = await scene(client, fake)
    fake.server_key = vapid.load_or_create(settings.data_dir).public_key
    worker = PushWorker(settings, poll=30, due_every=3600)
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.2)

    try:
        started = time.monotonic()
        await change_status(client, setup.case.reference, "acknowledged")
        await fake.wait_for(1, within=5)
        assert time.monotonic() - started < 1.0
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_two_workers_never_claim_the_same_alert(client, fake, settings):
    setup = await scene(client, fake, devices=3)
    for status in ("acknowledged", "in_progress", "resolved"):
        await change_status(client, setup.case.reference, status)

    one, two = PushWorker(settings, batch=5), PushWorker(settings, batch=5)
    first, second = await asyncio.gather(one.claim(), two.claim())

    mine = {row.id for row in first}
    theirs = {row.id for row in second}
    assert mine.isdisjoint(theirs)
    assert len(mine | theirs) == 9
    assert await two.claim() == []


async def test_after_rotation_alerts_are_signed_with_the_new_key(client, fake,
                                                                 settings):
    setup = await scene(client, fake)
    worker = PushWorker(settings)
    fake.server_key = vapid.load_or_create(settings.data_dir).public_key
    await change_status(client, setup.case.reference, "acknowledged")
    async with aiohttp.ClientSession() as session:
        assert await worker.run_once(session) == 1

        key, _ = await vapid.rotate_and_drop(settings.data_dir)
        fake.server_key = key.public_key
        again = await client.put("/api/push/subscription",
                                 headers={"Authorization": f"Bearer {setup.token}"},
                                 json=setup.devices[0].subscription())
        assert again.status_code == 200
        await change_status(client, setup.case.reference, "in_progress")
        assert await worker.run_once(session) == 1

    assert fake.problems == []
    first, second = fake.messages
    assert first.headers["Authorization"] != second.headers["Authorization"]
    assert second.headers["Authorization"].endswith(f"k={key.public_key}")
