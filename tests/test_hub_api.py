"""The staff API for the hub's work: queue, details, assignment, duplicates,
templates and calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.hub import actions
from server.hub.models import Contact, ResponseTemplate
from server.models import Case, CaseEvent, Channel, EventKind, Priority
from tests.factories import make_council, sign_in
from tests.staff_forms import second_agent
from tests.test_errors import assert_problem
from tests.test_hub_actions import act, raise_case


async def test_the_queue_comes_most_urgent_first_with_its_targets(client):
    council = await make_council()
    later, late = await raise_case(council), await raise_case(council)
    await Case.filter(id=late.id).update(
        acknowledge_by=datetime.now(UTC) - timedelta(hours=1))
    await act(later, lambda w, c: actions.assign(w, c, council.agent,
                                                 council.agent))
    await sign_in(client, council.agent)

    response = await client.get("/api/staff/queue")
    body = await response.get_json()

    assert response.status_code == 200
    assert [case["reference"] for case in body["cases"]] == [late.reference,
                                                             later.reference]
    first = body["cases"][0]
    assert (first["category"], first["member"], first["ward"], first["channel"]) == (
        "Fly-tipping", "Member 0", "Botanic", "app")
    assert first["target"]["what"] == "acknowledge" and first["target"]["overdue"]
    assert body["cases"][1]["assigned_to"] == "Agent"
    assert (body["total"], body["overdue"], body["unmatched_mail"]) == (2, 1, 0)
    assert body["version"] > 0


async def test_the_queue_filters_like_the_page(client):
    council = await make_council()
    app = await raise_case(council)
    phoned = await raise_case(council, channel=Channel.PHONE, author=council.agent)
    await Case.filter(id=phoned.id).update(category_id=None)
    await sign_in(client, council.agent)

    by_channel = await (await client.get("/api/staff/queue?channel=phone")).get_json()
    unsorted = await (await client.get("/api/staff/queue?unsorted=true")).get_json()
    found = await (await client.get(
        f"/api/staff/queue?q={app.reference}")).get_json()

    assert [c["reference"] for c in by_channel["cases"]] == [phoned.reference]
    assert [c["reference"] for c in unsorted["cases"]] == [phoned.reference]
    assert [c["reference"] for c in found["cases"]] == [app.reference]


async def test_a_bad_queue_filter_is_named(client):
    council = await make_council()
    await sign_in(client, council.agent)

    response = await client.get("/api/staff/queue?who=everybody")

    await assert_problem(response, 422, "invalid_field", field="who")


async def test_details_change_through_patch(client):
    council = await make_council()
    case = await raise_case(council)
    await sign_in(client, council.agent)

    response = await client.patch(f"/api/staff/cases/{case.reference}", json={
        "category_id": council.missed_bin.id, "priority": "urgent"})
    body = await response.get_json()

    assert response.status_code == 200
    assert (body["category_id"], body["priority"], body["kind"]) == (
        council.missed_bin.id, "urgent", "service_request")
    stored = await Case.get(id=case.id)
    assert stored.priority == Priority.URGENT


async def test_details_refuse_an_unknown_category_and_an_officer(client):
    council = await make_council()
    case = await raise_case(council)
    await sign_in(client, council.agent)
    unknown = await client.patch(f"/api/staff/cases/{case.reference}",
                                 json={"category_id": 9999})
    bad = await client.patch(f"/api/staff/cases/{case.reference}",
                             json={"priority": "extreme"})

    await assert_problem(unknown, 422, "unknown_category", field="category_id")
    await assert_problem(bad, 422, "invalid_field", field="priority")


async def test_take_and_assign_and_who_took_it_first(client):
    council = await make_council()
    case = await raise_case(council)
    other = await second_agent()
    await sign_in(client, council.agent)

    taken = await client.post(f"/api/staff/cases/{case.reference}/take")
    again = await client.post(f"/api/staff/cases/{case.reference}/take")
    await sign_in(client, other)
    refused = await client.post(f"/api/staff/cases/{case.reference}/take")
    given = await client.put(f"/api/staff/cases/{case.reference}/assignee",
                             json={"assignee_id": other.id})
    nobody = await client.put(f"/api/staff/cases/{case.reference}/assignee",
                              json={"assignee_id": None})

    assert (await taken.get_json())["assigned_to_id"] == council.agent.id
    assert again.status_code == 200
    await assert_problem(refused, 409, "already_taken", field="assignee_id")
    assert "Agent has already taken" in (await refused.get_json())["detail"]
    assert (await given.get_json())["assigned_to_id"] == other.id
    assert (await nobody.get_json())["assigned_to_id"] is None


async def test_assigning_to_someone_unknown_or_unfit_is_refused(client):
    council = await make_council()
    case = await raise_case(council)
    await sign_in(client, council.agent)

    unknown = await client.put(f"/api/staff/cases/{case.reference}/assignee",
                               json={"assignee_id": 9999})
    member = await client.put(f"/api/staff/cases/{case.reference}/assignee",
                              json={"assignee_id": council.members[0].id})
    missing = await client.put(f"/api/staff/cases/{case.reference}/assignee",
                               json={})

    await assert_problem(unknown, 422, "unknown_assignee", field="assignee_id")
    await assert_problem(member, 422, "not_an_assignee", field="assignee_id")
    await assert_problem(missing, 422, "invalid_field", field="assignee_id")


async def test_duplicates_are_linked_and_suggested(client):
    council = await make_council()
    original = await raise_case(council, latitude=54.5873, longitude=-5.9301)
    case = await raise_case(council, latitude=54.5875, longitude=-5.9301)
    await sign_in(client, council.agent)

    nearby = await (await client.get(
        f"/api/staff/cases/{case.reference}/nearby")).get_json()
    linked = await client.post(f"/api/staff/cases/{case.reference}/duplicate-of",
                               json={"original": original.reference})
    unknown = await client.post(f"/api/staff/cases/{case.reference}/duplicate-of",
                                json={"original": "CH-999999"})
    itself = await client.post(f"/api/staff/cases/{case.reference}/duplicate-of",
                               json={"original": case.reference})
    loop = await client.post(f"/api/staff/cases/{original.reference}/duplicate-of",
                             json={"original": case.reference})

    assert [c["reference"] for c in nearby["cases"]] == [original.reference]
    assert 20 < nearby["cases"][0]["metres"] < 25
    assert linked.status_code == 200
    assert str((await Case.get(id=case.id)).duplicate_of_id) == str(original.id)
    await assert_problem(unknown, 404, "original_not_found", field="original")
    await assert_problem(itself, 422, "same_case", field="original")
    await assert_problem(loop, 409, "duplicate_loop", field="original")


async def test_templates_come_filled_in_for_the_case(client):
    council = await make_council()
    case = await raise_case(council)
    await ResponseTemplate.create(name="Ack", body="{reference} for {member_name}")
    await ResponseTemplate.create(name="Bins", body="x",
                                  category_id=council.missed_bin.id)
    await sign_in(client, council.agent)

    body = await (await client.get(
        f"/api/staff/cases/{case.reference}/templates")).get_json()

    assert [(t["name"], t["text"]) for t in body["templates"]] == [
        ("Ack", f"{case.reference} for Member 0")]


async def test_calls_are_logged_on_a_case_raising_one_or_alone(client):
    council = await make_council()
    case = await raise_case(council)
    await sign_in(client, council.agent)

    about = await client.post("/api/staff/calls", json={
        "member_id": council.members[0].id, "summary": "News?",
        "case_reference": case.reference})
    raised = await client.post("/api/staff/calls", json={
        "member_id": council.members[1].id, "summary": "Bins missed",
        "notes": "Again", "new_case": {
            "category_id": council.missed_bin.id, "description": "Bins missed",
            "answers": {"bin": "Brown"}, "address": "Castle Street",
            "constituent": {"name": "Sam"}, "kind": "member_enquiry"}})
    alone = await client.post("/api/staff/calls", json={
        "member_id": council.members[2].id, "summary": "Bin days?"})
    today = await (await client.get("/api/staff/calls")).get_json()

    assert [r.status_code for r in (about, raised, alone)] == [201, 201, 201]
    assert (await about.get_json())["case_reference"] == case.reference
    new_reference = (await raised.get_json())["case_reference"]
    new = await Case.get(reference=new_reference)
    assert (new.channel, new.member_id, new.answers) == (
        Channel.PHONE, council.members[1].id, {"bin": "Brown"})
    assert (await alone.get_json())["case_reference"] is None
    assert [call["summary"] for call in today["calls"]] == [
        "Bin days?", "Bins missed", "News?"]
    assert await CaseEvent.filter(case_id=case.id,
                                  kind=EventKind.CONTACT).count() == 1


async def test_a_call_that_cannot_be_logged_says_why(client):
    council = await make_council()
    await sign_in(client, council.agent)
    member = council.members[0].id

    unknown_member = await client.post("/api/staff/calls", json={
        "member_id": 9999, "summary": "Hi"})
    not_a_member = await client.post("/api/staff/calls", json={
        "member_id": council.agent.id, "summary": "Hi"})
    unknown_case = await client.post("/api/staff/calls", json={
        "member_id": member, "summary": "Hi", "case_reference": "CH-999999"})
    both = await client.post("/api/staff/calls", json={
        "member_id": member, "summary": "Hi", "case_reference": "CH-1",
        "new_case": {"category_id": council.missed_bin.id, "description": "x"}})
    unanswered = await client.post("/api/staff/calls", json={
        "member_id": member, "summary": "Hi",
        "new_case": {"category_id": council.missed_bin.id, "description": "x"}})
    empty = await client.post("/api/staff/calls", json={
        "member_id": member, "summary": ""})

    await assert_problem(unknown_member, 404, "member_not_found", field="member_id")
    await assert_problem(not_a_member, 404, "member_not_found", field="member_id")
    await assert_problem(unknown_case, 404, "case_not_found",
                         field="case_reference")
    await assert_problem(both, 422, "invalid_field", field="new_case")
    await assert_problem(unanswered, 422, "answer_required", field="answers.bin")
    await assert_problem(empty, 422, "invalid_field", field="summary")
    assert await Contact.all().count() == 0


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/api/staff/queue", None),
    ("get", "/api/staff/calls", None),
    ("post", "/api/staff/calls", {"member_id": 1, "summary": "x"}),
    ("get", "/api/staff/cases/{reference}/nearby", None),
])
async def test_the_hub_only_endpoints_refuse_an_officer(client, method, path, body):
    council = await make_council()
    case = await raise_case(council)
    await sign_in(client, council.officer)

    response = await getattr(client, method)(
        path.format(reference=case.reference),
        **({"json": body} if body is not None else {}))

    await assert_problem(response, 403, "not_allowed")


@pytest.mark.parametrize(("method", "path", "body"), [
    ("patch", "", {"priority": "high"}),
    ("post", "/duplicate-of", {"original": "CH-100001"}),
])
async def test_an_officer_of_the_case_cannot_triage_or_link_it(
        client, method, path, body):
    council = await make_council()
    case = await raise_case(council)
    await sign_in(client, council.agent)
    await client.post(f"/api/staff/cases/{case.reference}/handoff",
                      json={"department_id": council.cleansing.id})
    await sign_in(client, council.officer)

    response = await getattr(client, method)(
        f"/api/staff/cases/{case.reference}{path}", json=body)

    await assert_problem(response, 403, "not_allowed")


@pytest.mark.parametrize("who", ["parks_officer", "trainer"])
async def test_a_case_others_may_not_see_is_not_found(client, who):
    council = await make_council()
    case = await raise_case(council)
    await sign_in(client, getattr(council, who))

    for response in (
        await client.patch(f"/api/staff/cases/{case.reference}",
                           json={"priority": "high"}),
        await client.post(f"/api/staff/cases/{case.reference}/take"),
        await client.get(f"/api/staff/cases/{case.reference}/templates"),
    ):
        await assert_problem(response, 404, "case_not_found")
    assert (await Case.get(id=case.id)).assigned_to_id is None


async def test_the_hub_endpoints_need_a_staff_session(client):
    council = await make_council()
    case = await raise_case(council)

    for response in (
        await client.get("/api/staff/queue"),
        await client.post(f"/api/staff/cases/{case.reference}/take"),
        await client.post("/api/staff/calls", json={"member_id": 1,
                                                    "summary": "x"}),
    ):
        await assert_problem(response, 401, "not_signed_in")
