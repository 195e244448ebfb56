"""Mail through a real `casehub serve`: in at its SMTP port, out through a relay."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from server.config import Settings
from tests.factories import PASSWORD
from tests.fake_smtp import Sink, free_port, text_of
from tests.mailing import MAILBOX, message
from tests.test_served import PROJECT, START_SECONDS, STOP_SECONDS, seed

SERVE = "from server.cli import main; raise SystemExit(main(['serve']))"


@pytest.fixture
async def sink():
    relay = await Sink().start()
    yield relay
    await relay.stop()


def environment(settings: Settings, http_port: int, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CASEHUB_")}
    env.update(CASEHUB_DATA_DIR=str(settings.data_dir),
               CASEHUB_DATABASE_URL=settings.database_url,
               CASEHUB_BIND=f"127.0.0.1:{http_port}",
               CASEHUB_PUBLIC_URL=f"http://127.0.0.1:{http_port}",
               CASEHUB_PUSH_WORKER="off", **extra)
    return env


async def serve(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-c", SERVE, cwd=PROJECT, env=env, stdout=output,
            stderr=asyncio.subprocess.STDOUT)


async def healthy(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=1) as http:
        for _ in range(START_SECONDS * 10):
            assert process.returncode is None, written(log)
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the server did not start:\n{written(log)}")


def written(log: Path) -> str:
    return log.read_text()


async def test_mail_sent_to_a_served_casehub_lands_on_a_case(settings, sink,
                                                            tmp_path):
    seeded = await seed(settings)
    http_port, smtp_port = free_port(), free_port()
    url = f"http://127.0.0.1:{http_port}"
    log = tmp_path / "serve.log"
    process = await serve(environment(
        settings, http_port, CASEHUB_SMTP_LISTEN=f"127.0.0.1:{smtp_port}",
        CASEHUB_SMTP_RELAY=f"127.0.0.1:{sink.port}"), log)
    try:
        await healthy(url, process, log)
        mail = message("member0@council.test", "Abandoned car",
                       "A burnt-out car on Stockman's Lane since Monday.")
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port,
                                   timeout=30) as client:
            await client.send_message(mail, recipients=[MAILBOX])

        (ack,) = await sink.wait_for(1, within=30)
        async with httpx.AsyncClient(base_url=url, timeout=10) as staff:
            signed_in = await staff.post("/api/staff/session", json={
                "email": seeded.agent_email, "password": PASSWORD})
            assert signed_in.status_code == 200, signed_in.text
            (case,) = (await staff.get("/api/staff/cases")).json()["cases"]
    finally:
        process.terminate()
        code = await asyncio.wait_for(process.wait(), STOP_SECONDS)

    assert case["description"].startswith("Abandoned car\n\nA burnt-out car")
    assert ack.recipients == ["member0@council.test"]
    assert case["reference"] in str(ack.message["Subject"])
    assert case["reference"] in text_of(ack.message)
    assert code == 0
    assert "Traceback" not in written(log)


async def test_a_mail_port_already_taken_stops_serve_naming_the_setting(
        settings, tmp_path):
    taken = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = taken.sockets[0].getsockname()[1]
    log = tmp_path / "serve.log"
    try:
        process = await serve(environment(
            settings, free_port(), CASEHUB_SMTP_LISTEN=f"127.0.0.1:{port}"), log)
        code = await asyncio.wait_for(process.wait(), START_SECONDS)
    finally:
        taken.close()

    said = written(log)
    assert code == 1
    assert f"CASEHUB_SMTP_LISTEN is 127.0.0.1:{port}" in said
    assert "Address already in use" in said and "Traceback" not in said
