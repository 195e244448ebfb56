"""The logs hold ids and references, never secrets or anyone's personal details.

A day's work goes through the app with every casehub logger at DEBUG and the
rest at INFO, as a server is run: joining, syncing a case with its
constituent, staff signing in and working it, a refused sign-in, email in and
out, push alerts. Then no log line may hold any of it.
"""

from __future__ import annotations

import logging
import uuid

from server import enrollment
from server.mail import intake
from server.mail.worker import MailWorker
from server.models import Case, User
from server.routes.staff import SIGN_IN_LIMIT
from tests.factories import PASSWORD, bearer, make_council, new_case, push, sign_in
from tests.fake_push import FakePushService
from tests.fake_smtp import Sink

CONSTITUENT = {"name": "Bridget Quinlan", "address": "14 Wellwood Street",
               "phone": "07700 900123", "email": "bridget@example.org"}
DESCRIPTION = "Mattresses dumped behind number fourteen"
NOTE = "Her neighbour Seamus says it is the landlord"
REPLY = "A crew is booked for Thursday"


async def test_a_days_work_leaves_no_personal_data_or_secret_in_the_logs(
        client, caplog):
    caplog.set_level(logging.INFO)
    for name in ("server", "sync", "casehub"):
        caplog.set_level(logging.DEBUG, logger=name)
    council = await make_council()
    member = council.members[0]
    code = await enrollment.issue_code(member, council.trainer, 72)
    joined = await client.post("/api/devices/enroll",
                               json={"code": code, "device_name": "Bridget's phone"})
    token = (await joined.get_json())["token"]
    service = FakePushService()
    await service.start()
    try:
        device = service.new_device()
        await client.put("/api/push/subscription", headers=bearer(token),
                         json=device.subscription())
    finally:
        await service.stop()
    created = new_case(council.fly_tipping, 1, description=DESCRIPTION,
                       constituent=CONSTITUENT)
    await push(client, token, [created, {
        **new_case(council.fly_tipping, 2), "name": "case.note",
        "args": {"case_id": created["args"]["case_id"],
                 "event_id": str(uuid.uuid4()), "text": NOTE}}])
    await client.post("/api/sync/pull", headers=bearer(token), json={"protocol": 1})
    reference = (await Case.get(id=created["args"]["case_id"])).reference

    for _ in range(SIGN_IN_LIMIT + 1):
        await client.post("/api/staff/session",
                          json={"email": council.agent.email,
                                "password": "hunter2-wrong"})
    await _reset_attempts()
    await sign_in(client, council.agent)
    await client.post(f"/api/staff/cases/{reference}/replies", json={"text": REPLY})
    await client.post(f"/api/staff/cases/{reference}/handoff",
                      json={"department_id": council.cleansing.id})
    await client.get(f"/staff/cases/{reference}")
    await _mail_in(client, member)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    secrets = [code, token, PASSWORD, "hunter2-wrong", *CONSTITUENT.values(),
               DESCRIPTION, NOTE, REPLY, member.email, council.agent.email,
               "Bridget's phone", device.endpoint,
               device.subscription()["keys"]["auth"]]
    found = [secret for secret in secrets if secret.lower() in logged.lower()]
    assert found == []
    # The logs are not silent: they say what happened, by id and reference.
    assert f"enrollment code issued for user {member.id}" in logged
    assert "too many staff attempts" in logged
    assert "sent message" in logged


async def _reset_attempts() -> None:
    from server.models import SignInAttempt

    await SignInAttempt.all().delete()


async def _mail_in(client, member: User) -> None:
    """An email from the member taken in, and the hub's mail sent to a relay."""
    settings = client.app.config["SETTINGS"]
    message = (f"From: {member.email}\r\nTo: members@casehub.localhost\r\n"
               f"Message-ID: <{uuid.uuid4().hex}@councillors.test>\r\n"
               f"Subject: Bins at {CONSTITUENT['address']}\r\n\r\n"
               f"{CONSTITUENT['name']} says the bins were missed.\r\n")
    taken = await intake.take_in(settings, message.encode(), member.email,
                                 ["members@casehub.localhost"])
    assert taken is not None
    sink = await Sink().start()
    try:
        sent = await MailWorker(sink.relay).run_once()
    finally:
        await sink.stop()
    assert sent >= 1 and sink.received
