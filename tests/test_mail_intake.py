"""Mail sent to casehub's own SMTP server lands where it belongs, or waits."""

from __future__ import annotations

import dataclasses
import email
from email import policy

import aiosmtplib
import pytest
from PIL import Image

from server.app import create_app
from server.hub.models import Contact
from server.mail import attachments
from server.mail.models import Attachment, MailDirection, MailMessage, MailState
from server.models import (
    Case,
    CaseEvent,
    CaseKind,
    CasePhoto,
    Channel,
    EventKind,
    Photo,
    Status,
)
from server.notifications.models import AlertKind, Notification
from tests.factories import bearer, enroll, make_council
from tests.fake_push import fake, loopback_settings
from tests.mailing import (
    MAILBOX,
    by_email,
    hand_off,
    jpeg,
    listening,
    message,
    raise_case,
    send,
)

__all__ = ["fake"]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def settings(settings):
    return listening(loopback_settings(settings))


@pytest.fixture
async def council(app):
    return await make_council()


async def outgoing() -> list[MailMessage]:
    return await MailMessage.filter(direction=MailDirection.OUT).order_by("id")


async def incoming() -> list[MailMessage]:
    return await MailMessage.filter(direction=MailDirection.IN).order_by("id")


def parsed(row: MailMessage) -> email.message.EmailMessage:
    return email.message_from_string(row.source, policy=policy.default)


async def test_a_members_email_opens_a_case_with_its_files(app, council, settings):
    member = council.members[0]
    photo = jpeg(exif=True)
    mail = message(member.email, "Fly-tipping on Elm Street",
                   "A fridge and two mattresses at the entry.",
                   files=[("fridge.jpg", "image/jpeg", photo),
                          ("letter.pdf", "application/pdf", PDF)])

    answer = await send(app, mail)

    assert answer.startswith("2.0.0")
    (case,) = await Case.all()
    assert case.member_id == member.id and case.channel == Channel.EMAIL
    assert case.category_id is None and case.kind == CaseKind.MEMBER_ENQUIRY
    assert case.description == ("Fly-tipping on Elm Street\n\n"
                                "A fridge and two mattresses at the entry.")
    (taken,) = await incoming()
    assert taken.state == MailState.RECEIVED and taken.case_id == case.id
    assert taken.message_id == mail["Message-ID"] and taken.user_id == member.id
    (contact,) = await Contact.all()
    assert contact.channel == Channel.EMAIL and contact.case_id == case.id

    files = await Attachment.filter(mail_id=taken.id).order_by("id")
    assert [(f.filename, f.mime, f.case_id) for f in files] == [
        ("fridge.jpg", "image/jpeg", case.id),
        ("letter.pdf", "application/pdf", case.id)]
    assert attachments.path_for(settings, files[1].sha256).read_bytes() == PDF
    (shown,) = await CasePhoto.filter(case_id=case.id)
    stored = await Photo.get(sha256=shown.photo_id)
    assert stored.uploaded_by_id == member.id
    with Image.open(settings.photo_dir / stored.sha256[:2] / stored.sha256) as image:
        assert not image.getexif()


async def test_the_member_is_told_the_reference_in_a_threaded_answer(app, council):
    member = council.members[0]
    mail = message(member.email, "Street light out")

    await send(app, mail)

    case = await Case.get()
    (ack,) = await outgoing()
    assert ack.state == MailState.QUEUED and ack.user_id == member.id
    assert ack.recipient.endswith(f"<{member.email}>")
    assert ack.subject == f"Re: Street light out [{case.reference}]"
    assert case.reference in ack.body and "reached the Customer Hub" in ack.body
    sent = parsed(ack)
    assert sent["In-Reply-To"] == mail["Message-ID"]
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["Reply-To"] == f"members+{case.reference.lower()}@casehub.localhost"


async def test_an_email_naming_one_of_the_members_cases_joins_it(app, council):
    member = council.members[0]
    case = await raise_case(member, council.fly_tipping,
                            answers={"what": "Mattress"})

    await send(app, message(member.email, f"More on {case.reference}",
                            "Someone has added a sofa to the pile.",
                            files=[("sofa.jpg", "image/jpeg", jpeg("blue"))]))

    assert await Case.all().count() == 1
    events = await CaseEvent.filter(case_id=case.id).order_by("version", "created_at")
    kinds = [event.kind for event in events]
    assert kinds == [EventKind.CREATED, EventKind.NOTE, EventKind.PHOTO]
    assert events[1].author_id == member.id
    assert events[1].data["text"] == "Someone has added a sofa to the pile."
    contacts = await Contact.filter(case_id=case.id).order_by("id")
    assert [c.channel for c in contacts] == [Channel.APP, Channel.EMAIL]
    (ack,) = await outgoing()
    assert f"added to case {case.reference}" in ack.body


async def test_an_answer_to_casehubs_mail_joins_the_case_without_the_quote(
        app, council):
    member = council.members[0]
    await send(app, message(member.email, "Graffiti on the bridge"))
    case = await Case.get()
    (ack,) = await outgoing()

    quoted = ("It is on both sides now.\n\nOn 3 Dec 2026, Customer Hub wrote:\n"
              f"> Your email has reached the Customer Hub as case {case.reference}.")
    await send(app, message(member.email, "Re: your email", quoted,
                            in_reply_to=ack.message_id))

    assert await Case.all().count() == 1
    note = await CaseEvent.get(case_id=case.id, kind=EventKind.NOTE)
    assert note.data["text"] == "It is on both sides now."
    assert len(await incoming()) == 2


async def test_naming_someone_elses_case_opens_a_case_of_ones_own(app, council):
    theirs = await raise_case(council.members[1])

    await send(app, message(council.members[0].email, f"Also {theirs.reference}"))

    cases = await Case.all().order_by("created_at")
    assert len(cases) == 2 and cases[1].member_id == council.members[0].id
    assert not await CaseEvent.filter(case_id=theirs.id, kind=EventKind.NOTE)


async def test_naming_a_finished_case_opens_a_new_one_that_follows_it(app, council):
    member = council.members[0]
    old = await raise_case(member)
    await Case.filter(id=old.id).update(status=Status.CLOSED)

    await send(app, message(member.email, f"{old.reference} is back"))

    new = await Case.exclude(id=old.id).get()
    assert new.description.startswith(f"Follows on from {old.reference}")
    (ack,) = await outgoing()
    assert f"Case {old.reference} is finished" in ack.body
    assert new.reference in ack.subject


@pytest.fixture
async def handed(council, client, fake):
    """A member's case, on a subscribed phone, handed to Parks by email."""
    member = council.members[0]
    token = await enroll(client, member)
    response = await client.put("/api/push/subscription", headers=bearer(token),
                                json=fake.new_device().subscription())
    assert response.status_code == 200
    parks = await by_email(council.parks, "parks@council.test")
    case = await raise_case(member, council.overgrown)
    await hand_off(case, council.agent, parks)
    (handoff,) = await outgoing()
    return case, parks, handoff


async def test_a_departments_email_reply_lands_on_the_case_and_alerts_the_member(
        app, handed):
    case, parks, handoff = handed
    before = await Notification.filter(kind=AlertKind.REPLY).count()

    text = ("We cut the grass this morning.\n\n-----Original Message-----\n"
            f"The Customer Hub has passed you case {case.reference}.")
    await send(app, message("Parks@Council.test", f"RE: {handoff.subject}", text,
                            in_reply_to=handoff.message_id))

    reply = await CaseEvent.get(case_id=case.id, kind=EventKind.REPLY)
    assert reply.author_id is None
    assert reply.data == {"text": "We cut the grass this morning.",
                          "department_id": parks.id, "department": parks.name,
                          "by_email": True}
    alerts = await Notification.filter(kind=AlertKind.REPLY)
    assert len(alerts) == before + 1
    assert alerts[-1].payload["reference"] == case.reference
    assert parks.name in str(alerts[-1].payload)
    answered = await Case.get(id=case.id)
    assert answered.acknowledged_at is not None
    assert answered.answered_at == reply.created_at
    (taken,) = await incoming()
    assert taken.department_id == parks.id and taken.state == MailState.RECEIVED


async def test_a_reply_from_an_officers_own_address_threads_onto_the_handoff(
        app, handed):
    case, parks, handoff = handed

    await send(app, message("gardener@parks-contractor.test", "Re: the grass",
                            "Done.", in_reply_to="<unknown@x.test>",
                            references=[handoff.message_id]))

    reply = await CaseEvent.get(case_id=case.id, kind=EventKind.REPLY)
    assert reply.data["department"] == parks.name and reply.data["text"] == "Done."


async def test_a_departments_email_finds_its_case_by_subject_or_reply_address(
        app, handed):
    case, parks, _ = handed

    await send(app, message(parks.email, f"Update on {case.reference}",
                            "Booked for Friday."))
    await send(app, message(parks.email, "Update", "Finished.",
                            to=f"members+{case.reference.lower()}@casehub.localhost"),
               recipients=[f"members+{case.reference.lower()}@casehub.localhost"])

    replies = await CaseEvent.filter(case_id=case.id, kind=EventKind.REPLY).order_by(
        "version")
    assert [r.data["text"] for r in replies] == ["Booked for Friday.", "Finished."]


async def test_a_department_writing_about_a_case_not_handed_to_it_waits(
        app, handed, council):
    _, parks, _ = handed
    other = await raise_case(council.members[1])

    await send(app, message(parks.email, f"About {other.reference}", "Not ours?"))
    await send(app, message(parks.email, "Hello", "No reference at all."))

    rows = await incoming()
    assert [row.state for row in rows] == [MailState.UNMATCHED] * 2
    assert "never handed" in (rows[0].unmatched_reason or "")
    assert "names no case" in (rows[1].unmatched_reason or "")
    assert not await CaseEvent.filter(case_id=other.id, kind=EventKind.REPLY)


async def test_an_out_of_office_is_never_taken_for_a_reply(app, handed):
    case, parks, handoff = handed

    await send(app, message(parks.email, "Out of office", "Back on Monday.",
                            in_reply_to=handoff.message_id,
                            headers={"Auto-Submitted": "auto-replied"}))

    assert not await CaseEvent.filter(case_id=case.id, kind=EventKind.REPLY)
    (taken,) = await incoming()
    assert taken.state == MailState.UNMATCHED
    assert "automatic" in (taken.unmatched_reason or "")
    assert len(await outgoing()) == 1


async def test_a_bounce_is_never_taken_for_a_reply(app, handed):
    case, parks, handoff = handed
    bounce = message(parks.email, "Undeliverable", "Mailbox full.",
                     in_reply_to=handoff.message_id)

    # A bounce comes from the empty sender, MAIL FROM:<>.
    await send(app, bounce.as_bytes(), sender="")

    assert not await CaseEvent.filter(case_id=case.id, kind=EventKind.REPLY)
    assert [row.state for row in await incoming()] == [MailState.UNMATCHED]


async def test_mail_from_unknown_senders_waits_for_the_hub_with_its_files(
        app, council):
    await send(app, message("resident@home.test", "Pothole", "Deep one on Ash Road.",
                            files=[("hole.jpg", "image/jpeg", jpeg())]))

    (taken,) = await incoming()
    assert taken.state == MailState.UNMATCHED and taken.case_id is None
    assert taken.sender == "resident@home.test"
    assert taken.body == "Deep one on Ash Road."
    assert "not a member" in (taken.unmatched_reason or "")
    (file,) = await Attachment.all()
    assert file.mail_id == taken.id and file.case_id is None
    assert await Case.all().count() == 0 and await Contact.all().count() == 0
    # No answer to strangers: that would make casehub a spammer's echo.
    assert await outgoing() == []


async def test_an_inactive_member_is_a_stranger(app, council):
    member = council.members[2]
    member.active = False
    await member.save()

    await send(app, message(member.email))

    assert [row.state for row in await incoming()] == [MailState.UNMATCHED]


async def test_mail_for_another_address_is_refused_with_550(app, council):
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await send(app, message(council.members[0].email),
                   recipients=["hr@casehub.localhost", "members@elsewhere.test"])

    assert [r.code for r in refused.value.recipients] == [550, 550]
    assert await MailMessage.all().count() == 0


async def test_a_message_declared_too_large_is_refused_with_552(app, council):
    async with aiosmtplib.SMTP(hostname="127.0.0.1",
                               port=app.config["MAIL_SERVER"].address[1]) as smtp:
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
            await smtp.mail(council.members[0].email, options=["SIZE=30000000"])

    assert refused.value.code == 552


async def test_a_message_too_large_is_refused_with_552_after_its_data(app, council):
    big = message(council.members[0].email, "Huge",
                  files=[("big.bin", "application/octet-stream",
                          b"\x01" * (19 * 1024 * 1024))])

    # A sender that does not declare the size is refused once it has sent it.
    async with aiosmtplib.SMTP(hostname="127.0.0.1",
                               port=app.config["MAIL_SERVER"].address[1]) as smtp:
        await smtp.mail(council.members[0].email)
        await smtp.rcpt(MAILBOX)
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await smtp.data(big.as_bytes())

    assert refused.value.code == 552
    assert await MailMessage.all().count() == 0


async def test_malformed_mail_is_accepted_and_kept_for_the_hub(app, council):
    raw = (b"From: \"unterminated <nowhere\r\n"
           b"Subject: =?bogus-charset?q?hello?=\r\n"
           b"Content-Type: multipart/mixed; boundary=\"never-closed\"\r\n"
           b"\r\n--never-closed\r\nContent-Type: text/plain; charset=x-unknown\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64 \x00\xff\r\n")

    answer = await send(app, raw, sender="odd@sender.test")

    assert answer.startswith("2.0.0")
    (taken,) = await incoming()
    assert taken.state == MailState.UNMATCHED
    assert "\x00" not in taken.source and "never-closed" in taken.source
    assert taken.message_id.endswith("@no-message-id.casehub>")


async def test_a_message_that_cannot_be_stored_gets_451_and_can_come_again(
        app, council, settings):
    settings.attachment_dir.write_text("not a folder")
    mail = message(council.members[0].email, "Flooding",
                   files=[("drain.pdf", "application/pdf", PDF)])

    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await send(app, mail)
    assert refused.value.code == 451
    assert await MailMessage.all().count() == 0 and await Case.all().count() == 0

    settings.attachment_dir.unlink()
    assert (await send(app, mail)).startswith("2.0.0")
    assert await Case.all().count() == 1


async def test_a_message_sent_twice_is_taken_in_once(app, council):
    mail = message(council.members[0].email, "Dog fouling")

    first = await send(app, mail)
    second = await send(app, mail)

    assert first.startswith("2.0.0") and second.startswith("2.0.0")
    assert await Case.all().count() == 1
    assert len(await incoming()) == 1 and len(await outgoing()) == 1
    assert await Contact.all().count() == 1


async def test_attachment_names_cannot_play_tricks_with_paths(app, council, settings):
    names = ["../../etc/passwd", "..\\..\\boot.ini", "/abs/evil.sh", "CON.txt",
             ".hidden", "a/b/report.pdf", "   ", "tab\there.txt"]
    files = [(name, "application/octet-stream", f"file {i}".encode())
             for i, name in enumerate(names)]

    await send(app, message("stranger@home.test", files=files))

    kept = await Attachment.all().order_by("id")
    assert [f.filename for f in kept] == [
        "passwd", "boot.ini", "evil.sh", "_CON.txt", "hidden", "report.pdf",
        "attachment-8", "tabhere.txt"]
    for number, file in enumerate(kept):
        assert attachments.path_for(settings, file.sha256).read_bytes() == (
            f"file {number}".encode())
    everything = {path.name for path in settings.data_dir.rglob("*")}
    assert not everything & {"passwd", "boot.ini", "evil.sh", "report.pdf"}


async def test_files_past_the_limits_are_left_in_the_message(app, council):
    files = [(f"note{i}.txt", "text/plain", f"note {i}".encode()) for i in range(12)]

    await send(app, message("stranger@home.test", "Many", "See the files.",
                            files=files))

    assert await Attachment.all().count() == 10
    (taken,) = await incoming()
    assert "left out 2 attachments" in taken.body
    assert "note11.txt" in taken.source


async def test_an_html_only_email_is_read_as_text(app, council):
    mail = message(council.members[0].email, "Lights")
    mail.set_content("<html><head><style>p{}</style></head><body><p>Light "
                     "<b>out</b></p><p>on Oak Road</p></body></html>", subtype="html")

    await send(app, mail)

    case = await Case.get()
    assert case.description == "Lights\n\nLight out\n\non Oak Road"


async def test_the_mail_server_is_off_unless_asked_for(settings):
    application = create_app(dataclasses.replace(settings, smtp_listen=None))

    async with application.test_app():
        assert application.config["MAIL_SERVER"] is None


async def test_a_forwarded_message_opens_a_case_with_all_of_it(app, council):
    text = ("Please see below from a constituent.\n\n"
            "________________________________\nFrom: Pat <pat@home.test>\n"
            "Sent: 2 December 2026 18:00\n\nThe lamp at 4 Elm Street is out.")

    await send(app, message(council.members[0].email, "Fw: street light", text))

    case = await Case.get()
    assert case.description.endswith("The lamp at 4 Elm Street is out.")


async def test_a_sentence_starting_with_on_is_not_taken_for_a_quote(app, council):
    member = council.members[0]
    case = await raise_case(member)

    await send(app, message(member.email, f"Re {case.reference}",
                            "On Monday the crew came.\nMy neighbour wrote:\n"
                            "thank you all."))

    note = await CaseEvent.get(case_id=case.id, kind=EventKind.NOTE)
    assert note.data["text"].endswith("thank you all.")
