"""Members' own booking pages, reached by the personal link in their email."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar

from server.mail.models import MailMessage
from server.models import User
from server.rollout import booking
from server.rollout.models import Booking, BookingLink
from tests.factories import make_council
from tests.training import link_in, mail_to, slot, soon


async def invited(client, settings, member):
    """The path of the member's link, from the invitation they were emailed."""
    await booking.invite(settings, member)
    [*_, message] = await mail_to(member)
    return "/training/book/" + link_in(message).split("/training/book/")[1]


async def token_of(client, path):
    """The session's form token; the sign-in form shows it whatever the page."""
    assert (await client.get(path)).status_code == 200
    text = await (await client.get("/staff/sign-in")).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


async def test_a_member_books_moves_and_cancels_through_their_link(client, settings):
    council = await make_council()
    member = council.members[0]
    first = await slot(council.trainer, place="Room 2")
    second = await slot(council.trainer, soon(days=6), place="Room 9")
    path = await invited(client, settings, member)

    page = await client.get(path)
    text = await page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Choose a time" in text and "Room 2" in text and "Room 9" in text
    token = await token_of(client, path)

    booked = await client.post(f"{path}/book", form={"csrf_token": token,
                                                     "slot": str(first.id)})
    assert booked.status_code == 302
    text = await (await client.get(booked.headers["Location"])).get_data(as_text=True)
    assert "Your booking" in text and "Booked. We have emailed you" in text

    calendar = await client.get(f"{path}/invitation.ics")
    assert calendar.content_type.startswith("text/calendar")
    parsed = icalendar.Calendar.from_ical(await calendar.get_data())
    made = await booking.live_booking(member.id)
    uid = str(parsed.walk("VEVENT")[0]["UID"])
    assert uid == f"training-{made.id}@casehub.localhost"

    moved = await client.post(f"{path}/move", form={"csrf_token": token,
                                                    "slot": str(second.id)})
    assert moved.status_code == 302
    assert (await booking.live_booking(member.id)).slot_id == second.id
    cancelled = await client.post(f"{path}/cancel", form={"csrf_token": token})
    assert cancelled.status_code == 302
    assert await booking.live_booking(member.id) is None
    subjects = [m["Subject"].split(":")[0] for m in await mail_to(member)]
    assert subjects == ["Book your casehub training", "Training booked",
                        "Training moved", "Training cancelled"]


async def test_a_taken_slot_is_explained_on_the_page(client, settings):
    council = await make_council()
    member, rival = council.members[:2]
    offered = await slot(council.trainer)
    path = await invited(client, settings, member)
    token = await token_of(client, path)
    await booking.book(settings, rival, offered.id)

    response = await client.post(f"{path}/book", form={"csrf_token": token,
                                                       "slot": str(offered.id)})
    text = await response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone has just booked that slot" in text and 'role="alert"' in text
    nothing = await client.post(f"{path}/book", form={"csrf_token": token})
    assert nothing.status_code == 422
    assert "Choose a time from the list" in await nothing.get_data(as_text=True)


async def test_a_link_acts_only_for_its_own_member(client, settings):
    council = await make_council()
    member, other = council.members[:2]
    theirs = await booking.book(settings, other, (await slot(council.trainer)).id)
    path = await invited(client, settings, member)
    token = await token_of(client, path)

    response = await client.post(f"{path}/cancel", form={"csrf_token": token})
    assert response.status_code == 409
    assert "no training booking to change" in await response.get_data(as_text=True)
    assert (await Booking.get(id=theirs.id)).cancelled_at is None
    forged = await client.post(f"{path}/cancel", form={"member": str(other.id)})
    assert forged.status_code == 403


async def test_an_expired_link_offers_a_new_one_and_sends_it(client, settings):
    council = await make_council()
    member = council.members[0]
    path = await invited(client, settings, member)
    await BookingLink.all().update(expires_at=datetime.now(UTC) - timedelta(
        minutes=1))

    response = await client.get(path)
    text = await response.get_data(as_text=True)
    assert response.status_code == 410 and "This link has expired" in text
    token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    assert (await client.post(f"{path}/book", form={"csrf_token": token,
                                                    "slot": "1"})).status_code == 410

    renewed = await client.post(f"{path}/renew", form={"csrf_token": token})
    assert renewed.status_code == 200
    fresh = await mail_to(member)
    assert len(fresh) == 2
    new_path = "/training/book/" + link_in(fresh[-1]).split("/training/book/")[1]
    assert new_path != path
    assert (await client.get(new_path)).status_code == 200

    for _ in range(2):
        await client.post(f"{path}/renew", form={"csrf_token": token})
    limited = await client.post(f"{path}/renew", form={"csrf_token": token})
    assert limited.status_code == 429
    assert await MailMessage.filter(user_id=member.id).count() == 4


async def test_a_link_still_working_is_not_renewed(client, settings):
    council = await make_council()
    path = await invited(client, settings, council.members[0])
    token = await token_of(client, path)

    response = await client.post(f"{path}/renew", form={"csrf_token": token})
    assert response.status_code == 409


async def test_unknown_links_are_refused_and_guessing_is_slowed(client, settings):
    council = await make_council()
    member = council.members[0]
    path = await invited(client, settings, member)

    for attempt in range(20):
        response = await client.get(f"/training/book/not-a-real-token-{attempt}")
        assert response.status_code == 404
    assert "This link is not right" in await response.get_data(as_text=True)
    assert (await client.get(path)).status_code == 429


async def test_the_link_of_a_member_who_left_stops_working(client, settings):
    council = await make_council()
    member = council.members[0]
    path = await invited(client, settings, member)
    await User.filter(id=member.id).update(active=False)

    assert (await client.get(path)).status_code == 404
