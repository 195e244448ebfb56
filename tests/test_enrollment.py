"""Joining with a one-time code, device tokens, and signing devices out."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise

from server import enrollment
from server.config import Settings
from server.models import EnrollmentCode, Role, SignInAttempt, User
from server.tokens import digest
from sync import PROTOCOL_VERSION
from sync.models import Device
from tests.factories import (
    bearer,
    enroll,
    make_council,
    new_case,
    pull_all,
    push,
    sign_in,
)
from tests.test_errors import assert_problem

CODE_SHAPE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b")
SOME_SHA = "ab" * 32
PROJECT = Path(__file__).resolve().parents[1]


async def join(client: Any, code: str, name: str = "phone") -> Any:
    return await client.post("/api/devices/enroll",
                             json={"code": code, "device_name": name})


async def test_a_code_works_once(client):
    council = await make_council()
    member = council.members[0]
    code = await enrollment.issue_code(member, None, 72)

    first = await join(client, code)
    second = await join(client, code)

    body = await first.get_json()
    assert first.status_code == 201, body
    assert body["user"]["email"] == member.email
    assert body["protocol"] == PROTOCOL_VERSION
    await assert_problem(second, 422, "code_used", field="code")
    assert await Device.filter(user_id=member.id).count() == 1


async def test_an_unknown_code_is_refused(client):
    await make_council()

    response = await join(client, "K7QM-4XRP")

    await assert_problem(response, 422, "unknown_code", field="code")


async def test_an_expired_code_is_refused_and_stays_unused(client):
    council = await make_council()
    code = await enrollment.issue_code(council.members[0], None, 72)
    past = datetime.now(UTC) - timedelta(minutes=1)
    await EnrollmentCode.filter(user_id=council.members[0].id).update(expires_at=past)

    response = await join(client, code)

    await assert_problem(response, 422, "code_expired", field="code")
    assert not await Device.exists(user_id=council.members[0].id)


@pytest.mark.parametrize("typed", ["", "K7QM", "K7QM-4XRP-9", "K7QM-4X!P", "ÄÖÜß-1234"])
async def test_a_malformed_code_is_refused(client, typed):
    response = await join(client, typed)

    await assert_problem(response, 422, "invalid_code", field="code")


async def test_a_code_longer_than_any_code_is_refused_by_the_schema(client):
    response = await join(client, "K" * 200)

    await assert_problem(response, 422, "invalid_field", field="code")


async def test_a_new_code_voids_the_old_one(client):
    council = await make_council()
    old = await enrollment.issue_code(council.members[0], None, 72)
    new = await enrollment.issue_code(council.members[0], None, 72)

    refused = await join(client, old)
    accepted = await join(client, new)

    await assert_problem(refused, 422, "code_used", field="code")
    assert accepted.status_code == 201


@pytest.mark.parametrize("typed", ["kovl 4xrp", "KOUI-4XRP", " k0v1 - 4x rp ",
                                   "K0V14XRP"])
async def test_lookalike_letters_case_and_spaces_still_work(client, monkeypatch,
                                                            typed):
    council = await make_council()
    monkeypatch.setattr(enrollment, "new_code", lambda: "K0V1-4XRP")
    await enrollment.issue_code(council.members[0], None, 72)

    response = await join(client, typed)

    assert response.status_code == 201, await response.get_data(as_text=True)


async def test_ten_failures_then_even_a_right_code_waits(client):
    council = await make_council()
    code = await enrollment.issue_code(council.members[0], None, 72)
    for attempt in range(enrollment.ATTEMPT_LIMIT):
        wrong = await join(client, f"ZZZZ-{attempt:04d}")
        assert wrong.status_code == 422

    refused = await join(client, code)

    body = await assert_problem(refused, 429, "too_many_attempts")
    assert body["retry_after"] == enrollment.ATTEMPT_MINUTES * 60
    earlier = datetime.now(UTC) - timedelta(minutes=enrollment.ATTEMPT_MINUTES + 1)
    await SignInAttempt.all().update(at=earlier)
    accepted = await join(client, code)
    assert accepted.status_code == 201, await accepted.get_data(as_text=True)


async def test_trainers_and_admins_issue_codes(client):
    council = await make_council()
    await in_group(council.trainer, council.members[1])
    for staff in (council.trainer, council.admin):
        await sign_in(client, staff)

        response = await client.post("/api/staff/enrollment-codes",
                                     json={"email": council.members[1].email})

        body = await response.get_json()
        assert response.status_code == 201, body
        assert body["email"] == council.members[1].email
        assert body["expires_in_hours"] == 72
        joined = await join(client, body["code"])
        assert joined.status_code == 201


async def in_group(trainer: User, member: User) -> None:
    await User.filter(id=member.id).update(trainer_id=trainer.id)


async def test_a_trainer_acts_only_on_the_phones_of_their_own_group(client):
    council = await make_council()
    theirs, mine = council.members[0], council.members[1]
    other = await User.create(email="trainer2@council.test", name="Other Trainer",
                              role=Role.TRAINER)
    await in_group(other, theirs)
    await in_group(council.trainer, mine)
    await enroll(client, theirs)
    device = await Device.get(user_id=theirs.id)
    await sign_in(client, council.trainer)

    code = await client.post("/api/staff/enrollment-codes",
                             json={"email": theirs.email})
    devices = await client.get(f"/api/staff/users/{theirs.id}/devices")
    revoke = await client.delete(f"/api/staff/devices/{device.id}")
    own = await client.get(f"/api/staff/users/{mine.id}/devices")

    await assert_problem(code, 404, "member_not_found", field="email")
    await assert_problem(devices, 404, "member_not_found")
    await assert_problem(revoke, 404, "device_not_found")
    assert own.status_code == 200
    assert not await EnrollmentCode.exists(user_id=theirs.id,
                                           issued_by_id=council.trainer.id)
    assert (await Device.get(id=device.id)).revoked_at is None


async def test_codes_are_not_issued_for_staff(client):
    council = await make_council()
    await sign_in(client, council.trainer)

    response = await client.post("/api/staff/enrollment-codes",
                                 json={"email": council.agent.email})

    await assert_problem(response, 422, "not_a_member")
    assert not await EnrollmentCode.exists(user_id=council.agent.id)


async def test_codes_for_unknown_emails_are_404(client):
    council = await make_council()
    await sign_in(client, council.admin)

    response = await client.post("/api/staff/enrollment-codes",
                                 json={"email": "nobody@council.test"})

    await assert_problem(response, 404, "member_not_found", field="email")


async def test_issuing_codes_needs_a_trainer_or_admin(client):
    council = await make_council()
    body = {"email": council.members[0].email}

    signed_out = await client.post("/api/staff/enrollment-codes", json=body)
    await sign_in(client, council.agent)
    agent = await client.post("/api/staff/enrollment-codes", json=body)

    await assert_problem(signed_out, 401, "not_signed_in")
    await assert_problem(agent, 403, "not_allowed")
    assert not await EnrollmentCode.exists(user_id=council.members[0].id)


async def test_a_member_device_token_cannot_issue_codes(client):
    council = await make_council()
    token = await enroll(client, council.members[0])

    response = await client.post("/api/staff/enrollment-codes",
                                 headers=bearer(token),
                                 json={"email": council.members[1].email})

    await assert_problem(response, 401, "not_signed_in")


def device_calls(device_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every endpoint a phone calls, with a body it would send."""
    sync_body = {"protocol": PROTOCOL_VERSION, "mutations": []}
    return [
        ("GET", "/api/me", None),
        ("GET", "/api/devices", None),
        ("DELETE", f"/api/devices/{device_id}", None),
        ("POST", "/api/sync/push", sync_body),
        ("POST", "/api/sync/pull", {"protocol": PROTOCOL_VERSION}),
        ("PUT", f"/api/photos/{SOME_SHA}", None),
        ("GET", f"/api/photos/{SOME_SHA}", None),
    ]


async def call(client: Any, method: str, path: str, token: str | None,
               body: dict[str, Any] | None) -> Any:
    headers = bearer(token) if token is not None else {}
    if method == "PUT":
        return await client.put(path, headers=headers, data=b"\x89PNG")
    return await client.open(path, method=method, headers=headers, json=body)


async def test_a_revoked_device_is_told_to_wipe_everywhere(client):
    council = await make_council()
    member = council.members[0]
    lost = await enroll(client, member)
    kept = await enroll(client, member)
    case = new_case(council.fly_tipping, 1)
    await push(client, lost, [case])
    lost_id = (await Device.get(token_hash=digest(lost))).id

    revoked = await client.delete(f"/api/devices/{lost_id}", headers=bearer(kept))

    assert revoked.status_code == 204
    for method, path, body in device_calls(str(lost_id)):
        response = await call(client, method, path, lost, body)
        problem = await assert_problem(response, 403, "device_revoked")
        assert problem["wipe"] is True, path
    changes, _, _ = await pull_all(client, kept)
    assert [c["id"] for c in changes if c["entity"] == "case"] == [
        case["args"]["case_id"]
    ]


async def test_staff_revoke_a_lost_phone(client):
    council = await make_council()
    await in_group(council.trainer, council.members[0])
    token = await enroll(client, council.members[0])
    device = await Device.get(user_id=council.members[0].id)
    await sign_in(client, council.trainer)

    response = await client.delete(f"/api/staff/devices/{device.id}")

    assert response.status_code == 204
    problem = await assert_problem(await client.get("/api/me", headers=bearer(token)),
                                   403, "device_revoked")
    assert problem["wipe"] is True


async def test_a_missing_or_unknown_token_is_401_everywhere(client):
    council = await make_council()
    await enroll(client, council.members[0])
    device = await Device.get(user_id=council.members[0].id)

    for method, path, body in device_calls(str(device.id)):
        missing = await call(client, method, path, None, body)
        unknown = await call(client, method, path, "not-a-real-token", body)
        await assert_problem(missing, 401, "not_signed_in")
        await assert_problem(unknown, 401, "invalid_token")


async def test_a_malformed_authorization_header_is_401(client):
    response = await client.get("/api/me", headers={"Authorization": "Basic abc"})

    await assert_problem(response, 401, "not_signed_in")


async def test_members_list_and_revoke_their_own_devices(client):
    council = await make_council()
    member, other = council.members[0], council.members[1]
    first = await enroll(client, member)
    second = await enroll(client, member)
    await enroll(client, other)
    other_device = await Device.get(user_id=other.id)
    second_id = str((await Device.get(token_hash=digest(second))).id)

    listed = await client.get("/api/devices", headers=bearer(first))
    foreign = await client.delete(f"/api/devices/{other_device.id}",
                                  headers=bearer(first))
    own = await client.delete(f"/api/devices/{second_id}", headers=bearer(first))
    again = await client.get("/api/devices", headers=bearer(first))

    devices = (await listed.get_json())["devices"]
    assert len(devices) == 2
    assert {d["user_id"] for d in devices} == {member.id}
    await assert_problem(foreign, 404, "device_not_found")
    assert (await Device.get(id=other_device.id)).revoked_at is None
    assert own.status_code == 204
    revoked = {d["id"]: d["revoked_at"] for d in (await again.get_json())["devices"]}
    assert revoked[second_id] is not None
    assert sum(1 for moment in revoked.values() if moment is None) == 1
    await assert_problem(await client.get("/api/me", headers=bearer(second)),
                         403, "device_revoked")


async def test_tokens_and_codes_are_stored_only_as_hashes(client):
    council = await make_council()
    code = await enrollment.issue_code(council.members[0], None, 72)
    response = await join(client, code)
    token = (await response.get_json())["token"]

    stored = await everything_stored()

    assert token not in stored
    assert code not in stored
    assert code.replace("-", "") not in stored
    assert (await Device.get(user_id=council.members[0].id)).token_hash in stored


async def everything_stored() -> str:
    """Every row of every table, as one string to search."""
    connection = Tortoise.get_connection("default")
    rows = []
    for model in Tortoise.apps["casehub"].values():
        rows += await connection.execute_query_dict(
            f'SELECT * FROM "{model._meta.db_table}"'
        )
    return "\n".join(repr(row) for row in rows)


async def test_the_enroll_command_prints_a_working_code(client, settings: Settings):
    council = await make_council()
    member = council.members[2]

    result = await asyncio.to_thread(run_cli, settings, "enroll", member.email)

    assert result.returncode == 0, result.stderr
    found = CODE_SHAPE.search(result.stdout)
    assert found is not None, result.stdout
    response = await join(client, found.group())
    body = await response.get_json()
    assert response.status_code == 201, body
    assert body["user"]["id"] == member.id


async def test_the_enroll_command_refuses_unknown_and_staff_emails(client, settings):
    council = await make_council()

    unknown = await asyncio.to_thread(run_cli, settings, "enroll", "x@council.test")
    staff = await asyncio.to_thread(run_cli, settings, "enroll", council.agent.email)

    assert unknown.returncode == 1
    assert "x@council.test" in unknown.stderr
    assert staff.returncode == 1
    assert "not an active elected member" in staff.stderr
    assert not CODE_SHAPE.search(unknown.stdout + staff.stdout)


def run_cli(settings: Settings, *argv: str) -> subprocess.CompletedProcess[str]:
    script = ("from server.cli import main; "
              f"raise SystemExit(main({list(argv)!r}))")
    env = {**os.environ,
           "CASEHUB_DATABASE_URL": settings.database_url,
           "CASEHUB_DATA_DIR": str(settings.data_dir),
           "CASEHUB_PUBLIC_URL": settings.public_url}
    return subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT,
                          capture_output=True, text=True, timeout=60, check=False)
