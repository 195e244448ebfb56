"""The live queue across two real server processes sharing one database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from server.config import Settings
from sync import PROTOCOL_VERSION
from tests.factories import PASSWORD
from tests.serving import wait_until_healthy
from tests.test_served import (
    PROJECT,
    START_SECONDS,
    STOP_SECONDS,
    Seeded,
    Served,
    free_port,
    new_case_for,
    seed,
    stop,
)


@pytest.fixture
async def seeded(settings: Settings) -> Seeded:
    return await seed(settings)


@pytest.fixture
def two_servers(settings: Settings, seeded: Seeded,
                tmp_path: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    try:
        for number in range(2):
            started.append(_serve(settings, tmp_path / f"serve{number}.log"))
        yield started
    finally:
        for served in started:
            if served.process.poll() is None:
                served.process.kill()
                served.process.wait(STOP_SECONDS)


def _serve(settings: Settings, log: Path) -> Served:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CASEHUB_")}
    env.update(CASEHUB_DATA_DIR=str(settings.data_dir),
               CASEHUB_DATABASE_URL=settings.database_url,
               CASEHUB_BIND=f"127.0.0.1:{port}", CASEHUB_PUBLIC_URL=url,
               CASEHUB_PUSH_WORKER="off", CASEHUB_SMTP_LISTEN="off")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c",
             "from server.cli import main; raise SystemExit(main(['serve']))"],
            cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT)
    wait_until_healthy(url, process, log, START_SECONDS)
    return Served(url, process, log)


@contextmanager
def signed_in(url: str, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=10) as client:
        response = client.post("/api/staff/session",
                               json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield client


def raise_from_the_app(url: str, seeded: Seeded) -> str:
    with httpx.Client(base_url=url, timeout=10) as phone:
        token = phone.post("/api/devices/enroll",
                           json={"code": seeded.code}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        phone.post("/api/sync/push", headers=auth, json={
            "protocol": PROTOCOL_VERSION, "mutations": [new_case_for(seeded, 1)]})
        pulled = phone.post("/api/sync/pull", headers=auth,
                            json={"protocol": PROTOCOL_VERSION}).json()
    (case,) = [c for c in pulled["changes"] if c["entity"] == "case"]
    return str(case["data"]["reference"])


def test_a_case_taken_through_one_process_reaches_a_queue_open_on_another(
        two_servers, seeded):
    first, second = two_servers
    with signed_in(first.url, seeded.agent_email) as taker, \
            signed_in(second.url, seeded.agent_email) as watcher:
        assert taker.get("/api/staff/queue").json()["cases"] == []
        reference = raise_from_the_app(first.url, seeded)
        version = watcher.get("/api/staff/queue").json()["version"]

        with watcher.stream("GET", f"/staff/queue/events?since={version}",
                            timeout=15) as events:
            lines = events.iter_lines()
            assert next(lines) == "retry: 2000"
            taken = taker.post(f"/api/staff/cases/{reference}/take")
            assert taken.status_code == 200, taken.text
            started = time.monotonic()
            heard = next(line for line in lines if line.startswith("event:"))
            waited = time.monotonic() - started

        assert heard == "event: changed"
        assert waited < 5
        rows = watcher.get("/staff/queue/rows").text
        assert reference in rows
        assert "Take<span" not in rows

    for served in two_servers:
        assert stop(served) == 0
