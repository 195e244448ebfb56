"""The sync protocol's promises, one failure at a time, through the HTTP API."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import uuid
from typing import Any

from PIL import Image

from server import tokens
from server.models import Case, CaseEvent, Status
from sync.models import AppliedMutation, Device, SyncState
from tests.factories import (
    Council,
    bearer,
    enroll,
    make_council,
    new_case,
    push,
    sign_in,
)
from tests.sim import Fault, SimDevice


async def phone(client: Any, council: Council, member: int = 0) -> SimDevice:
    token = await enroll(client, council.members[member])
    return SimDevice(client, token, f"member{member}")


async def staff_phone(client: Any, user: Any) -> SimDevice:
    """A device for a member of staff, made as the admin pages would make it."""
    token = tokens.new_device_token()
    await Device.create(id=uuid.uuid4(), user_id=user.id, name="work phone",
                        token_hash=tokens.digest(token))
    return SimDevice(client, token, user.email)


def case_args(council: Council, **extra: Any) -> dict[str, Any]:
    return new_case(council.fly_tipping, 1, **extra)["args"]


def small_jpeg(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


async def push_body(device: SimDevice, batch: list[dict[str, Any]]) -> Any:
    response = await push(device.client, device.token, batch)
    return response.status_code, await response.get_json()


async def reference_of(case_id: str) -> str:
    return (await Case.get(id=case_id)).reference


# Exactly once, in order.

async def test_a_lost_answer_is_retried_and_applied_once(client):
    council = await make_council()
    device = await phone(client, council)
    pending = device.mutate("case.create", case_args(council))

    await device.sync(Fault.LOSE_RESPONSE)
    assert device.stored.outbox == [pending]

    await device.push()
    assert device.last_push["results"][0]["status"] == "duplicate"
    assert await Case.filter(id=pending.args["case_id"]).count() == 1
    assert await AppliedMutation.filter(id=pending.id).count() == 1

    await device.pull_all()
    assert device.stored.outbox == []
    assert device.last_pull["acknowledged_seq"] == 1


async def test_batches_that_cross_leave_a_gap_and_then_apply_in_order(client):
    council = await make_council()
    device = await phone(client, council)
    first = [new_case(council.fly_tipping, 1), new_case(council.missed_bin, 2)]
    later = [new_case(council.overgrown, 3)]

    status, body = await push_body(device, later)
    assert status == 409
    assert body["code"] == "mutation_gap"
    assert body["expected_seq"] == 1
    assert await Case.all().count() == 0

    status, body = await push_body(device, first)
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    status, body = await push_body(device, later)
    assert body["results"][0]["status"] == "applied"
    assert body["last_seq"] == 3

    applied = await AppliedMutation.all().order_by("seq")
    assert [m.seq for m in applied] == [1, 2, 3]
    assert [m.version for m in applied] == sorted(m.version for m in applied)


async def test_the_same_push_twice_at_once_applies_once(client):
    council = await make_council()
    device = await phone(client, council)
    batch = [new_case(council.fly_tipping, 1), new_case(council.missed_bin, 2),
             new_case(council.overgrown, 3)]

    answers = await asyncio.gather(push_body(device, batch),
                                   push_body(device, batch))

    assert [status for status, _ in answers] == [200, 200]
    statuses = sorted(r["status"] for _, body in answers for r in body["results"])
    assert statuses == ["applied"] * 3 + ["duplicate"] * 3
    assert await Case.all().count() == 3
    assert await AppliedMutation.all().count() == 3


async def test_a_number_used_again_for_another_mutation_is_refused(client):
    council = await make_council()
    device = await phone(client, council)
    await push_body(device, [new_case(council.fly_tipping, 1)])

    status, body = await push_body(device, [new_case(council.missed_bin, 1)])

    assert status == 409
    assert body["code"] == "sequence_reused"
    assert await Case.all().count() == 1


# Refusals never block the queue.

async def test_refused_mutations_reach_the_member_and_do_not_block(client):
    council = await make_council()
    await sign_in(client, council.agent)
    device = await phone(client, council)
    create = device.mutate("case.create", case_args(council))
    await device.sync()
    case_id = create.args["case_id"]
    response = await client.post(
        f"/api/staff/cases/{await reference_of(case_id)}/status",
        json={"status": "closed"},
    )
    assert response.status_code == 200

    on_closed = device.mutate("case.note", {"case_id": case_id,
                                            "event_id": str(uuid.uuid4()),
                                            "text": "Still there this morning"})
    unknown = device.mutate("case.teleport", {"case_id": case_id})
    bad_args = device.mutate("case.create", case_args(council, category_id="bins"))
    nul = device.mutate("case.note", {"case_id": case_id,
                                      "event_id": str(uuid.uuid4()),
                                      "text": "Bins\x00 again"})
    after = device.mutate("case.create", case_args(council))
    await device.push()

    results = {r["id"]: r for r in device.last_push["results"]}
    assert results[on_closed.id]["status"] == "rejected"
    assert results[on_closed.id]["error"]["code"] == "case_finished"
    assert results[unknown.id]["error"]["code"] == "unknown_mutation"
    assert results[bad_args.id]["error"]["code"] == "invalid_argument"
    assert results[bad_args.id]["error"]["field"] == "category_id"
    assert results[nul.id]["error"]["field"] == "text"
    assert results[after.id]["status"] == "applied"

    await device.pull_all()
    rejections = device.held("rejection")
    assert set(rejections) == {on_closed.id, unknown.id, bad_args.id, nul.id}
    assert rejections[bad_args.id]["field"] == "category_id"
    assert rejections[unknown.id]["name"] == "case.teleport"
    assert after.args["case_id"] in device.held("case")
    assert device.stored.outbox == []


# Pages.

async def test_a_page_never_splits_one_transaction(client):
    council = await make_council()
    await sign_in(client, council.agent)
    device = await phone(client, council)
    create = device.mutate("case.create", case_args(council))
    for n in range(6):
        device.mutate("case.note", {"case_id": create.args["case_id"],
                                    "event_id": str(uuid.uuid4()),
                                    "text": f"Note {n}"})
    await device.sync()
    reference = await reference_of(create.args["case_id"])
    response = await client.post(f"/api/staff/cases/{reference}/handoff",
                                 json={"department_id": council.cleansing.id})
    assert response.status_code == 200
    handoff_version = (await Case.get(id=create.args["case_id"])).version

    officer = await staff_phone(client, council.officer)
    pages = []
    while True:
        body = await officer.pull(limit=3)
        pages.append(body)
        if not body["more"]:
            break

    handoff_pages = [page for page in pages
                     if any(c["version"] == handoff_version for c in page["changes"])]
    assert len(handoff_pages) == 1
    events = [c for c in handoff_pages[0]["changes"] if c["entity"] == "event"]
    stored = await CaseEvent.filter(case_id=create.args["case_id"]).count()
    assert len(events) == stored > 3


async def test_the_acknowledged_number_never_runs_ahead_of_the_page(client):
    council = await make_council()
    device = await phone(client, council)
    created = []
    for _ in range(5):
        created.append(device.mutate("case.create", case_args(council)))
        await device.push()
    case_of_seq = {m.seq: m.args["case_id"] for m in created}

    seen: set[str] = set()
    acknowledged = []
    while True:
        body = await device.pull(limit=2)
        seen |= {c["id"] for c in body["changes"] if c["entity"] == "case"}
        acknowledged.append(body["acknowledged_seq"])
        for seq in range(1, body["acknowledged_seq"] + 1):
            assert case_of_seq[seq] in seen, (seq, acknowledged)
        if not body["more"]:
            break

    assert acknowledged == sorted(acknowledged)
    assert acknowledged[-1] == 5
    assert len(set(acknowledged)) == 6


# Cursors.

async def test_a_forged_or_garbled_cursor_is_refused(client):
    council = await make_council()
    device = await phone(client, council)
    await device.pull_all()
    body, signature = device.stored.cursor.split(".")
    forged_body = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged_body[0] = 0
    forged = base64.urlsafe_b64encode(json.dumps(forged_body).encode()).decode()

    for cursor in (f"{forged.rstrip('=')}.{signature}", "not-a-cursor", "a.b",
                   "é.é", device.stored.cursor[:-2]):
        response = await client.post("/api/sync/pull", headers=bearer(device.token),
                                     json={"protocol": 1, "cursor": cursor})
        problem = await response.get_json()
        assert response.status_code == 400, (cursor, problem)
        assert problem["code"] == "invalid_cursor"


async def test_a_cursor_from_before_a_restore_starts_again(client):
    council = await make_council()
    device = await phone(client, council)
    device.mutate("case.create", case_args(council))
    await device.sync()
    held = dict(device.stored.confirmed)
    await SyncState.filter(id=1).update(epoch="restored0000")

    pending = device.mutate("case.create", case_args(council))
    device.stored.confirmed[("case", "left-over")] = {"stale": True}
    await device.sync()

    assert device.last_pull["reset"] is True
    assert ("case", "left-over") not in device.stored.confirmed
    assert held.items() <= device.stored.confirmed.items()
    assert pending.args["case_id"] in device.held("case")
    assert device.stored.outbox == []


# Who sees what.

async def test_a_department_that_loses_a_case_forgets_it(client):
    council = await make_council()
    await sign_in(client, council.agent)
    device = await phone(client, council)
    create = device.mutate("case.create", case_args(council))
    await device.sync()
    case_id = create.args["case_id"]
    reference = await reference_of(case_id)
    await client.post(f"/api/staff/cases/{reference}/handoff",
                      json={"department_id": council.cleansing.id})
    officer = await staff_phone(client, council.officer)
    await officer.pull_all()
    assert case_id in officer.held("case")
    epoch = council.officer.acl_epoch

    await client.post(f"/api/staff/cases/{reference}/handoff",
                      json={"department_id": council.parks.id})
    await council.officer.refresh_from_db()
    assert council.officer.acl_epoch == epoch + 1
    await officer.pull_all()

    assert officer.last_pull["reset"] is True
    assert case_id not in officer.held("case")
    assert not [e for e in officer.held("event").values() if e["case_id"] == case_id]
    assert officer.held("category")


async def test_a_member_sees_only_their_own_cases_and_no_internal_notes(client):
    council = await make_council()
    await sign_in(client, council.agent)
    mine, theirs = await phone(client, council, 0), await phone(client, council, 1)
    own = mine.mutate("case.create", case_args(council))
    other = theirs.mutate("case.create", case_args(council))
    await mine.sync()
    await theirs.sync()
    for case_id in (own.args["case_id"], other.args["case_id"]):
        reference = await reference_of(case_id)
        await client.post(f"/api/staff/cases/{reference}/internal-notes",
                          json={"text": "Member is chasing this weekly"})
        await client.post(f"/api/staff/cases/{reference}/replies",
                          json={"text": "Crew booked for Tuesday"})

    await mine.pull_all()

    assert set(mine.held("case")) == {own.args["case_id"]}
    events = mine.held("event").values()
    assert {e["case_id"] for e in events} == {own.args["case_id"]}
    assert "internal_note" not in {e["kind"] for e in events}
    assert "reply" in {e["kind"] for e in events}
    assert await CaseEvent.filter(kind="internal_note").count() == 2


# Upgrades, photos and clocks.

async def test_an_old_app_is_told_to_update_and_keeps_its_changes(client):
    council = await make_council()
    device = await phone(client, council)
    batch = [new_case(council.fly_tipping, 1), new_case(council.missed_bin, 2)]

    response = await client.post("/api/sync/push", headers=bearer(device.token),
                                 json={"protocol": 0, "mutations": batch})
    problem = await response.get_json()
    assert response.status_code == 409
    assert problem["code"] == "update_required"
    assert await AppliedMutation.all().count() == 0

    status, body = await push_body(device, batch)
    assert status == 200
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]


async def test_a_photo_named_before_its_upload_waits_for_it(client):
    council = await make_council()
    device = await phone(client, council)
    sha256 = device.keep_photo(small_jpeg())
    create = device.mutate("case.create", case_args(council, photos=[sha256]))
    behind = device.mutate("case.create", case_args(council))

    await device.push(Fault.SKIP_UPLOAD)
    first, *rest = device.last_push["results"]
    assert first["status"] == "not_yet"
    assert first["error"]["code"] == "photo_missing"
    assert first["error"]["missing"] == [sha256]
    assert rest == []
    assert device.last_push["last_seq"] == 0

    await device.sync()
    assert [r["status"] for r in device.last_push["results"]] == ["applied"] * 2
    assert device.held("case")[create.args["case_id"]]["photos"] == [sha256]
    assert behind.args["case_id"] in device.held("case")
    response = await client.get(f"/api/photos/{sha256}", headers=bearer(device.token))
    assert await response.get_data() == device.stored.photos[sha256]


async def test_the_phones_clock_does_not_order_the_timeline(client):
    council = await make_council()
    fast, slow = await phone(client, council, 0), await phone(client, council, 0)
    create = fast.mutate("case.create", case_args(council))
    await fast.sync()
    case_id = create.args["case_id"]

    def note(text: str) -> dict[str, Any]:
        return {"case_id": case_id, "event_id": str(uuid.uuid4()), "text": text}

    first = slow.mutate("case.note", note("first"), "2026-11-29T09:00:00+00:00")
    await slow.sync()
    second = fast.mutate("case.note", note("second"), "2026-12-01T09:00:00+00:00")
    await fast.sync()
    third = slow.mutate("case.note", note("third"), "2026-11-29T09:05:00+00:00")
    await slow.sync()

    events = await CaseEvent.filter(case_id=case_id, kind="note").order_by("version")
    ids = [str(event.id) for event in events]
    wanted = [first.args["event_id"], second.args["event_id"],
              third.args["event_id"]]
    assert ids == wanted
    assert events[1].client_created_at > events[2].client_created_at
    held = slow.held("event")
    assert held[wanted[1]]["client_created_at"].startswith("2026-12-01")

    await sign_in(client, council.agent)
    reference = await reference_of(case_id)
    detail = await (await client.get(f"/api/staff/cases/{reference}")).get_json()
    shown = [e["id"] for e in detail["events"] if e["kind"] == "note"]
    assert shown == wanted
    assert (await Case.get(id=case_id)).status == Status.SUBMITTED
