"""The member app in a real Chromium against a real server."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import ROOT, Casehub, _env

pytestmark = pytest.mark.browser


def camera_photo(folder: Path, name: str, colour: str) -> Path:
    """A large photo with camera metadata, as a phone would take it."""
    path = folder / f"{name}.jpg"
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (3000, 2000), colour).save(path, "JPEG", exif=exif.tobytes())
    return path


async def join(page: Page, code: str) -> None:
    await page.goto(f"/#join={code}")
    await expect(page.locator("#join-code")).to_have_value(code)
    await page.get_by_role("button", name="Join").click()
    await expect(page.get_by_role("heading", name="Set up this phone")).to_be_visible()
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await nav(page, "My cases").click()
    await expect(page.get_by_role("heading", name="My cases")).to_be_visible()


async def raise_case(page: Page, description: str, photos: list[Path] = (),
                     gps: bool = False) -> None:
    await nav(page, "Raise a case").click()
    await page.get_by_label("Category").select_option(label="Fly-tipping")
    await page.get_by_label("What was dumped").select_option("Mattress")
    await page.get_by_label("What is the problem?").fill(description)
    if gps:
        await page.get_by_role("button", name="Use my location").click()
        await expect(page.locator("#raise-gps-status")).to_have_text(
            "Location found, to within 12 m.")
    else:
        await page.get_by_label("Or type the address or a landmark").fill(
            "Botanic Avenue")
    if photos:
        await page.get_by_label("Take or choose photos").set_input_files(list(photos))
        await expect(page.locator("#raise-photo-status")).to_have_text(
            f"{len(photos)} of 5 photos.")
    await page.get_by_role("button", name="Save case").click()
    # Online, the case may sync and show its reference before this looks.
    await expect(page.get_by_role("heading", name=SAVED_CASE)).to_be_visible()


SAVED_CASE = re.compile(r"^(New case|CH-\d+)$")


def nav(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation").get_by_role("link", name=name)


async def synced(page: Page) -> None:
    await nav(page, "Sync").click()
    await page.get_by_role("button", name="Sync now").click()
    await expect(page.locator("#sync-pending")).to_have_text("0")


async def test_cases_raised_offline_survive_a_reload_and_reach_the_server(
    context: BrowserContext, casehub: Casehub, tmp_path: Path
) -> None:
    page = await context.new_page()
    await join(page, casehub.code())

    await context.set_offline(True)
    await raise_case(page, "Mattress in the entry", [
        camera_photo(tmp_path, "one", "red"), camera_photo(tmp_path, "two", "blue")])
    await raise_case(page, "Sofa by the bins",
                     [camera_photo(tmp_path, "three", "green")])
    await raise_case(page, "Bags on the verge")
    await page.reload()
    await nav(page, "My cases").click()
    await expect(page.locator("#case-list li")).to_have_count(3)
    await expect(page.locator("#case-list .mark.unsynced")).to_have_count(3)
    assert casehub.query("SELECT count(*) FROM cases") == [(0,)]

    await context.set_offline(False)
    await expect(page.locator("#case-list .mark.unsynced")).to_have_count(0,
                                                                          timeout=20_000)
    await expect(page.locator("#case-list a", has_text="CH-")).to_have_count(3)
    assert casehub.query("SELECT count(*) FROM cases") == [(3,)]
    assert sorted(casehub.query(
        "SELECT c.description, count(p.id) FROM cases c "
        "LEFT JOIN case_photos p ON p.case_id = c.id GROUP BY c.id")) == [
        ("Bags on the verge", 0), ("Mattress in the entry", 2),
        ("Sofa by the bins", 1)]
    for width, height in casehub.query("SELECT width, height FROM photos"):
        assert max(width, height) == 2048


async def open_case(page: Page, reference: str) -> None:
    await nav(page, "My cases").click()
    await page.locator("#case-list a", has_text=reference).click()
    await expect(page.get_by_role("heading", name=reference)).to_be_visible()


async def test_a_status_change_at_the_hub_reaches_the_phone(
    context: BrowserContext, casehub: Casehub
) -> None:
    await context.grant_permissions(["geolocation"])
    await context.set_geolocation({"latitude": 54.5842, "longitude": -5.9335,
                                   "accuracy": 12})
    page = await context.new_page()
    await join(page, casehub.code())
    await raise_case(page, "Fridge on the footpath", gps=True)
    await synced(page)
    [(reference, latitude, accuracy)] = casehub.query(
        "SELECT reference, latitude, location_accuracy FROM cases")
    assert (latitude, accuracy) == (54.5842, 12)

    async with casehub.staff(casehub.seeded["agent"]) as agent:
        response = await agent.post(f"/api/staff/cases/{reference}/status",
                                    json={"status": "in_progress",
                                          "note": "Crew booked for Friday"})
        assert response.status_code == 200, response.text

    await synced(page)
    await open_case(page, reference)
    await expect(page.locator("#case-status-text")).to_have_text("In progress")
    await expect(page.locator("#timeline")).to_contain_text(
        "Status changed to In progress: Crew booked for Friday")


async def test_a_change_the_server_refuses_shows_its_reason(
    context: BrowserContext, casehub: Casehub
) -> None:
    page = await context.new_page()
    await join(page, casehub.code())
    await raise_case(page, "Tyres in the alley")
    await synced(page)
    [(reference,)] = casehub.query("SELECT reference FROM cases")
    await open_case(page, reference)

    # The hub closes the case before the phone hears of it; the member's
    # withdrawal then arrives too late.
    async with casehub.staff(casehub.seeded["agent"]) as agent:
        response = await agent.post(f"/api/staff/cases/{reference}/status",
                                    json={"status": "closed"})
        assert response.status_code == 200, response.text
    await page.get_by_role("button", name="Withdraw case").click()
    await synced(page)

    reason = f"Not accepted: Members can withdraw an open case or reopen a " \
             f"resolved one; case {reference} is closed."
    await open_case(page, reference)
    await expect(page.locator(".mark.rejected")).to_have_text(reason)
    await expect(page.locator("#case-status-text")).to_have_text("Closed")
    await nav(page, "My cases").click()
    await expect(page.locator("#case-list .mark.rejected")).to_have_text(reason)


async def test_two_tabs_send_each_change_once(
    context: BrowserContext, casehub: Casehub
) -> None:
    first = await context.new_page()
    await join(first, casehub.code())
    second = await context.new_page()
    await second.goto("/#cases")
    await expect(second.get_by_role("heading", name="My cases")).to_be_visible()
    sent: list[str] = []

    def note_push(request: Any) -> None:
        if request.url.endswith("/api/sync/push"):
            sent.extend(m["id"] for m in request.post_data_json["mutations"])

    # Only requests that reached the server: offline attempts fail on the phone.
    context.on("requestfinished", note_push)
    await context.set_offline(True)
    await raise_case(first, "Trolleys in the river")
    await raise_case(first, "Paint on the bus shelter")
    await raise_case(second, "Glass on the cycle path")
    await context.set_offline(False)

    for page in (first, second):
        await nav(page, "My cases").click()
        await expect(page.locator("#case-list a", has_text="CH-")).to_have_count(
            3, timeout=20_000)
    assert casehub.query("SELECT count(*) FROM cases") == [(3,)]
    assert casehub.query("SELECT count(*) FROM applied_mutations") == [(3,)]
    assert len(sent) == len(set(sent)) == 3


async def test_a_revoked_phone_wipes_its_data(
    context: BrowserContext, casehub: Casehub
) -> None:
    page = await context.new_page()
    await join(page, casehub.code())
    await raise_case(page, "Abandoned car")
    await synced(page)
    [(device_id,)] = casehub.query("SELECT id FROM devices")

    async with casehub.staff(casehub.seeded["trainer"]) as trainer:
        response = await trainer.delete(f"/api/staff/devices/{device_id}")
        assert response.status_code == 204, response.text
    await nav(page, "Sync").click()
    await page.get_by_role("button", name="Sync now").click()

    await expect(page.get_by_role("heading", name="Join casehub")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text(
        "Everything on this phone has been removed.")
    counts = await page.evaluate("""async () => {
        const db = await new Promise((resolve, reject) => {
            const opening = indexedDB.open("casehub");
            opening.onsuccess = () => resolve(opening.result);
            opening.onerror = () => reject(opening.error);
        });
        const count = (name) => new Promise((resolve) => {
            const request = db.transaction(name).objectStore(name).count();
            request.onsuccess = () => resolve(request.result);
        });
        const counts = {};
        for (const name of db.objectStoreNames) counts[name] = await count(name);
        db.close();
        return counts;
    }""")
    assert counts == {"cases": 0, "events": 0, "meta": 0, "outbox": 0, "photos": 0,
                      "reference": 0}
    await page.reload()
    await expect(page.get_by_role("heading", name="Join casehub")).to_be_visible()


async def test_a_new_version_is_offered_and_taken(
    context: BrowserContext, casehub: Casehub
) -> None:
    page = await context.new_page()
    await join(page, casehub.code())
    before = await page.evaluate("caches.keys()")
    assert len(before) == 1

    stylesheet = casehub.pwa_dir / "app.css"
    stylesheet.write_text(stylesheet.read_text() + "\n.new-version { color: red; }\n")
    await page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        await registration.update();
    }""")
    banner = page.locator("#update-banner")
    await expect(banner).to_contain_text("A new version is ready.")
    async with page.expect_navigation():
        await banner.get_by_role("button", name="Update now").click()

    await expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    after = await page.evaluate("caches.keys()")
    assert len(after) == 1 and after != before
    served = await page.evaluate("""async () => {
        const cache = await caches.open((await caches.keys())[0]);
        return (await cache.match("/app/app.css")).text();
    }""")
    assert ".new-version" in served
    await expect(banner).to_be_hidden()


async def test_every_screen_fits_a_small_phone_and_names_its_fields(
    browser: Browser, casehub: Casehub
) -> None:
    context = await browser.new_context(base_url=casehub.url,
                                        viewport={"width": 320, "height": 640})
    problems: list[str] = []
    context.on("weberror", lambda error: problems.append(str(error.error)))
    page = await context.new_page()
    page.on("console", lambda message: message.type == "error"
            and problems.append(message.text))
    await join(page, casehub.code())
    await raise_case(page, "Leaves blocking the drain")

    for route in ("#cases", "#raise", "#sync", "#settings", "#join"):
        await page.goto(f"/{route}")
        await expect(page.locator("main h1")).to_be_focused()
        fits = await page.evaluate(
            "() => document.documentElement.scrollWidth <= innerWidth")
        unlabelled = await page.evaluate("""() => [...document.querySelectorAll(
            "main input, main select, main textarea")]
            .filter((field) => field.labels.length === 0)
            .map((field) => field.id || field.name)""")
        assert fits, f"{route} scrolls sideways at 320 px"
        assert unlabelled == [], f"{route} has fields with no label: {unlabelled}"

    await page.goto("/#raise")
    await page.get_by_role("button", name="Save case").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_be_focused()
    await expect(summary).to_contain_text("Category: Choose a category.")
    await expect(summary).to_contain_text("What is the problem?: Describe the problem.")
    await expect(page.get_by_label("Category")).to_have_attribute("aria-invalid",
                                                                  "true")
    assert problems == []
    await context.close()


async def test_the_app_can_be_installed(context: BrowserContext,
                                        casehub: Casehub) -> None:
    page = await context.new_page()
    await page.goto("/")
    manifest_url = await page.locator("link[rel=manifest]").get_attribute("href")
    response = await page.request.get(manifest_url)
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = await response.json()
    assert manifest["display"] == "standalone"
    assert manifest["start_url"].startswith("/")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        fetched = await page.request.get(icon["src"])
        assert fetched.headers["content-type"] == "image/png"

    worker = await page.request.get("/service-worker.js")
    assert worker.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in worker.headers["content-security-policy"]


async def test_the_outbox_is_renumbered_when_the_server_expects_another_number(
    context: BrowserContext, casehub: Casehub
) -> None:
    page = await context.new_page()
    await join(page, casehub.code())
    await context.set_offline(True)
    await raise_case(page, "Skip blocking the pavement")
    await page.evaluate("""async () => {
        const db = await new Promise((resolve) => {
            const opening = indexedDB.open("casehub");
            opening.onsuccess = () => resolve(opening.result);
        });
        const tx = db.transaction(["outbox", "meta"], "readwrite");
        const outbox = tx.objectStore("outbox");
        outbox.getAll().onsuccess = (event) => {
            for (const entry of event.target.result) {
                outbox.delete(entry.seq);
                outbox.put({ ...entry, seq: entry.seq + 6 });
            }
        };
        tx.objectStore("meta").put(8, "next_seq");
        await new Promise((resolve) => { tx.oncomplete = resolve; });
        db.close();
    }""")

    await context.set_offline(False)
    await synced(page)
    assert casehub.query("SELECT seq, status FROM applied_mutations") == [
        (1, "applied")]
    await raise_case(page, "Second skip, same street")
    await synced(page)
    assert casehub.query("SELECT seq FROM applied_mutations ORDER BY seq") == [
        (1,), (2,)]


async def test_signing_out_warns_about_unsent_changes(
    context: BrowserContext, casehub: Casehub
) -> None:
    page = await context.new_page()
    await join(page, casehub.code())
    await context.set_offline(True)
    await raise_case(page, "Graffiti on the library")

    await nav(page, "Settings").click()
    await page.get_by_role("button", name="Sign out of this phone").click()
    await expect(page.locator("#sign-out-warning")).to_have_text(
        "1 change has not been sent yet and will be lost. Sync first, or press "
        "again to sign out anyway.")
    await expect(page.get_by_role("heading", name="Settings")).to_be_visible()

    await page.get_by_role("button", name="Sign out and lose unsent changes").click()
    await expect(page.get_by_role("heading", name="Join casehub")).to_be_visible()


async def test_the_worker_sends_the_outbox_with_no_page_open(
    context: BrowserContext, casehub: Casehub
) -> None:
    page = await context.new_page()
    await join(page, casehub.code())
    await context.set_offline(True)
    await raise_case(page, "Bollard knocked over")
    await page.close()
    await context.set_offline(False)

    blank = await context.new_page()
    devtools = await context.new_cdp_session(blank)
    registrations: list[str] = []
    devtools.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations
                .extend(r["registrationId"] for r in event["registrations"]
                        if r["scopeURL"] == f"{casehub.url}/"))
    await devtools.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        await asyncio.sleep(0.1)
    await devtools.send("ServiceWorker.dispatchSyncEvent", {
        "origin": casehub.url, "registrationId": registrations[0],
        "tag": "casehub-sync", "lastChance": False})

    for _ in range(100):
        if casehub.query("SELECT count(*) FROM cases") == [(1,)]:
            break
        await asyncio.sleep(0.1)
    assert casehub.query("SELECT description FROM cases") == [("Bollard knocked over",)]


OLD_DATABASE = """
async ([token, user, args]) => {
  const db = await new Promise((done, failed) => {
    const opening = indexedDB.open("casehub", 1);
    opening.onupgradeneeded = () => {
      const made = opening.result;
      made.createObjectStore("meta");
      made.createObjectStore("cases", { keyPath: "id" });
      made.createObjectStore("events", { keyPath: "id" }).createIndex(
        "case_id", "case_id");
      made.createObjectStore("reference", { keyPath: "key" });
      made.createObjectStore("photos", { keyPath: "sha256" });
      made.createObjectStore("outbox", { keyPath: "seq" });
    };
    opening.onsuccess = () => done(opening.result);
    opening.onerror = () => failed(opening.error);
  });
  const tx = db.transaction(["meta", "outbox"], "readwrite");
  tx.objectStore("meta").put(token, "token");
  tx.objectStore("meta").put(user, "user");
  tx.objectStore("meta").put(2, "next_seq");
  tx.objectStore("outbox").put({ id: crypto.randomUUID(), seq: 1,
    name: "case.create", args, client_time: new Date().toISOString(),
    state: "pending" });
  await new Promise((done) => { tx.oncomplete = done; });
  db.close();
}
"""


async def test_an_older_phone_database_keeps_its_outbox_through_an_upgrade(
    context: BrowserContext, casehub: Casehub
) -> None:
    async with httpx.AsyncClient(base_url=casehub.url) as client:
        joined = (await client.post("/api/devices/enroll", json={
            "code": casehub.code(), "device_name": "old phone"})).json()
    args = {"case_id": str(uuid.uuid4()), "category_id": casehub.seeded["fly_tipping"],
            "description": "Raised before the app was updated",
            "answers": {"what": "Mattress"}}
    page = await context.new_page()
    await page.goto("/healthz")
    await page.evaluate(OLD_DATABASE, [joined["token"], joined["user"], args])

    await page.goto("/")

    await expect(page.locator("#case-list a", has_text="CH-")).to_have_count(
        1, timeout=20_000)
    assert casehub.query("SELECT description FROM cases") == [
        ("Raised before the app was updated",)]
    upgraded = await page.evaluate("""async () => {
      const db = await new Promise((done) => {
        const opening = indexedDB.open("casehub");
        opening.onsuccess = () => done(opening.result);
      });
      const indexes = [...db.transaction("outbox").objectStore("outbox").indexNames];
      db.close();
      return { version: db.version, indexes };
    }""")
    assert upgraded == {"version": 2, "indexes": ["state"]}


RELEASE = """
import asyncio
from datetime import UTC, datetime
from server.config import load_settings
from server.db import close_database, open_database
from server.privacy.release import release_finished

async def release():
    await open_database(load_settings())
    print(await release_finished(datetime.now(UTC), 90))
    await close_database()

asyncio.run(release())
"""


async def test_a_case_finished_long_ago_leaves_the_phone(
    context: BrowserContext, casehub: Casehub
) -> None:
    page = await context.new_page()
    await join(page, casehub.code())
    await raise_case(page, "Sofa left by the bins")
    await raise_case(page, "Bags in the alley")
    await synced(page)
    old, kept = (row[0] for row in casehub.query(
        "SELECT reference FROM cases ORDER BY reference"))
    async with casehub.staff(casehub.seeded["agent"]) as agent:
        response = await agent.post(f"/api/staff/cases/{old}/status",
                                    json={"status": "closed"})
        assert response.status_code == 200, response.text
    casehub.query("UPDATE cases SET updated_at = '2020-01-01 00:00:00+00:00' "
                  "WHERE reference = ?", old)
    port = int(casehub.url.rsplit(":", 1)[1])
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", RELEASE], cwd=ROOT,
        env=_env(casehub.data_dir, port), capture_output=True, text=True,
        check=True, timeout=60)
    assert done.stdout.strip() == "1"

    await synced(page)
    await nav(page, "My cases").click()

    await expect(page.locator("#case-list a", has_text=kept)).to_have_count(1)
    await expect(page.locator("#case-list a", has_text=old)).to_have_count(0)
    stored = await page.evaluate("""async () => {
        const open = indexedDB.open("casehub");
        const db = await new Promise((done) => {
            open.onsuccess = () => done(open.result);
        });
        const all = (name) => new Promise((done) => {
            const request = db.transaction(name).objectStore(name).getAll();
            request.onsuccess = () => done(request.result);
        });
        return {cases: await all("cases"), events: await all("events")};
    }""")
    references = [case["reference"] for case in stored["cases"]]
    assert references == [kept]
    old_ids = {case_id for (case_id,) in casehub.query(
        "SELECT id FROM cases WHERE reference = ?", old)}
    assert not [e for e in stored["events"] if e["case_id"] in old_ids]
