"""georeport, the independent Open311 client on PyPI, reads a served casehub.

georeport pins an xmltodict older than casehub's own, so it gets a virtual
environment of its own, made by the first test run that needs it and kept
inside .venv for the runs after.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server.config import Settings
from server.db import close_database, open_database
from server.open311 import keys
from tests.open311_client import report
from tests.test_served import Seeded, Served, seeded, served

__all__ = ["seeded", "served"]

PROJECT = Path(__file__).resolve().parents[1]
CLIENT_HOME = PROJECT / ".venv" / "georeport-0.3.1"
CLIENT_PACKAGES = ("georeport==0.3.1", "xmltodict==0.14.2", "requests==2.34.2")
INSTALL_SECONDS = 600


@pytest.fixture(scope="session")
def georeport_python() -> Path:
    python = CLIENT_HOME / "bin" / "python"
    stamp = CLIENT_HOME / "installed.txt"
    wanted = "\n".join(CLIENT_PACKAGES)
    if stamp.exists() and stamp.read_text() == wanted:
        return python

    shutil.rmtree(CLIENT_HOME, ignore_errors=True)
    CLIENT_HOME.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(CLIENT_HOME)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", *CLIENT_PACKAGES],
                   check=True, timeout=INSTALL_SECONDS)
    stamp.write_text(wanted)
    return python


@pytest.fixture
async def key(settings: Settings, seeded: Seeded) -> str:
    await open_database(settings)
    try:
        return await keys.issue("FixMyStreet")
    finally:
        await close_database()


def test_georeport_reads_what_a_client_sent(key, served: Served,
                                            georeport_python: Path):
    base = f"{served.url}/open311/v2"
    with httpx.Client(base_url=base, timeout=10) as http:
        sent = http.post("/requests.json", data=dict(report(key)))
        assert sent.status_code == 200, sent.text
        reference = sent.json()[0]["service_request_id"]

    result = subprocess.run(
        [str(georeport_python), str(PROJECT / "tests" / "georeport_reads.py"),
         base, reference],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )

    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert (read["georeport"], read["xmltodict"]) == ("0.3.1", "0.14.2")
    for fmt in ("json", "xml"):
        found = read[fmt]
        services = found["services"]
        assert [s["service_code"] for s in services] == [
            "fly_tipping", "missed_bin", "overgrown"], fmt
        definition = found["definition"]
        assert definition["service_code"] == "fly_tipping"
        assert found["missing"] == {"http_status": 404}
        one = found["one"]
        assert one["service_request_id"] == reference
        assert one["status"] == "open"
        assert one["agency_responsible"] == "Cleansing and Waste"
        assert one["description"] == "A fridge dumped at the entry behind the shops"
    as_json, as_xml = read["json"], read["xml"]
    assert [r["service_request_id"] for r in as_json["open"]] == [reference]
    assert as_json["by_id"] == as_json["open"]
    assert as_json["closed"] == []
    # georeport cannot read an empty list in XML: xmltodict makes the empty
    # <service_requests/> None, which georeport then indexes.
    assert as_xml["closed"] == {"raised": "TypeError"}
    assert as_json["definition"]["attributes"][0]["values"][0] == {
        "key": "Household", "name": "Household"}
    # xmltodict gives one repeated element as a dict, and every value as text.
    assert as_xml["open"]["service_request_id"] == reference
    assert as_xml["one"]["lat"] == "54.5873"
    assert as_xml["services"][0]["metadata"] == "true"
    attributes = as_xml["definition"]["attributes"]["attribute"]
    assert [a["code"] for a in attributes] == ["what", "amount"]
