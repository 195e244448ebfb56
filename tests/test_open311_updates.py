"""The updates extension: the hub's progress goes out, reporters' comments come in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server import casework
from server.hub import actions
from server.hub.models import Contact
from server.models import Case, CaseEvent, Channel, EventKind, Status
from server.open311 import keys
from sync.feed import write_transaction
from tests.factories import make_council
from tests.open311_client import (
    BASE,
    UPDATE_FIELDS,
    json_of,
    new_key,
    post_form,
    report,
    same_in_both,
    tags,
    xml_of,
)

UPDATE_LISTS = frozenset({"service_requests_updates"})


async def _sent(client, council, key: str) -> Case:
    answer = await json_of(await post_form(client, "/requests.json",
                                           report(key)))
    return await Case.get(reference=answer[0]["service_request_id"])


async def _hub_works(council, case: Case) -> None:
    """A hand-off, a reply, and the staff-only work around them."""
    async with write_transaction() as writer:
        case = await Case.get(id=case.id)
        await actions.assign(writer, case, council.agent, council.agent, take=True)
        await casework.internal_note(writer, case, council.agent,
                                     "Third report at this entry this month.")
        await casework.hand_off(writer, case, council.agent, council.cleansing,
                                "Crew booked for Thursday.")
        await casework.reply(writer, case, council.officer,
                             "We will clear it on Thursday morning.")


async def test_a_hand_off_and_a_reply_show_as_updates(client):
    council = await make_council()
    key = await new_key()
    case = await _sent(client, council, key)
    await _hub_works(council, case)

    updates, root = await same_in_both(
        client, f"/servicerequestupdates?api_key={key}", UPDATE_LISTS)

    assert root.tag == "service_requests_updates"
    assert set(tags(root)) == {"request_update"}
    assert all(tags(update) == UPDATE_FIELDS for update in root)
    assert [(u["status"], u["external_status_code"], u["description"])
            for u in updates] == [
        ("OPEN", "submitted", "Passed to Cleansing and Waste. Crew booked for "
                              "Thursday."),
        ("INVESTIGATING", "with_department",
         "Passed to the department that will deal with it."),
        ("INVESTIGATING", "with_department",
         "We will clear it on Thursday morning."),
    ]
    assert {u["service_request_id"] for u in updates} == {case.reference}
    events = {str(e.id): e.kind for e in await CaseEvent.filter(case_id=case.id)}
    assert [events[u["update_id"]] for u in updates] == [
        EventKind.HANDOFF, EventKind.STATUS_CHANGE, EventKind.REPLY]
    for update in updates:
        assert datetime.fromisoformat(update["updated_datetime"]).tzinfo is not None

    (request,) = await json_of(await client.get(
        f"{BASE}/requests/{case.reference}.json"))
    assert request["status_notes"] == "We will clear it on Thursday morning."
    assert request["agency_responsible"] == "Cleansing and Waste"


async def test_updates_need_the_clients_key(client):
    council = await make_council()
    key = await new_key()
    await _sent(client, council, key)

    missing = await client.get(f"{BASE}/servicerequestupdates.json")
    wrong = await client.get(f"{BASE}/servicerequestupdates.xml?api_key=o311_x")
    await keys.revoke("FixMyStreet")
    revoked = await client.get(f"{BASE}/servicerequestupdates.json?api_key={key}")

    assert missing.status_code == wrong.status_code == revoked.status_code == 403
    assert (await xml_of(wrong)).findtext("error/code") == "403"
    assert "revoked" in (await json_of(revoked))[0]["description"]


async def test_a_client_reads_only_its_own_reports(client):
    council = await make_council()
    ours, theirs = await new_key(), await new_key("Love Clean Streets")
    case = await _sent(client, council, theirs)
    await _hub_works(council, case)

    updates = await json_of(await client.get(
        f"{BASE}/servicerequestupdates.json?api_key={ours}"))

    assert updates == []


async def test_updates_keep_to_their_window(client):
    council = await make_council()
    key = await new_key()
    case = await _sent(client, council, key)
    await _hub_works(council, case)
    await CaseEvent.filter(case_id=case.id, kind=EventKind.REPLY).update(
        created_at=datetime.now(UTC) - timedelta(days=2))

    recent = await json_of(await client.get(
        f"{BASE}/servicerequestupdates.json?api_key={key}"))
    start = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    older = await json_of(await client.get(
        f"{BASE}/servicerequestupdates.json?api_key={key}&start_date={start}"
        f"&end_date={end}"))
    paged = await json_of(await client.get(
        f"{BASE}/servicerequestupdates.json?api_key={key}&page_size=1&page=2"))

    assert [u["description"] for u in older] == [
        "We will clear it on Thursday morning."]
    assert len(recent) == 2
    assert paged == recent[1:]


def _comment(key: str, case: Case, update_id: str = "fms-77",
             **extra: str | None) -> list[tuple[str, str]]:
    fields = {
        "api_key": key, "jurisdiction_id": "council.test",
        "service_request_id": case.reference, "update_id": update_id,
        "updated_datetime": "2026-12-01T10:30:00+00:00", "status": "OPEN",
        "description": "It is still there and now there are two.",
        "first_name": "Jane", "last_name": "Smith", "email": "jane@example.org",
    }
    fields.update(extra)
    return [(name, value) for name, value in fields.items() if value is not None]


async def test_a_reporters_comment_joins_the_case(client):
    council = await make_council()
    key = await new_key()
    case = await _sent(client, council, key)

    response = await post_form(client, "/servicerequestupdates.xml",
                               _comment(key, case))

    assert response.status_code == 200, await response.get_data(as_text=True)
    root = await xml_of(response)
    assert root.tag == "service_request_updates"
    assert tags(root) == ["request_update"]
    assert tags(root[0]) == ["update_id"]
    note = await CaseEvent.get(id=root.findtext("request_update/update_id"))
    assert note.kind == EventKind.NOTE
    assert note.data["text"] == "It is still there and now there are two."
    assert (note.data["via"], note.data["name"]) == ("FixMyStreet", "Jane Smith")
    assert note.author_id is None
    assert note.client_created_at == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    contacts = await Contact.filter(case_id=case.id).order_by("id")
    assert [(c.channel, c.source) for c in contacts] == [
        (Channel.WEB, "FixMyStreet"), (Channel.WEB, "FixMyStreet")]
    assert (await Case.get(id=case.id)).status == Status.SUBMITTED

    updates = await json_of(await client.get(
        f"{BASE}/servicerequestupdates.json?api_key={key}"))
    assert updates == []


async def test_a_comment_sent_twice_is_recorded_once(client):
    council = await make_council()
    key = await new_key()
    case = await _sent(client, council, key)

    first = await json_of(await post_form(client, "/servicerequestupdates.json",
                                          _comment(key, case)))
    again = await json_of(await post_form(client, "/servicerequestupdates.json",
                                          _comment(key, case)))

    assert first == again
    assert await CaseEvent.filter(case_id=case.id, kind=EventKind.NOTE).count() == 1


async def test_a_comment_that_it_is_not_fixed_reopens_the_case(client):
    council = await make_council()
    key = await new_key()
    case = await _sent(client, council, key)
    async with write_transaction() as writer:
        await casework.change_status(writer, await Case.get(id=case.id),
                                     council.agent, Status.RESOLVED, "Cleared.")

    response = await post_form(client, "/servicerequestupdates.json",
                               _comment(key, case, status="open"))

    assert response.status_code == 200
    case = await Case.get(id=case.id)
    assert case.status == Status.REOPENED
    (request,) = await json_of(await client.get(
        f"{BASE}/requests/{case.reference}.json"))
    assert request["status"] == "open"
    updates = await json_of(await client.get(
        f"{BASE}/servicerequestupdates.json?api_key={key}"))
    assert [(u["status"], u["description"]) for u in updates] == [
        ("FIXED", "Cleared.")]


async def test_a_comment_that_it_is_fixed_leaves_the_decision_to_the_hub(client):
    council = await make_council()
    key = await new_key()
    case = await _sent(client, council, key)

    response = await post_form(client, "/servicerequestupdates.json", _comment(
        key, case, status="FIXED", description="Gone this morning."))

    assert response.status_code == 200
    assert (await Case.get(id=case.id)).status == Status.SUBMITTED


async def test_a_comment_needs_its_fields_and_a_report_of_the_client(client):
    council = await make_council()
    key = await new_key()
    other = await new_key("Love Clean Streets")
    case = await _sent(client, council, key)

    cases = {
        "no id": (_comment(key, case, update_id=None), 400, "update_id is required"),
        "no time": (_comment(key, case, updated_datetime="yesterday"), 400,
                    "updated_datetime must be"),
        "odd status": (_comment(key, case, status="MAYBE"), 400, "status must"),
        "no words": (_comment(key, case, description=""), 400,
                     "description is required"),
        "unknown report": (_comment(key, case, service_request_id="CH-000001"),
                           404, "CH-000001"),
        "another system's report": (_comment(other, case), 404, case.reference),
        "no key": (_comment("", case), 403, "api_key"),
    }
    for name, (form, status, words) in cases.items():
        response = await post_form(client, "/servicerequestupdates.json", form)
        assert response.status_code == status, name
        assert words in (await json_of(response))[0]["description"], name
    assert await CaseEvent.filter(case_id=case.id, kind=EventKind.NOTE).count() == 0
