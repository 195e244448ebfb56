"""Push alerts on the phone: the worker's notifications, the member's choice of
alerts, the iPhone's Home Screen steps, and keeping the subscription current.

Headless Chromium has no push service, so pushes are handed to the worker
through the DevTools protocol and subscriptions are made by the test.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, CDPSession, Page, expect

from server.notifications.models import AlertKind
from server.notifications.payload import build
from server.notifications.preferences import EVERY_KIND
from tests.browser.conftest import Casehub
from tests.browser.test_member_app import join, nav, raise_case, synced

pytestmark = pytest.mark.browser

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
IPAD_AS_DESKTOP = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Safari/605.1.15"
)

NOTIFICATIONS = """async () => {
    const registration = await navigator.serviceWorker.getRegistration("/");
    const shown = await registration.getNotifications();
    return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag,
                               url: n.data && n.data.url }));
}"""

CASE_IN_DATABASE = """async (id) => {
    const db = await new Promise((resolve, reject) => {
        const opening = indexedDB.open("casehub");
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => reject(opening.error);
    });
    const found = await new Promise((resolve) => {
        const request = db.transaction("cases").objectStore("cases").get(id);
        request.onsuccess = () => resolve(request.result || null);
    });
    db.close();
    return found;
}"""


async def eventually(check: Callable[[], Any], tries: int = 150) -> Any:
    """The first truthy answer of check, asked every tenth of a second."""
    answer = None
    for _ in range(tries):
        answer = check()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return answer
        await asyncio.sleep(0.1)
    raise AssertionError(f"still {answer!r} after {tries} tries")


async def worker_devtools(page: Page, casehub: Casehub) -> tuple[CDPSession, str]:
    """A DevTools session and the id of the app's worker registration."""
    devtools = await page.context.new_cdp_session(page)
    registrations: list[str] = []
    devtools.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations
                .extend(r["registrationId"] for r in event["registrations"]
                        if r["scopeURL"] == f"{casehub.url}/"))
    await devtools.send("ServiceWorker.enable")
    await eventually(lambda: registrations)
    return devtools, registrations[0]


async def deliver(devtools: CDPSession, registration: str, casehub: Casehub,
                  data: str) -> None:
    await devtools.send("ServiceWorker.deliverPushMessage", {
        "origin": casehub.url, "registrationId": registration, "data": data})


def alert(kind: AlertKind, case_id: str, reference: str,
          detail: dict[str, Any]) -> str:
    """An alert exactly as the server sends it."""
    message = build(str(uuid.uuid4()), kind, uuid.UUID(case_id), reference, detail,
                    datetime.now(UTC).isoformat())
    return json.dumps(message)


async def app_with_a_case(context: BrowserContext, casehub: Casehub) -> tuple[str, str]:
    """A joined phone whose case the server holds; returns its id and reference."""
    await context.grant_permissions(["notifications"], origin=casehub.url)
    page = await context.new_page()
    await join(page, casehub.code())
    await raise_case(page, "Fridge on the footpath")
    await synced(page)
    await page.close()
    [(case_id, reference)] = casehub.query("SELECT id, reference FROM cases")
    return str(uuid.UUID(str(case_id))), reference


async def test_a_push_shows_the_alert_replaces_it_and_syncs(
    context: BrowserContext, casehub: Casehub
) -> None:
    case_id, reference = await app_with_a_case(context, casehub)
    async with casehub.staff(casehub.seeded["agent"]) as agent:
        response = await agent.post(f"/api/staff/cases/{reference}/status",
                                    json={"status": "in_progress"})
        assert response.status_code == 200, response.text

    # A page of the site that does not run the app: only the worker can sync.
    page = await context.new_page()
    await page.goto("/healthz")
    devtools, registration = await worker_devtools(page, casehub)
    await deliver(devtools, registration, casehub, alert(
        AlertKind.STATUS, case_id, reference, {"to": "in_progress"}))

    shown = await eventually(lambda: page.evaluate(NOTIFICATIONS))
    assert shown == [{"title": f"Case {reference}",
                      "body": "Status is now In progress.",
                      "tag": case_id, "url": f"/#case/{case_id}"}]
    stored = await eventually(lambda: _with_status(page, case_id, "in_progress"))
    assert stored["reference"] == reference

    await deliver(devtools, registration, casehub, alert(
        AlertKind.HANDOFF, case_id, reference, {"department": "Cleansing"}))
    await eventually(lambda: _shown_body(page, "Handed to Cleansing."))
    assert await page.evaluate(NOTIFICATIONS) == [
        {"title": f"Case {reference}", "body": "Handed to Cleansing.", "tag": case_id,
         "url": f"/#case/{case_id}"}]


async def _with_status(page: Page, case_id: str, status: str) -> Any:
    found = await page.evaluate(CASE_IN_DATABASE, case_id)
    return found if found and found["status"] == status else None


async def _shown_body(page: Page, body: str) -> bool:
    return any(shown["body"] == body for shown in await page.evaluate(NOTIFICATIONS))


async def test_an_unreadable_push_still_shows_an_alert(
    context: BrowserContext, casehub: Casehub
) -> None:
    await app_with_a_case(context, casehub)
    page = await context.new_page()
    await page.goto("/healthz")
    devtools, registration = await worker_devtools(page, casehub)

    await deliver(devtools, registration, casehub, "\x00not json{")

    shown = await eventually(lambda: page.evaluate(NOTIFICATIONS))
    assert shown == [{
        "title": "casehub",
        "body": "There is news on one of your cases. Open the app to see it.",
        "tag": "casehub-alert", "url": "/#cases"}]


async def test_alert_choices_made_offline_reach_the_server_and_stay(
    context: BrowserContext, casehub: Casehub
) -> None:
    page = await context.new_page()
    await join(page, casehub.code())
    await nav(page, "Settings").click()
    replies = page.get_by_label("The hub replies on a case")
    await expect(replies).to_be_checked()

    await context.set_offline(True)
    await replies.uncheck()
    await expect(page.locator("#pending-badge")).to_have_text("1 unsent")
    await page.reload()
    await expect(page.get_by_label("The hub replies on a case")).not_to_be_checked()
    await expect(page.get_by_label("A case's status changes")).to_be_checked()
    assert casehub.query("SELECT count(*) FROM alert_preferences") == [(0,)]

    await context.set_offline(False)
    [(kinds,)] = await eventually(lambda: casehub.query(
        "SELECT kinds FROM alert_preferences"))
    assert set(json.loads(kinds)) == {kind.value for kind in EVERY_KIND} - {"reply"}
    await synced(page)
    await nav(page, "Settings").click()
    await page.reload()
    await expect(page.get_by_label("The hub replies on a case")).not_to_be_checked()
    await expect(page.get_by_label("An answer is overdue")).to_be_checked()
    outbox = await page.evaluate("""async () => {
        const db = await new Promise((resolve) => {
            const opening = indexedDB.open("casehub");
            opening.onsuccess = () => resolve(opening.result);
        });
        const rows = await new Promise((resolve) => {
            db.transaction("outbox").objectStore("outbox").getAll()
                .onsuccess = (event) => resolve(event.target.result);
        });
        db.close();
        return rows.length;
    }""")
    assert outbox == 0, "the choice shown now comes from the server's settings"


# iPadOS says it is a Mac; only its five touch points tell it apart.
IPAD_TOUCH = """Object.defineProperty(Navigator.prototype, "maxTouchPoints",
    { get: () => 5 });"""


@pytest.mark.parametrize("agent", [IPHONE_SAFARI, IPAD_AS_DESKTOP],
                         ids=["iphone", "ipad"])
async def test_an_iphone_in_safari_is_shown_how_to_add_the_app_first(
    browser: Any, casehub: Casehub, agent: str
) -> None:
    context = await browser.new_context(base_url=casehub.url, user_agent=agent,
                                        has_touch=True,
                                        viewport={"width": 320, "height": 640})
    if agent == IPAD_AS_DESKTOP:
        await context.add_init_script(IPAD_TOUCH)
    page = await context.new_page()
    await join(page, casehub.code())
    await nav(page, "Settings").click()

    steps = page.locator("#alerts-home-screen")
    await expect(steps).to_contain_text("alerts only work once casehub is added to "
                                        "the Home Screen")
    await expect(steps.locator("li")).to_have_count(3)
    await expect(steps).to_contain_text("Share")
    await expect(steps).to_contain_text("Add to Home Screen")
    await expect(page.get_by_role("button", name="Turn on alerts")).to_have_count(0)
    await expect(page.get_by_label("An answer is overdue")).to_be_visible()
    assert await page.evaluate("() => document.documentElement.scrollWidth <= "
                               "innerWidth")
    await context.close()


async def test_a_mac_without_touch_is_offered_alerts(
    browser: Any, casehub: Casehub
) -> None:
    context = await browser.new_context(base_url=casehub.url,
                                        user_agent=IPAD_AS_DESKTOP)
    page = await context.new_page()
    await join(page, casehub.code())
    await nav(page, "Settings").click()
    await expect(page.get_by_role("button", name="Turn on alerts")).to_be_visible()
    await expect(page.locator("#alerts-home-screen")).to_have_count(0)
    await context.close()


# subscribe() cannot reach a push service here, so the page gets a stand-in
# that behaves like one: it remembers its subscription across reloads and
# counts how often the app subscribed.
FAKE_PUSH = """(keys) => {
    const KEPT = "fake-push-subscription";
    const COUNT = "fake-push-subscribes";
    const made = (json) => ({
        endpoint: json.endpoint,
        toJSON: () => ({ ...json, expirationTime: null }),
        unsubscribe: async () => { localStorage.removeItem(KEPT); return true; },
    });
    PushManager.prototype.getSubscription = async function () {
        const kept = localStorage.getItem(KEPT);
        return kept ? made(JSON.parse(kept)) : null;
    };
    PushManager.prototype.subscribe = async function (options) {
        if (options.userVisibleOnly !== true) throw new DOMException("silent push");
        const count = Number(localStorage.getItem(COUNT) || 0) + 1;
        const key = btoa(String.fromCharCode(...options.applicationServerKey))
            .replace(/[+]/g, "-").replace(/[/]/g, "_").replace(/=+$/, "");
        const json = { endpoint: `https://fcm.googleapis.com/fcm/send/fake-${count}`,
            keys, serverKey: key };
        localStorage.setItem(COUNT, String(count));
        localStorage.setItem(KEPT, JSON.stringify(json));
        return made(json);
    };
}"""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def _subscribes(page: Page) -> int:
    return int(await page.evaluate(
        "() => Number(localStorage.getItem('fake-push-subscribes') || 0)"))


def _served_key(casehub: Casehub) -> dict[str, str]:
    response = httpx.get(f"{casehub.url}/api/push/key")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _held(casehub: Casehub) -> list[tuple[Any, ...]]:
    return casehub.query("SELECT endpoint, key_id, p256dh, auth "
                         "FROM push_subscriptions")


async def test_the_app_subscribes_and_subscribes_again_when_the_key_changes(
    context: BrowserContext, casehub: Casehub
) -> None:
    keys = {"p256dh": _b64url(b"\x04" + os.urandom(64)),
            "auth": _b64url(os.urandom(16))}
    await context.add_init_script(f"({FAKE_PUSH})({json.dumps(keys)})")
    await context.grant_permissions(["notifications"], origin=casehub.url)
    page = await context.new_page()
    await join(page, casehub.code())
    await nav(page, "Settings").click()

    await page.get_by_role("button", name="Turn on alerts").click()
    await expect(page.locator("#alerts-state")).to_have_text(
        "On: this phone shows an alert when one of your cases changes.")
    first = _served_key(casehub)
    fake = "https://fcm.googleapis.com/fcm/send/fake-"
    assert _held(casehub) == [(fake + "1", first["key_id"], keys["p256dh"],
                               keys["auth"])]
    used = await page.evaluate(
        "() => JSON.parse(localStorage.getItem('fake-push-subscription')).serverKey")
    assert used == first["public_key"]

    # Same key, same subscription: the next start only confirms it.
    await page.reload()
    await expect(page.locator("#alerts-state")).to_contain_text("On:")
    await page.wait_for_load_state("networkidle")
    assert await _subscribes(page) == 1

    casehub.cli("rotate-vapid")
    assert _held(casehub) == []
    second = _served_key(casehub)
    assert second["key_id"] != first["key_id"]
    await page.reload()
    await eventually(lambda: _held(casehub))
    assert _held(casehub) == [(fake + "2", second["key_id"], keys["p256dh"],
                               keys["auth"])]
    assert await _subscribes(page) == 2

    # The browser lost its subscription: the next start makes a new one.
    await page.evaluate("() => localStorage.removeItem('fake-push-subscription')")
    await page.reload()
    await eventually(lambda: [row[0] for row in _held(casehub)] == [fake + "3"])
    assert await _subscribes(page) == 3

    await page.get_by_role("button", name="Turn off alerts").click()
    await expect(page.locator("#alerts-state")).to_have_text(
        "Off: this phone shows no alerts.")
    assert _held(casehub) == []
    assert await _kept(page) is None

    # Signing out ends the subscription, so the next person gets no alerts.
    await page.get_by_role("button", name="Turn on alerts").click()
    await expect(page.locator("#alerts-state")).to_contain_text("On:")
    assert [row[0] for row in _held(casehub)] == [fake + "4"]
    await page.get_by_role("button", name="Sign out of this phone").click()
    await expect(page.get_by_role("heading", name="Join casehub")).to_be_visible()
    assert _held(casehub) == []
    assert await _kept(page) is None


async def _kept(page: Page) -> Any:
    return await page.evaluate("() => localStorage.getItem('fake-push-subscription')")
