"""Every answer carries the security headers, and the staff cookie its flags."""

from __future__ import annotations

import dataclasses

import pytest

from server.app import create_app
from tests.factories import PASSWORD, enroll, make_council, sign_in

PATHS = ["/", "/app/app.css", "/service-worker.js", "/healthz", "/openapi.json",
         "/staff/sign-in", "/staff/queue", "/api/staff/cases", "/api/nowhere",
         "/static/staff.css"]


@pytest.mark.parametrize("path", PATHS)
async def test_every_kind_of_answer_carries_the_headers(client, path):
    response = await client.get(path)

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers


async def test_the_staff_cookie_is_kept_from_scripts_and_other_sites(client):
    council = await make_council()

    response = await client.post("/api/staff/session",
                                 json={"email": council.agent.email,
                                       "password": PASSWORD})

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("casehub_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


async def test_over_https_the_cookie_is_secure_and_browsers_stay_on_https(
        settings):
    secure = dataclasses.replace(settings, public_url="https://casehub.council.test")
    app = create_app(secure)
    async with app.test_app():
        client = app.test_client()
        council = await make_council()
        await sign_in(client, council.agent)
        response = await client.post("/api/staff/session",
                                     json={"email": council.agent.email,
                                           "password": PASSWORD})
        health = await client.get("/healthz")

    assert "Secure" in response.headers["Set-Cookie"]
    assert health.headers["Strict-Transport-Security"] == "max-age=31536000"


async def test_casework_is_never_kept_in_a_cache(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    await sign_in(client, council.agent)

    pull = await client.post("/api/sync/pull",
                             headers={"Authorization": f"Bearer {token}"},
                             json={"protocol": 1})
    queue = await client.get("/staff/queue")
    style = await client.get("/static/staff.css")

    assert pull.status_code == queue.status_code == 200
    assert pull.headers["Cache-Control"] == queue.headers["Cache-Control"] == (
        "no-store")
    assert style.headers.get("Cache-Control") != "no-store"
