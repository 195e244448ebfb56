"""`casehub open311-key`: keys printed once, kept as hashes, listed and revoked."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from server.models import SignInAttempt
from server.open311.keys import KEY_PREFIX
from server.open311.limits import BAD_KEYS
from server.open311.models import Open311Client
from server.tokens import digest
from tests.factories import make_council
from tests.open311_client import json_of, post_form, report

ROOT = Path(__file__).resolve().parents[1]


async def casehub(settings, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "CASEHUB_DATA_DIR": str(settings.data_dir),
           "CASEHUB_DATABASE_URL": settings.database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from server.cli import main; raise SystemExit(main())",
        *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode(), errors.decode()


def key_in(output: str) -> str:
    (key,) = [word for word in output.split() if word.startswith(KEY_PREFIX)]
    return key


async def test_a_key_is_printed_once_and_kept_as_a_hash(client, settings):
    await make_council()

    code, output, errors = await casehub(settings, "open311-key", "FixMyStreet")

    assert code == 0, errors
    key = key_in(output)
    stored = await Open311Client.get(name="FixMyStreet")
    assert stored.key_hash == digest(key)
    assert key not in stored.key_hash
    response = await post_form(client, "/requests.json", report(key))
    assert response.status_code == 200
    code, listing, _ = await casehub(settings, "open311-key", "--list")
    assert code == 0
    assert "FixMyStreet" in listing and "active" in listing
    assert key not in listing


async def test_a_system_with_a_working_key_gets_no_second(client, settings):
    await casehub(settings, "open311-key", "FixMyStreet")

    code, output, errors = await casehub(settings, "open311-key", "FixMyStreet")

    assert code == 1
    assert "already has a working key" in errors
    assert KEY_PREFIX not in output


async def test_a_revoked_key_is_refused_and_a_new_one_works(client, settings):
    await make_council()
    _, output, _ = await casehub(settings, "open311-key", "FixMyStreet")
    old = key_in(output)

    code, _, errors = await casehub(settings, "open311-key", "FixMyStreet",
                                    "--revoke")
    refused = await post_form(client, "/requests.json", report(old))
    _, listing, _ = await casehub(settings, "open311-key", "--list")
    _, output, _ = await casehub(settings, "open311-key", "FixMyStreet")
    new = key_in(output)
    accepted = await post_form(client, "/requests.json", report(new))
    old_again = await post_form(client, "/requests.json", report(old))

    assert code == 0, errors
    assert refused.status_code == 403
    assert "revoked" in (await json_of(refused))[0]["description"]
    assert "revoked" in listing
    assert accepted.status_code == 200
    assert old_again.status_code == 403
    assert await Open311Client.all().count() == 1


async def test_the_command_needs_a_name_or_list(settings):
    code, _, errors = await casehub(settings, "open311-key")
    unknown, _, unknown_errors = await casehub(settings, "open311-key", "Nobody",
                                               "--revoke")

    assert code == 2
    assert "name the client system" in errors
    assert unknown == 1
    assert "Nobody" in unknown_errors


async def test_guessing_keys_is_slowed_down(client):
    await make_council()
    first = await post_form(client, "/requests.json", report("o311_guess"))
    address = (await SignInAttempt.get(kind="open311")).key
    for _ in range(BAD_KEYS - 2):
        await SignInAttempt.create(kind="open311", key=address)

    last_try = await post_form(client, "/requests.json",
                               report("o311_guess"))
    blocked = await post_form(client, "/requests.json",
                              report("o311_guess"))

    assert first.status_code == last_try.status_code == 403
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"] == "900"
