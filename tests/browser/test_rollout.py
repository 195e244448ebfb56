"""At the training slot: the member's phone joins from the QR code on the
trainer's page, sets itself up, and the trainer's checklist ticks itself.

Headless Chromium cannot install an app, make a real push subscription or
be granted persistent storage, so the page gets stand-ins that behave as a
phone's browser does: the install prompt and `appinstalled`, a subscription
at the test's own push service, and storage that stays once asked. The
server really sends the test alert to that push service, and the test hands
what arrived to the app's worker as the phone's push service would.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator

import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, expect

from server.config import PUSH_HOSTS
from tests.browser.conftest import Casehub
from tests.browser.test_accessibility import axe_violations, check, describe, laid_out
from tests.browser.test_member_app import nav
from tests.browser.test_push_alerts import IPHONE_SAFARI, deliver, worker_devtools
from tests.factories import PASSWORD
from tests.fake_push import FakePushService, fake

__all__ = ["fake", "laid_out"]

pytestmark = pytest.mark.browser

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)

# The phone's browser, where headless Chromium has no such thing.
PHONE = """(subscription) => {
    const INSTALLED = "stand-in-installed";
    const KEPT = "stand-in-subscription";
    const PERSISTED = "stand-in-persisted";
    const realMatch = window.matchMedia.bind(window);
    window.matchMedia = (query) => query.includes("display-mode: standalone")
        ? { matches: localStorage.getItem(INSTALLED) === "yes", media: query }
        : realMatch(query);

    addEventListener("load", () => {
        if (localStorage.getItem(INSTALLED) === "yes") return;
        const offer = new Event("beforeinstallprompt", { cancelable: true });
        let choose;
        offer.userChoice = new Promise((resolve) => { choose = resolve; });
        offer.prompt = async () => {
            localStorage.setItem(INSTALLED, "yes");
            choose({ outcome: "accepted" });
            setTimeout(() => dispatchEvent(new Event("appinstalled")), 50);
        };
        dispatchEvent(offer);
    });

    const made = () => ({
        endpoint: subscription.endpoint,
        toJSON: () => ({ ...subscription, expirationTime: null }),
        unsubscribe: async () => { localStorage.removeItem(KEPT); return true; },
    });
    PushManager.prototype.getSubscription = async function () {
        return localStorage.getItem(KEPT) ? made() : null;
    };
    PushManager.prototype.subscribe = async function (options) {
        if (options.userVisibleOnly !== true) throw new DOMException("silent push");
        localStorage.setItem(KEPT, "yes");
        return made();
    };

    StorageManager.prototype.persist = async function () {
        localStorage.setItem(PERSISTED, "yes");
        return true;
    };
    StorageManager.prototype.persisted = async function () {
        return localStorage.getItem(PERSISTED) === "yes";
    };
}"""


@pytest.fixture
def server_env() -> dict[str, str]:
    """Let the server post alerts to the test's push service on 127.0.0.1."""
    return {"CASEHUB_PUSH_HOSTS": ",".join((*PUSH_HOSTS, "127.0.0.1")),
            "CASEHUB_VAPID_CONTACT": "mailto:hub@council.example.org"}


@pytest.fixture
async def trainer(browser: Browser, casehub: Casehub) -> AsyncIterator[Page]:
    """The trainer, signed in on a laptop, looking after the first member."""
    casehub.query("UPDATE users SET trainer_id = (SELECT id FROM users WHERE "
                  "email = ?) WHERE email = ?", casehub.seeded["trainer"],
                  "member0@council.test")
    context = await browser.new_context(base_url=casehub.url,
                                        viewport={"width": 1024, "height": 900})
    context.set_default_timeout(15_000)
    page = await context.new_page()
    await page.goto("/staff/sign-in")
    await page.get_by_label("Email address").fill(casehub.seeded["trainer"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("navigation", name="Staff pages")).to_be_visible()
    yield page
    await context.close()


async def phone(browser: Browser, casehub: Casehub,
                push_service: FakePushService) -> BrowserContext:
    context = await browser.new_context(base_url=casehub.url,
                                        user_agent=ANDROID_CHROME, has_touch=True,
                                        viewport={"width": 360, "height": 740})
    context.set_default_timeout(15_000)
    await context.grant_permissions(["notifications"], origin=casehub.url)
    subscription = push_service.new_device().subscription()
    await context.add_init_script(f"({PHONE})({json.dumps(subscription)})")
    return context


async def open_member(trainer: Page) -> None:
    await trainer.goto("/staff/training/members")
    await trainer.get_by_role("link", name="Member 0").click()
    await expect(trainer.get_by_role("heading", name="Member 0")).to_be_visible()


def step(trainer: Page, name: str):  # type: ignore[no-untyped-def]
    return trainer.locator("ul.checklist li", has_text=name)


async def assert_clean(page: Page, screen: str) -> None:
    violations = await axe_violations(page)
    assert not violations, f"{screen}:\n{describe(violations)}"


async def test_a_member_joins_from_the_qr_code_and_the_checklist_ticks(
    browser: Browser, casehub: Casehub, trainer: Page, fake: FakePushService
) -> None:
    await open_member(trainer)
    await trainer.get_by_role("button", name="Issue a join code").click()
    code = (await trainer.locator("#shown-code").text_content() or "").strip()
    await assert_clean(trainer, "member page with its code")
    image = await trainer.request.get(
        await trainer.locator("img.qr").get_attribute("src") or "")
    [read] = zxingcpp.read_barcodes(Image.open(io.BytesIO(await image.body())))
    assert read.text == f"{casehub.url}/#join={code}"

    # The member points the phone's camera at the code and follows the link.
    context = await phone(browser, casehub, fake)
    member = await context.new_page()
    await member.goto(read.text)
    await expect(member.get_by_label("Enrollment code")).to_have_value(code)
    await member.get_by_role("button", name="Join").click()
    await expect(member.get_by_role("heading",
                                    name="Set up this phone")).to_be_visible()
    install = member.get_by_role("button", name="Install casehub")
    await expect(install).to_be_visible()
    await assert_clean(member, "set-up screen")

    # The trainer's page finds the new phone by itself, and ticks as it reports.
    await expect(trainer.locator("ul.checklist")).to_have_count(1, timeout=20_000)
    await expect(step(trainer, "First sync done")).to_have_class("yes",
                                                                timeout=20_000)
    await expect(step(trainer, "Storage kept safe")).to_have_class("yes")
    await expect(step(trainer, "Installed on the home screen")).to_have_class("no")

    await install.click()
    await expect(member.locator("#step-install")).to_have_class("done")
    await expect(step(trainer, "Installed on the home screen")).to_have_class(
        "yes", timeout=20_000)

    await member.get_by_role("button", name="Turn on alerts").click()
    await expect(member.locator("#step-alerts")).to_have_class("done")
    await expect(step(trainer, "Alerts turned on")).to_have_class("yes",
                                                                 timeout=20_000)
    await expect(step(trainer, "Test alert received")).to_have_class("no")

    # The trainer sends a test alert; the server posts it to the push service,
    # which hands it to the phone.
    await trainer.get_by_role("button", name="Send a test alert").click()
    await expect(trainer.locator(".notice")).to_contain_text("test alert is on")
    await fake.wait_for(1, within=15)
    [arrived] = fake.messages
    assert arrived.data["kind"] == "test"
    devtools, registration = await worker_devtools(member, casehub)
    await deliver(devtools, registration, casehub, json.dumps(arrived.data))

    await expect(step(trainer, "Test alert received")).to_have_class(
        "yes", timeout=20_000)
    await expect(trainer.locator("ul.checklist li.yes")).to_have_count(5)
    await expect(member.locator("#step-test-alert")).to_have_class("done",
                                                                   timeout=20_000)
    assert casehub.query("SELECT installed, push_subscribed, storage_persisted, "
                         "platform FROM device_reports") == [(1, 1, 1, "android")]
    await context.close()


async def test_an_iphone_is_asked_to_add_casehub_to_the_home_screen_first(
    browser: Browser, casehub: Casehub
) -> None:
    context = await browser.new_context(base_url=casehub.url,
                                        user_agent=IPHONE_SAFARI, has_touch=True,
                                        viewport={"width": 320, "height": 640})
    page = await context.new_page()
    await page.goto(f"/#join={casehub.code()}")

    steps = page.locator("#join-home-screen")
    await expect(steps).to_contain_text("add casehub to the Home Screen first")
    await expect(steps.locator("li")).to_have_count(3)
    await expect(page.locator("#ios-code")).to_have_text(casehub.code())
    await expect(page.get_by_role("heading", name="Or join here in Safari, "
                                  "without alerts")).to_be_visible()
    await assert_clean(page, "join on an iPhone")
    await context.close()


async def test_feedback_given_offline_is_sent_when_the_phone_is_back(
    context: BrowserContext, casehub: Casehub
) -> None:
    from tests.browser.test_member_app import join

    page = await context.new_page()
    await join(page, casehub.code())
    await nav(page, "Settings").click()
    await page.get_by_role("link", name="Give feedback").click()
    await expect(page.get_by_role("heading", name="Give feedback")).to_be_visible()
    await assert_clean(page, "feedback")

    await context.set_offline(True)
    await page.get_by_role("button", name="Send feedback").click()
    await expect(page.locator(".error-summary")).to_contain_text(
        "Choose a rating from 1 to 5")
    await assert_clean(page, "feedback with errors")
    await page.locator("#hub-rating").get_by_label("4").check()
    await page.locator("#app-rating").get_by_label("5: very good").check()
    await page.get_by_label("Anything to add about the app?").fill(
        "Works on the bus with no signal")
    await page.get_by_role("button", name="Send feedback").click()
    given = page.locator("#feedback-given")
    await expect(given).to_contain_text("The hub: 4 of 5. The app: 5 of 5.")
    await expect(given).to_contain_text("Not yet sent")
    await page.reload()
    await expect(page.locator("#feedback-given")).to_contain_text("Not yet sent")
    assert casehub.query("SELECT count(*) FROM feedback") == [(0,)]

    await context.set_offline(False)
    await expect(page.locator("#feedback-given")).not_to_contain_text(
        "Not yet sent", timeout=20_000)
    [(hub, app, comment)] = casehub.query(
        "SELECT hub_rating, app_rating, app_comment FROM feedback")
    assert (hub, app, comment) == (4, 5, "Works on the bus with no signal")


async def test_the_training_pages_pass_axe_and_fit(
    laid_out: BrowserContext, casehub: Casehub
) -> None:
    casehub.query("UPDATE users SET trainer_id = (SELECT id FROM users WHERE "
                  "email = ?)", casehub.seeded["trainer"])
    page = await laid_out.new_page()
    problems: list[str] = []
    await page.goto("/staff/sign-in")
    await page.get_by_label("Email address").fill(casehub.seeded["trainer"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await page.goto("/staff/training/slots")
    await page.get_by_role("button", name="Publish slot").click()
    await expect(page.locator("#error-summary")).to_be_visible()
    await check(page, "slots with an error", problems)
    for day, place in (("2031-03-04", "Room 2, City Hall"), ("2031-03-05", "")):
        await page.get_by_label("Date").fill(day)
        await page.get_by_label("Start time").fill("10:30")
        await page.get_by_label("Length in minutes").fill("30")
        await page.get_by_label("Place").fill(place)
        await page.get_by_label("Online link").fill(
            "" if place else "https://meet.example/casehub")
        await page.get_by_role("button", name="Publish slot").click()
        await expect(page.locator(".notice")).to_contain_text("published")
    await check(page, "slots", problems)

    await page.goto("/staff/training/bookings")
    await page.get_by_label("Member", exact=True).select_option(label="Member 1")
    await page.get_by_label("Slot").select_option(index=1)
    await page.get_by_role("button", name="Book", exact=True).click()
    await expect(page.locator(".notice")).to_contain_text("Booked")
    await check(page, "bookings", problems)

    await page.goto("/staff/training/members")
    await check(page, "members' phones", problems)
    await page.get_by_role("link", name="Member 2").click()
    await page.get_by_role("button", name="Email a booking link").click()
    await expect(page.locator(".notice")).to_contain_text("emailed")
    await check(page, "a member's page", problems)

    await page.goto("/staff/training/briefings")
    await page.get_by_label("Party").select_option(label="Alliance")
    await page.get_by_label("Date").fill("2031-03-06")
    await page.get_by_label("Start time").fill("18:00")
    await page.get_by_label("Place").fill("Members' Room")
    await page.get_by_role("button", name="Schedule briefing").click()
    await expect(page.locator(".notice")).to_contain_text("scheduled")
    await check(page, "briefings", problems)
    for path, screen in (("/staff/training/feedback", "feedback"),
                         ("/staff/training/adoption", "adoption"),
                         ("/staff/training/", "training overview")):
        await page.goto(path)
        await check(page, screen, problems)

    [(body,)] = casehub.query("SELECT body FROM mail_messages WHERE subject = ?",
                              "Book your casehub training")
    link = next(word for word in body.split() if "/training/book/" in word)
    await page.goto(link)
    await check(page, "a member's booking page", problems)
    await page.get_by_role("radio").first.check()
    await page.get_by_role("button", name="Book this time").click()
    await expect(page.locator(".notice")).to_contain_text("Booked")
    await check(page, "a member's booking", problems)
    casehub.query("UPDATE booking_links SET expires_at = '2020-01-01 00:00:00+00:00'")
    await page.reload()
    await expect(page.get_by_role("heading", name="This link has expired")
                 ).to_be_visible()
    await check(page, "an expired booking link", problems)

    assert not problems, "\n".join(problems)
