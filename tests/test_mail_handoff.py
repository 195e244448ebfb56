"""Hand-offs to departments outside casehub, and replies to members, by email."""

from __future__ import annotations

import dataclasses
import email
import hashlib
import time
from email import policy
from urllib.parse import urlsplit

import pytest

from server import photos
from server.db import server_key
from server.hub.models import Handoff
from server.mail import links
from server.mail.models import MailDirection, MailMessage, MailState
from server.models import Case, CaseEvent, EventKind, Photo
from sync.errors import Rejected
from sync.feed import write_transaction
from tests.factories import make_council, sign_in
from tests.fake_smtp import Sink, text_of
from tests.mailing import by_email, hand_off, jpeg, listening, message, raise_case, send


@pytest.fixture
def settings(settings):
    return listening(settings)


@pytest.fixture
async def council(app):
    return await make_council()


async def outgoing() -> list[MailMessage]:
    return await MailMessage.filter(direction=MailDirection.OUT).order_by("id")


async def stored_photo(settings, owner) -> str:
    data = jpeg("green")
    sha = hashlib.sha256(data).hexdigest()
    photos.write_file(settings.photo_dir, sha, data)
    await Photo.create(sha256=sha, mime="image/jpeg", size=len(data), width=40,
                       height=30, uploaded_by=owner)
    return sha


@pytest.fixture
async def handed(council, settings):
    """A fly-tipping case with a photo, handed to Cleansing, which works by email."""
    cleansing = await by_email(council.cleansing, "Waste@Council.test")
    sha = await stored_photo(settings, council.members[0])
    case = await raise_case(council.members[0], council.fly_tipping,
                            answers={"what": "Mattress", "amount": "Two"},
                            photos=[sha])
    await hand_off(case, council.agent, cleansing, note="Near the school gate")
    (handoff,) = await outgoing()
    return case, cleansing, handoff, sha


async def test_the_handoff_email_carries_what_the_department_needs(handed):
    case, cleansing, handoff, sha = handed
    sent = email.message_from_string(handoff.source, policy=policy.default)
    body = text_of(sent)

    assert handoff.state == MailState.QUEUED
    assert handoff.case_id == case.id and handoff.department_id == cleansing.id
    assert sent["To"] == "Cleansing and Waste <Waste@Council.test>"
    assert sent["Subject"] == (f"[{case.reference}] Fly-tipping at Entry behind 12 "
                               "Elm Street")
    assert sent["Reply-To"] == f"members+{case.reference.lower()}@casehub.localhost"
    for words in ["Near the school gate", "Category:  Fly-tipping",
                  "What was dumped: Mattress", "How much: Two",
                  "Mattress dumped at the entry", "Address: Entry behind 12 Elm Street",
                  "Position: 54.587300, -5.930100 (within 12 m)",
                  "openstreetmap.org/?mlat=54.587300&mlon=-5.930100",
                  "Name: Pat Doe", "Address: 3 Elm Street", "Phone: 028 9000 0000",
                  "Email: pat@home.test",
                  f"http://127.0.0.1:8000/mail/photos/{case.reference}/{sha}?until="]:
        assert words in body, words
    assert handoff.source.isascii()
    assert (await Handoff.get(case_id=case.id)).by_email


async def test_the_photo_link_works_without_signing_in_while_the_case_stays(
        client, handed, council):
    case, _, handoff, _ = handed
    link = next(line.strip() for line in handoff.body.splitlines()
                if "/mail/photos/" in line)
    path = urlsplit(link)
    url = f"{path.path}?{path.query}"

    shown = await client.get(url)
    forged = await client.get(url[:-4] + "0000")
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/jpeg"
    assert await shown.get_data() == jpeg("green")
    assert forged.status_code == 404

    await hand_off(case, council.agent, council.parks)
    moved = await client.get(url)
    assert moved.status_code == 404
    assert (await moved.get_json())["code"] == "photo_link_invalid"


async def test_an_expired_photo_link_no_longer_works(client, handed):
    case, cleansing, _, sha = handed
    until = int(time.time()) - 60
    signature = links.sign(await server_key(links.KEY_NAME), case.reference, sha,
                           cleansing.id, until)

    response = await client.get(
        f"/mail/photos/{case.reference}/{sha}?until={until}&sig={signature}")

    assert response.status_code == 404


async def test_no_email_for_a_handoff_that_did_not_happen(council):
    cleansing = await by_email(council.cleansing, "waste@council.test")
    case = await raise_case(council.members[0], council.fly_tipping,
                            answers={"what": "Mattress"})

    with pytest.raises(RuntimeError):
        async with write_transaction() as writer:
            from server import casework

            locked = await Case.select_for_update().get(id=case.id)
            await casework.hand_off(writer, locked, council.agent, cleansing)
            raise RuntimeError("something later in the transaction failed")

    assert await outgoing() == []
    assert not await Handoff.exists(case_id=case.id)


async def test_a_department_in_casehub_gets_no_email(council):
    case = await raise_case(council.members[0], council.overgrown)

    await hand_off(case, council.agent, council.parks)

    assert await outgoing() == []


async def test_an_email_department_without_an_address_is_refused(client, council):
    council.parks.uses_casehub = False
    await council.parks.save()
    case = await raise_case(council.members[0], council.overgrown)
    await sign_in(client, council.agent)

    with pytest.raises(Rejected):
        await hand_off(case, council.agent, council.parks)
    response = await client.post(f"/api/staff/cases/{case.reference}/handoff",
                                 json={"department_id": council.parks.id})

    body = await response.get_json()
    assert response.status_code == 409
    assert body["code"] == "department_has_no_email"
    assert body["field"] == "department_id"
    assert (await Case.get(id=case.id)).department_id is None


async def test_a_reply_on_a_case_that_came_by_email_emails_the_member(
        app, client, council):
    member = council.members[0]
    first = message(member.email, "Overflowing bin", "On Lisburn Road.")
    await send(app, first)
    case = await Case.get()
    (ack,) = await outgoing()
    second = message(member.email, "Re: Overflowing bin", "Still there.",
                     in_reply_to=ack.message_id)
    await send(app, second)
    await sign_in(client, council.agent)

    response = await client.post(f"/api/staff/cases/{case.reference}/replies",
                                 json={"text": "A crew empties it today."})

    assert response.status_code == 200
    reply = (await outgoing())[-1]
    sent = email.message_from_string(reply.source, policy=policy.default)
    assert reply.user_id == member.id and reply.case_id == case.id
    assert sent["To"] == f"{member.name} <{member.email}>"
    assert sent["In-Reply-To"] == second["Message-ID"]
    assert first["Message-ID"] in sent["References"]
    assert sent["Subject"] == f"Re: Overflowing bin [{case.reference}]"
    assert "The Customer Hub replied" in text_of(sent)
    assert "A crew empties it today." in text_of(sent)


async def test_a_reply_on_a_case_raised_in_the_app_sends_no_email(client, council):
    case = await raise_case(council.members[0], council.overgrown)
    await sign_in(client, council.agent)

    await client.post(f"/api/staff/cases/{case.reference}/replies",
                      json={"text": "On the list for Friday."})

    assert await outgoing() == []


@pytest.fixture
async def sink():
    relay = await Sink().start()
    yield relay
    await relay.stop()


@pytest.fixture
def relayed(settings, sink):
    return dataclasses.replace(settings, smtp_relay=sink.relay)


async def test_a_handoff_goes_out_and_the_departments_answer_comes_back(
        relayed, sink):
    from server.app import create_app

    application = create_app(relayed)
    async with application.test_app():
        council = await make_council()
        member = council.members[0]
        await send(application, message(member.email, "Fallen tree",
                                        "Blocking the path in Botanic Gardens."))
        case = await Case.get()
        parks = await by_email(council.parks, "trees@council.test")
        await hand_off(case, council.agent, parks)

        received = await sink.wait_for(2)
        handoff = next(item.message for item in received
                       if item.recipients == ["trees@council.test"])
        answer = message("trees@council.test", f"RE: {handoff['Subject']}",
                         "Cleared this afternoon.",
                         to=str(handoff["Reply-To"]),
                         in_reply_to=str(handoff["Message-ID"]))
        await send(application, answer, recipients=[str(handoff["Reply-To"])])

        reply = await CaseEvent.get(case_id=case.id, kind=EventKind.REPLY)
        assert reply.data["text"] == "Cleared this afternoon."
        assert reply.data["department"] == parks.name
        # The member wrote in by email, so the answer reaches them there too.
        told = await sink.wait_for(3)
        to_member = told[-1].message
        assert told[-1].recipients == [member.email]
        assert "Cleared this afternoon." in text_of(to_member)
        assert f"{parks.name} replied" in text_of(to_member)
