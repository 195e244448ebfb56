"""The dashboard's charts draw under the strict CSP, and both pages pass axe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import Casehub
from tests.browser.test_accessibility import AXE, LAYOUTS, check
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def add_history(casehub: Casehub) -> None:
    """A few contacts and a handed-off case in the last days, straight into SQLite."""
    now = datetime.now(UTC).replace(microsecond=0)
    for hours, channel in ((2, "phone"), (3, "email"), (27, "app"), (50, "web"),
                           (51, "email")):
        casehub.query("INSERT INTO contacts (channel, at, summary) VALUES (?, ?, ?)",
                      channel, (now - timedelta(hours=hours)).isoformat(" "),
                      "Asked about a case")
    arrived = (now - timedelta(hours=5)).isoformat(" ")
    casehub.query(
        "INSERT INTO cases (id, reference, kind, answers, description, status,"
        " priority, channel, created_at, updated_at, version, acknowledge_by,"
        " acknowledged_at, response_seconds, response_working_seconds)"
        " VALUES ('00000000-0000-4000-8000-000000000001', 'CH-900001',"
        " 'service_request', '{}', 'Bins not lifted', 'with_department',"
        " 'normal', 'app', ?, ?, 1, ?, ?, 3600, 3600)",
        arrived, arrived, (now + timedelta(hours=3)).isoformat(" "),
        (now - timedelta(hours=4)).isoformat(" "))
    [(department,)] = casehub.query("SELECT min(id) FROM departments")
    casehub.query("INSERT INTO handoffs (case_id, department_id, at, by_email)"
                  " VALUES ('00000000-0000-4000-8000-000000000001', ?, ?, 0)",
                  department, (now - timedelta(hours=4)).isoformat(" "))


async def sign_in(page: Page, email: str) -> None:
    await page.goto("/staff/sign-in")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("navigation", name="Staff pages")).to_be_visible()


def watch_for_errors(page: Page) -> list[str]:
    """Console errors, page errors and CSP refusals, as they happen."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(
        f"{message.text} ({message.location.get('url')})")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def not_the_icon(errors: list[str]) -> list[str]:
    """The staff pages name no icon, so the browser's own ask for one fails."""
    return [error for error in errors if not error.endswith("/favicon.ico)")]


async def test_the_charts_render_without_breaking_the_csp(
        context: BrowserContext, casehub: Casehub) -> None:
    add_history(casehub)
    page = await context.new_page()
    errors = watch_for_errors(page)
    await sign_in(page, casehub.seeded["agent"])

    response = await page.goto("/staff/dashboard")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    await expect(page.get_by_role("heading", name="Hub dashboard")).to_be_visible()

    for chart in ("contacts-chart", "handoffs-chart"):
        canvas = page.locator(f"#{chart}")
        await expect(canvas).to_be_visible()
        drawn = await page.wait_for_function(
            """id => {
                const chart = window.Chart && Chart.getChart(id);
                return chart && chart.data.datasets.length > 0
                    && document.getElementById(id).width > 0 && chart;
            }""", arg=chart)
        assert drawn
    totals = await page.evaluate("""() => Chart.getChart('contacts-chart')
        .data.datasets.filter(d => d.type === 'bar')
        .map(d => d.data.reduce((a, b) => a + b, 0))""")
    assert sum(totals) == 5
    await expect(page.get_by_text("5 contacts: 1 by phone")).to_be_visible()
    assert not_the_icon(errors) == []


@pytest.fixture(params=sorted(LAYOUTS))
async def laid_out(request: pytest.FixtureRequest, browser: Browser,
                   casehub: Casehub) -> AsyncIterator[BrowserContext]:
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run `npm ci` first")
    opened = await browser.new_context(base_url=casehub.url,
                                       **LAYOUTS[request.param])
    opened.set_default_timeout(15_000)
    yield opened
    await opened.close()


async def test_both_pages_pass_axe_and_fit(laid_out: BrowserContext,
                                           casehub: Casehub) -> None:
    add_history(casehub)
    page = await laid_out.new_page()
    problems: list[str] = []
    await sign_in(page, casehub.seeded["agent"])

    await page.goto("/staff/dashboard")
    await page.wait_for_function(
        "() => window.Chart && Chart.getChart('contacts-chart')")
    await check(page, "dashboard", problems)
    await page.goto("/staff/dashboard?from=2026-07-02&to=2026-07-01")
    await expect(page.get_by_role("alert")).to_contain_text("before from")
    await check(page, "dashboard with a bad range", problems)

    await page.goto("/staff/members")
    await expect(page.get_by_role("heading", name="Members' use of the hub")
                 ).to_be_visible()
    await check(page, "members", problems)
    await page.get_by_role("link", name="Ward").click()
    await expect(page.locator("th[aria-sort]")).to_have_attribute(
        "aria-sort", "ascending")
    await check(page, "members sorted by ward", problems)

    assert not problems, "\n".join(problems)
