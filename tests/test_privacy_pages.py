"""The pages for the audit log and for a constituent's copy or erasure."""

from __future__ import annotations

import json

from server.audit import Action, AuditEntry
from server.models import Case
from tests.factories import make_council, sign_in
from tests.test_privacy import raise_with


async def csrf_of(client, path: str) -> str:
    text = await (await client.get(path)).get_data(as_text=True)
    return text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


async def test_a_supervisor_finds_a_constituent_and_downloads_their_data(client):
    council = await make_council()
    _, case = await raise_with(client, council)
    await sign_in(client, council.supervisor)

    found = await client.get("/staff/constituents?email=bridget@example.org")
    export = await client.get("/staff/constituents/export?email=bridget@example.org")

    text = await found.get_data(as_text=True)
    assert found.status_code == 200 and case.reference in text
    assert export.status_code == 200
    assert export.headers["Content-Disposition"].startswith("attachment;")
    document = json.loads(await export.get_data(as_text=True))
    assert [d["reference"] for d in document["cases"]] == [case.reference]
    exported = await AuditEntry.filter(action=Action.EXPORT).count()
    assert exported == 1


async def test_erasure_needs_the_box_ticked_and_then_erases(client):
    council = await make_council()
    _, case = await raise_with(client, council)
    await sign_in(client, council.supervisor)
    csrf = await csrf_of(client, "/staff/constituents?email=bridget@example.org")
    form = {"csrf_token": csrf, "email": "bridget@example.org"}

    unticked = await client.post("/staff/constituents/erase", form=form)
    kept = await Case.get(id=case.id)
    ticked = await client.post("/staff/constituents/erase",
                               form={**form, "confirm": "yes"})

    assert unticked.status_code == 422
    assert "Tick the box" in await unticked.get_data(as_text=True)
    assert kept.constituent_name == "Bridget Quinlan"
    assert ticked.status_code == 302
    assert (await Case.get(id=case.id)).constituent_name is None


async def test_a_search_with_nothing_to_find_by_names_the_field(client):
    council = await make_council()
    await sign_in(client, council.admin)

    response = await client.get("/staff/constituents/export")
    searched = await client.get("/staff/constituents?name=&email=")

    assert searched.status_code == 422
    assert response.status_code == 422
    text = await response.get_data(as_text=True)
    assert 'aria-invalid="true"' in text and "at least one" in text


async def test_only_leads_act_for_constituents_and_only_admins_read_the_log(client):
    council = await make_council()
    _, case = await raise_with(client, council)
    await sign_in(client, council.agent)
    await client.get(f"/staff/cases/{case.reference}")

    agent_search = await client.get("/staff/constituents?email=bridget@example.org")
    agent_log = await client.get("/staff/audit")
    await sign_in(client, council.supervisor)
    supervisor_log = await client.get("/staff/audit")
    await sign_in(client, council.admin)
    admin_log = await client.get(f"/staff/audit?reference={case.reference}")

    assert agent_search.status_code == 403
    assert agent_log.status_code == supervisor_log.status_code == 403
    assert admin_log.status_code == 200
    text = await admin_log.get_data(as_text=True)
    assert council.agent.name in text and case.reference in text


async def test_the_erase_form_refuses_a_post_without_its_token(client):
    council = await make_council()
    _, case = await raise_with(client, council)
    await sign_in(client, council.supervisor)

    response = await client.post("/staff/constituents/erase",
                                 form={"email": "bridget@example.org",
                                       "confirm": "yes"})

    assert response.status_code == 403
    assert (await Case.get(id=case.id)).constituent_name == "Bridget Quinlan"
