"""The rollout's staff pages: who may open them, their forms, and what
they never show."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from PIL import Image

from server.mail.models import MailMessage
from server.models import EnrollmentCode, Role, User
from server.rollout import booking
from server.rollout.models import Booking, TrainingSlot
from sync.models import Device
from tests.factories import (
    bearer,
    enroll,
    make_council,
    new_case,
    push,
    sign_in,
)
from tests.training import slot, soon

PAGES = ["/staff/training/", "/staff/training/slots", "/staff/training/bookings",
         "/staff/training/members", "/staff/training/briefings",
         "/staff/training/feedback", "/staff/training/adoption",
         "/staff/training/feedback.csv", "/staff/training/adoption.csv"]


async def csrf(client, path="/staff/training/"):
    text = await (await client.get(path)).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


async def text_of(response):
    return await response.get_data(as_text=True)


async def test_every_page_opens_for_the_team(client):
    council = await make_council()
    for user in (council.trainer, council.admin):
        await sign_in(client, user)
        for path in PAGES:
            response = await client.get(path)
            assert response.status_code == 200, (user.email, path,
                                                  await text_of(response))


async def test_the_pages_refuse_those_they_are_not_for(client):
    council = await make_council()
    response = await client.get("/staff/training/members")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/sign-in")

    await sign_in(client, council.agent)
    assert (await client.get("/staff/training/bookings")).status_code == 200
    home = await text_of(await client.get("/staff/training/"))
    assert "Bookings" in home and "Members&#39; phones" not in home
    for path in [*PAGES[3:], "/staff/training/slots"]:
        assert (await client.get(path)).status_code == 403, path

    await sign_in(client, council.officer)
    for path in PAGES:
        assert (await client.get(path)).status_code == 403, path


async def test_a_trainer_sees_only_their_group_and_those_they_train(client, settings):
    council = await make_council()
    mine, also_mine, other = council.members
    await User.filter(id__in=[mine.id, also_mine.id]).update(
        trainer_id=council.trainer.id)
    await sign_in(client, council.trainer)

    listed = await text_of(await client.get("/staff/training/members"))
    assert mine.name in listed and also_mine.name in listed
    assert other.name not in listed
    assert (await client.get(f"/staff/training/members/{other.id}")).status_code == 404
    assert (await client.get(
        f"/staff/training/members/{other.id}/checklist")).status_code == 404

    # At a slot, the trainer helps whoever booked it.
    await booking.book(settings, other, (await slot(council.trainer)).id)
    assert (await client.get(f"/staff/training/members/{other.id}")).status_code == 200

    await sign_in(client, council.admin)
    listed = await text_of(await client.get("/staff/training/members"))
    assert all(member.name in listed for member in council.members)


async def test_trainers_never_see_what_a_case_says(client):
    council = await make_council()
    member = council.members[0]
    await User.filter(id=member.id).update(trainer_id=council.trainer.id)
    token = await enroll(client, member)
    secret = "Damp in the back bedroom of number 14"
    raised = new_case(council.fly_tipping, 1, description=secret,
                      constituent={"name": "Bridget Quinlan"})
    assert (await (await push(client, token, [raised])).get_json())["results"][0][
        "status"] == "applied"
    await sign_in(client, council.trainer)

    seen = [await text_of(await client.get(path)) for path in (
        "/staff/training/members", f"/staff/training/members/{member.id}",
        f"/staff/training/members/{member.id}/checklist", "/staff/training/adoption",
        "/staff/training/adoption.csv")]
    for text in seen:
        assert secret not in text and "Bridget" not in text and "CH-" not in text
    cases = await client.get("/api/staff/cases")
    assert cases.status_code == 403


async def test_publishing_a_slot_through_the_form(client):
    council = await make_council()
    await sign_in(client, council.trainer)
    token = await csrf(client, "/staff/training/slots")
    when = soon(days=5)

    response = await client.post("/staff/training/slots", form={
        "csrf_token": token, "date": when.date().isoformat(), "time": "25:00",
        "minutes": "30", "place": "Room 2"})
    page = await text_of(response)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in page and "14:30" in page
    assert 'value="Room 2"' in page

    response = await client.post("/staff/training/slots", form={
        "csrf_token": token, "date": when.date().isoformat(), "time": "10:00",
        "minutes": "45", "place": "Room 2"})
    assert response.status_code == 302
    made = await TrainingSlot.get()
    assert made.minutes == 45 and made.trainer_id == council.trainer.id
    assert made.starts_at.astimezone().tzinfo is not None
    listed = await text_of(await client.get("/staff/training/slots?done=published"))
    assert "The slot is published" in listed and "Room 2" in listed

    refused = await client.post("/staff/training/slots", form={
        "date": when.date().isoformat(), "time": "12:00", "minutes": "30",
        "place": "Room 2"})
    assert refused.status_code == 403
    assert await TrainingSlot.all().count() == 1


async def test_the_hub_books_moves_and_cancels_for_a_member(client):
    council = await make_council()
    member = council.members[0]
    first = await slot(council.trainer)
    second = await slot(council.trainer, soon(days=6))
    await sign_in(client, council.agent)
    token = await csrf(client, "/staff/training/bookings")

    response = await client.post("/staff/training/bookings", form={
        "csrf_token": token, "member": str(member.id), "slot": str(first.id)})
    assert response.status_code == 302
    made = await Booking.get()
    assert made.booked_by_id == council.agent.id and made.slot_id == first.id

    again = await client.post("/staff/training/bookings", form={
        "csrf_token": token, "member": str(member.id), "slot": str(second.id)})
    assert again.status_code == 409
    assert "already has a training booking" in await text_of(again)

    moved = await client.post(f"/staff/training/bookings/{made.id}/move", form={
        "csrf_token": token, "slot": str(second.id)})
    assert moved.status_code == 302
    assert (await Booking.get()).slot_id == second.id
    cancelled = await client.post(f"/staff/training/bookings/{made.id}/cancel",
                                  form={"csrf_token": token})
    assert cancelled.status_code == 302
    assert await booking.live_booking(member.id) is None
    assert await MailMessage.filter(user_id=member.id).count() == 3


async def test_a_slot_that_has_been_held_is_listed_without_move_or_cancel(
        client, settings):
    council = await make_council()
    coming, past = await slot(council.trainer), await slot(council.trainer, soon(4))
    for member, held in ((council.members[0], coming), (council.members[1], past)):
        await booking.book(settings, member, held.id)
    await TrainingSlot.filter(id=past.id).update(
        starts_at=datetime.now(UTC) - timedelta(days=2))
    await Booking.filter(slot_id=past.id).update(trained_at=datetime.now(UTC))
    await sign_in(client, council.agent)

    page = await text_of(await client.get("/staff/training/bookings"))

    booked, held = page.split("<h2>Held</h2>")
    assert council.members[0].name in booked and council.members[1].name in held
    assert council.members[1].name not in booked
    assert "/move" not in held and "/cancel" not in held
    assert "<td>Yes</td>" in held


async def test_inviting_members_to_book_emails_each_their_own_link(client, settings):
    council = await make_council()
    await booking.book(settings, council.members[0],
                       (await slot(council.trainer)).id)
    await sign_in(client, council.trainer)
    token = await csrf(client, "/staff/training/bookings")

    response = await client.post("/staff/training/invitations", form={
        "csrf_token": token, "invite": "all"})
    assert response.status_code == 302
    invited = await MailMessage.filter(subject="Book your casehub training")
    assert sorted(mail.user_id for mail in invited) == sorted(
        member.id for member in council.members[1:])
    links = {re.search(r"/training/book/(\S+)", mail.body).group(1)
             for mail in invited}
    assert len(links) == 2


async def test_a_join_code_shows_as_a_qr_code_that_opens_the_join_page(client):
    council = await make_council()
    member = council.members[0]
    await User.filter(id=member.id).update(trainer_id=council.trainer.id)
    await sign_in(client, council.trainer)
    token = await csrf(client, f"/staff/training/members/{member.id}")
    assert (await client.get(
        f"/staff/training/members/{member.id}/code.png")).status_code == 404

    response = await client.post(f"/staff/training/members/{member.id}/code",
                                 form={"csrf_token": token})
    assert response.status_code == 302
    page = await text_of(await client.get(f"/staff/training/members/{member.id}"))
    code = re.search(r'id="shown-code">([0-9A-Z]{4}-[0-9A-Z]{4})<', page).group(1)
    image = await client.get(f"/staff/training/members/{member.id}/code.png")
    assert image.content_type == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(await image.get_data())))
    assert [found.text for found in decoded] == [
        f"http://127.0.0.1:8000/#join={code}"]

    joined = await client.post("/api/devices/enroll",
                               json={"code": code, "device_name": "Pixel"})
    assert joined.status_code == 201
    page = await text_of(await client.get(f"/staff/training/members/{member.id}"))
    assert code not in page and "Pixel" in page
    assert (await client.get(
        f"/staff/training/members/{member.id}/code.png")).status_code == 404
    reused = await client.post("/api/devices/enroll", json={"code": code})
    assert (await reused.get_json())["code"] == "code_used"


async def test_the_checklist_ticks_from_the_phones_report(client):
    council = await make_council()
    member = council.members[0]
    await User.filter(id=member.id).update(trainer_id=council.trainer.id)
    phone = await enroll(client, member)
    await sign_in(client, council.trainer)
    path = f"/staff/training/members/{member.id}/checklist"

    [before] = (await (await client.get(path)).get_json())["phones"]
    assert not any(before["steps"].values())
    await client.put("/api/devices/report", headers=bearer(phone), json={
        "platform": "android", "installed": True, "notifications": "granted",
        "push_subscribed": False, "pending_changes": 2, "storage_persisted": True,
        "first_sync_at": "2026-12-03T10:00:00Z"})

    [after] = (await (await client.get(path)).get_json())["phones"]
    assert after["steps"] == {"installed": True, "push_subscribed": False,
                              "test_push_received": False, "first_sync": True,
                              "storage_persisted": True}
    page = await text_of(await client.get(f"/staff/training/members/{member.id}"))
    assert 'class="yes" data-step="installed"' in page
    assert 'class="no" data-step="test_push_received"' in page
    listed = await text_of(await client.get("/staff/training/members"))
    assert "3 of 5" in listed and "Kept" in listed


async def test_revoking_a_lost_phone_needs_a_tick_and_wipes_it(client):
    council = await make_council()
    member = council.members[0]
    await User.filter(id=member.id).update(trainer_id=council.trainer.id)
    phone = await enroll(client, member)
    device = await Device.get()
    await sign_in(client, council.trainer)
    token = await csrf(client, f"/staff/training/members/{member.id}")

    unticked = await client.post(f"/staff/training/devices/{device.id}/revoke",
                                 form={"csrf_token": token})
    assert unticked.status_code == 422
    assert "Tick the box" in await text_of(unticked)
    assert (await client.get("/api/me", headers=bearer(phone))).status_code == 200

    ticked = await client.post(f"/staff/training/devices/{device.id}/revoke",
                               form={"csrf_token": token, "confirm": "yes"})
    assert ticked.status_code == 302
    refused = await client.get("/api/me", headers=bearer(phone))
    assert refused.status_code == 403
    assert (await refused.get_json())["wipe"] is True


async def test_a_test_alert_needs_alerts_turned_on(client):
    council = await make_council()
    member = council.members[0]
    await User.filter(id=member.id).update(trainer_id=council.trainer.id)
    await enroll(client, member)
    device = await Device.get()
    await sign_in(client, council.trainer)
    token = await csrf(client, f"/staff/training/members/{member.id}")

    response = await client.post(f"/staff/training/devices/{device.id}/test-push",
                                 form={"csrf_token": token})
    assert response.status_code == 409
    assert "turn alerts on" in await text_of(response)


@pytest.mark.parametrize("role", [Role.TRAINER, Role.HUB_AGENT])
async def test_someone_elses_phone_is_not_found(client, role):
    council = await make_council()
    await enroll(client, council.members[2])
    device = await Device.get()
    user = council.trainer if role == Role.TRAINER else council.agent
    await sign_in(client, user)
    token = await csrf(client, "/staff/training/")

    response = await client.post(f"/staff/training/devices/{device.id}/revoke",
                                 form={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == (404 if role == Role.TRAINER else 403)
    assert (await Device.get()).revoked_at is None


async def test_an_expired_join_code_is_no_longer_shown_or_accepted(client):
    council = await make_council()
    member = council.members[0]
    await User.filter(id=member.id).update(trainer_id=council.trainer.id)
    await sign_in(client, council.trainer)
    token = await csrf(client, f"/staff/training/members/{member.id}")
    await client.post(f"/staff/training/members/{member.id}/code",
                      form={"csrf_token": token})
    page = await text_of(await client.get(f"/staff/training/members/{member.id}"))
    code = re.search(r'id="shown-code">([0-9A-Z-]{9})<', page).group(1)

    await EnrollmentCode.filter(user_id=member.id).update(
        expires_at=datetime.now(UTC) - timedelta(minutes=1))

    page = await text_of(await client.get(f"/staff/training/members/{member.id}"))
    assert code not in page and "No code is showing" in page
    refused = await client.post("/api/devices/enroll", json={"code": code})
    assert (await refused.get_json())["code"] == "code_expired"
    # A new code replaces it, and the old one stays refused.
    await client.post(f"/staff/training/members/{member.id}/code",
                      form={"csrf_token": token})
    page = await text_of(await client.get(f"/staff/training/members/{member.id}"))
    assert re.search(r'id="shown-code">([0-9A-Z-]{9})<', page).group(1) != code
