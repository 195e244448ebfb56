"""Every staff page is drawn in the same layout: who is signed in, their pages."""

from __future__ import annotations

import pytest

from tests.factories import make_council, sign_in

HUB_PAGES = ["/staff/queue", "/staff/mail", "/staff/dashboard", "/staff/members",
             "/staff/calls/new", "/staff/training/bookings"]
TRAINER_PAGES = ["/staff/training/", "/staff/training/members"]


async def page_text(client, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, path
    return await response.get_data(as_text=True)


@pytest.mark.parametrize("path", HUB_PAGES)
async def test_hub_pages_show_the_agents_navigation(client, path):
    council = await make_council()
    await sign_in(client, council.agent)

    text = await page_text(client, path)

    assert 'aria-label="Staff pages"' in text
    assert 'href="/staff/queue"' in text and 'href="/staff/dashboard"' in text
    assert "Sign out" in text and council.agent.name in text
    layout_nav = text.split('aria-label="Staff pages"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/staff/training/"' not in layout_nav


@pytest.mark.parametrize("path", TRAINER_PAGES)
async def test_training_pages_show_the_trainers_navigation(client, path):
    council = await make_council()
    await sign_in(client, council.trainer)

    text = await page_text(client, path)

    layout_nav = text.split('aria-label="Staff pages"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/staff/training/"' in layout_nav
    assert 'href="/staff/queue"' not in layout_nav
    assert "Trainer" in text


async def test_a_refusal_is_drawn_in_the_layout_too(client):
    council = await make_council()
    await sign_in(client, council.trainer)

    response = await client.get("/staff/mail")
    text = await response.get_data(as_text=True)

    assert response.status_code == 403
    assert 'aria-label="Staff pages"' in text and 'href="/staff/training/"' in text
