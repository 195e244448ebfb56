"""Device reports, the set-up checklist they tick, and test alerts."""

from __future__ import annotations

import uuid

import aiohttp
import pytest

from server.errors import ApiError
from server.notifications import vapid
from server.notifications.models import AlertKind, Delivery, Notification
from server.notifications.worker import PushWorker
from server.rollout import alert_checks, reports
from server.rollout.models import AlertCheck, DeviceReport
from sync.models import Device
from tests.factories import bearer, enroll, make_council
from tests.fake_push import fake, loopback_settings

__all__ = ["fake"]

FRESH = {"platform": "android", "installed": False, "notifications": "default",
         "push_subscribed": False, "pending_changes": 0,
         "storage_persisted": False, "app_version": "0.1.0"}


@pytest.fixture
def settings(settings):
    return loopback_settings(settings)


async def report(client, token, **facts):
    response = await client.put("/api/devices/report", headers=bearer(token),
                                json={**FRESH, **facts})
    assert response.status_code == 200, await response.get_data(as_text=True)
    return (await response.get_json())["checklist"]


async def subscribe(client, fake, token):
    device = fake.new_device()
    response = await client.put("/api/push/subscription", headers=bearer(token),
                                json=device.subscription())
    assert response.status_code == 200, await response.get_data(as_text=True)
    return device


async def test_the_checklist_follows_what_the_phone_reports(client, fake):
    council = await make_council()
    token = await enroll(client, council.members[0])
    device = await Device.get()
    assert await reports.checklist(device) == reports.Checklist()

    ticked = await report(client, token)
    assert not any(ticked.values())

    ticked = await report(client, token, installed=True, storage_persisted=True,
                          first_sync_at="2026-12-03T10:00:00Z")
    assert ticked == {"installed": True, "push_subscribed": False,
                      "test_push_received": False, "first_sync": True,
                      "storage_persisted": True, "done": False}

    # The phone says it subscribed; the server must hold the subscription too.
    assert (await report(client, token, push_subscribed=True))[
        "push_subscribed"] is False
    await subscribe(client, fake, token)
    assert (await report(client, token, push_subscribed=True))[
        "push_subscribed"] is True

    # Each report replaces the last: a phone that lost its storage says so.
    assert (await report(client, token))["installed"] is False
    assert await DeviceReport.all().count() == 1


async def test_a_report_is_checked(client):
    council = await make_council()
    token = await enroll(client, council.members[0])

    for wrong, field in ((dict(platform="nokia"), "platform"),
                         (dict(pending_changes=-1), "pending_changes"),
                         (dict(extra=True), "extra")):
        response = await client.put("/api/devices/report", headers=bearer(token),
                                    json={**FRESH, **wrong})
        body = await response.get_json()
        assert response.status_code == 422
        assert body["code"] == "invalid_field" and body["field"] == field
    response = await client.put("/api/devices/report", json=FRESH)
    assert response.status_code == 401


async def test_a_test_alert_arrives_and_its_receipt_ticks_the_checklist(
        client, fake, settings):
    council = await make_council()
    token = await enroll(client, council.members[0])

    refused = await client.post("/api/devices/test-push", headers=bearer(token))
    assert refused.status_code == 409
    assert (await refused.get_json())["code"] == "push_not_subscribed"
    assert await AlertCheck.all().count() == 0

    await subscribe(client, fake, token)
    response = await client.post("/api/devices/test-push", headers=bearer(token))
    assert response.status_code == 202
    alert_id = (await response.get_json())["id"]
    fake.server_key = vapid.load_or_create(settings.data_dir).public_key
    async with aiohttp.ClientSession() as session:
        assert await PushWorker(settings).run_once(session) == 1

    [message] = fake.messages
    assert message.data["kind"] == "test" and message.data["id"] == alert_id
    assert message.data["url"] == "/#setup"
    assert "case_id" not in message.data
    row = await Notification.get()
    assert row.kind == AlertKind.TEST and row.status == Delivery.SENT

    # Another alert's id ticks nothing; this one's does.
    assert (await report(client, token, test_push_id=str(uuid.uuid4())))[
        "test_push_received"] is False
    assert (await report(client, token, test_push_id=alert_id))[
        "test_push_received"] is True
    assert await reports.push_state(await Device.get()) == "working"


async def test_another_phone_cannot_claim_a_test_alert(client, fake):
    council = await make_council()
    first = await enroll(client, council.members[0])
    second = await enroll(client, council.members[1])
    await subscribe(client, fake, first)
    sent = await client.post("/api/devices/test-push", headers=bearer(first))
    alert_id = (await sent.get_json())["id"]

    assert (await report(client, second, test_push_id=alert_id))[
        "test_push_received"] is False
    assert await AlertCheck.filter(received_at__isnull=False).count() == 0


async def test_a_revoked_phone_gets_no_test_alert(client, fake):
    council = await make_council()
    token = await enroll(client, council.members[0])
    await subscribe(client, fake, token)
    device = await Device.get()
    await Device.filter(id=device.id).update(revoked_at=device.created_at)
    with pytest.raises(ApiError) as caught:
        await alert_checks.send(await Device.get(), council.trainer)
    assert caught.value.code == "device_signed_out"
