"""Data protection: finished cases leave phones, retention, and a constituent's
copy and erasure."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from server import casework, photos
from server.hub.models import Contact
from server.models import Case, CaseEvent, CasePhoto, EventKind, Photo, Status
from server.privacy import constituents
from server.privacy.constituents import Who
from server.privacy.release import release_finished
from server.privacy.retention import apply_retention
from sync.feed import write_transaction
from sync.models import Change
from tests.factories import enroll, make_council, new_case, pull_all, push
from tests.sim import SimDevice, Stored
from tests.test_sync_scenarios import small_jpeg

CONSTITUENT = {"name": "Bridget Quinlan", "address": "14 Wellwood Street",
               "phone": "07700 900123", "email": "bridget@example.org"}


async def raise_with(client, council, member=0, **extra):
    token = await enroll(client, council.members[member])
    created = new_case(council.fly_tipping, 1, constituent=CONSTITUENT,
                       description="Bridget Quinlan says mattresses again", **extra)
    response = await push(client, token, [created])
    assert (await response.get_json())["results"][0]["status"] == "applied"
    return token, await Case.get(id=created["args"]["case_id"])


async def finish(case: Case, council, days_ago: int) -> None:
    async with write_transaction() as writer:
        fresh = await Case.select_for_update().get(id=case.id)
        await casework.change_status(writer, fresh, council.agent, Status.CLOSED)
    await Case.filter(id=case.id).update(
        updated_at=datetime.now(UTC) - timedelta(days=days_ago))


async def test_a_case_closed_long_enough_ago_leaves_the_phone(client):
    council = await make_council()
    token, old = await raise_with(client, council)
    _, recent = await raise_with(client, council)
    await finish(old, council, days_ago=100)
    await finish(recent, council, days_ago=10)
    phone = SimDevice(client, token)
    await phone.pull_all()

    released = await release_finished(datetime.now(UTC), keep_days=90)
    again = await release_finished(datetime.now(UTC), keep_days=90)
    await phone.pull_all()

    assert (released, again) == (1, 0)
    assert (await Case.get(id=old.id)).released_at is not None
    assert ("release", str(old.id)) in phone.stored.confirmed
    assert phone.stored.confirmed[("release", str(old.id))] == {"case_id": str(old.id)}
    # The released case goes to its member alone, and the recent one stays.
    other = SimDevice(client, await enroll(client, council.members[1]))
    await other.pull_all()
    assert ("release", str(old.id)) not in other.stored.confirmed
    assert (await Case.get(id=recent.id)).released_at is None


async def test_reopening_a_released_case_sends_it_back_whole(client):
    council = await make_council()
    token, case = await raise_with(client, council)
    await finish(case, council, days_ago=100)
    await release_finished(datetime.now(UTC), keep_days=90)
    _, cursor, _ = await pull_all(client, token)

    async with write_transaction() as writer:
        fresh = await Case.select_for_update().get(id=case.id)
        await casework.change_status(writer, fresh, council.agent, Status.REOPENED)

    changes, _, _ = await pull_all(client, token, cursor)
    assert (await Case.get(id=case.id)).released_at is None
    kinds = {c["data"]["kind"] for c in changes if c["entity"] == "event"}
    assert {"created", "status_change"} <= kinds
    assert any(c["entity"] == "case" and c["id"] == str(case.id) for c in changes)


async def test_past_retention_a_case_keeps_its_record_but_not_its_people(
        client, settings):
    council = await make_council()
    token = await enroll(client, council.members[0])
    picture = small_jpeg()
    phone = SimDevice(client, token)
    sha = phone.keep_photo(picture)
    phone.mutate("case.create", {
        **new_case(council.fly_tipping, 1, constituent=CONSTITUENT,
                   photos=[sha])["args"], "description": "At Bridget's gate"})
    await phone.sync()
    case = await Case.get(description="At Bridget's gate")
    async with write_transaction() as writer:
        await casework.reply(writer, case, council.agent, "Bridget will be called.")
    await finish(case, council, days_ago=2200)
    stored_photo = photos.path_for(settings.photo_dir, sha)

    done = await apply_retention(datetime.now(UTC), settings)

    kept = await Case.get(id=case.id)
    assert done == 1
    assert (kept.reference, kept.status) == (case.reference, Status.CLOSED)
    assert kept.anonymised_at is not None and kept.released_at is not None
    assert kept.constituent_name is kept.constituent_email is None
    assert kept.address is None and kept.latitude is None
    assert "Bridget" not in kept.description
    texts = json.dumps([e.data for e in await CaseEvent.filter(case_id=case.id)])
    assert "Bridget" not in texts
    assert not await CasePhoto.exists(case_id=case.id)
    assert not await Photo.exists(sha256=sha)
    assert not stored_photo.exists()
    feed = json.dumps([c.data for c in await Change.filter(entity_id=str(case.id))])
    assert "Bridget" not in feed and "Wellwood" not in feed
    fresh = SimDevice(client, token, "fresh", Stored())
    await fresh.pull_all()
    assert ("case", str(case.id)) not in fresh.stored.confirmed
    assert await apply_retention(datetime.now(UTC), settings) == 0


async def test_two_retention_rounds_at_once_anonymise_each_case_once(
        client, settings):
    council = await make_council()
    cases = [(await raise_with(client, council, member=i))[1] for i in range(3)]
    for case in cases:
        await finish(case, council, days_ago=2200)

    rounds = await asyncio.gather(apply_retention(datetime.now(UTC), settings),
                                  apply_retention(datetime.now(UTC), settings))

    assert sum(rounds) == 3
    assert await Case.filter(anonymised_at__isnull=False).count() == 3


async def test_a_constituent_gets_everything_held_about_them(client):
    council = await make_council()
    _, case = await raise_with(client, council)
    await raise_with(client, council, member=1)
    async with write_transaction() as writer:
        await casework.internal_note(writer, case, council.agent,
                                     "Bridget rang the hub too.")

    by_phone = await constituents.export(Who(phone="+44 7700 900 123"))
    by_email = await constituents.export(Who(email="BRIDGET@example.org"))
    nobody = await constituents.export(Who(email="someone@example.org"))

    assert len(by_phone["cases"]) == len(by_email["cases"]) == 2
    assert nobody["cases"] == []
    document = next(d for d in by_email["cases"] if d["reference"] == case.reference)
    assert document["constituent"]["name"] == "Bridget Quinlan"
    assert document["matched_on"] == ["email"]
    notes = [e["data"].get("text") for e in document["timeline"]]
    assert "Bridget rang the hub too." in notes
    assert json.loads(json.dumps(by_email))["searched_for"] == {
        "email": "BRIDGET@example.org"}


async def test_erasure_takes_the_constituent_out_of_cases_phones_and_feed(client):
    council = await make_council()
    token, case = await raise_with(client, council)
    async with write_transaction() as writer:
        await casework.add_note(writer, case, council.members[0],
                                "Called bridget@example.org back")
    await Contact.filter(case_id=case.id).update(summary="Bridget Quinlan rang")
    phone = SimDevice(client, token)
    await phone.pull_all()

    erased = await constituents.erase(Who(email="bridget@example.org"), council.admin)

    assert erased == [case.reference]
    kept = await Case.get(id=case.id)
    assert kept.constituent_name is None and kept.constituent_phone is None
    assert "Bridget" not in kept.description and "[erased]" in kept.description
    events = json.dumps([e.data for e in await CaseEvent.filter(case_id=case.id)])
    assert "bridget@example.org" not in events.lower()
    assert "Bridget" not in (await Contact.get(case_id=case.id)).summary
    await phone.pull_all()
    held = phone.held("case")[str(case.id)]
    assert held["constituent"] == {"name": None, "address": None, "phone": None,
                                   "email": None}
    feed = json.dumps([c.data for c in await Change.all()])
    assert "Bridget" not in feed and "bridget@" not in feed.lower()
    fresh = SimDevice(client, token, "fresh", Stored())
    await fresh.pull_all()
    assert fresh.stored.confirmed == phone.stored.confirmed
    staff_notes = await CaseEvent.filter(case_id=case.id, kind=EventKind.INTERNAL_NOTE)
    assert any("erased" in note.data["text"] for note in staff_notes)


def test_a_search_needs_something_to_search_by():
    assert not Who(name=" ", email="")
    assert Who(address="Wellwood")


async def test_a_phone_number_too_short_to_tell_people_apart_matches_nobody(client):
    council = await make_council()
    await raise_with(client, council)

    assert await constituents.find(Who(phone="900123")) != []
    assert await constituents.find(Who(phone="123")) == []
