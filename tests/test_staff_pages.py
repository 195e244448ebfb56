"""The staff sign-in page: a real form, with CSRF protection and clear errors."""

import re

from tests.factories import PASSWORD, make_council


async def _csrf(client, path="/staff/sign-in"):
    page = await (await client.get(path)).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


async def test_staff_sign_in_and_out_through_the_form(client):
    council = await make_council()
    token = await _csrf(client)

    response = await client.post("/staff/sign-in", form={
        "csrf_token": token, "email": council.agent.email, "password": PASSWORD,
    })
    assert response.status_code == 302
    home = await client.get("/staff/")
    text = await home.get_data(as_text=True)
    assert home.status_code == 200
    assert f"Signed in as {council.agent.name}" in text
    assert "Hub agent" in text

    out_token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    response = await client.post("/staff/sign-out", form={"csrf_token": out_token})
    assert response.status_code == 302
    assert (await client.get("/staff/")).status_code == 302


async def test_wrong_password_shows_the_form_again_with_the_error(client):
    council = await make_council()
    token = await _csrf(client)

    response = await client.post("/staff/sign-in", form={
        "csrf_token": token, "email": council.agent.email, "password": "nope",
    })
    text = await response.get_data(as_text=True)
    assert response.status_code == 401
    assert 'role="alert"' in text
    assert "password is not right" in text
    assert f'value="{council.agent.email}"' in text


async def test_members_cannot_sign_in_to_staff_pages(client):
    council = await make_council()
    token = await _csrf(client)

    response = await client.post("/staff/sign-in", form={
        "csrf_token": token, "email": council.members[0].email,
        "password": PASSWORD,
    })
    assert response.status_code == 401


async def test_a_form_without_its_csrf_token_is_refused(client):
    council = await make_council()
    await _csrf(client)

    response = await client.post("/staff/sign-in", form={
        "email": council.agent.email, "password": PASSWORD,
    })
    body = await response.get_json()
    assert response.status_code == 403
    assert body["code"] == "csrf_failed"
    assert (await client.get("/staff/")).status_code == 302


async def test_the_sign_in_page_is_escaped(client):
    token = await _csrf(client)
    response = await client.post("/staff/sign-in", form={
        "csrf_token": token, "email": '"><script>alert(1)</script>',
        "password": "x",
    })
    text = await response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;" in text
