"""Schemathesis against the served API's own OpenAPI document, every operation.

It generates requests from the schema, valid and not, signed in as a member's
phone and as an administrator at once, and checks that nothing answers with
a server error and that every answer matches what the schema promises.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.config import Settings
from tests.factories import PASSWORD
from tests.serving import free_port, wait_until_healthy
from tests.test_served import seed

PROJECT = Path(__file__).resolve().parents[1]
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")
EXAMPLES = 15


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CASEHUB_")}
    env.update(CASEHUB_DATA_DIR=str(settings.data_dir),
               CASEHUB_DATABASE_URL=settings.database_url,
               CASEHUB_BIND=f"127.0.0.1:{port}", CASEHUB_PUBLIC_URL=url,
               CASEHUB_PUSH_WORKER="off", CASEHUB_MAIL_WORKER="off",
               CASEHUB_SMTP_LISTEN="off")
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c",
             "from server.cli import main; raise SystemExit(main(['serve']))"],
            cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(url, process, log, 60)
        yield url
    finally:
        process.kill()
        process.wait(15)
        served_log = log.read_text()
        assert "unhandled error" not in served_log, served_log


async def test_every_operation_survives_generated_requests(served, settings,
                                                           tmp_path):
    seeded = await seed(settings)
    async with httpx.AsyncClient(base_url=served, timeout=10) as http:
        joined = await http.post("/api/devices/enroll", json={"code": seeded.code})
        token = joined.json()["token"]
        signed_in = await http.post("/api/staff/session",
                                    json={"email": "admin@council.test",
                                          "password": PASSWORD})
        signed_in.raise_for_status()
        cookie = http.cookies["casehub_session"]
    command = [
        shutil.which("schemathesis") or str(Path(sys.executable).parent
                                            / "schemathesis"),
        "run", f"{served}/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--header", f"Cookie: casehub_session={cookie}",
        "--checks", CHECKS, "--max-examples", str(EXAMPLES), "--seed", "2026",
        # Signing out mid-run would leave the rest of the run signed out.
        "--exclude-path", "/api/staff/session",
        "--no-color", "--report-dir", str(tmp_path / "report"),
    ]

    result = await asyncio.to_thread(
        subprocess.run, command, cwd=tmp_path, capture_output=True, text=True,
        timeout=900, check=False)

    summary = result.stdout[-6000:]
    assert result.returncode == 0, summary
    assert "Tested:" in result.stdout, summary
    print(summary[summary.find("SUMMARY"):])
