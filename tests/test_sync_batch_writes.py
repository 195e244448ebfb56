"""A batch's events are written together at its end: ids stay unique, and an
undone mutation leaves nothing behind, not even in what is still to be written."""

from __future__ import annotations

import uuid
from typing import Any

from server.models import Case, CaseEvent, EventKind
from sync.models import Change
from tests.factories import enroll, make_council, mutation, new_case, pull_all, push


def note(seq: int, case_id: str, event_id: str, text: str = "Still there.") -> Any:
    return mutation(seq, "case.note", {"case_id": case_id, "event_id": event_id,
                                       "text": text})


async def results_of(response: Any) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, await response.get_data(as_text=True)
    body = await response.get_json()
    return [(r["status"], (r.get("error") or {}).get("code"))
            for r in body["results"]]


async def test_an_event_id_used_twice_in_one_batch_is_refused_the_second_time(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    create = new_case(council.fly_tipping, 1)
    case_id = create["args"]["case_id"]
    event_id = str(uuid.uuid4())

    response = await push(client, token, [
        create, note(2, case_id, event_id, "first"),
        note(3, case_id, event_id, "second"), note(4, case_id, str(uuid.uuid4())),
    ])

    assert await results_of(response) == [
        ("applied", None), ("applied", None), ("rejected", "event_exists"),
        ("applied", None)]
    notes = await CaseEvent.filter(case_id=case_id, kind=EventKind.NOTE)
    assert sorted(n.data["text"] for n in notes) == ["Still there.", "first"]


async def test_an_event_id_from_an_earlier_batch_is_refused(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    create = new_case(council.fly_tipping, 1)
    case_id = create["args"]["case_id"]
    event_id = str(uuid.uuid4())
    await push(client, token, [create, note(2, case_id, event_id)])

    response = await push(client, token, [note(3, case_id, event_id)])

    assert await results_of(response) == [("rejected", "event_exists")]
    assert await CaseEvent.filter(id=event_id).count() == 1


async def test_an_undone_mutation_leaves_no_event_and_frees_its_id(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    create = new_case(council.fly_tipping, 1)
    case_id = create["args"]["case_id"]
    other = str(uuid.uuid4())
    event_id = str(uuid.uuid4())

    response = await push(client, token, [
        create,
        # Not this member's case: refused after nothing was written.
        note(2, other, event_id),
        note(3, case_id, event_id, "kept"),
    ])

    assert await results_of(response) == [
        ("applied", None), ("rejected", "case_not_found"), ("applied", None)]
    (kept,) = await CaseEvent.filter(id=event_id)
    assert (str(kept.case_id), kept.data["text"]) == (case_id, "kept")


async def test_notes_in_one_batch_move_the_case_once_and_reach_the_feed(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    create = new_case(council.fly_tipping, 1)
    case_id = create["args"]["case_id"]
    await push(client, token, [create])
    before = await Case.get(id=case_id)

    await push(client, token, [note(2 + i, case_id, str(uuid.uuid4()), f"n{i}")
                               for i in range(5)])

    after = await Case.get(id=case_id)
    assert after.updated_at > before.updated_at and after.version > before.version
    changes, _, _ = await pull_all(client, token)
    case_changes = [c for c in changes if c["entity"] == "case"]
    assert case_changes[-1]["data"]["updated_at"] == after.updated_at.isoformat()
    assert await Change.filter(entity="case", entity_id=case_id,
                               version=after.version).count() == 1
    texts = {c["data"]["data"].get("text") for c in changes if c["entity"] == "event"}
    assert {f"n{i}" for i in range(5)} <= texts
