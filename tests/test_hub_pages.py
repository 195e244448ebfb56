"""The hub's lists as pages: the queue and its live updates, a department's
cases and the escalations, with who may see each."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from server import casework
from server.hub import actions, live
from server.mail.models import MailDirection, MailMessage, MailState
from server.models import Case, Channel, Priority, Status
from server.routes.rendering import span
from tests.factories import make_council
from tests.staff_forms import (
    ESCAPED,
    SCRIPT,
    as_staff,
    error_summary,
    field_error,
    notices,
    page,
    second_agent,
    submit,
)
from tests.test_hub_actions import act, raise_case


async def test_the_queue_shows_each_case_with_what_the_hub_needs(client):
    council = await make_council()
    case = await raise_case(council)
    late = await raise_case(council, channel=Channel.PHONE, author=council.agent)
    await Case.filter(id=late.id).update(
        category_id=None, priority=Priority.URGENT,
        acknowledge_by=datetime.now(UTC) - timedelta(hours=2))
    await act(case, lambda w, c: actions.assign(w, c, council.supervisor,
                                                council.supervisor))
    await as_staff(client, council.agent)

    status, text = await page(client, "/staff/queue")

    assert status == 200
    assert "2 cases need the hub, <strong>1 overdue</strong>" in text
    assert text.index(late.reference) < text.index(case.reference)
    row = text[text.index(f'id="row-{late.reference}"'):
               text.index(f'id="row-{case.reference}"')]
    for shown in ("phone", "<em>Not sorted</em>", "Member 0, Botanic",
                  '<strong class="tag overdue-tag">Overdue</strong>',
                  "Acknowledge by", "urgent", "Nobody", "Take<span"):
        assert shown in row, shown
    taken = text[text.index(f'id="row-{case.reference}"'):]
    assert "Fly-tipping" in taken
    assert "Supervisor" in taken
    assert "Take<span" not in taken.split("</tr>")[0]


async def test_the_queue_counts_unmatched_mail_and_links_to_it(client):
    council = await make_council()
    await MailMessage.create(
        message_id="<1@mail.test>", direction=MailDirection.IN,
        state=MailState.UNMATCHED, sender="a@mail.test", recipient="m@hub.test",
        subject="Bins", body="", source="", created_at=datetime.now(UTC))
    await as_staff(client, council.agent)

    _, text = await page(client, "/staff/queue")

    assert '<a href="/staff/mail">1 unmatched email</a>' in text


async def test_the_queue_filters_and_keeps_the_filters_shown(client):
    council = await make_council()
    app = await raise_case(council)
    phoned = await raise_case(council, channel=Channel.PHONE, author=council.agent)
    await act(app, lambda w, c: actions.assign(w, c, council.agent, council.agent))
    await as_staff(client, council.agent)

    _, by_channel = await page(client, "/staff/queue?channel=phone")
    _, mine = await page(client, "/staff/queue?who=mine")
    _, found = await page(client, f"/staff/queue?q={phoned.reference[-3:]}")
    _, overdue = await page(client, "/staff/queue?overdue=1")

    assert phoned.reference in by_channel and app.reference not in by_channel
    assert '<option value="phone" selected>' in by_channel
    assert app.reference in mine and phoned.reference not in mine
    assert phoned.reference in found and app.reference not in found
    assert "No cases match." in overdue
    assert 'id="filters-overdue" name="overdue" type="checkbox" value="1" checked' in (
        overdue)


@pytest.mark.parametrize(("query", "field"), [
    ("channel=pigeon", "filters-channel"), ("status=lost", "filters-status"),
    ("category=fish", "filters-category"), ("who=everyone", "filters-who"),
    ("q=" + "x" * 101, "filters-q"),
])
async def test_a_filter_not_on_offer_is_named_and_dropped(client, query, field):
    council = await make_council()
    case = await raise_case(council)
    await as_staff(client, council.agent)

    status, text = await page(client, f"/staff/queue?{query}")

    assert status == 400
    assert error_summary(text)[0] == field
    assert case.reference in text


async def test_taking_a_case_opens_it_and_a_second_agent_hears_who_has_it(client):
    council = await make_council()
    case = await raise_case(council)
    other = await second_agent()
    await as_staff(client, council.agent)

    status, _, location = await submit(client, "/staff/queue/take", {
        "reference": case.reference, "filters": "who=unassigned"})
    assert (status, location) == (302, f"/staff/cases/{case.reference}")
    assert notices((await page(client, location))[1]) == [
        f"You have taken case {case.reference}."]

    await as_staff(client, other)
    status, text, _ = await submit(client, "/staff/queue/take", {
        "reference": case.reference, "filters": "who=unassigned"})
    assert status == 409
    assert error_summary(text) == (
        f"take-{case.reference}-form",
        f"Agent has already taken case {case.reference}.")
    assert '<option value="unassigned" selected>' in text
    assert (await Case.get(id=case.id)).assigned_to_id == council.agent.id


async def test_taking_without_the_form_token_is_refused(client):
    council = await make_council()
    case = await raise_case(council)
    await as_staff(client, council.agent)

    status, text, _ = await submit(client, "/staff/queue/take",
                                   {"reference": case.reference}, token=False)

    assert status == 403
    assert "This form has expired" in text
    assert (await Case.get(id=case.id)).assigned_to_id is None


async def test_the_rows_alone_come_back_for_the_page_to_swap_in(client):
    council = await make_council()
    case = await raise_case(council)
    await as_staff(client, council.agent)

    response = await client.get("/staff/queue/rows?channel=app")
    text = await response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert case.reference in text
    assert "<html" not in text
    assert 'name="filters" value="channel=app"' in text


async def read_event(connection, wanted: str, seconds: float = 5) -> str:
    """Read the stream until a block holding `wanted` arrives."""
    received = ""
    async with asyncio.timeout(seconds):
        while wanted not in received:
            received += (await connection.receive()).decode()
    return received


async def test_the_event_stream_tells_the_page_of_a_change_made_anywhere(client):
    council = await make_council()
    await as_staff(client, council.agent)
    _, text = await page(client, "/staff/queue")
    assert 'data-events="/staff/queue/events?since=' in text

    async with client.request("/staff/queue/events") as connection:
        await connection.send_complete()
        opening = await read_event(connection, "retry:")
        # Written straight to the database, as another server process would.
        case = await raise_case(council)
        changed = await read_event(connection, "event: changed")
        await connection.disconnect()

    assert "retry: 2000" in opening
    assert connection.status_code == 200
    assert connection.headers["Content-Type"].startswith("text/event-stream")
    version = int(changed.split("data: ")[1].split("\n")[0])
    assert f"id: {version}" in changed
    assert case.reference


async def test_a_page_that_listens_late_still_hears_what_it_missed(client):
    council = await make_council()
    await as_staff(client, council.agent)
    drawn = await live.feed_version()
    await raise_case(council)

    async with client.request(f"/staff/queue/events?since={drawn}") as connection:
        await connection.send_complete()
        since_page = await read_event(connection, "event: changed")
        await connection.disconnect()
    async with client.request("/staff/queue/events",
                              headers={"Last-Event-ID": str(drawn)}) as connection:
        await connection.send_complete()
        since_last = await read_event(connection, "event: changed")
        await connection.disconnect()

    assert "event: changed" in since_page
    assert "event: changed" in since_last


async def test_the_event_stream_is_for_hub_staff_only(client):
    council = await make_council()

    signed_out = await client.get("/staff/queue/events")
    await as_staff(client, council.officer)
    officer = await client.get("/staff/queue/events")

    assert signed_out.status_code == 302
    assert officer.status_code == 403


@pytest.mark.parametrize(("who", "path"), [
    ("officer", "/staff/queue"), ("trainer", "/staff/queue"),
    ("officer", "/staff/queue/rows"), ("trainer", "/staff/escalations"),
    ("agent", "/staff/escalations"), ("officer", "/staff/escalations"),
    ("agent", "/staff/department"), ("supervisor", "/staff/department"),
])
async def test_each_list_refuses_the_roles_it_is_not_for(client, who, path):
    council = await make_council()
    await as_staff(client, getattr(council, who))

    status, text = await page(client, path)

    assert status == 403
    assert "<h1>Not allowed</h1>" in text
    assert "This needs one of these roles" in text


@pytest.mark.parametrize("path", ["/staff/queue", "/staff/department",
                                  "/staff/escalations", "/staff/queue/rows"])
async def test_every_list_asks_a_visitor_to_sign_in(client, path):
    response = await client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in?next=")


async def test_an_officer_sees_their_department_s_cases_only(client):
    council = await make_council()
    ours, theirs, waiting = [await raise_case(council) for _ in range(3)]
    await act(ours, lambda w, c: casework.hand_off(w, c, council.agent,
                                                   council.cleansing))
    await act(theirs, lambda w, c: casework.hand_off(w, c, council.agent,
                                                     council.parks))
    await Case.filter(id=ours.id).update(acknowledged_at=None, acknowledge_by=(
        datetime.now(UTC) - timedelta(hours=1)))
    await as_staff(client, council.officer)

    status, text = await page(client, "/staff/department")

    assert status == 200
    assert "<h1>Cleansing and Waste cases</h1>" in text
    assert ours.reference in text
    assert theirs.reference not in text and waiting.reference not in text
    assert "with department" in text
    assert "Overdue</strong>" in text


async def test_escalations_show_why_each_case_was_escalated(client):
    council = await make_council()
    case = await raise_case(council)
    await act(case, lambda w, c: actions.escalate(w, c, [
        "not acknowledged in time"]))
    await as_staff(client, council.supervisor)

    status, text = await page(client, "/staff/escalations")

    assert status == 200
    assert case.reference in text
    assert "not acknowledged in time" in text
    assert "1 open case missed a target and was escalated" in text


async def test_every_list_escapes_what_people_typed(client):
    council = await make_council()
    case = await raise_case(council)
    council.members[0].name = SCRIPT
    await council.members[0].save()
    await Case.filter(id=case.id).update(description=SCRIPT)
    await act(case, lambda w, c: actions.escalate(w, c, [SCRIPT]))
    other = await raise_case(council)
    await Case.filter(id=other.id).update(description=SCRIPT)
    await act(other, lambda w, c: casework.hand_off(w, c, council.agent,
                                                    council.cleansing))

    pages = []
    await as_staff(client, council.supervisor)
    pages += [(await page(client, path))[1] for path in (
        "/staff/queue", "/staff/queue/rows", "/staff/escalations")]
    await as_staff(client, council.officer)
    pages.append((await page(client, "/staff/department"))[1])

    for text in pages:
        assert SCRIPT not in text
        assert ESCAPED in text


async def test_a_closed_case_leaves_the_queue(client):
    council = await make_council()
    case = await raise_case(council)
    await act(case, lambda w, c: casework.change_status(w, c, council.agent,
                                                        Status.CLOSED))
    await as_staff(client, council.agent)

    _, text = await page(client, "/staff/queue")

    assert case.reference not in text
    assert "0 cases need the hub" in text
    assert field_error(text, "filters-channel") is None


def test_lengths_of_time_read_in_words_and_never_break_across_lines():
    assert [span(minutes) for minutes in (0, 59, 125, 11 * 60 + 5, 3 * 24 * 60)] == [
        "0\u00a0min", "59\u00a0min", "2\u00a0h\u00a05\u00a0min", "11\u00a0h",
        "3\u00a0days"]
