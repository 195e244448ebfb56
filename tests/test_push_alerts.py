"""Which changes queue alerts, for whom, and what the alerts say."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server import casework
from server.models import Case, CaseKind, Status
from server.notifications import payload
from server.notifications.models import AlertKind, Delivery, Notification
from server.notifications.worker import PushWorker
from sync.feed import write_transaction
from tests.factories import enroll, mutation, pull_all, push
from tests.fake_push import (
    CONSTITUENT,
    change_status,
    fake,
    loopback_settings,
    scene,
)

__all__ = ["fake"]


@pytest.fixture
def settings(settings):
    return loopback_settings(settings)


class Boom(Exception):
    pass


async def test_a_status_change_queues_one_alert_per_device(client, fake):
    setup = await scene(client, fake, devices=2)

    await change_status(client, setup.case.reference, "acknowledged")

    rows = await Notification.all().order_by("id")
    assert len(rows) == 2
    assert {row.subscription_id for row in rows} != {None}
    assert len({row.subscription_id for row in rows}) == 2
    assert {row.kind for row in rows} == {AlertKind.ACKNOWLEDGED}
    assert {row.status for row in rows} == {Delivery.PENDING}


async def test_a_change_rolled_back_queues_nothing(client, fake):
    setup = await scene(client, fake)

    with pytest.raises(Boom):
        async with write_transaction() as writer:
            case = await Case.get(id=setup.case.id)
            await casework.change_status(writer, case, setup.council.agent,
                                         Status.ACKNOWLEDGED)
            assert await Notification.all().using_db(writer.connection).count() == 1
            raise Boom

    assert await Notification.all().count() == 0
    assert (await Case.get(id=setup.case.id)).status == Status.SUBMITTED


async def test_each_kind_of_change_names_its_alert(client, fake):
    setup = await scene(client, fake)
    reference = setup.case.reference

    await change_status(client, reference, "acknowledged")
    await client.post(f"/api/staff/cases/{reference}/handoff",
                      json={"department_id": setup.council.cleansing.id})
    await change_status(client, reference, "in_progress")
    await client.post(f"/api/staff/cases/{reference}/replies",
                      json={"text": "Crew booked for Thursday."})
    await client.post(f"/api/staff/cases/{reference}/internal-notes",
                      json={"text": "Staff only"})
    await change_status(client, reference, "resolved")
    await change_status(client, reference, "closed")

    kinds = [row.kind for row in await Notification.all().order_by("id")]
    assert kinds == [AlertKind.ACKNOWLEDGED, AlertKind.HANDOFF, AlertKind.STATUS,
                     AlertKind.REPLY, AlertKind.RESOLVED, AlertKind.CLOSED]


async def test_the_member_hears_nothing_of_their_own_changes(client, fake):
    setup = await scene(client, fake)

    withdraw = mutation(2, "case.withdraw", {
        "case_id": str(setup.case.id),
        "event_id": "6c1b9c1e-3f6e-4a8e-9d55-0e8f5b1f0a01",
    })
    result = await (await push(client, setup.token, [withdraw])).get_json()

    assert result["results"][0]["status"] == "applied"
    assert await Notification.all().count() == 0


async def test_alerts_carry_the_reference_and_never_the_constituent(client, fake):
    setup = await scene(client, fake)
    reference = setup.case.reference

    await client.post(f"/api/staff/cases/{reference}/replies",
                      json={"text": f"Spoke to {CONSTITUENT['name']} at "
                                    f"{CONSTITUENT['address']}."})
    await change_status(client, reference, "resolved", note="Mattress gone")

    rows = await Notification.all()
    assert len(rows) == 2
    for row in rows:
        text = json.dumps(row.payload)
        assert row.payload["reference"] == reference
        for secret in (*CONSTITUENT.values(), "Spoke to", "Mattress",
                       setup.case.description):
            assert secret not in text
        assert len(payload.encode(row.payload)) <= payload.BUDGET


def test_payload_size_limits():
    payload.check_size(b"x" * payload.PLAINTEXT_LIMIT)
    with pytest.raises(payload.PayloadTooLarge):
        payload.check_size(b"x" * (payload.PLAINTEXT_LIMIT + 1))

    longest = payload.build("f" * 32, AlertKind.HANDOFF,
                            uuid.uuid4(), "CH-999999",
                            {"department": "D" * 120}, "2026-12-03T10:00:00+00:00")
    assert len(payload.encode(longest)) < payload.BUDGET


async def test_the_member_chooses_their_alerts_on_every_device(client, fake):
    setup = await scene(client, fake)
    other_phone = await enroll(client, setup.council.members[0])

    choice = mutation(2, "settings.alerts",
                      {"alerts": {"acknowledged": False, "reply": True}})
    result = await (await push(client, setup.token, [choice])).get_json()
    assert result["results"][0]["status"] == "applied"

    await change_status(client, setup.case.reference, "acknowledged")
    await client.post(f"/api/staff/cases/{setup.case.reference}/replies",
                      json={"text": "On its way."})
    kinds = [row.kind for row in await Notification.all()]
    assert kinds == [AlertKind.REPLY]

    changes, _, _ = await pull_all(client, other_phone)
    settings_changes = [c for c in changes if c["entity"] == "settings"]
    assert len(settings_changes) == 1
    alerts = settings_changes[0]["data"]["alerts"]
    assert alerts["acknowledged"] is False
    assert alerts["reply"] is True and alerts["closed"] is True


async def test_an_unknown_alert_kind_is_rejected(client, fake):
    setup = await scene(client, fake)

    choice = mutation(2, "settings.alerts", {"alerts": {"birthdays": True}})
    result = await (await push(client, setup.token, [choice])).get_json()

    assert result["results"][0]["status"] == "rejected"


async def test_other_members_see_nothing_of_a_members_settings(client, fake):
    setup = await scene(client, fake)
    choice = mutation(2, "settings.alerts", {"alerts": {"closed": False}})
    await push(client, setup.token, [choice])

    stranger = await enroll(client, setup.council.members[1])
    changes, _, _ = await pull_all(client, stranger)

    assert [c for c in changes if c["entity"] == "settings"] == []


async def test_due_dates_alert_once_per_case_and_kind(client, fake, settings):
    setup = await scene(client, fake, kind=CaseKind.MEMBER_ENQUIRY.value)
    worker = PushWorker(settings)
    case = await Case.get(id=setup.case.id)

    case.due_at = datetime.now(UTC) + timedelta(hours=5)
    await case.save(update_fields=["due_at"])
    assert await worker.check_due() == 1
    assert await worker.check_due() == 0

    case.due_at = datetime.now(UTC) - timedelta(minutes=1)
    await case.save(update_fields=["due_at"])
    assert await worker.check_due() == 1
    assert await worker.check_due() == 0

    kinds = sorted(row.kind for row in await Notification.all())
    assert kinds == [AlertKind.DUE_SOON, AlertKind.OVERDUE]


async def test_service_requests_have_no_due_alerts(client, fake, settings):
    setup = await scene(client, fake)
    case = await Case.get(id=setup.case.id)
    case.due_at = datetime.now(UTC) - timedelta(days=1)
    await case.save(update_fields=["due_at"])

    assert case.kind == CaseKind.SERVICE_REQUEST
    assert await PushWorker(settings).check_due() == 0
