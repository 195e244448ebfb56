"""The audit log of staff reading and changing cases and exporting personal data."""

from __future__ import annotations

import pytest

from server.audit import Action, AuditEntry, matching
from tests.factories import make_council, sign_in
from tests.test_staff import raised_case


async def test_opening_and_changing_a_case_are_written_down(client):
    council = await make_council()
    _, reference, _ = await raised_case(client, council)
    await sign_in(client, council.agent)

    opened = await client.get(f"/api/staff/cases/{reference}")
    moved = await client.post(f"/api/staff/cases/{reference}/status",
                              json={"status": "acknowledged"})

    assert (opened.status_code, moved.status_code) == (200, 200)
    entries = await AuditEntry.filter(user_id=council.agent.id).order_by("id")
    assert [(e.action, e.subject, e.reference, e.method) for e in entries] == [
        (Action.READ, "case", reference, "GET"),
        (Action.CHANGE, "case", reference, "POST"),
    ]
    assert entries[1].path == f"/api/staff/cases/{reference}/status"
    assert entries[1].status == 200


async def test_refused_and_failed_requests_leave_no_entry(client):
    council = await make_council()
    _, reference, _ = await raised_case(client, council)

    anonymous = await client.get(f"/api/staff/cases/{reference}")
    await sign_in(client, council.parks_officer)
    not_theirs = await client.get(f"/api/staff/cases/{reference}")
    await sign_in(client, council.agent)
    missing = await client.get("/api/staff/cases/CH-999999")
    bad = await client.post(f"/api/staff/cases/{reference}/status",
                            json={"status": "no such status"})

    assert anonymous.status_code == 401
    assert not_theirs.status_code == 404
    assert missing.status_code == 404
    assert bad.status_code == 422
    assert await AuditEntry.all().count() == 0


async def test_an_export_of_members_is_written_down(client):
    council = await make_council()
    await sign_in(client, council.supervisor)

    response = await client.get("/staff/members.csv")

    assert response.status_code == 200
    (entry,) = await AuditEntry.all()
    assert (entry.action, entry.subject, entry.user_id) == (
        Action.EXPORT, "report", council.supervisor.id)


async def test_what_members_do_on_their_phones_is_not_staff_access(client):
    council = await make_council()
    token, reference, _ = await raised_case(client, council)

    await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})

    assert reference.startswith("CH-")
    assert await AuditEntry.all().count() == 0


@pytest.mark.parametrize(("path", "subject", "reference"), [
    ("/staff/cases/CH-100001", "case", "CH-100001"),
    ("/staff/cases/ch-100001/reply", "case", "CH-100001"),
    ("/api/staff/cases/CH-100001/handoff", "case", "CH-100001"),
    ("/staff/mail", "mail", None),
    ("/staff/mail/12", "mail", "12"),
    ("/staff/mail/12/dismiss", "mail", "12"),
    ("/staff/mail/attachments/7", "attachment", "7"),
    ("/staff/members.csv", "report", "MEMBERS"),
    ("/staff/dashboard/days.csv", "report", "DAYS"),
])
def test_paths_that_touch_personal_data_are_recognised(path, subject, reference):
    found = matching(path)

    assert found is not None
    assert (found[0].subject, found[1]) == (subject, reference)


@pytest.mark.parametrize("path", [
    "/staff/queue", "/staff/dashboard", "/staff/members", "/staff/cases",
    "/api/staff/cases", "/staff/mailbox", "/api/sync/pull",
])
def test_lists_and_aggregates_are_not_audited_one_by_one(path):
    assert matching(path) is None
