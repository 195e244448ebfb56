"""Party briefings on members' phones, the feedback members give in the app,
and the team's summaries of feedback and adoption."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from server.models import Party, User
from server.rollout import adoption, booking, briefings, feedback, support
from server.rollout.models import Feedback
from sync.models import Device
from tests.factories import (
    bearer,
    enroll,
    make_council,
    mutation,
    pull_all,
    push,
    sign_in,
)
from tests.training import slot, soon


def give(seq, **args):
    body = {"feedback_id": str(uuid.uuid4()), "hub_rating": 4, "app_rating": 5,
            "hub_comment": "Quick answers", "app_comment": None, **args}
    return mutation(seq, "feedback.give", body)


async def schedule(council, party_id=None, days=4):
    return await briefings.schedule(briefings.NewBriefing(
        party_id=party_id or council.members[0].party_id, starts_at=soon(days),
        minutes=60, place="Members' Room", online_url=None), council.trainer)


async def test_a_briefing_reaches_its_party_members_phones_only(client):
    council = await make_council()
    green = await Party.create(name="Green Party", short_name="GPNI")
    outsider = await User.create(email="green@council.test", name="Green Member",
                                 role="member", party=green)
    briefing = await schedule(council)
    member_token = await enroll(client, council.members[0])
    outsider_token = await enroll(client, outsider)

    changes, cursor, _ = await pull_all(client, member_token)
    [seen] = [change for change in changes if change["entity"] == "briefing"]
    assert seen["id"] == str(briefing.id)
    assert seen["data"]["party"] == "Alliance" and not seen["data"]["cancelled"]
    assert seen["data"]["place"] == "Members' Room"
    theirs, _, _ = await pull_all(client, outsider_token)
    assert [c for c in theirs if c["entity"] == "briefing"] == []

    await briefings.cancel(briefing.id)
    later, _, _ = await pull_all(client, member_token, cursor)
    assert [c["data"]["cancelled"] for c in later if c["entity"] == "briefing"] == [
        True]


async def test_feedback_given_in_the_app_is_kept_once_and_echoed(client):
    council = await make_council()
    member = council.members[0]
    briefing = await schedule(council)
    token = await enroll(client, member)
    given = give(1, briefing_id=briefing.id, app_comment="Works on the bus")

    results = (await (await push(client, token, [given])).get_json())["results"]
    assert results[0]["status"] == "applied"
    again = (await (await push(client, token, [given])).get_json())["results"]
    assert again[0]["status"] == "duplicate"

    kept = await Feedback.get()
    assert (kept.member_id, kept.party_id, kept.briefing_id) == (
        member.id, member.party_id, briefing.id)
    assert (kept.hub_rating, kept.app_rating) == (4, 5)
    assert kept.app_comment == "Works on the bus"
    changes, _, _ = await pull_all(client, token)
    [echo] = [c for c in changes if c["entity"] == "feedback"]
    assert echo["id"] == str(kept.id) and echo["data"]["hub_rating"] == 4


async def test_feedback_is_checked(client):
    council = await make_council()
    green = await Party.create(name="Green Party", short_name="GPNI")
    theirs = await schedule(council, party_id=green.id)
    token = await enroll(client, council.members[0])
    used = str(uuid.uuid4())

    results = (await (await push(client, token, [
        give(1, hub_rating=0),
        give(2, app_rating=6),
        give(3, briefing_id=theirs.id),
        give(4, feedback_id=used),
        give(5, feedback_id=used),
        give(6, hub_comment="x" * 2001),
    ])).get_json())["results"]

    assert [(r["status"], r["error"] and r["error"]["code"]) for r in results] == [
        ("rejected", "invalid_argument"), ("rejected", "invalid_argument"),
        ("rejected", "unknown_briefing"), ("applied", None),
        ("rejected", "feedback_exists"), ("rejected", "invalid_argument")]
    assert results[0]["error"]["field"] == "hub_rating"


async def test_the_summary_is_per_party_and_overall_with_csv(client):
    council = await make_council()
    green = await Party.create(name="Green Party", short_name="GPNI")
    greens = [await User.create(email=f"g{i}@council.test", name=f"G {i}",
                                role="member", party=green) for i in range(2)]
    for index, member in enumerate([*council.members[:2], *greens]):
        token = await enroll(client, member)
        await push(client, token, [give(1, hub_rating=2 + index, app_rating=5 - index)])

    lines = await feedback.summaries()
    assert [(line.group, line.responses, line.hub_average, line.app_average)
            for line in lines] == [("Alliance", 2, 2.5, 4.5),
                                   ("Green Party", 2, 4.5, 2.5),
                                   ("All parties", 4, 3.5, 3.5)]

    await sign_in(client, council.trainer)
    response = await client.get("/staff/training/feedback.csv")
    assert response.headers["Content-Disposition"].endswith('"feedback.csv"')
    rows = list(csv.reader(io.StringIO(await response.get_data(as_text=True))))
    assert rows == [["party", "responses", "hub_average", "app_average"],
                    ["Alliance", "2", "2.5", "4.5"], ["Green Party", "2", "4.5", "2.5"],
                    ["All parties", "4", "3.5", "3.5"]]
    page = await (await client.get("/staff/training/feedback")).get_data(as_text=True)
    assert "Quick answers" in page and "G 0" not in page


async def test_adoption_counts_booked_trained_installed_and_active(client, settings):
    council = await make_council()
    first, second, third = council.members
    await booking.book(settings, first, (await slot(council.trainer)).id)
    await booking.book(settings, second, (await slot(council.trainer,
                                                     soon(days=5))).id)
    await support.mark_trained(second)
    token = await enroll(client, second)
    await client.put("/api/devices/report", headers=bearer(token), json={
        "platform": "iphone", "installed": True, "notifications": "granted",
        "push_subscribed": True, "pending_changes": 0, "storage_persisted": True})
    stale = await enroll(client, third)
    await client.get("/api/me", headers=bearer(stale))
    await Device.filter(user_id=third.id).update(
        last_seen_at=datetime.now(UTC) - timedelta(days=8))

    found = await adoption.report()
    line = found.total
    assert (line.members, line.booked, line.trained, line.installed, line.active) == (
        3, 2, 1, 1, 1)
    by_ward = {ward.group: (ward.members, ward.booked) for ward in found.by_ward}
    assert by_ward == {"Botanic": (2, 1), "Castle": (1, 1)}
    assert [(p.group, p.members) for p in found.by_party] == [("Alliance", 3)]

    await sign_in(client, council.admin)
    response = await client.get("/staff/training/adoption.csv")
    rows = list(csv.reader(io.StringIO(await response.get_data(as_text=True))))
    assert rows[0] == ["grouping", "group", "members", "booked", "trained",
                       "installed", "active"]
    assert ["total", "All members", "3", "2", "1", "1", "1"] in rows
    assert ["ward", "Castle", "1", "1", "1", "1", "1"] in rows
