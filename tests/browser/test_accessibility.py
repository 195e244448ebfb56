"""Every screen passes axe, fits a small or zoomed screen, and works by keyboard."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import ROOT, Casehub
from tests.browser.test_member_app import join, nav, raise_case, synced
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# A phone at its narrowest, and a 1280 x 800 screen zoomed to 200%: both must
# show every screen without sideways scrolling.
LAYOUTS = {
    "320px": {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1},
    "zoom200": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}


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


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe's findings on the page as it stands.

    The app's CSP refuses inline scripts, so axe goes in through DevTools,
    which the page's policy does not govern, rather than a script tag.
    """
    devtools = await page.context.new_cdp_session(page)
    loaded = await devtools.send("Runtime.evaluate",
                                 {"expression": AXE.read_text(encoding="utf-8")})
    await devtools.detach()
    assert "exceptionDetails" not in loaded, loaded
    found = await page.evaluate("async () => (await axe.run()).violations")
    return list(found)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {' '.join(node['target'])}: {node['html'][:120]}"
                     for node in violation["nodes"])
    return "\n".join(lines)


async def check(page: Page, screen: str, problems: list[str]) -> None:
    """Note what is wrong with the screen shown, so one run reports every screen."""
    violations = await axe_violations(page)
    if violations:
        problems.append(f"{screen}:\n{describe(violations)}")
    widths = await page.evaluate(
        "() => [document.documentElement.scrollWidth, innerWidth]")
    if widths[0] > widths[1]:
        problems.append(f"{screen}: scrolls sideways ({widths[0]} px content in a "
                        f"{widths[1]} px window)")


async def test_every_member_screen_passes_axe_and_fits(
    laid_out: BrowserContext, casehub: Casehub
) -> None:
    page = await laid_out.new_page()
    problems: list[str] = []

    await page.goto("/#join")
    await expect(page.get_by_role("heading", name="Join casehub")).to_be_visible()
    await check(page, "join", problems)
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator(".error-summary")).to_contain_text("Enter the code")
    await check(page, "join with an error", problems)

    await join(page, casehub.code())
    await expect(page.get_by_text("No cases yet.")).to_be_visible()
    await check(page, "my cases, empty", problems)

    await nav(page, "Raise a case").click()
    await expect(page.get_by_label("Category")).to_be_visible()
    await check(page, "raise a case", problems)
    await page.get_by_role("button", name="Save case").click()
    await expect(page.locator(".error-summary")).to_be_focused()
    await check(page, "raise a case with errors", problems)

    # Offline, so the new case keeps its "New case" heading until the sync.
    await laid_out.set_offline(True)
    await raise_case(page, "Mattress against the church railings")
    await laid_out.set_offline(False)
    await synced(page)
    await check(page, "sync", problems)
    reference = await hub_moves_the_case_on(casehub)
    await synced(page)
    await nav(page, "My cases").click()
    await expect(page.locator("#case-list li")).to_have_count(1)
    await check(page, "my cases, with a case", problems)

    await page.locator("#case-list a", has_text=reference).click()
    await expect(page.locator("#timeline li")).not_to_have_count(0)
    await expect(page.locator("#timeline")).to_contain_text("Crew booked")
    await check(page, "a case with its timeline", problems)

    await nav(page, "Settings").click()
    await expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    await check(page, "settings", problems)

    assert not problems, "\n".join(problems)


async def hub_moves_the_case_on(casehub: Casehub) -> str:
    [(reference,)] = casehub.query("SELECT reference FROM cases")
    async with casehub.staff(casehub.seeded["agent"]) as agent:
        response = await agent.post(f"/api/staff/cases/{reference}/status",
                                    json={"status": "in_progress",
                                          "note": "Crew booked for Friday"})
        assert response.status_code == 200, response.text
    return str(reference)


async def test_the_staff_pages_pass_axe_and_fit(
    laid_out: BrowserContext, casehub: Casehub
) -> None:
    page = await laid_out.new_page()
    problems: list[str] = []

    await page.goto("/staff/sign-in")
    await check(page, "staff sign in", problems)
    await page.get_by_label("Email address").fill(casehub.seeded["agent"])
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("is not right")
    await check(page, "staff sign in with an error", problems)

    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    await check(page, "the queue, empty", problems)

    assert not problems, "\n".join(problems)


async def focused(page: Page) -> dict[str, Any]:
    """What has the keyboard focus, and whether it shows a focus ring."""
    found = await page.evaluate("""() => {
        const element = document.activeElement;
        const style = getComputedStyle(element);
        return {tag: element.tagName.toLowerCase(), id: element.id,
                name: (element.labels?.[0]?.textContent || element.textContent
                       || "").trim().replace(/\\s+/g, " "),
                ring: style.outlineStyle !== "none" || style.boxShadow !== "none"};
    }""")
    return dict(found)


async def tab_to(page: Page, *, id: str = "", name: str = "",
                 limit: int = 40) -> list[str]:
    """Press Tab until the control is focused; the stops passed on the way."""
    passed = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        now = await focused(page)
        assert now["ring"], f"{now} has the focus but shows no focus ring"
        if (id and now["id"] == id) or (name and now["name"] == name):
            return passed
        passed.append(now["id"] or now["name"])
    raise AssertionError(f"Tab never reached {id or name!r}; it went {passed}")


async def test_a_member_joins_and_raises_a_case_by_keyboard_alone(
    context: BrowserContext, casehub: Casehub
) -> None:
    page = await context.new_page()
    await page.goto("/#join")
    await expect(page.locator("main h1")).to_be_focused()

    await tab_to(page, id="join-code")
    await page.keyboard.type(casehub.code())
    await tab_to(page, id="join-device")
    await tab_to(page, name="Join")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Set up this phone")).to_be_focused()
    await page.locator(".skip").focus()
    await tab_to(page, name="My cases", limit=2)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="My cases")).to_be_focused()

    # From the skip link, the first stop on every page: the menu, then the screen.
    await page.locator(".skip").focus()
    order = await tab_to(page, id="case-status")
    assert order == ["My cases", "Raise a case", "Sync", "Settings",
                     "case-search"], order

    await page.locator(".skip").focus()
    await tab_to(page, name="Raise a case", limit=2)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Raise a case")).to_be_focused()
    await context.set_offline(True)
    await fill_the_form_by_keyboard(page)

    await expect(page.get_by_role("heading", name="New case")).to_be_visible()
    await expect(page.locator("#case-status-text")).to_have_text("Submitted")
    details = page.locator("dl.details")
    for shown in ("Fly-tipping", "Fridge dumped by the bus stop", "Mattress",
                  "Ormeau Road"):
        await expect(details).to_contain_text(shown)
    await context.set_offline(False)
    await expect(page.get_by_role("heading", name="CH-")).to_be_visible(
        timeout=20_000)
    [(description, answers)] = casehub.query("SELECT description, answers FROM cases")
    assert description == "Fridge dumped by the bus stop"
    assert json.loads(answers) == {"what": "Mattress"}


async def fill_the_form_by_keyboard(page: Page) -> None:
    await tab_to(page, id="raise-category")
    await page.keyboard.type("Fly")
    await expect(page.get_by_label("Category")).to_have_value(
        str(await category_id(page, "Fly-tipping")))
    await tab_to(page, name="What was dumped")
    await page.keyboard.type("Mat")
    await expect(page.get_by_label("What was dumped")).to_have_value("Mattress")
    await tab_to(page, id="raise-description")
    await page.keyboard.type("Fridge dumped by the bus stop")
    await tab_to(page, id="raise-address")
    await page.keyboard.type("Ormeau Road")
    await tab_to(page, name="Save case")
    await page.keyboard.press("Enter")


async def category_id(page: Page, name: str) -> str:
    value = await page.get_by_label("Category").locator(
        "option", has_text=name).get_attribute("value")
    assert value is not None
    return value


async def test_staff_sign_in_by_keyboard_alone(
    context: BrowserContext, casehub: Casehub
) -> None:
    page = await context.new_page()
    await page.goto("/staff/sign-in")

    await tab_to(page, id="email")
    await page.keyboard.type(casehub.seeded["agent"])
    await tab_to(page, id="password")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    await tab_to(page, name="Sign out")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Staff sign in")).to_be_visible()
