"""A real casehub server and a real Chromium, for the member app's tests.

Each test gets its own server on a free port, with a fresh SQLite database
holding a small council, and its own copy of pwa/ so a test may change the
app and watch the phone pick up the new version.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright

from tests.factories import PASSWORD
from tests.serving import wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]

SEED = """
import asyncio, json
from server.config import load_settings
from server.db import close_database, open_database
from server.enrollment import issue_code
from tests.factories import make_council

async def seed():
    await open_database(load_settings())
    council = await make_council()
    # The members are in the trainer's group, as once the rollout is under way.
    for member in council.members:
        member.trainer_id = council.trainer.id
        await member.save(update_fields=["trainer_id"])
    codes = [await issue_code(member, None, 72) for member in council.members]
    print(json.dumps({"codes": codes, "agent": council.agent.email,
                      "trainer": council.trainer.email,
                      "fly_tipping": council.fly_tipping.id}))
    await close_database()

asyncio.run(seed())
"""

# The server, with the app's files taken from the test's own copy of pwa/.
SERVE = """
import sys
from pathlib import Path
from server.routes import pages
pages.PWA_DIR = Path(sys.argv[1])
from server.cli import main
raise SystemExit(main(["serve"]))
"""

@dataclass
class Casehub:
    url: str
    data_dir: Path
    pwa_dir: Path
    seeded: dict[str, Any]

    def code(self, member: int = 0) -> str:
        return self.seeded["codes"][member]

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the server's database directly: what it really holds."""
        with sqlite3.connect(self.data_dir / "casehub.db") as connection:
            return connection.execute(sql, params).fetchall()

    def cli(self, *args: str) -> str:
        """Run a casehub command against this server's data, as an admin would."""
        port = int(self.url.rsplit(":", 1)[1])
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from server.cli import main; "
             "raise SystemExit(main(sys.argv[1:]))", *args],
            cwd=ROOT, env=_env(self.data_dir, port), capture_output=True, text=True,
            check=True, timeout=60)
        return done.stdout

    @asynccontextmanager
    async def staff(self, email: str) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client signed in as a member of staff."""
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.post("/api/staff/session",
                                         json={"email": email, "password": PASSWORD})
            assert response.status_code == 200, response.text
            yield client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(data_dir: Path, port: int) -> dict[str, str]:
    env = {**os.environ, "CASEHUB_DATA_DIR": str(data_dir),
           "CASEHUB_BIND": f"127.0.0.1:{port}",
           "CASEHUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "CASEHUB_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           # Parallel runs would all want port 8025.
           "CASEHUB_SMTP_LISTEN": "off"}
    env.pop("CASEHUB_DATABASE_URL", None)
    return env


@pytest.fixture(scope="session")
def seeded_council(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, Any]]:
    """A data folder with the council and unused codes: made once, copied per test."""
    data_dir = tmp_path_factory.mktemp("council")
    made = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT,
                          env=_env(data_dir, 8000), capture_output=True, text=True,
                          check=True, timeout=120)
    return data_dir, json.loads(made.stdout)


@pytest.fixture
def server_env() -> dict[str, str]:
    """Settings a test module adds to its server's environment."""
    return {}


@pytest.fixture
def casehub(tmp_path: Path, seeded_council: tuple[Path, dict[str, Any]],
            server_env: dict[str, str]) -> Iterator[Casehub]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "data"
    pwa_dir = tmp_path / "pwa"
    shutil.copytree(seeded_council[0], data_dir)
    shutil.copytree(ROOT / "pwa", pwa_dir)

    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(pwa_dir)], cwd=ROOT,
                              env={**_env(data_dir, port), **server_env},
                              stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(url, server, tmp_path / "server.log", 30)
        yield Casehub(url, data_dir, pwa_dir, seeded_council[1])
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser, casehub: Casehub) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(base_url=casehub.url, viewport={"width": 360,
                                                                       "height": 740})
    opened.set_default_timeout(15_000)
    yield opened
    await opened.close()
