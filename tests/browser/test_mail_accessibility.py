"""The hub's mail pages pass axe, fit a small or zoomed screen, and name errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from playwright.async_api import BrowserContext, expect

from tests.browser.conftest import ROOT, SERVE, Casehub, _env, _free_port
from tests.browser.test_accessibility import check, laid_out
from tests.factories import PASSWORD
from tests.mailing import MAILBOX, jpeg, message
from tests.serving import wait_until_healthy

pytestmark = pytest.mark.browser

__all__ = ["laid_out"]


@pytest.fixture
def casehub(tmp_path: Path,
            seeded_council: tuple[Path, dict[str, Any]]) -> Iterator[Casehub]:
    """A served casehub that takes in mail, on ports of its own."""
    port, smtp_port = _free_port(), _free_port()
    data_dir = tmp_path / "data"
    shutil.copytree(seeded_council[0], data_dir)
    env = {**_env(data_dir, port), "CASEHUB_SMTP_LISTEN": f"127.0.0.1:{smtp_port}"}
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([sys.executable, "-c", SERVE, str(ROOT / "pwa")],
                                  cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server, log_path, 30)
        served = Casehub(f"http://127.0.0.1:{port}", data_dir, ROOT / "pwa",
                         {**seeded_council[1], "smtp_port": smtp_port})
        yield served
    finally:
        server.terminate()
        server.wait(timeout=10)


async def test_the_mail_pages_pass_axe_and_fit(laid_out: BrowserContext,
                                               casehub: Casehub) -> None:
    async with aiosmtplib.SMTP(hostname="127.0.0.1",
                               port=casehub.seeded["smtp_port"]) as smtp:
        await smtp.send_message(message(
            "resident@home.test", "Broken swing in Ormeau Park",
            "The swing by the gate has a snapped chain.\n\nThanks,\nSam Resident",
            files=[("swing-with-a-rather-long-file-name-from-a-phone.jpg",
                    "image/jpeg", jpeg())]), recipients=[MAILBOX])
    page = await laid_out.new_page()
    problems: list[str] = []

    await page.goto("/staff/sign-in")
    await page.get_by_label("Email address").fill(casehub.seeded["agent"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto("/staff/mail")
    await expect(page.get_by_role("heading", name="Mail to sort")).to_be_visible()
    await check(page, "mail to sort", problems)

    await page.get_by_role("link", name="Broken swing in Ormeau Park").click()
    await expect(page.get_by_text("snapped chain")).to_be_visible()
    await check(page, "an unmatched email", problems)

    await page.get_by_role("button", name="Add to the case").click()
    await expect(page.get_by_role("alert")).to_contain_text("Enter a case reference")
    await expect(page.get_by_label("Case reference")).to_have_attribute(
        "aria-invalid", "true")
    await check(page, "an unmatched email with an error", problems)

    await page.get_by_label("Why it needs nothing doing").fill("A test message")
    await page.get_by_role("button", name="Dismiss").click()
    await expect(page.get_by_role("status")).to_contain_text("is dismissed")
    await check(page, "mail to sort, after dismissing", problems)

    assert not problems, "\n".join(problems)
