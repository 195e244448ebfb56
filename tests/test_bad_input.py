"""A corpus of bad input: each is refused with a clear 4xx in the one problem
shape, the server keeps answering, and nothing it had accepted is lost."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image

from server import casework
from server.app import MAX_BODY
from server.ids import MAX_ID
from server.models import Case, Department, User
from server.photos import MAX_BYTES
from sync import PROTOCOL_VERSION
from sync.feed import write_transaction
from sync.protocol import MAX_BATCH
from tests.factories import (
    bearer,
    enroll,
    make_council,
    mutation,
    new_case,
    pull_all,
    push,
    sign_in,
)
from tests.staff_forms import ESCAPED, SCRIPT
from tests.test_errors import assert_case_kept, assert_problem, member_with_case

ROOT = Path(__file__).resolve().parents[1]
JSON = {"Content-Type": "application/json"}
SOME_UUID = "3b241101-e2bb-4255-8caf-4136c566a962"


@dataclass(frozen=True)
class Bad:
    """One bad request: who sends it, what, and the refusal it must meet."""

    name: str
    method: str
    path: str
    status: int
    code: str
    who: str = "member"  # none, member or agent
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    field: str | None = None


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bomb() -> bytes:
    """A tiny file that claims 30,000 by 30,000 pixels."""
    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + png_chunk(b"IEND", b""))


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def nested(depth: int) -> bytes:
    return b'{"protocol": 1, "mutations": ' + b"[" * depth + b"]" * depth + b"}"


def sync_body(mutations: list[Any], protocol: int = PROTOCOL_VERSION) -> Any:
    return {"protocol": protocol, "mutations": mutations}


def note(seq: int, text: str = "Still there") -> dict[str, Any]:
    return mutation(seq, "case.note", {"case_id": SOME_UUID,
                                       "event_id": str(uuid.uuid4()), "text": text})


def subscription(endpoint: str, p256dh: str = "B" + "A" * 86,
                 auth: str = "tBHItJI5svbpez7KI4CCXg") -> dict[str, Any]:
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


NOT_AN_IMAGE = b"This is a note, not a photo of anything at all."
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
       b"</svg>")
TRUNCATED = jpeg()[:200]
BOMB = png_bomb()
TOO_BIG = b"\xff\xd8\xff" + b"\x00" * (MAX_BYTES + 1)

CORPUS = [
    # Bodies too large, and batches too long.
    Bad("a push over the body limit", "POST", "/api/sync/push", 413, "too_large",
        raw=b'{"protocol": 1, "mutations": [' + b" " * MAX_BODY + b"]}",
        headers=JSON),
    Bad("a batch over the mutation limit", "POST", "/api/sync/push", 422,
        "invalid_field", body=sync_body([note(i + 1) for i in range(MAX_BATCH + 1)]),
        field="mutations"),
    Bad("a reply longer than a text column", "POST",
        "/api/staff/cases/{reference}/replies", 422, "invalid_field", who="agent",
        body={"text": "x" * 5001}, field="text"),
    Bad("a staff sign-in with a huge email", "POST", "/api/staff/session", 422,
        "invalid_field", who="none", body={"email": "a" * 10_000 + "@x.test",
                                           "password": "x"}, field="email"),
    Bad("a cursor longer than any the server makes", "POST", "/api/sync/pull", 422,
        "invalid_field", body={"protocol": PROTOCOL_VERSION, "cursor": "c" * 201},
        field="cursor"),
    # Photos that are not what they claim.
    Bad("a photo over the size limit", "PUT", f"/api/photos/{sha(TOO_BIG)}", 413,
        "photo_too_large", raw=TOO_BIG),
    Bad("text sent as a photo", "PUT", f"/api/photos/{sha(NOT_AN_IMAGE)}", 415,
        "not_an_image", raw=NOT_AN_IMAGE),
    Bad("a PDF sent as a photo", "PUT", f"/api/photos/{sha(PDF)}", 415,
        "not_an_image", raw=PDF),
    Bad("an SVG with a script sent as a photo", "PUT", f"/api/photos/{sha(SVG)}",
        415, "not_an_image", raw=SVG),
    Bad("a truncated JPEG", "PUT", f"/api/photos/{sha(TRUNCATED)}", 415,
        "not_an_image", raw=TRUNCATED),
    Bad("a decompression bomb", "PUT", f"/api/photos/{sha(BOMB)}", 422,
        "photo_too_many_pixels", raw=BOMB),
    Bad("a photo whose bytes do not match its name", "PUT",
        f"/api/photos/{'0' * 64}", 422, "hash_mismatch", raw=jpeg(), field="sha256"),
    Bad("a photo name that is not a SHA-256", "PUT", "/api/photos/not-a-hash", 422,
        "invalid_hash", raw=jpeg(), field="sha256"),
    Bad("an empty photo", "PUT", f"/api/photos/{sha(b'')}", 415, "not_an_image",
        raw=b""),
    # Path tricks.
    Bad("a photo name climbing out of the folder", "GET",
        "/api/photos/..%2F..%2Fetc%2Fpasswd", 404, "not_found"),
    Bad("a photo upload climbing out of the folder", "PUT",
        "/api/photos/../../casehub.db", 404, "not_found", raw=jpeg()),
    Bad("an app file outside the app folder", "GET", "/app/../server/config.py",
        404, "not_found", who="none"),
    Bad("an app file climbing by encoded dots", "GET", "/app/%2e%2e/pyproject.toml",
        404, "not_found", who="none"),
    Bad("an app file climbing by backslashes", "GET",
        "/app/..%5C..%5Cpyproject.toml", 404, "not_found", who="none"),
    Bad("a NUL in a path", "GET", "/api/staff/cases/CH-100000%00", 404, "not_found",
        who="agent"),
    Bad("a user id past any row", "GET",
        f"/api/staff/users/{MAX_ID + 1}/devices", 404, "not_found", who="agent"),
    # Bodies that are not readable JSON.
    Bad("a body that is not UTF-8", "POST", "/api/sync/push", 400,
        "invalid_encoding", raw=b'{"protocol": 1, "mutations": ["\xff\xfe"]}',
        headers=JSON),
    Bad("a sign-in that is not UTF-8", "POST", "/api/staff/session", 400,
        "invalid_encoding", who="none", raw=b'{"email": "\xc3\x28"}', headers=JSON),
    Bad("JSON nested ten thousand deep", "POST", "/api/sync/push", 400,
        "invalid_json", raw=nested(10_000), headers=JSON),
    Bad("a reply nested ten thousand deep", "POST",
        "/api/staff/cases/{reference}/replies", 400, "invalid_json", who="agent",
        raw=b'{"text": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", headers=JSON),
    Bad("JSON cut short", "POST", "/api/sync/push", 400, "invalid_json",
        raw=b'{"protocol": 1, "mutations": [', headers=JSON),
    Bad("a list where an object belongs", "POST", "/api/sync/pull", 422,
        "invalid_field", body=[1, 2, 3]),
    Bad("a number where text belongs", "POST", "/api/staff/session", 422,
        "invalid_field", who="none", body={"email": 12, "password": "x"},
        field="email"),
    Bad("a field the endpoint does not know", "POST", "/api/sync/pull", 422,
        "invalid_field", body={"protocol": PROTOCOL_VERSION, "shell": "rm -rf"},
        field="shell"),
    # Cursors and tokens.
    Bad("a garbled cursor", "POST", "/api/sync/pull", 400, "invalid_cursor",
        body={"protocol": PROTOCOL_VERSION, "cursor": "not-a-cursor"},
        field="cursor"),
    Bad("a cursor with a forged signature", "POST", "/api/sync/pull", 400,
        "invalid_cursor",
        body={"protocol": PROTOCOL_VERSION, "cursor": base64.urlsafe_b64encode(
            json.dumps({"v": 1, "e": "x", "a": 1, "u": 1}).encode()).decode()
            + ".AAAA"}, field="cursor"),
    Bad("no token at all", "POST", "/api/sync/pull", 401, "not_signed_in",
        who="none", body={"protocol": PROTOCOL_VERSION}),
    Bad("an empty bearer token", "POST", "/api/sync/pull", 401, "not_signed_in",
        who="none", body={"protocol": PROTOCOL_VERSION},
        headers={"Authorization": "Bearer "}),
    Bad("a password where a token belongs", "POST", "/api/sync/pull", 401,
        "not_signed_in", who="none", body={"protocol": PROTOCOL_VERSION},
        headers={"Authorization": "Basic bWVtYmVyOnBhc3N3b3Jk"}),
    Bad("a token the server never gave", "POST", "/api/sync/pull", 401,
        "invalid_token", who="none", body={"protocol": PROTOCOL_VERSION},
        headers={"Authorization": "Bearer chx_" + "A" * 40}),
    Bad("a token of eight thousand characters", "POST", "/api/sync/pull", 401,
        "invalid_token", who="none", body={"protocol": PROTOCOL_VERSION},
        headers={"Authorization": "Bearer " + "A" * 8000}),
    Bad("a forged staff session cookie", "GET", "/api/staff/me", 401,
        "not_signed_in", who="none",
        headers={"Cookie": "casehub_session=eyJ1c2VyX2lkIjoxfQ.forged.sig"}),
    Bad("a wrong enrollment code", "POST", "/api/devices/enroll", 422,
        "unknown_code", who="none", body={"code": "ZZZZ-ZZZZ"}, field="code"),
    Bad("an enrollment code of the wrong shape", "POST", "/api/devices/enroll", 422,
        "invalid_code", who="none", body={"code": "'; DROP TABLE users; --"},
        field="code"),
    # Push endpoints the server must never post to.
    Bad("a push endpoint over plain http", "PUT", "/api/push/subscription", 422,
        "push_endpoint_insecure",
        body=subscription("http://fcm.googleapis.com/fcm/send/abc"),
        field="endpoint"),
    Bad("a push endpoint on another host", "PUT", "/api/push/subscription", 422,
        "push_service_not_allowed", body=subscription("https://evil.example/push"),
        field="endpoint"),
    Bad("a push endpoint at the cloud metadata address", "PUT",
        "/api/push/subscription", 422, "push_service_not_allowed",
        body=subscription("https://169.254.169.254/latest/meta-data"),
        field="endpoint"),
    Bad("a push endpoint dressed as a push service", "PUT",
        "/api/push/subscription", 422, "push_service_not_allowed",
        body=subscription("https://fcm.googleapis.com.evil.example/send/x"),
        field="endpoint"),
    Bad("a push endpoint that is a file", "PUT", "/api/push/subscription", 422,
        "push_endpoint_invalid", body=subscription("file:///etc/passwd"),
        field="endpoint"),
    Bad("a push endpoint that is not an address", "PUT", "/api/push/subscription",
        422, "push_endpoint_invalid", body=subscription("not an address"),
        field="endpoint"),
    Bad("push keys that are not keys", "PUT", "/api/push/subscription", 422,
        "push_keys_invalid",
        body=subscription("https://fcm.googleapis.com/fcm/send/abc", p256dh="!!",
                          auth="??"), field="keys"),
    # The sync protocol's own rules.
    Bad("an app too old to sync", "POST", "/api/sync/push", 409, "update_required",
        body=sync_body([note(2)], protocol=0), field="protocol"),
    Bad("an app newer than the server", "POST", "/api/sync/push", 409,
        "protocol_unknown", body=sync_body([note(2)], protocol=99),
        field="protocol"),
    Bad("a batch that skips numbers", "POST", "/api/sync/push", 422,
        "batch_not_contiguous", body=sync_body([note(2), note(4)]),
        field="mutations"),
    Bad("a batch that starts past the next number", "POST", "/api/sync/push", 409,
        "mutation_gap", body=sync_body([note(9)])),
    Bad("a mutation number used for another mutation", "POST", "/api/sync/push",
        409, "sequence_reused", body=sync_body([note(1)]), field="mutations"),
    Bad("a negative mutation number", "POST", "/api/sync/push", 422,
        "invalid_field", body=sync_body([note(-3)]), field="mutations.0.seq"),
    # Staff endpoints.
    Bad("a hand-off to a department past any id", "POST",
        "/api/staff/cases/{reference}/handoff", 422, "invalid_field", who="agent",
        body={"department_id": MAX_ID + 1}, field="department_id"),
    Bad("a hand-off to a department named in words", "POST",
        "/api/staff/cases/{reference}/handoff", 422, "invalid_field", who="agent",
        body={"department_id": "cleansing"}, field="department_id"),
    Bad("a status that does not exist", "POST", "/api/staff/cases/{reference}/status",
        422, "invalid_field", who="agent", body={"status": "flying"},
        field="status"),
    Bad("a reply holding a NUL", "POST", "/api/staff/cases/{reference}/replies", 422,
        "invalid_field", who="agent", body={"text": "Bins\x00 again"},
        field="text"),
    Bad("a NUL in a query string", "GET", "/api/staff/queue?q=bins%00", 422,
        "invalid_field", who="agent", field="q.0"),
    Bad("a category below any id", "PATCH", "/api/staff/cases/{reference}", 422,
        "invalid_field", who="agent", body={"category_id": -1},
        field="category_id"),
    Bad("a call from member zero", "POST", "/api/staff/calls", 422, "invalid_field",
        who="agent", body={"member_id": 0, "summary": "Rang"}, field="member_id"),
    Bad("an assignee past any id", "PUT", "/api/staff/cases/{reference}/assignee",
        422, "invalid_field", who="agent", body={"assignee_id": 10**30},
        field="assignee_id"),
    Bad("a case reference that is not one", "GET",
        "/api/staff/cases/<img src=x onerror=alert(1)>", 404, "case_not_found",
        who="agent"),
    # Methods and routes.
    Bad("a method the endpoint does not take", "DELETE", "/api/sync/push", 405,
        "method_not_allowed"),
    Bad("an endpoint that does not exist", "GET", "/api/admin/shell", 404,
        "not_found"),
]


def test_the_corpus_holds_at_least_fifty_kinds_of_bad_input():
    assert len(CORPUS) >= 50
    assert len({bad.name for bad in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("bad", CORPUS, ids=[bad.name for bad in CORPUS])
async def test_bad_input_is_refused_and_loses_nothing(client, bad: Bad):
    token, case_id = await member_with_case(client)
    reference = (await (await client.post(
        "/api/sync/pull", headers=bearer(token),
        json={"protocol": PROTOCOL_VERSION})).get_json())["changes"]
    reference = next(c["data"]["reference"] for c in reference
                     if c["entity"] == "case")
    headers = dict(bad.headers)
    if bad.who == "member":
        headers.setdefault("Authorization", f"Bearer {token}")
    if bad.who == "agent":
        await _agent_signed_in(client)

    path = bad.path.replace("{reference}", reference)
    if bad.raw is not None:
        response = await client.open(path, method=bad.method, data=bad.raw,
                                     headers=headers)
    elif bad.body is not None:
        response = await client.open(path, method=bad.method, json=bad.body,
                                     headers=headers)
    else:
        response = await client.open(path, method=bad.method, headers=headers)

    await assert_problem(response, bad.status, bad.code, bad.field)
    health = await client.get("/healthz")
    assert health.status_code == 200
    await assert_case_kept(client, token, case_id)


async def _agent_signed_in(client) -> None:
    agent = await User.get(email="agent@council.test")
    await sign_in(client, agent)



async def test_script_in_every_text_field_is_escaped_on_every_page(client):
    council = await make_council()
    await Department.filter(id=council.cleansing.id).update(name=SCRIPT)
    await User.filter(id=council.members[0].id).update(name=SCRIPT, trainer_id=(
        council.trainer.id))
    token = await enroll(client, council.members[0])
    created = new_case(council.fly_tipping, 1, description=SCRIPT,
                       answers={"what": "Mattress", "amount": SCRIPT},
                       constituent={"name": SCRIPT, "address": SCRIPT,
                                    "phone": SCRIPT[:40], "email": SCRIPT},
                       location={"address": SCRIPT})
    await push(client, token, [created])
    case = await Case.get(id=created["args"]["case_id"])
    await push(client, token, [mutation(2, "case.note", {
        "case_id": str(case.id), "event_id": str(uuid.uuid4()), "text": SCRIPT})])
    async with write_transaction() as writer:
        fresh = await Case.select_for_update().get(id=case.id)
        await casework.hand_off(writer, fresh, council.agent,
                                await Department.get(id=council.cleansing.id))
        await casework.internal_note(writer, fresh, council.agent, SCRIPT)

    pages = {
        council.supervisor: ["/staff/queue", f"/staff/cases/{case.reference}",
                             "/staff/escalations", "/staff/members",
                             "/staff/dashboard", "/staff/calls/new",
                             f"/staff/constituents?name={quote(SCRIPT)}"],
        council.officer: ["/staff/department", f"/staff/cases/{case.reference}"],
        council.trainer: ["/staff/training/members",
                          f"/staff/training/members/{council.members[0].id}"],
        council.admin: [f"/staff/audit?reference={case.reference}"],
    }
    seen = 0
    for user, paths in pages.items():
        await sign_in(client, user)
        for path in paths:
            response = await client.get(path)
            text = await response.get_data(as_text=True)
            assert response.status_code == 200, path
            assert SCRIPT not in text, path
            seen += ESCAPED in text
    # Each page that shows what was typed shows it as text.
    assert seen >= 9


async def test_script_in_a_phone_case_reaches_the_phone_as_plain_data(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    created = new_case(council.fly_tipping, 1, description=SCRIPT)

    await push(client, token, [created])
    changes, _, _ = await pull_all(client, token)

    (case,) = [c for c in changes if c["entity"] == "case"]
    assert case["data"]["description"] == SCRIPT
    # The app builds its screens from text nodes alone, never from markup.
    markup = re.compile(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write")
    source = (ROOT / "pwa").rglob("*.js")
    assert not [path.name for path in source if markup.search(path.read_text())]
