"""The authorization matrix: every route, for every role, against someone else's
resources. Nothing of theirs shows in any answer, and nothing of theirs changes.

One member (Aoife) has a phone, a case with a constituent, notes, an internal
note and a photo, handed to Cleansing; her trainer has a slot she booked; the
hub has mail no one sorted and a reply template. Then, in turn, nobody, a
second member, an officer of another department and a trainer of another
group call every route the app has, with plausible bodies, and each must be
turned away from what is not theirs.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from quart import Quart
from werkzeug.routing import Rule

from server import casework
from server.auth import hash_password
from server.hub.models import ResponseTemplate
from server.mail.models import Attachment, MailDirection, MailMessage, MailState
from server.models import Case, Role, User
from server.rollout import booking, slots
from server.rollout.models import Booking, Briefing
from sync.feed import write_transaction
from sync.models import Device
from tests.factories import PASSWORD, bearer, enroll, make_council, sign_in
from tests.sim import SimDevice
from tests.test_sync_scenarios import small_jpeg

SECRET = "Quillanmark"  # in every text of Aoife's casework and her phone
SKIPPED = re.compile(
    r"^/($|app/|static/|service-worker\.js|healthz|openapi\.json|open311/"
    r"|staff/sign-in|staff/sign-out|api/push/key)")
# Routes whose refusal of the wrong body is still a refusal: left out, as
# signing out would end the role's session for the rest of the run.
LEFT_OUT = {("DELETE", "/api/staff/session"), ("POST", "/api/staff/session"),
            ("POST", "/api/devices/enroll")}
# The training diary, briefings and booking invitations are the whole team's:
# any trainer may book, move or cancel a member's place, as the hub may.
TEAM_WIDE = re.compile(r"^/staff/training/(bookings|briefings|invitations)")
OBJECT_PARAMS = {"reference", "sha256", "device_id", "user_id", "member_id",
                 "mail_id", "attachment_id", "template_id", "booking_id",
                 "slot_id", "token"}


@dataclass
class Scene:
    aoife: User
    case: Case
    photo: str
    values: dict[str, str]
    council: Any
    other_trainer: User
    stranger_token: str


async def build(client: Any) -> Scene:
    council = await make_council()
    aoife = council.members[0]
    # Her name is on the trainers' shared diary of slots, as it should be;
    # what must stay hidden is her casework and her phone.
    await User.filter(id=aoife.id).update(trainer_id=council.trainer.id)
    token = await enroll(client, aoife)
    await Device.filter(user_id=aoife.id).update(name=f"{SECRET} phone")
    phone = SimDevice(client, token)
    picture = small_jpeg()
    sha = phone.keep_photo(picture)
    case_id = str(uuid.uuid4())
    phone.mutate("case.create", {
        "case_id": case_id, "category_id": council.fly_tipping.id,
        "description": f"Mattresses at {SECRET} Lane", "answers": {"what": "Mattress"},
        "constituent": {"name": f"Bridget {SECRET}", "email": f"{SECRET}@x.test"},
        "photos": [sha]})
    phone.mutate("case.note", {"case_id": case_id, "event_id": str(uuid.uuid4()),
                               "text": f"{SECRET} rang again"})
    await phone.sync()
    case = await Case.get(id=case_id)
    async with write_transaction() as writer:
        fresh = await Case.select_for_update().get(id=case.id)
        await casework.hand_off(writer, fresh, council.agent, council.cleansing)
        await casework.internal_note(writer, fresh, council.agent,
                                     f"{SECRET} internal")

    mail = await MailMessage.create(
        message_id=f"<{uuid.uuid4().hex}@x.test>", direction=MailDirection.IN,
        state=MailState.UNMATCHED, sender=f"{SECRET}@x.test",
        recipient="members@casehub.localhost", subject=f"From {SECRET}",
        body=f"{SECRET} writes", source=f"Subject: {SECRET}", created_at=_now())
    attachment = await Attachment.create(
        mail_id=mail.id, case_id=case.id, sha256=hashlib.sha256(b"x").hexdigest(),
        filename=f"{SECRET}.pdf", mime="application/pdf", size=1, created_at=_now())
    template = await ResponseTemplate.create(name=f"{SECRET} template",
                                             body=f"{SECRET} body")
    slot = await slots.publish(council.trainer, slots.NewSlot(
        starts_at=_now() + timedelta(days=3), minutes=60, place="Room 4",
        online_url=None))
    settings = client.app.config["SETTINGS"]
    await booking.book(settings, aoife, slot.id)
    booked = await Booking.get(member_id=aoife.id)
    briefing = await Briefing.create(party_id=aoife.party_id, starts_at=_now()
                                     + timedelta(days=5), minutes=60,
                                     place="Room 2")
    other_trainer = await User.create(
        email="trainer2@council.test", name="Second Trainer", role=Role.TRAINER,
        password_hash=hash_password(PASSWORD))
    stranger = await enroll(client, council.members[1])
    device = await Device.get(user_id=aoife.id)
    values = {
        "reference": case.reference, "sha256": sha, "device_id": str(device.id),
        "user_id": str(aoife.id), "member_id": str(aoife.id),
        "mail_id": str(mail.id), "attachment_id": str(attachment.id),
        "template_id": str(template.id), "booking_id": str(booked.id),
        "slot_id": str(slot.id), "briefing_id": str(briefing.id),
        "token": "not-a-real-booking-token", "table": "days",
    }
    return Scene(aoife, case, sha, values, council, other_trainer, stranger)


def _now() -> datetime:
    return datetime.now(UTC)


async def snapshot() -> dict[str, Any]:
    """Everything of Aoife's, her case's and the team's, as stored."""
    from tortoise import Tortoise

    connection = Tortoise.get_connection("default")
    tables = {
        "cases": "SELECT * FROM cases",
        "case_events": "SELECT id, kind, data FROM case_events",
        "case_photos": "SELECT case_id, photo_id FROM case_photos",
        "photos": "SELECT sha256 FROM photos",
        "handoffs": "SELECT case_id, department_id FROM handoffs",
        "mail": "SELECT id, state, case_id, subject FROM mail_messages",
        "attachments": "SELECT id, case_id FROM attachments",
        "templates": "SELECT * FROM response_templates",
        "categories": "SELECT * FROM categories",
        "departments": "SELECT * FROM departments",
        "users": "SELECT id, email, name, role, trainer_id, active FROM users",
        "devices": "SELECT id, user_id, revoked_at, name FROM devices",
        "codes": "SELECT user_id, used_at FROM enrollment_codes",
        "subscriptions": "SELECT device_id, endpoint FROM push_subscriptions",
        "slots": "SELECT * FROM training_slots",
        "bookings": ("SELECT id, slot_id, member_id, cancelled_at "
                     "FROM training_bookings"),
        "briefings": "SELECT * FROM briefings",
    }
    taken = {}
    for name, sql in tables.items():
        rows = await connection.execute_query_dict(sql)
        taken[name] = sorted(repr(sorted(row.items())) for row in rows)
    return taken


def rules(app: Quart) -> list[tuple[str, Rule]]:
    found = []
    for rule in app.url_map.iter_rules():
        if SKIPPED.match(rule.rule):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) not in LEFT_OUT:
                found.append((method, rule))
    return found


def path_of(rule: Rule, values: dict[str, str]) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[^:>]+:)?{name}>", values.get(name, "1"), path)
    return path


def json_body(scene: Scene, original: str) -> dict[str, Any]:
    """A body with a plausible value for every field any endpoint takes."""
    council = scene.council
    return {
        "text": "matrix", "status": "closed", "note": "matrix",
        "department_id": council.parks.id, "assignee_id": council.parks_officer.id,
        "category_id": council.overgrown.id, "priority": "urgent",
        "kind": "member_enquiry", "original": original,
        "member_id": scene.aoife.id, "summary": "matrix",
        "email": scene.aoife.email, "protocol": 1,
        "mutations": [{"id": str(uuid.uuid4()), "seq": 1, "name": "case.note",
                       "args": {"case_id": str(scene.case.id),
                                "event_id": str(uuid.uuid4()), "text": "matrix"}}],
        "endpoint": "https://fcm.googleapis.com/fcm/send/matrix",
        "keys": {"p256dh": "B" + "A" * 86, "auth": "tBHItJI5svbpez7KI4CCXg"},
    }


def form_body(scene: Scene, csrf: str, original: str) -> dict[str, str]:
    council = scene.council
    return {
        "csrf_token": csrf, "text": "matrix", "status": "closed", "note": "matrix",
        "department_id": str(council.parks.id),
        "assignee_id": str(council.parks_officer.id),
        "category_id": str(council.overgrown.id), "priority": "urgent",
        "kind": "member_enquiry", "reference": scene.case.reference,
        "original": original, "member_id": str(scene.aoife.id),
        "summary": "matrix", "reason": "matrix", "confirm": "yes",
        "email": scene.aoife.email, "slot_id": str(scene.values["slot_id"]),
        "name": "matrix", "body": "matrix", "minutes": "60", "place": "matrix",
    }


async def csrf_of(client: Any) -> str:
    text = await (await client.get("/staff/sign-in")).get_data(as_text=True)
    return text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


ROLES = ["nobody", "another member", "another department", "another trainer"]


@pytest.mark.parametrize("role", ROLES)
async def test_no_role_reaches_what_is_not_theirs(client, app, role):
    scene = await build(client)
    original = scene.case.reference
    headers: dict[str, str] = {}
    if role == "another member":
        headers = bearer(scene.stranger_token)
    elif role == "another department":
        await sign_in(client, scene.council.parks_officer)
    elif role == "another trainer":
        await sign_in(client, scene.other_trainer)
    csrf = await csrf_of(client)
    before = await snapshot()

    leaks, granted = [], []
    for method, rule in rules(app):
        if role == "another trainer" and TEAM_WIDE.match(rule.rule):
            continue
        path = path_of(rule, scene.values)
        if method == "GET":
            response = await client.get(path, headers=headers)
        elif rule.rule.startswith(("/staff/", "/training/")):
            response = await client.open(path, method=method, headers=headers,
                                         form=form_body(scene, csrf, original))
        else:
            response = await client.open(path, method=method, headers=headers,
                                         json=json_body(scene, original))
        text = await response.get_data(as_text=True)
        if SECRET.lower() in text.lower():
            leaks.append(f"{method} {rule.rule} -> {response.status_code}")
        names_a_resource = OBJECT_PARAMS & set(rule.arguments)
        if names_a_resource and response.status_code < 300:
            granted.append(f"{method} {rule.rule} -> {response.status_code}")

    assert leaks == [], f"{role} saw Aoife's data: {leaks}"
    assert granted == [], f"{role} was let through"
    after = await snapshot()
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], f"{role} changed what is not theirs: {changed}"


async def test_the_matrix_calls_every_route_the_app_serves(app):
    called = {rule.rule for _, rule in rules(app)}

    assert len(called) > 90
    assert {"/api/staff/cases/<reference>/handoff", "/staff/cases/<reference>",
            "/staff/mail/attachments/<int:attachment_id>",
            "/staff/training/members/<int:member_id>/code",
            "/api/devices/<uuid:device_id>", "/api/sync/push"} <= called


async def test_each_role_does_reach_what_is_theirs(client):
    """The matrix would prove nothing if the scene let nobody in at all."""
    scene = await build(client)
    council = scene.council

    await sign_in(client, council.officer)
    officer = await client.get(f"/staff/cases/{scene.case.reference}")
    await sign_in(client, council.trainer)
    trainer = await client.get(f"/staff/training/members/{scene.aoife.id}")
    token = await enroll(client, scene.aoife)
    owner_photo = await client.get(f"/api/photos/{scene.photo}",
                                   headers=bearer(token))

    assert officer.status_code == 200
    assert SECRET in await officer.get_data(as_text=True)
    assert trainer.status_code == 200
    assert SECRET in await trainer.get_data(as_text=True)
    assert owner_photo.status_code == 200

