"""Staff sign-in, and what the hub and departments do to cases."""

from __future__ import annotations

from typing import Any

from server import auth
from server.auth import hash_password
from server.models import Case, SignInAttempt
from server.routes.staff import SIGN_IN_LIMIT
from tests.factories import (
    PASSWORD,
    Council,
    enroll,
    make_council,
    new_case,
    pull_all,
    push,
    sign_in,
)
from tests.test_errors import assert_problem


async def sign_in_as(client: Any, email: str, password: str) -> Any:
    return await client.post("/api/staff/session",
                             json={"email": email, "password": password})


async def raised_case(client: Any, council: Council) -> tuple[str, str, str]:
    """A member's token, the reference of a case they raised, and their cursor."""
    token = await enroll(client, council.members[0])
    await push(client, token, [new_case(council.fly_tipping, 1)])
    changes, cursor, _ = await pull_all(client, token)
    case = next(c for c in changes if c["entity"] == "case")
    return token, case["data"]["reference"], cursor


def events_of(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["data"] for c in changes if c["entity"] == "event"]


async def test_a_wrong_password_is_401(client):
    council = await make_council()

    wrong = await sign_in_as(client, council.agent.email, "not the password")
    unknown = await sign_in_as(client, "nobody@council.test", PASSWORD)
    me = await client.get("/api/staff/me")

    await assert_problem(wrong, 401, "wrong_credentials", field="password")
    await assert_problem(unknown, 401, "wrong_credentials", field="password")
    await assert_problem(me, 401, "not_signed_in")


async def test_the_right_password_signs_staff_in(client):
    council = await make_council()

    response = await sign_in_as(client, " Agent@Council.test ", PASSWORD)
    me = await client.get("/api/staff/me")

    assert response.status_code == 200
    assert (await response.get_json())["role"] == "hub_agent"
    assert (await me.get_json())["email"] == council.agent.email


async def test_members_cannot_sign_in_as_staff(client):
    council = await make_council()
    member = council.members[0]
    member.password_hash = hash_password(PASSWORD)
    await member.save()

    response = await sign_in_as(client, member.email, PASSWORD)

    await assert_problem(response, 401, "wrong_credentials", field="password")
    await assert_problem(await client.get("/api/staff/cases"), 401, "not_signed_in")


async def test_too_many_wrong_passwords_then_even_the_right_one_waits(client):
    council = await make_council()
    for _ in range(SIGN_IN_LIMIT):
        await sign_in_as(client, council.agent.email, "guess")

    response = await sign_in_as(client, council.agent.email, PASSWORD)

    await assert_problem(response, 429, "too_many_attempts")
    assert await SignInAttempt.filter(kind="staff").count() == SIGN_IN_LIMIT


async def test_signing_out_ends_the_session(client):
    council = await make_council()
    await sign_in(client, council.agent)

    response = await client.delete("/api/staff/session")

    assert response.status_code == 204
    await assert_problem(await client.get("/api/staff/me"), 401, "not_signed_in")


async def test_a_session_expires(client, monkeypatch):
    council = await make_council()
    await sign_in(client, council.agent)
    assert (await client.get("/api/staff/me")).status_code == 200
    async with client.session_transaction() as session:
        session["since"] -= auth.SESSION_HOURS * 3600 + 1

    expired = await client.get("/api/staff/me")

    await assert_problem(expired, 401, "not_signed_in")
    await assert_problem(await client.get("/api/staff/me"), 401, "not_signed_in")


async def test_a_shorter_session_limit_applies_at_once(client, monkeypatch):
    council = await make_council()
    await sign_in(client, council.agent)
    async with client.session_transaction() as session:
        session["since"] -= 2 * 3600
    assert (await client.get("/api/staff/me")).status_code == 200

    monkeypatch.setattr(auth, "SESSION_HOURS", 1)

    await assert_problem(await client.get("/api/staff/me"), 401, "not_signed_in")


async def test_a_status_change_reaches_the_members_phone(client):
    council = await make_council()
    token, reference, cursor = await raised_case(client, council)
    await sign_in(client, council.agent)

    response = await client.post(f"/api/staff/cases/{reference}/status",
                                 json={"status": "acknowledged",
                                       "note": "Crew booked for Tuesday"})

    assert response.status_code == 200, await response.get_data(as_text=True)
    assert (await response.get_json())["status"] == "acknowledged"
    changes, _, _ = await pull_all(client, token, cursor)
    (case,) = [c["data"] for c in changes if c["entity"] == "case"]
    assert case["status"] == "acknowledged"
    (event,) = events_of(changes)
    assert event["kind"] == "status_change"
    assert event["data"] == {"from": "submitted", "to": "acknowledged",
                             "note": "Crew booked for Tuesday"}
    assert event["author"]["role"] == "staff"


async def test_a_transition_not_allowed_is_409_and_changes_nothing(client):
    council = await make_council()
    token, reference, cursor = await raised_case(client, council)
    await sign_in(client, council.agent)

    response = await client.post(f"/api/staff/cases/{reference}/status",
                                 json={"status": "reopened"})

    await assert_problem(response, 409, "status_not_allowed", field="status")
    assert (await Case.get(reference=reference)).status.value == "submitted"
    changes, _, _ = await pull_all(client, token, cursor)
    assert changes == []


async def test_an_unknown_status_is_422(client):
    council = await make_council()
    _, reference, _ = await raised_case(client, council)
    await sign_in(client, council.agent)

    response = await client.post(f"/api/staff/cases/{reference}/status",
                                 json={"status": "lost"})

    await assert_problem(response, 422, "invalid_field", field="status")


async def test_an_unknown_case_is_404(client):
    council = await make_council()
    await sign_in(client, council.agent)

    shown = await client.get("/api/staff/cases/CH-999999")
    moved = await client.post("/api/staff/cases/CH-999999/status",
                              json={"status": "acknowledged"})

    await assert_problem(shown, 404, "case_not_found")
    await assert_problem(moved, 404, "case_not_found")


async def test_a_reply_reaches_the_member_and_an_internal_note_never(client):
    council = await make_council()
    token, reference, cursor = await raised_case(client, council)
    await sign_in(client, council.agent)

    replied = await client.post(f"/api/staff/cases/{reference}/replies",
                                json={"text": "We will lift it this week."})
    noted = await client.post(f"/api/staff/cases/{reference}/internal-notes",
                              json={"text": "Third time at this entry."})
    handed = await client.post(f"/api/staff/cases/{reference}/handoff",
                               json={"department_id": council.cleansing.id})

    assert [r.status_code for r in (replied, noted, handed)] == [200, 200, 200]
    changes, _, _ = await pull_all(client, token, cursor)
    everything, _, _ = await pull_all(client, token)
    for seen in (changes, everything):
        kinds = {event["kind"] for event in events_of(seen)}
        assert "reply" in kinds
        assert "internal_note" not in kinds
        assert "Third time" not in repr(seen)
    detail = await (await client.get(f"/api/staff/cases/{reference}")).get_json()
    assert "internal_note" in {event["kind"] for event in detail["events"]}


async def test_an_empty_reply_is_422(client):
    council = await make_council()
    _, reference, _ = await raised_case(client, council)
    await sign_in(client, council.agent)

    response = await client.post(f"/api/staff/cases/{reference}/replies",
                                 json={"text": ""})

    await assert_problem(response, 422, "invalid_field", field="text")


async def test_a_handoff_to_an_unknown_department_is_422(client):
    council = await make_council()
    _, reference, _ = await raised_case(client, council)
    await sign_in(client, council.agent)

    response = await client.post(f"/api/staff/cases/{reference}/handoff",
                                 json={"department_id": 9999})

    await assert_problem(response, 422, "unknown_department", field="department_id")
    assert (await Case.get(reference=reference)).department_id is None


async def test_the_department_works_a_case_handed_to_it(client):
    council = await make_council()
    token, reference, cursor = await raised_case(client, council)
    await sign_in(client, council.officer)
    before = await client.get(f"/api/staff/cases/{reference}")
    await sign_in(client, council.agent)

    handed = await client.post(f"/api/staff/cases/{reference}/handoff",
                               json={"department_id": council.cleansing.id,
                                     "note": "Bulky waste"})

    summary = await handed.get_json()
    assert summary["department_id"] == council.cleansing.id
    assert summary["status"] == "with_department"
    await assert_problem(before, 404, "case_not_found")
    await sign_in(client, council.officer)
    listed = await (await client.get("/api/staff/cases")).get_json()
    assert [case["reference"] for case in listed["cases"]] == [reference]
    shown = await client.get(f"/api/staff/cases/{reference}")
    assert shown.status_code == 200
    for status in ("in_progress", "resolved"):
        moved = await client.post(f"/api/staff/cases/{reference}/status",
                                  json={"status": status})
        assert moved.status_code == 200, await moved.get_data(as_text=True)
    closed = await client.post(f"/api/staff/cases/{reference}/status",
                               json={"status": "closed"})
    await assert_problem(closed, 403, "not_allowed", field="status")
    assert (await Case.get(reference=reference)).status.value == "resolved"
    changes, _, _ = await pull_all(client, token, cursor)
    assert [c["data"]["status"] for c in changes if c["entity"] == "case"][-1] == (
        "resolved"
    )


async def test_officers_cannot_see_other_departments_cases(client):
    council = await make_council()
    _, reference, _ = await raised_case(client, council)
    await sign_in(client, council.agent)
    await client.post(f"/api/staff/cases/{reference}/handoff",
                      json={"department_id": council.cleansing.id})
    await sign_in(client, council.parks_officer)

    listed = await (await client.get("/api/staff/cases")).get_json()
    shown = await client.get(f"/api/staff/cases/{reference}")
    moved = await client.post(f"/api/staff/cases/{reference}/status",
                              json={"status": "in_progress"})
    replied = await client.post(f"/api/staff/cases/{reference}/replies",
                                json={"text": "Not ours"})

    assert listed["cases"] == []
    for response in (shown, moved, replied):
        await assert_problem(response, 404, "case_not_found")
    assert (await Case.get(reference=reference)).status.value == "with_department"


async def test_officers_cannot_hand_cases_on(client):
    council = await make_council()
    _, reference, _ = await raised_case(client, council)
    await sign_in(client, council.agent)
    await client.post(f"/api/staff/cases/{reference}/handoff",
                      json={"department_id": council.cleansing.id})
    await sign_in(client, council.officer)

    response = await client.post(f"/api/staff/cases/{reference}/handoff",
                                 json={"department_id": council.parks.id})

    await assert_problem(response, 403, "not_allowed")
    assert (await Case.get(reference=reference)).department_id == council.cleansing.id


async def test_trainers_cannot_see_cases(client):
    council = await make_council()
    _, reference, _ = await raised_case(client, council)
    await sign_in(client, council.trainer)

    listed = await client.get("/api/staff/cases")
    shown = await client.get(f"/api/staff/cases/{reference}")
    moved = await client.post(f"/api/staff/cases/{reference}/status",
                              json={"status": "closed"})

    await assert_problem(listed, 403, "not_allowed")
    await assert_problem(shown, 404, "case_not_found")
    await assert_problem(moved, 404, "case_not_found")


async def test_case_lists_need_a_signed_in_member_of_staff(client):
    council = await make_council()
    _, reference, _ = await raised_case(client, council)

    listed = await client.get("/api/staff/cases")
    moved = await client.post(f"/api/staff/cases/{reference}/status",
                              json={"status": "closed"})

    await assert_problem(listed, 401, "not_signed_in")
    await assert_problem(moved, 401, "not_signed_in")
    assert (await Case.get(reference=reference)).status.value == "submitted"
