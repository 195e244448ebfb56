"""The push key, and which push subscriptions a device may record."""

from __future__ import annotations

import stat

import pytest

from server.config import load_settings
from server.errors import ApiError
from server.notifications import vapid
from server.notifications.allowlist import check_endpoint
from server.notifications.models import PushSubscription
from tests.factories import bearer, enroll, make_council
from tests.fake_push import fake, loopback_settings

__all__ = ["fake"]


@pytest.fixture
def settings(settings):
    return loopback_settings(settings)


async def subscribe(client, token, body):
    return await client.put("/api/push/subscription", headers=bearer(token),
                            json=body)


async def test_the_key_is_made_once_and_kept_private(client, settings):
    first = await (await client.get("/api/push/key")).get_json()
    again = await (await client.get("/api/push/key")).get_json()

    assert first == again
    assert len(vapid.b64url_decode(first["public_key"])) == 65
    key_file = settings.data_dir / "vapid" / vapid.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert vapid.load_or_create(settings.data_dir).key_id == first["key_id"]


async def test_a_device_subscribes_refreshes_and_unsubscribes(client, fake):
    council = await make_council()
    token = await enroll(client, council.members[0])
    device = fake.new_device()

    first = await subscribe(client, token, device.subscription())
    again = await subscribe(client, token, device.subscription())
    assert first.status_code == again.status_code == 200
    body = await again.get_json()
    assert body["alerts"]["reply"] is True
    assert await PushSubscription.filter(user_id=council.members[0].id).count() == 1

    moved = fake.new_device()
    await subscribe(client, token, moved.subscription())
    rows = await PushSubscription.all()
    assert [row.endpoint for row in rows] == [moved.endpoint]

    gone = await client.delete("/api/push/subscription", headers=bearer(token))
    assert gone.status_code == 204
    assert await PushSubscription.all().count() == 0


async def test_a_revoked_device_loses_its_subscription(client, fake):
    council = await make_council()
    token = await enroll(client, council.members[0])
    kept_token = await enroll(client, council.members[0])
    await subscribe(client, token, fake.new_device().subscription())
    kept = fake.new_device()
    await subscribe(client, kept_token, kept.subscription())
    kept_row = await PushSubscription.get(endpoint=kept.endpoint)
    me = await (await client.get("/api/devices", headers=bearer(token))).get_json()
    (lost,) = [d for d in me["devices"] if d["id"] != str(kept_row.device_id)]

    response = await client.delete(f"/api/devices/{lost['id']}",
                                   headers=bearer(kept_token))

    assert response.status_code == 204
    rows = await PushSubscription.all()
    assert [row.endpoint for row in rows] == [kept.endpoint]


async def test_an_endpoint_moves_to_whoever_joined_last(client, fake):
    council = await make_council()
    device = fake.new_device()
    first = await enroll(client, council.members[0])
    second = await enroll(client, council.members[1])

    await subscribe(client, first, device.subscription())
    await subscribe(client, second, device.subscription())

    rows = await PushSubscription.all()
    assert [row.user_id for row in rows] == [council.members[1].id]


@pytest.mark.parametrize(("endpoint", "code"), [
    ("https://evil.example.com/push/1", "push_service_not_allowed"),
    ("http://169.254.169.254/latest/meta-data", "push_service_not_allowed"),
    ("https://fcm.googleapis.com.evil.example/x", "push_service_not_allowed"),
    ("https://notfcm.googleapis.com/x", "push_service_not_allowed"),
    ("http://fcm.googleapis.com/fcm/send/abc", "push_endpoint_insecure"),
    ("ftp://fcm.googleapis.com/x", "push_endpoint_insecure"),
    ("https://user:pw@fcm.googleapis.com/x", "push_endpoint_invalid"),
    ("not a url", "push_endpoint_invalid"),
])
async def test_endpoints_outside_the_allow_list_are_refused(client, fake, endpoint,
                                                           code):
    council = await make_council()
    token = await enroll(client, council.members[0])
    body = fake.new_device().subscription() | {"endpoint": endpoint}

    response = await subscribe(client, token, body)

    problem = await response.get_json()
    assert response.status_code == 422, problem
    assert problem["code"] == code
    assert problem["field"] == "endpoint"
    assert await PushSubscription.all().count() == 0


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/abc",
    "https://web.push.apple.com/QGx1",
    "https://wns2-db5p.notify.windows.com/w/?token=abc",
])
async def test_the_known_push_services_are_accepted(client, fake, endpoint):
    council = await make_council()
    token = await enroll(client, council.members[0])
    body = fake.new_device().subscription() | {"endpoint": endpoint}

    response = await subscribe(client, token, body)

    assert response.status_code == 200, await response.get_data(as_text=True)


async def test_loopback_is_refused_unless_configured(fake, tmp_path):
    default = load_settings({"CASEHUB_DATA_DIR": str(tmp_path)})
    configured = load_settings({"CASEHUB_DATA_DIR": str(tmp_path),
                                "CASEHUB_PUSH_HOSTS": "127.0.0.1"})
    endpoint = fake.new_device().endpoint

    check_endpoint(endpoint, configured.push_hosts)
    with pytest.raises(ApiError, match="not a push service"):
        check_endpoint(endpoint, default.push_hosts)


async def test_malformed_keys_are_refused(client, fake):
    council = await make_council()
    token = await enroll(client, council.members[0])
    body = fake.new_device().subscription()
    body["keys"]["auth"] = "c2hvcnQ"

    response = await subscribe(client, token, body)

    assert response.status_code == 422
    assert (await response.get_json())["code"] == "push_keys_invalid"


async def test_rotation_changes_the_key_and_drops_old_subscriptions(client, fake,
                                                                    settings):
    council = await make_council()
    token = await enroll(client, council.members[0])
    before = await (await client.get("/api/push/key")).get_json()
    await subscribe(client, token, fake.new_device().subscription())

    key, dropped = await vapid.rotate_and_drop(settings.data_dir)

    after = await (await client.get("/api/push/key")).get_json()
    assert after["key_id"] == key.key_id != before["key_id"]
    assert after["public_key"] != before["public_key"]
    assert dropped == 1
    assert await PushSubscription.all().count() == 0

    renewed = await subscribe(client, token, fake.new_device().subscription())
    assert (await renewed.get_json())["key_id"] == key.key_id
