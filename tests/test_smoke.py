from tests.factories import enroll, make_council, new_case, pull_all, push


async def test_member_raises_a_case_and_sees_it(client):
    council = await make_council()
    token = await enroll(client, council.members[0])

    response = await push(client, token, [new_case(council.fly_tipping, 1)])
    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["results"][0]["status"] == "applied"

    changes, _, last = await pull_all(client, token)
    cases = [c for c in changes if c["entity"] == "case"]
    assert len(cases) == 1
    assert cases[0]["data"]["reference"].startswith("CH-")
    assert last["acknowledged_seq"] == 1
