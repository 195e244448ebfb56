"""The member app in a real Chromium against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import BrowserContext, Locator, Page, expect

from tests.browser.conftest import Casehub

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
    await expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")


async def raise_case(page: Page, description: str, photos: list[Path] = ()) -> None:
    await nav(page, "Raise a case").click()
    await page.get_by_label("Category").select_option(label="Fly-tipping")
    await page.get_by_label("What was dumped").select_option("Mattress")
    await page.get_by_label("What is the problem?").fill(description)
    await page.get_by_label("Or type the address or a landmark").fill("Botanic Avenue")
    if photos:
        await page.get_by_label("Take or choose photos").set_input_files(list(photos))
        await expect(page.locator("#raise-photo-status")).to_have_text(
            f"{len(photos)} of 5 photos.")
    await page.get_by_role("button", name="Save case").click()
    await expect(page.get_by_role("heading", name="New case")).to_be_visible()


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
