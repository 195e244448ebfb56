"""Every way a request can fail answers with one problem+json shape."""

from __future__ import annotations

import json
from typing import Any

from quart.typing import TestClientProtocol as Client

from server.app import MAX_BODY, create_app
from server.config import Settings
from server.errors import PROBLEM_TYPE, TITLES
from sync import PROTOCOL_VERSION
from sync.protocol import MAX_BATCH
from tests.factories import (
    bearer,
    enroll,
    make_council,
    new_case,
    pull_all,
    push,
    sign_in,
)

JSON = {"Content-Type": "application/json"}


async def assert_problem(response: Any, status: int, code: str,
                         field: str | None = None) -> dict[str, Any]:
    """Check the problem+json shape every error shares, and return its body."""
    text = await response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == "application/problem+json"
    body = json.loads(text)
    assert body["type"] == PROBLEM_TYPE + code
    assert body["title"] == TITLES[status]
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    if field is None:
        assert "field" not in body
    else:
        assert body["field"] == field
    return body


async def member_with_case(client: Client) -> tuple[str, str]:
    """A member's token, after one case of theirs was accepted."""
    council = await make_council()
    token = await enroll(client, council.members[0])
    mutation = new_case(council.fly_tipping, 1)
    response = await push(client, token, [mutation])
    assert (await response.get_json())["results"][0]["status"] == "applied"
    return token, mutation["args"]["case_id"]


async def assert_case_kept(client: Client, token: str,
                           case_id: str) -> None:
    changes, _, last = await pull_all(client, token)
    assert [c["id"] for c in changes if c["entity"] == "case"] == [case_id]
    assert last["acknowledged_seq"] == 1


async def test_unknown_route_is_404(client):
    response = await client.get("/api/no-such-thing")

    body = await assert_problem(response, 404, "not_found")
    assert "/api/no-such-thing" in body["detail"]


async def test_wrong_method_is_405(client):
    response = await client.get("/api/sync/push")

    body = await assert_problem(response, 405, "method_not_allowed")
    assert "GET" in body["detail"]


async def test_body_over_the_limit_is_413_and_nothing_is_lost(client):
    token, case_id = await member_with_case(client)
    padding = "a" * (MAX_BODY + 1)
    body = json.dumps({"protocol": PROTOCOL_VERSION, "mutations": [],
                       "app_version": padding}).encode()

    response = await client.post("/api/sync/push", data=body,
                                 headers={**bearer(token), **JSON})

    await assert_problem(response, 413, "too_large")
    await assert_case_kept(client, token, case_id)


async def test_invalid_json_is_400(client):
    token, case_id = await member_with_case(client)

    response = await client.post("/api/sync/push", data=b'{"protocol": 1,',
                                 headers={**bearer(token), **JSON})

    await assert_problem(response, 400, "invalid_json")
    await assert_case_kept(client, token, case_id)


async def test_a_body_not_sent_as_json_is_422_for_the_whole_body(client):
    token, _ = await member_with_case(client)

    response = await client.post("/api/sync/push", data=b"protocol=1",
                                 headers={**bearer(token),
                                          "Content-Type": "text/plain"})

    body = await assert_problem(response, 422, "invalid_field")
    assert not body["detail"].startswith(":")


async def test_a_body_that_is_not_utf8_is_400(client):
    token, case_id = await member_with_case(client)
    latin1 = '{"protocol": 1, "mutations": [], "app_version": "café"}'

    response = await client.post("/api/sync/push", data=latin1.encode("latin-1"),
                                 headers={**bearer(token), **JSON})

    await assert_problem(response, 400, "invalid_encoding")
    await assert_case_kept(client, token, case_id)


async def test_a_missing_field_is_422_naming_it(client):
    token, _ = await member_with_case(client)

    response = await client.post("/api/sync/push", json={"mutations": []},
                                 headers=bearer(token))

    await assert_problem(response, 422, "invalid_field", field="protocol")


async def test_a_wrong_type_is_422_naming_the_nested_field(client):
    token, _ = await member_with_case(client)
    mutation = {"id": "not-a-uuid", "seq": 2, "name": "case.note", "args": {}}

    response = await client.post(
        "/api/sync/push", headers=bearer(token),
        json={"protocol": PROTOCOL_VERSION, "mutations": [mutation]},
    )

    await assert_problem(response, 422, "invalid_field", field="mutations.0.id")


async def test_extra_fields_are_refused(client):
    token, case_id = await member_with_case(client)

    response = await client.post(
        "/api/sync/push", headers=bearer(token),
        json={"protocol": PROTOCOL_VERSION, "mutations": [], "force": True},
    )

    await assert_problem(response, 422, "invalid_field", field="force")
    await assert_case_kept(client, token, case_id)


async def test_extra_fields_in_a_mutation_are_refused(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    mutation = {**new_case(council.fly_tipping, 1), "priority": "urgent"}

    response = await push(client, token, [mutation])

    await assert_problem(response, 422, "invalid_field", field="mutations.0.priority")


async def test_a_batch_over_the_limit_is_refused_whole(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    mutations = [new_case(council.fly_tipping, seq)
                 for seq in range(1, MAX_BATCH + 2)]

    response = await push(client, token, mutations)

    await assert_problem(response, 422, "invalid_field", field="mutations")
    changes, _, last = await pull_all(client, token)
    assert not [c for c in changes if c["entity"] == "case"]
    assert last["acknowledged_seq"] == 0


async def test_a_full_batch_is_accepted(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    mutations = [new_case(council.fly_tipping, seq)
                 for seq in range(1, MAX_BATCH + 1)]

    response = await push(client, token, mutations)

    body = await response.get_json()
    assert response.status_code == 200, body
    assert {result["status"] for result in body["results"]} == {"applied"}
    assert body["last_seq"] == MAX_BATCH


async def test_deeply_nested_json_is_400_not_a_crash(client):
    token, case_id = await member_with_case(client)
    depth = 100_000
    body = (b'{"protocol": 1, "mutations": [], "app_version": '
            + b"[" * depth + b"]" * depth + b"}")

    response = await client.post("/api/sync/push", data=body,
                                 headers={**bearer(token), **JSON})

    await assert_problem(response, 400, "invalid_json")
    await assert_case_kept(client, token, case_id)


async def test_moderate_nesting_inside_a_mutation_is_kept_whole(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    nested: Any = "bottom"
    for _ in range(300):
        nested = [nested]
    mutation = new_case(council.fly_tipping, 1,
                        answers={"what": "Mattress", "amount": nested})

    response = await push(client, token, [mutation])

    assert (await response.get_json())["results"][0]["status"] == "applied"
    changes, _, _ = await pull_all(client, token)
    (case,) = [c for c in changes if c["entity"] == "case"]
    assert case["data"]["answers"]["amount"] == nested


async def test_a_huge_string_is_rejected_naming_the_field(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    good = new_case(council.fly_tipping, 1)
    huge = new_case(council.fly_tipping, 2, description="x" * 100_000)
    after = new_case(council.missed_bin, 3)

    response = await push(client, token, [good, huge, after])

    body = await response.get_json()
    assert response.status_code == 200, body
    statuses = [result["status"] for result in body["results"]]
    assert statuses == ["applied", "rejected", "applied"]
    error = body["results"][1]["error"]
    assert error["code"] == "invalid_argument"
    assert error["field"] == "description"
    changes, _, last = await pull_all(client, token)
    kept = {c["id"] for c in changes if c["entity"] == "case"}
    assert kept == {good["args"]["case_id"], after["args"]["case_id"]}
    rejections = [c for c in changes if c["entity"] == "rejection"]
    assert [r["data"]["field"] for r in rejections] == ["description"]
    assert last["acknowledged_seq"] == 3


async def test_a_huge_string_in_a_reply_is_422(client):
    council = await make_council()
    token = await enroll(client, council.members[0])
    await push(client, token, [new_case(council.fly_tipping, 1)])
    changes, _, _ = await pull_all(client, token)
    reference = next(c for c in changes if c["entity"] == "case")["data"]["reference"]
    await sign_in(client, council.agent)

    response = await client.post(f"/api/staff/cases/{reference}/replies",
                                 json={"text": "y" * 100_000})

    await assert_problem(response, 422, "invalid_field", field="text")


async def test_an_unexpected_error_is_500_and_nothing_is_lost(settings: Settings):
    app = create_app(settings)

    @app.get("/api/test-failure")
    async def failing() -> str:
        raise RuntimeError("a fault the server did not expect")

    async with app.test_app():
        client = app.test_client()
        token, case_id = await member_with_case(client)

        response = await client.get("/api/test-failure")

        body = await assert_problem(response, 500, "server_error")
        assert "RuntimeError" not in body["detail"]
        assert "did not expect" not in body["detail"]
        await assert_case_kept(client, token, case_id)
