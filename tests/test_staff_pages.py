"""The staff pages' way in: sign-in, each role's start page and navigation."""

import hashlib
import re

import pytest
from quart import render_template

from server.models import Role, User
from server.routes.nav import NAV, START_PAGES, links_for
from server.routes.rendering import STATIC
from tests.factories import PASSWORD, make_council
from tests.staff_forms import (
    CSRF,
    ESCAPED,
    SCRIPT,
    as_staff,
    nav_labels,
    page,
    submit,
)


async def _csrf(client, path="/staff/sign-in"):
    _, text = await page(client, path)
    return CSRF.search(text).group(1)


async def test_staff_sign_in_and_out_through_the_form(client):
    council = await make_council()
    token = await _csrf(client)

    response = await client.post("/staff/sign-in", form={
        "csrf_token": token, "email": council.agent.email, "password": PASSWORD,
    })
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/queue"
    status, text = await page(client, "/staff/queue")
    assert status == 200
    assert "Agent, Hub agent" in text

    out_token = CSRF.search(text).group(1)
    response = await client.post("/staff/sign-out", form={"csrf_token": out_token})
    assert response.status_code == 302
    assert (await client.get("/staff/")).headers["Location"] == "/staff/sign-in"


@pytest.mark.parametrize("who", ["agent", "supervisor", "officer", "trainer",
                                 "admin"])
async def test_each_role_starts_where_its_work_is(client, who):
    council = await make_council()
    user = getattr(council, who)
    await as_staff(client, user)

    response = await client.get("/staff/")

    assert response.status_code == 302
    assert response.headers["Location"] == START_PAGES[user.role]


async def test_a_page_asked_for_before_signing_in_opens_after_it(client):
    council = await make_council()

    first = await client.get("/staff/queue?who=mine")
    assert first.status_code == 302
    assert first.headers["Location"] == "/staff/sign-in?next=/staff/queue?who%3Dmine"
    status, _, location = await submit(
        client, "/staff/sign-in?next=/staff/queue?who%3Dmine",
        {"email": council.agent.email, "password": PASSWORD})

    assert (status, location) == (302, "/staff/queue?who=mine")


@pytest.mark.parametrize("target", ["https://elsewhere.test/", "//elsewhere.test/",
                                    "/api/staff/me", "/staff//elsewhere.test"])
async def test_sign_in_never_sends_anyone_off_the_staff_pages(client, target):
    council = await make_council()

    _, _, location = await submit(client, f"/staff/sign-in?next={target}", {
        "email": council.agent.email, "password": PASSWORD})

    assert location == "/staff/queue"


async def test_each_role_sees_its_own_pages_in_the_navigation(client):
    council = await make_council()
    seen = {}
    for who in ("agent", "supervisor", "officer", "admin"):
        await as_staff(client, getattr(council, who))
        start = START_PAGES[getattr(council, who).role]
        seen[who] = nav_labels((await page(client, start))[1])

    assert seen["agent"] == ["Queue", "Log a call", "Mail", "Dashboard", "Members"]
    assert seen["supervisor"] == ["Queue", "Log a call", "Mail", "Escalations",
                                  "Dashboard", "Members", "Templates", "Targets",
                                  "Constituent data"]
    assert seen["officer"] == ["Department cases"]
    assert seen["admin"] == [link.label for link in NAV
                             if link.label != "Department cases"]


async def test_the_page_being_shown_is_marked_in_the_navigation(client):
    council = await make_council()
    await as_staff(client, council.agent)

    _, text = await page(client, "/staff/calls/new")

    assert '<a href="/staff/calls/new" aria-current="page">Log a call</a>' in text
    assert 'aria-current="page">Queue' not in text


async def test_wrong_password_shows_the_form_again_with_the_error(client):
    council = await make_council()

    status, text, _ = await submit(client, "/staff/sign-in", {
        "email": council.agent.email, "password": "nope"})

    assert status == 401
    assert 'role="alert"' in text
    assert "password is not right" in text
    assert f'value="{council.agent.email}"' in text


async def test_members_cannot_sign_in_to_staff_pages(client):
    council = await make_council()

    status, _, _ = await submit(client, "/staff/sign-in", {
        "email": council.members[0].email, "password": PASSWORD})

    assert status == 401
    assert (await client.get("/staff/queue")).status_code == 302


async def test_a_form_without_its_csrf_token_is_refused(client):
    council = await make_council()
    await _csrf(client)

    status, text, _ = await submit(client, "/staff/sign-in", {
        "email": council.agent.email, "password": PASSWORD}, token=False)

    assert status == 403
    assert "This form has expired; reload the page and try again." in text
    assert (await client.get("/staff/")).headers["Location"] == "/staff/sign-in"


async def test_the_sign_in_page_is_escaped(client):
    status, text, _ = await submit(client, "/staff/sign-in", {
        "email": SCRIPT, "password": "x"})

    assert status == 401
    assert SCRIPT not in text
    assert ESCAPED in text


async def test_the_signed_in_name_is_escaped(client):
    council = await make_council()
    council.agent.name = SCRIPT
    await council.agent.save()
    await as_staff(client, council.agent)

    _, text = await page(client, "/staff/queue")

    assert SCRIPT not in text
    assert ESCAPED in text


async def test_the_layout_names_its_files_by_their_content(client):
    _, text = await page(client, "/staff/sign-in")

    for name in ("staff.css", "console.js"):
        found = re.search(rf'"(/static/{re.escape(name)}\?v=([0-9a-f]{{12}}))"', text)
        assert found, name
        data = (STATIC / name).read_bytes()
        assert found.group(2) == hashlib.sha256(data).hexdigest()[:12]
        response = await client.get(found.group(1))
        assert response.status_code == 200
        assert await response.get_data() == data


async def test_the_layout_draws_for_a_page_that_passes_only_its_user(app):
    user = User(name="Agent", role=Role.HUB_AGENT)

    async with app.test_request_context("/staff/dashboard"):
        text = await render_template("base.html", user=user,
                                     nav=links_for(user), csrf="token")

    assert '<a href="/staff/dashboard" aria-current="page">Dashboard</a>' in text
    assert "<span>Agent</span>" in text
