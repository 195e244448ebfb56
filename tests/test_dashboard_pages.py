"""The dashboard and member profile pages: who may see them, ranges, CSV, sorting."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest

from server.errors import ApiError
from server.hub.dashboard_range import DateRange, parse_range, quick_choices
from server.models import Channel, Status
from sync.models import Device
from tests.factories import PASSWORD, Council, make_council, sign_in
from tests.hub_history import case, contact, handoff, local, utc

JULY = "from=2026-07-01&to=2026-07-02"
PAGES = ("/staff/dashboard", "/staff/members")
EXPORTS = ("/staff/dashboard/days.csv", "/staff/dashboard/summary.csv",
           "/staff/dashboard/handoffs.csv", "/staff/members.csv")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def body(response) -> str:
    return await response.get_data(as_text=True)


async def hub_history(council: Council) -> None:
    """Two July days: calls, emails and app cases from two members."""
    one, two, _ = council.members
    await contact(utc("2026-06-30 23:30"), Channel.PHONE, one)  # 1 July locally
    await contact(local("2026-07-01 09:00"), Channel.EMAIL, one)
    await contact(local("2026-07-01 10:00"), Channel.EMAIL, two)
    await contact(local("2026-07-02 11:00"), Channel.APP, two)
    await contact(local("2026-07-03 11:00"), Channel.APP, two)  # after the range
    raised = await case(local("2026-07-01 09:00"), member=one,
                        status=Status.WITH_DEPARTMENT,
                        acknowledge_by=local("2026-07-01 17:00"),
                        acknowledged_at=local("2026-07-01 10:30"),
                        response_seconds=5400, response_working_seconds=5400)
    await case(local("2026-07-02 09:00"), member=one, status=Status.CLOSED)
    await case(local("2026-07-02 09:30"), member=two, status=Status.RESOLVED)
    await handoff(local("2026-07-01 11:00"), raised, council.cleansing)


@pytest.mark.parametrize("path", PAGES)
async def test_pages_send_anyone_not_signed_in_to_sign_in(client, path):
    response = await client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/sign-in")


@pytest.mark.parametrize("path", EXPORTS)
async def test_exports_refuse_anyone_not_signed_in(client, path):
    response = await client.get(path)

    assert response.status_code == 401
    assert (await response.get_json())["code"] == "not_signed_in"


@pytest.mark.parametrize("role", ["officer", "trainer"])
async def test_officers_and_trainers_are_refused(client, role):
    council = await make_council()
    await sign_in(client, getattr(council, role))

    for path in PAGES:
        page = await client.get(path)
        assert page.status_code == 403
        assert "This page is for hub staff" in await body(page)
    for path in EXPORTS:
        export = await client.get(path)
        assert export.status_code == 403
        assert (await export.get_json())["code"] == "not_allowed"


async def test_members_cannot_reach_the_pages(client):
    council = await make_council()
    refused = await client.post("/api/staff/session", json={
        "email": council.members[0].email, "password": PASSWORD})
    assert refused.status_code == 401

    for path in PAGES:
        assert (await client.get(path)).status_code == 302
    for path in EXPORTS:
        assert (await client.get(path)).status_code == 401


@pytest.mark.parametrize("role", ["agent", "supervisor", "admin"])
async def test_hub_staff_see_both_pages(client, role):
    council = await make_council()
    await sign_in(client, getattr(council, role))

    for path in PAGES:
        response = await client.get(f"{path}?{JULY}")
        assert response.status_code == 200, await body(response)
    for path in EXPORTS:
        response = await client.get(f"{path}?{JULY}")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"


async def test_the_dashboard_shows_the_figures_and_carries_them_for_the_charts(
        client):
    council = await make_council()
    await hub_history(council)
    await sign_in(client, council.agent)

    page = await body(await client.get(f"/staff/dashboard?{JULY}"))
    words = " ".join(page.split())

    assert ("4 contacts: 1 by phone, 2 by email, 1 in the app and 0 from the web"
            in words)
    assert "Email is 50.0% of them." in words
    assert "in council time (Europe/London)" in words
    assert "2 a day on average against 750 planned" in words
    assert "more than planned on 0 days" in words
    assert '<canvas id="contacts-chart" role="img"' in page
    assert 'id="dashboard-data"' in page
    data = re.search(r'id="dashboard-data">(.*?)</script>', page, re.S)
    assert data and '"days": ["2026-07-01", "2026-07-02"]' in data.group(1)
    assert '"phone": [1, 0]' in data.group(1)
    assert "<script>" not in page and "style=" not in page
    assert "1.5 h" in page


async def test_each_dashboard_table_exports_as_csv(client):
    council = await make_council()
    await hub_history(council)
    await sign_in(client, council.agent)

    days = await client.get(f"/staff/dashboard/days.csv?{JULY}")
    summary = await client.get(f"/staff/dashboard/summary.csv?{JULY}")
    handoffs = await client.get(f"/staff/dashboard/handoffs.csv?{JULY}")

    assert rows_of(await body(days)) == [
        ["date", "phone", "email", "app", "web", "total", "planned"],
        ["2026-07-01", "1", "2", "0", "0", "3", "750"],
        ["2026-07-02", "0", "0", "1", "0", "1", "750"],
    ]
    assert ('attachment; filename="dashboard-days-2026-07-01-to-2026-07-02.csv"'
            == days.headers["Content-Disposition"])
    figures = {row[0]: row[1] for row in rows_of(await body(summary))[1:]}
    assert figures["contacts"] == "4"
    assert figures["email_share"] == "0.5"
    assert figures["cases_arrived"] == "3"
    assert figures["cases_not_yet_acknowledged"] == "2"
    assert figures["first_response_clock_median"] == "1.5"
    assert figures["first_response_working_p90"] == "1.5"
    assert figures["acknowledged_within_target"] == "1"
    assert figures["acknowledged_share_within_target"] == "1"
    assert (figures["busiest_day"], figures["busiest_day_contacts"]) == (
        "2026-07-01", "3")
    assert figures["queue_waiting"] == "0"
    assert figures["queue_oldest_age"] == ""
    assert rows_of(await body(handoffs))[1:] == [
        ["Cleansing and Waste", "no", "1"], ["Parks and Open Spaces", "no", "0"]]


async def test_an_unknown_export_is_not_found(client):
    council = await make_council()
    await sign_in(client, council.agent)

    response = await client.get(f"/staff/dashboard/queue.csv?{JULY}")

    assert response.status_code == 404


@pytest.mark.parametrize(("query", "code", "field"), [
    ("from=2026-07-02&to=2026-07-01", "range_reversed", "to"),
    ("from=yesterday&to=2026-07-01", "invalid_date", "from"),
    ("from=2026-07-01&to=2026-02-30", "invalid_date", "to"),
    ("from=20260701&to=2026-07-02", "invalid_date", "from"),
    ("from=1066-10-14&to=2026-07-02", "invalid_date", "from"),
    ("from=2020-01-01&to=2026-07-02", "range_too_long", "to"),
])
async def test_bad_ranges_are_refused_naming_the_field(client, query, code, field):
    council = await make_council()
    await sign_in(client, council.agent)

    for path in PAGES:
        page = await client.get(f"{path}?{query}")
        text = await body(page)
        assert page.status_code == 400
        assert 'role="alert"' in text
        assert f'href="#{field}"' in text
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', text)
    export = await client.get(f"/staff/dashboard/days.csv?{query}")
    problem = await export.get_json()
    assert export.status_code == 400
    assert (problem["code"], problem["field"]) == (code, field)


async def test_the_members_profile_counts_each_member(client):
    council = await make_council()
    await hub_history(council)
    one, two, three = council.members
    await Device.create(user_id=one.id, token_hash="a" * 64,
                        last_pull_at=utc("2026-07-02 08:00"))
    await Device.create(user_id=one.id, token_hash="b" * 64,
                        last_pull_at=utc("2026-07-02 16:45"))
    await Device.create(user_id=two.id, token_hash="c" * 64,
                        last_pull_at=utc("2026-07-02 09:00"),
                        revoked_at=utc("2026-07-02 10:00"))
    await sign_in(client, council.agent)

    export = await client.get(f"/staff/members.csv?{JULY}")
    page = await body(await client.get(f"/staff/members?{JULY}"))

    assert rows_of(await body(export)) == [
        ["member", "party", "ward", "phone", "email", "app", "web", "total",
         "open_cases", "closed_cases", "devices", "last_sync"],
        ["Member 0", "Alliance", "Botanic", "1", "1", "0", "0", "2", "1", "1", "2",
         "2026-07-02T17:45:00+01:00"],
        ["Member 1", "Alliance", "Castle", "0", "1", "1", "0", "2", "0", "1", "0",
         ""],
        ["Member 2", "Alliance", "Botanic", "0", "0", "0", "0", "0", "0", "0", "0",
         ""],
    ]
    assert three.name in page
    assert "02 Jul 2026 17:45" in page


@pytest.mark.parametrize(("sort", "direction", "order"), [
    ("name", "desc", ["Member 2", "Member 1", "Member 0"]),
    ("ward", "asc", ["Member 0", "Member 2", "Member 1"]),
    ("phone", "desc", ["Member 0", "Member 1", "Member 2"]),
    ("email", "asc", ["Member 2", "Member 0", "Member 1"]),
    ("app", "desc", ["Member 1", "Member 0", "Member 2"]),
    ("total", "asc", ["Member 2", "Member 0", "Member 1"]),
    ("open", "desc", ["Member 0", "Member 1", "Member 2"]),
    ("closed", "asc", ["Member 2", "Member 0", "Member 1"]),
    ("devices", "desc", ["Member 0", "Member 1", "Member 2"]),
    ("last_sync", "desc", ["Member 0", "Member 1", "Member 2"]),
    ("party", "asc", ["Member 0", "Member 1", "Member 2"]),
    ("web", "asc", ["Member 0", "Member 1", "Member 2"]),
])
async def test_the_profile_sorts_by_any_column_on_the_server(client, sort,
                                                             direction, order):
    council = await make_council()
    await hub_history(council)
    await Device.create(user_id=council.members[0].id, token_hash="a" * 64,
                        last_pull_at=utc("2026-07-02 08:00"))
    await sign_in(client, council.agent)
    query = f"{JULY}&sort={sort}&dir={direction}"

    page = await body(await client.get(f"/staff/members?{query}"))
    export = rows_of(await body(await client.get(f"/staff/members.csv?{query}")))

    assert re.findall(r'<th scope="row">(Member \d)</th>', page) == order
    assert [row[0] for row in export[1:]] == order
    sorted_as = "descending" if direction == "desc" else "ascending"
    assert page.count("aria-sort=") == 1
    assert f'aria-sort="{sorted_as}"' in page
    # The sorted column's heading links to the other direction.
    flipped = "asc" if direction == "desc" else "desc"
    assert f"sort={sort}&amp;dir={flipped}&amp;from=2026-07-01" in page


async def test_an_unknown_sort_is_refused_naming_the_field(client):
    council = await make_council()
    await sign_in(client, council.agent)

    by_column = await client.get("/staff/members?sort=salary")
    by_direction = await client.get("/staff/members.csv?sort=name&dir=up")

    assert (await by_column.get_json())["field"] == "sort"
    assert (await by_direction.get_json())["field"] == "dir"
    assert by_column.status_code == by_direction.status_code == 400


async def test_quick_choices_lead_to_their_ranges(client):
    council = await make_council()
    await sign_in(client, council.agent)

    page = await body(await client.get("/staff/dashboard"))

    assert 'aria-current="true">Last 30 days</a>' in page
    for label in ("Today", "This week", "Last week", "This month", "This year"):
        assert f">{label}</a>" in page


def test_a_range_without_dates_is_the_last_thirty_days():
    today = date(2026, 7, 15)

    assert parse_range(None, None, today) == DateRange(date(2026, 6, 16), today)
    assert parse_range("", " ", today) == DateRange(date(2026, 6, 16), today)
    assert parse_range("2026-07-01", None, today) == DateRange(date(2026, 7, 1),
                                                               today)
    assert parse_range(None, "2026-07-10", today) == DateRange(
        date(2026, 6, 11), date(2026, 7, 10))
    assert parse_range("2026-08-01", None, today).last == date(2026, 8, 1)


def test_a_whole_leap_year_is_allowed_and_a_day_more_is_not():
    today = date(2026, 7, 15)
    assert parse_range("2024-01-01", "2024-12-31", today).length == 366

    with pytest.raises(ApiError) as refused:
        parse_range("2024-01-01", "2025-01-01", today)
    assert (refused.value.code, refused.value.field) == ("range_too_long", "to")


def test_quick_choices_from_a_wednesday():
    wednesday = date(2026, 7, 15)

    ranges = {choice.label: choice.range for choice in quick_choices(wednesday)}

    assert ranges["Today"] == DateRange(wednesday, wednesday)
    assert ranges["This week"] == DateRange(date(2026, 7, 13), wednesday)
    assert ranges["Last week"] == DateRange(date(2026, 7, 6), date(2026, 7, 12))
    assert ranges["Last 30 days"].length == 30
    assert ranges["This month"] == DateRange(date(2026, 7, 1), wednesday)
    assert ranges["This year"] == DateRange(date(2026, 1, 1), wednesday)
    assert ranges["Last 30 days"].first == wednesday - timedelta(days=29)


async def test_names_that_look_like_formulas_stay_text_in_the_csv(client):
    council = await make_council()
    council.members[0].name = "=HYPERLINK(\"http://evil.example\")"
    await council.members[0].save()
    await sign_in(client, council.agent)

    export = rows_of(await body(await client.get(f"/staff/members.csv?{JULY}")))

    assert export[1][0] == "'=HYPERLINK(\"http://evil.example\")"
