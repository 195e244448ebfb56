"""The real thing: `casehub serve` in its own process, spoken to over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server import enrollment
from server.config import Settings
from server.db import close_database, open_database
from sync import PROTOCOL_VERSION
from tests.factories import PASSWORD, make_council, mutation
from tests.serving import free_port, wait_until_healthy

PROJECT = Path(__file__).resolve().parents[1]
START_SECONDS = 30
STOP_SECONDS = 15


@dataclass
class Seeded:
    code: str
    category_id: int
    agent_email: str


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


async def seed(settings: Settings) -> Seeded:
    """A council in the database, and a code for one member's phone."""
    await open_database(settings)
    try:
        council = await make_council()
        code = await enrollment.issue_code(council.members[0], None, 1)
        return Seeded(code, council.fly_tipping.id, council.agent.email)
    finally:
        await close_database()


@pytest.fixture
async def seeded(settings: Settings) -> Seeded:
    return await seed(settings)


@pytest.fixture
def served(settings: Settings, seeded: Seeded, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CASEHUB_")}
    env.update(CASEHUB_DATA_DIR=str(settings.data_dir),
               CASEHUB_DATABASE_URL=settings.database_url,
               CASEHUB_BIND=f"127.0.0.1:{port}", CASEHUB_PUBLIC_URL=url,
               CASEHUB_PUSH_WORKER="off", CASEHUB_SMTP_LISTEN="off")
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c",
             "from server.cli import main; raise SystemExit(main(['serve']))"],
            cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(url, process, log, START_SECONDS)
        yield Served(url, process, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(STOP_SECONDS)


def stop(served: Served) -> int:
    served.process.send_signal(signal.SIGTERM)
    return served.process.wait(STOP_SECONDS)


def test_a_served_casehub_syncs_a_case_and_stops_cleanly(served, seeded):
    with httpx.Client(base_url=served.url, timeout=10) as http:
        joined = http.post("/api/devices/enroll",
                           json={"code": seeded.code, "device_name": "real phone"})
        assert joined.status_code == 201, joined.text
        auth = {"Authorization": f"Bearer {joined.json()['token']}"}
        created = new_case_for(seeded, 1)

        pushed = http.post("/api/sync/push", headers=auth,
                           json={"protocol": PROTOCOL_VERSION, "mutations": [created]})
        again = http.post("/api/sync/push", headers=auth,
                          json={"protocol": PROTOCOL_VERSION, "mutations": [created]})
        pulled = http.post("/api/sync/pull", headers=auth,
                           json={"protocol": PROTOCOL_VERSION})

        assert pushed.status_code == 200, pushed.text
        assert [r["status"] for r in pushed.json()["results"]] == ["applied"]
        assert [r["status"] for r in again.json()["results"]] == ["duplicate"]
        body = pulled.json()
        cases = [c for c in body["changes"] if c["entity"] == "case"]
        assert [c["id"] for c in cases] == [created["args"]["case_id"]]
        assert cases[0]["data"]["reference"].startswith("CH-")
        assert body["acknowledged_seq"] == 1
        assert pulled.headers["X-Content-Type-Options"] == "nosniff"

    assert stop(served) == 0
    log = served.log.read_text()
    assert "Traceback" not in log, log


def test_staff_see_the_case_through_a_served_casehub(served, seeded):
    with httpx.Client(base_url=served.url, timeout=10) as phone:
        token = phone.post("/api/devices/enroll",
                           json={"code": seeded.code}).json()["token"]
        phone.post("/api/sync/push", headers={"Authorization": f"Bearer {token}"},
                   json={"protocol": PROTOCOL_VERSION,
                         "mutations": [new_case_for(seeded, 1)]})
    with httpx.Client(base_url=served.url, timeout=10) as browser:
        signed_in = browser.post("/api/staff/session",
                                 json={"email": seeded.agent_email,
                                       "password": PASSWORD})
        listed = browser.get("/api/staff/cases")

        assert signed_in.status_code == 200, signed_in.text
        assert "casehub_session" in browser.cookies
        assert len(listed.json()["cases"]) == 1

    assert stop(served) == 0


def test_errors_are_problems_over_the_wire(served):
    with httpx.Client(base_url=served.url, timeout=10) as http:
        missing = http.get("/api/nowhere")
        bad = http.post("/api/sync/push", content=b"{",
                        headers={"Content-Type": "application/json",
                                 "Authorization": "Bearer x"})

    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    assert missing.json()["code"] == "not_found"
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_json"
    assert stop(served) == 0


def new_case_for(seeded: Seeded, seq: int) -> dict[str, object]:
    return mutation(seq, "case.create", {
        "case_id": str(uuid.uuid4()),
        "category_id": seeded.category_id,
        "description": "A sofa left on the footpath outside number 12",
        "answers": {"what": "Other"},
    })
