"""The hub's mail page: sorting what no rule could place, and who may see it."""

from __future__ import annotations

import re

import pytest
from tortoise.transactions import in_transaction

from server.hub.models import Contact
from server.mail import outbox
from server.mail.models import Attachment, MailDirection, MailMessage, MailState
from server.models import Case, CaseEvent, CasePhoto, Channel, EventKind
from tests.factories import make_council, sign_in
from tests.mailing import hand_off, jpeg, listening, message, raise_case, send

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def settings(settings):
    return listening(settings)


@pytest.fixture
async def council(app):
    return await make_council()


@pytest.fixture
async def stray(app, council):
    """An email from a resident, with a letter and a photo, waiting to be sorted."""
    await send(app, message("resident@home.test", "Broken swing",
                            "The swing in Ormeau Park is broken.\n\nThanks, Sam",
                            files=[("letter.pdf", "application/pdf", PDF),
                                   ("swing.jpg", "image/jpeg", jpeg())]))
    return await MailMessage.get(direction=MailDirection.IN)


async def page(client, path: str) -> tuple[int, str]:
    response = await client.get(path)
    return response.status_code, await response.get_data(as_text=True)


async def post(client, path: str, **fields: str):
    _, text = await page(client, "/staff/mail")
    token = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert token, text
    return await client.post(path, form={"csrf_token": token[1], **fields})


async def test_hub_staff_read_unmatched_mail_and_its_files(client, council, stray):
    await sign_in(client, council.agent)

    status, listing = await page(client, "/staff/mail")
    assert status == 200
    assert "Broken swing" in listing and "resident@home.test" in listing
    assert "with 2 files" in listing and "not a member" in listing

    status, shown = await page(client, f"/staff/mail/{stray.id}")
    assert status == 200
    assert "The swing in Ormeau Park is broken." in shown and "Thanks, Sam" in shown
    letter = await Attachment.get(mail_id=stray.id, filename="letter.pdf")
    assert f"/staff/mail/attachments/{letter.id}" in shown

    response = await client.get(f"/staff/mail/attachments/{letter.id}")
    assert response.status_code == 200
    assert await response.get_data() == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="letter.pdf"')


async def test_opening_a_case_for_a_member_from_unmatched_mail(client, council,
                                                               stray):
    await sign_in(client, council.agent)
    member = council.members[1]

    response = await post(client, f"/staff/mail/{stray.id}/open-case",
                          member_id=str(member.id), kind="service_request")

    assert response.status_code == 302
    case = await Case.get()
    assert case.member_id == member.id and case.channel == Channel.EMAIL
    assert case.kind.value == "service_request"
    assert case.description.startswith("Broken swing\n\nThe swing in Ormeau Park")
    contact = await Contact.get(case_id=case.id)
    assert contact.agent_id == council.agent.id
    assert contact.source == "resident@home.test"
    sorted_mail = await MailMessage.get(id=stray.id)
    assert sorted_mail.state == MailState.RECEIVED
    assert sorted_mail.case_id == case.id
    assert sorted_mail.sorted_by_id == council.agent.id
    assert await Attachment.filter(case_id=case.id).count() == 2
    assert await CasePhoto.filter(case_id=case.id).count() == 1
    status, listing = await page(client, "/staff/mail")
    assert status == 200
    assert f"is now case {case.reference}" in listing
    assert "No email is waiting to be sorted." in listing


async def test_adding_unmatched_mail_to_a_case_by_its_reference(client, council,
                                                                stray):
    case = await raise_case(council.members[0])
    await sign_in(client, council.supervisor)

    response = await post(client, f"/staff/mail/{stray.id}/add-to-case",
                          reference=case.reference.lower())

    assert response.status_code == 302
    event = await CaseEvent.get(case_id=case.id, kind=EventKind.CONTACT)
    assert event.author_id == council.supervisor.id
    assert event.data["channel"] == "email"
    assert event.data["notes"].startswith("The swing in Ormeau Park is broken.")
    assert not event.member_visible
    contact = await Contact.get(case_id=case.id, channel=Channel.EMAIL)
    assert contact.agent_id == council.supervisor.id
    assert await CasePhoto.filter(case_id=case.id).count() == 1
    assert (await MailMessage.get(id=stray.id)).case_id == case.id


@pytest.mark.parametrize(("reference", "says"), [
    ("CH-12", "Enter a case reference"),
    ("CH-999999", "There is no case CH-999999"),
])
async def test_a_wrong_reference_is_named_on_the_form(client, council, stray,
                                                      reference, says):
    await sign_in(client, council.agent)

    response = await post(client, f"/staff/mail/{stray.id}/add-to-case",
                          reference=reference)

    text = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'role="alert"' in text and '<a href="#reference">' in text
    assert says in text and 'aria-invalid="true"' in text
    assert f'value="{reference.upper()}"' in text or f'value="{reference}"' in text
    assert (await MailMessage.get(id=stray.id)).state == MailState.UNMATCHED


async def test_opening_a_case_needs_a_member(client, council, stray):
    await sign_in(client, council.agent)

    response = await post(client, f"/staff/mail/{stray.id}/open-case",
                          member_id=str(council.officer.id))

    text = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose the member the case is for." in text
    assert await Case.all().count() == 0


async def test_dismissing_needs_a_reason_and_keeps_the_mail(client, council, stray):
    await sign_in(client, council.agent)

    empty = await post(client, f"/staff/mail/{stray.id}/dismiss", reason="  ")
    done = await post(client, f"/staff/mail/{stray.id}/dismiss",
                      reason="A duplicate of a call we took")

    assert empty.status_code == 422
    assert "why this email needs nothing doing" in await empty.get_data(as_text=True)
    assert done.status_code == 302
    kept = await MailMessage.get(id=stray.id)
    assert kept.state == MailState.DISMISSED
    assert kept.dismissal_reason == "A duplicate of a call we took"
    assert kept.sorted_by_id == council.agent.id and kept.source
    _, shown = await page(client, f"/staff/mail/{stray.id}")
    assert "A duplicate of a call we took, by Agent" in shown
    assert "Open the case" not in shown


async def test_an_email_is_sorted_only_once(client, council, stray):
    await sign_in(client, council.agent)
    await post(client, f"/staff/mail/{stray.id}/dismiss", reason="Spam")

    again = await post(client, f"/staff/mail/{stray.id}/open-case",
                       member_id=str(council.members[0].id))

    assert again.status_code == 409
    assert "already sorted" in await again.get_data(as_text=True)
    assert await Case.all().count() == 0


async def test_every_form_needs_its_csrf_token(client, council, stray):
    await sign_in(client, council.agent)

    for action, fields in [("open-case", {"member_id": str(council.members[0].id)}),
                           ("add-to-case", {"reference": "CH-100001"}),
                           ("dismiss", {"reason": "Spam"}),
                           ("send-again", {})]:
        response = await client.post(f"/staff/mail/{stray.id}/{action}",
                                     form={"csrf_token": "forged", **fields})
        assert response.status_code == 403
        assert (await response.get_json())["code"] == "csrf_failed"
    assert (await MailMessage.get(id=stray.id)).state == MailState.UNMATCHED


@pytest.mark.parametrize("who", ["officer", "parks_officer", "trainer"])
async def test_officers_and_trainers_never_see_unmatched_mail(client, council,
                                                              stray, who):
    await sign_in(client, getattr(council, who))
    letter = await Attachment.get(mail_id=stray.id, filename="letter.pdf")

    listing, _ = await page(client, "/staff/mail")
    reading, text = await page(client, f"/staff/mail/{stray.id}")
    fetching = await client.get(f"/staff/mail/attachments/{letter.id}")
    dismissing = await client.post(f"/staff/mail/{stray.id}/dismiss",
                                   form={"reason": "mine now"})

    assert (listing, reading, dismissing.status_code) == (403, 403, 403)
    assert "sorted by hub staff" in text and "Broken swing" not in text
    assert fetching.status_code == 404
    assert (await MailMessage.get(id=stray.id)).state == MailState.UNMATCHED


async def test_without_signing_in_the_page_asks_for_it(client, council, stray):
    response = await client.get("/staff/mail")
    fetching = await client.get("/staff/mail/attachments/1")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/sign-in")
    assert fetching.status_code == 401


async def test_a_cases_files_are_for_those_who_may_see_the_case(app, client,
                                                                council):
    member = council.members[0]
    await send(app, message(member.email, "Bins", "See the photo.",
                            files=[("bins.pdf", "application/pdf", PDF)]))
    case = await Case.get()
    await hand_off(case, council.agent, council.cleansing)
    letter = await Attachment.get(case_id=case.id)
    path = f"/staff/mail/attachments/{letter.id}"

    await sign_in(client, council.officer)
    officer = await client.get(path)
    await sign_in(client, council.parks_officer)
    other_department = await client.get(path)
    await sign_in(client, council.trainer)
    trainer = await client.get(path)

    assert officer.status_code == 200 and await officer.get_data() == PDF
    assert other_department.status_code == 404
    assert trainer.status_code == 404


async def test_a_download_cannot_run_in_the_browser(client, council, app):
    evil = b"<script>alert(1)</script>"
    await send(app, message("resident@home.test",
                            files=[('rëport "x";.html', "text/html", evil)]))
    await sign_in(client, council.agent)
    file = await Attachment.get()

    response = await client.get(f"/staff/mail/attachments/{file.id}")

    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"rport x.html\"; "
        "filename*=UTF-8''r%C3%ABport%20x%3B.html")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


async def test_mail_that_failed_can_be_sent_again(client, council):
    async with in_transaction() as connection:
        row = await outbox.queue(connection, outbox.compose(
            "roads@council.test", "Hand-off", "Body"))
    await MailMessage.filter(id=row.id).update(
        state=MailState.FAILED, attempts=1,
        last_error="the relay answered 550 5.1.1 No such user here")
    await sign_in(client, council.agent)

    _, listing = await page(client, "/staff/mail")
    response = await post(client, f"/staff/mail/{row.id}/send-again")

    assert "550 5.1.1 No such user here" in listing and "Send again" in listing
    assert response.status_code == 302
    again = await MailMessage.get(id=row.id)
    assert again.state == MailState.QUEUED and again.attempts == 0
