"""The hub console in a real Chromium: triage from the queue to the member's
phone, the live queue, accessibility and keyboard use."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import ROOT, Casehub, _env
from tests.browser.test_accessibility import AXE, LAYOUTS, check, tab_to
from tests.browser.test_member_app import join, open_case, raise_case, synced
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 800}
SUPERVISOR = "supervisor@council.test"
OFFICER = "officer@council.test"
ADMIN = "admin@council.test"

# Changes made beside the running server, through the models, as an admin's
# script or another server process would make them.
ADD = """
import asyncio, json, sys
from datetime import UTC, datetime
from server.auth import hash_password
from server.config import load_settings
from server.db import close_database, open_database
from server.hub.models import ResponseTemplate
from server.models import Case, Category, Role, User

async def add(wanted):
    await open_database(load_settings())
    made = {}
    for email, name in wanted.get("agents", []):
        user = await User.create(email=email, name=name, role=Role.HUB_AGENT,
                                 password_hash=hash_password(wanted["password"]))
        made[email] = user.id
    for name, body, category in wanted.get("templates", []):
        found = await Category.get(code=category) if category else None
        await ResponseTemplate.create(name=name, body=body,
                                      category_id=found.id if found else None)
    for reference in wanted.get("escalate", []):
        await Case.filter(reference=reference).update(escalated_at=datetime.now(UTC))
    print(json.dumps(made))
    await close_database()

asyncio.run(add(json.loads(sys.argv[1])))
"""


def add(casehub: Casehub, **wanted: Any) -> dict[str, int]:
    port = int(casehub.url.rsplit(":", 1)[1])
    done = subprocess.run(
        [sys.executable, "-c", ADD, json.dumps({"password": PASSWORD, **wanted})],
        cwd=ROOT, env=_env(casehub.data_dir, port), capture_output=True,
        text=True, check=True, timeout=60)
    return dict(json.loads(done.stdout))


async def phoned_case(casehub: Casehub, description: str) -> str:
    """A case the hub raised for a member who phoned: its reference."""
    [(member_id,)] = casehub.query(
        "SELECT id FROM users WHERE role = 'member' ORDER BY id LIMIT 1")
    async with casehub.staff(casehub.seeded["agent"]) as agent:
        response = await agent.post("/api/staff/calls", json={
            "member_id": member_id, "summary": description, "new_case": {
                "category_id": casehub.seeded["fly_tipping"],
                "description": description, "answers": {"what": "Mattress"}}})
        assert response.status_code == 201, response.text
        return str(response.json()["case_reference"])


async def sign_in(page: Page, email: str) -> None:
    await page.goto("/staff/sign-in")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("main h1")).to_be_visible()


@pytest.fixture
async def desk(browser: Browser, casehub: Casehub) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(base_url=casehub.url, viewport=DESK)
    opened.set_default_timeout(15_000)
    yield opened
    await opened.close()


async def notice(page: Page, text: str) -> None:
    await expect(page.locator(".notice")).to_contain_text(text)


async def test_a_case_from_the_app_is_triaged_handed_off_and_answered(
    context: BrowserContext, desk: BrowserContext, casehub: Casehub
) -> None:
    add(casehub, templates=[(
        "Passed to Parks", "Dear {member_name}, {reference} is now with "
        "{department}, who will reply by {due_date}.", "overgrown")])
    phone = await context.new_page()
    await join(phone, casehub.code())
    await raise_case(phone, "Grass over the footpath at the park gates")
    await synced(phone)
    [(reference,)] = casehub.query("SELECT reference FROM cases")

    agent = await desk.new_page()
    await sign_in(agent, casehub.seeded["agent"])
    row = agent.locator(f"#row-{reference}")
    await expect(row).to_contain_text("Fly-tipping")
    await expect(row).to_contain_text("Nobody")
    await row.get_by_role("button", name=f"Take case {reference}").click()
    await notice(agent, f"You have taken case {reference}.")

    await agent.get_by_label("Category", exact=True).select_option(
        label="Overgrown grass")
    await agent.get_by_label("Kind", exact=True).select_option("member_enquiry")
    await agent.get_by_role("button", name="Save details").click()
    await notice(agent, "are saved")
    department = agent.get_by_label("Department", exact=True)
    await expect(department.locator("option:checked")).to_have_text(
        "Parks and Open Spaces (suggested)")
    await agent.get_by_role("button", name="Hand off").click()
    await notice(agent, "was handed to Parks and Open Spaces")

    await agent.get_by_label("Start from a template").select_option(
        label="Passed to Parks")
    reply = agent.get_by_label("Reply", exact=True)
    await expect(reply).to_have_value(
        f"Dear Member 0, {reference} is now with Parks and Open Spaces, who will "
        "reply by " + (await due_date(casehub, reference)) + ".")
    await reply.press("End")
    await reply.type(" Thank you for reporting it.")
    await agent.get_by_role("button", name="Send reply").click()
    await notice(agent, "was sent to the member")
    assert casehub.query("SELECT status, department_id IS NOT NULL FROM cases") == [
        ("with_department", 1)]

    await synced(phone)
    await open_case(phone, reference)
    timeline = phone.locator("#timeline")
    await expect(timeline).to_contain_text("Thank you for reporting it.")
    await expect(timeline).to_contain_text("is now with Parks and Open Spaces")


async def due_date(casehub: Casehub, reference: str) -> str:
    """The case's answer date as templates write it, e.g. '14 December 2026'."""
    [(due,)] = casehub.query("SELECT due_at FROM cases WHERE reference = ?",
                             reference)
    return datetime.fromisoformat(due).strftime("%d %B %Y")


async def test_a_case_one_agent_takes_shows_as_taken_on_the_other_s_queue(
    browser: Browser, casehub: Casehub
) -> None:
    add(casehub, agents=[("agent2@council.test", "Second Agent")])
    first_case = await phoned_case(casehub, "Mattress dumped in the entry")
    contexts = [await browser.new_context(base_url=casehub.url, viewport=DESK)
                for _ in range(2)]
    try:
        mine, theirs = [await context.new_page() for context in contexts]
        await sign_in(mine, casehub.seeded["agent"])
        await sign_in(theirs, "agent2@council.test")
        row = theirs.locator(f"#row-{first_case}")
        await expect(row.get_by_role("button")).to_have_count(1)
        await theirs.evaluate("() => { window.notReloaded = true; }")

        await mine.locator(f"#row-{first_case}").get_by_role("button").click()
        await notice(mine, f"You have taken case {first_case}.")

        await expect(row.get_by_role("button")).to_have_count(0)
        await expect(row).to_contain_text("Agent")
        await expect(theirs.locator("#queue-updates")).to_contain_text(
            "Queue updated")
        # A case raised now, anywhere, appears too.
        second_case = await phoned_case(casehub, "Sofa at the bus stop")
        await expect(theirs.locator(f"#row-{second_case}")).to_be_visible()
        assert await theirs.evaluate("() => window.notReloaded === true")
    finally:
        for context in contexts:
            await context.close()


@pytest.fixture(params=sorted(LAYOUTS))
async def laid_out(request: pytest.FixtureRequest, browser: Browser,
                   casehub: Casehub) -> AsyncIterator[BrowserContext]:
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci` first")
    opened = await browser.new_context(base_url=casehub.url,
                                       **LAYOUTS[request.param])
    opened.set_default_timeout(15_000)
    yield opened
    await opened.close()


async def test_every_hub_page_passes_axe_and_fits(
    laid_out: BrowserContext, casehub: Casehub
) -> None:
    reference = await phoned_case(casehub, "Mattress dumped in the entry")
    nearby = await phoned_case(casehub, "Another mattress in the same entry")
    add(casehub, escalate=[nearby], templates=[
        ("Crew booked", "{reference}: a crew is booked.", None)])
    page = await laid_out.new_page()
    problems: list[str] = []

    await sign_in(page, SUPERVISOR)
    await check(page, "queue", problems)
    await page.goto("/staff/queue?channel=pigeon")
    await check(page, "queue with a bad filter", problems)

    await page.goto(f"/staff/cases/{reference}?template=1")
    await expect(page.get_by_role("heading", name=f"Case {reference}")).to_be_visible()
    await check(page, "a case", problems)
    await page.get_by_label("Reply", exact=True).fill("")
    await page.get_by_role("button", name="Send reply").click()
    await expect(page.locator(".error-summary")).to_be_focused()
    await check(page, "a case with an error", problems)
    await page.get_by_role("button", name="Link as duplicate").click()
    await expect(page.locator(".error-summary")).to_contain_text("Choose a case")
    await check(page, "a case with a duplicate error", problems)

    await page.goto("/staff/calls/new")
    await check(page, "log a call", problems)
    await page.get_by_role("button", name="Log call").click()
    await expect(page.locator(".error-summary")).to_be_focused()
    await check(page, "log a call with an error", problems)

    await page.goto("/staff/escalations")
    await expect(page.locator("main")).to_contain_text(nearby)
    await check(page, "escalations", problems)
    await page.goto("/staff/settings/templates")
    await check(page, "templates", problems)
    await page.get_by_label("Text").fill("{reference} and {oops}")
    await expect(page.locator("#template-preview")).to_have_text(
        "CH-000123 and {oops}")
    await page.get_by_role("button", name="Save template").click()
    await expect(page.locator(".error-summary")).to_be_focused()
    await check(page, "templates with an error", problems)
    await page.goto("/staff/settings/categories")
    await check(page, "targets", problems)
    await page.locator("input[name^=ack-]").first.fill("0")
    await page.get_by_role("button", name="Save targets").click()
    await expect(page.locator(".error-summary")).to_be_focused()
    await check(page, "targets with an error", problems)

    await page.goto("/staff/constituents")
    await check(page, "a constituent's data", problems)
    await page.get_by_role("button", name="Find").click()
    await expect(page.locator(".field-error")).to_contain_text("at least one")
    await check(page, "a constituent's data with an error", problems)
    await page.get_by_label("Address, or part of it").fill("Street")
    await page.get_by_role("button", name="Find").click()
    await check(page, "a constituent's cases", problems)

    await page.goto("/staff/department")
    await check(page, "not allowed", problems)

    await sign_in(page, ADMIN)
    await page.goto(f"/staff/audit?reference={reference}")
    await expect(page.locator("main")).to_contain_text(reference)
    await check(page, "the audit log", problems)

    await handed_to_cleansing(casehub, reference)
    await sign_in(page, OFFICER)
    await expect(page.locator("main")).to_contain_text(reference)
    await check(page, "department cases", problems)
    await page.goto(f"/staff/cases/{reference}")
    await check(page, "a case, for its department", problems)

    assert not problems, "\n".join(problems)


async def handed_to_cleansing(casehub: Casehub, reference: str) -> None:
    [(department_id,)] = casehub.query(
        "SELECT id FROM departments WHERE name = 'Cleansing and Waste'")
    async with casehub.staff(casehub.seeded["agent"]) as agent:
        response = await agent.post(f"/api/staff/cases/{reference}/handoff",
                                    json={"department_id": department_id})
        assert response.status_code == 200, response.text


async def test_the_triage_forms_work_by_keyboard_alone(
    desk: BrowserContext, casehub: Casehub
) -> None:
    reference = await phoned_case(casehub, "Mattress dumped in the entry")
    add(casehub, templates=[("Crew booked", "{reference}: a crew is booked.",
                             None)])
    page = await desk.new_page()
    await sign_in(page, casehub.seeded["agent"])

    # From the queue: to the case's Take button, past the filters.
    await tab_to(page, name=f"Take case {reference}", limit=60)
    await page.keyboard.press("Enter")
    await notice(page, f"You have taken case {reference}.")

    # The next step the page names, then its form.
    await tab_to(page, name="Hand the case to the department that will do the "
                 "work.", limit=60)
    await page.keyboard.press("Enter")
    await tab_to(page, id="handoff-department_id", limit=5)
    await expect(page.locator("#handoff-department_id option:checked")).to_have_text(
        "Cleansing and Waste (suggested)")
    await tab_to(page, id="handoff-note", limit=3)
    await page.keyboard.type("Behind the shops")
    await tab_to(page, name="Hand off", limit=3)
    await page.keyboard.press("Enter")
    await notice(page, "was handed to Cleansing and Waste")

    await page.locator(".skip").focus()
    await tab_to(page, id="details-priority", limit=90)
    await page.keyboard.type("Urg")
    await expect(page.locator("#details-priority")).to_have_value("urgent")
    await tab_to(page, name="Save details", limit=4)
    await page.keyboard.press("Enter")
    await notice(page, "are saved")

    await page.locator(".skip").focus()
    await tab_to(page, id="reply-template", limit=90)
    await page.keyboard.press("ArrowDown")
    await expect(page.locator("#reply-text")).to_have_value(
        f"{reference}: a crew is booked.")
    await tab_to(page, id="reply-text", limit=3)
    await page.keyboard.press("End")
    await page.keyboard.type(" Friday.")
    await tab_to(page, name="Send reply", limit=3)
    await page.keyboard.press("Enter")
    await notice(page, "was sent to the member")

    assert casehub.query("SELECT priority, status FROM cases WHERE reference = ?",
                         reference) == [("urgent", "with_department")]
    [(text,)] = casehub.query(
        "SELECT e.data FROM case_events e JOIN cases c ON c.id = e.case_id "
        "WHERE c.reference = ? AND e.kind = 'reply'", reference)
    assert json.loads(text)["text"] == f"{reference}: a crew is booked. Friday."
