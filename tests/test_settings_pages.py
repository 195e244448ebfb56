"""The supervisors' settings: response templates, and each category's targets."""

from __future__ import annotations

import pytest

from server.hub.models import ResponseTemplate
from server.models import Category
from sync.models import Change
from tests.factories import make_council
from tests.staff_forms import (
    ESCAPED,
    SCRIPT,
    as_staff,
    error_summary,
    field_error,
    notices,
    page,
    submit,
)

TEMPLATES = "/staff/settings/templates"
TARGETS = "/staff/settings/categories"


async def test_templates_are_listed_with_their_placeholders(client):
    council = await make_council()
    await ResponseTemplate.create(name="Crew booked", body="Booked.",
                                  category_id=council.fly_tipping.id)
    await as_staff(client, council.supervisor)

    status, text = await page(client, TEMPLATES)

    assert status == 200
    assert "Crew booked" in text and "Fly-tipping" in text
    for placeholder in ("{reference}", "{member_name}", "{due_date}",
                        "{constituent_name}"):
        assert f"<code>{placeholder}</code>" in text


async def test_a_template_is_added_then_changed(client):
    council = await make_council()
    await as_staff(client, council.supervisor)

    status, _, location = await submit(client, TEMPLATES, {
        "name": "Passed on", "body": "{reference} is with {department}.",
        "category_id": council.missed_bin.id, "active": "1"})
    template = await ResponseTemplate.get(name="Passed on")
    _, listed = await page(client, location)
    changed, _, _ = await submit(client, f"{TEMPLATES}/{template.id}", {
        "name": "Passed on", "body": "Now with {department}.", "category_id": ""})

    assert (status, location, changed) == (302, TEMPLATES, 302)
    assert notices(listed) == ["The template 'Passed on' is saved."]
    stored = await ResponseTemplate.get(id=template.id)
    assert (stored.body, stored.category_id, stored.active) == (
        "Now with {department}.", None, False)
    _, form = await page(client, f"{TEMPLATES}/{template.id}")
    assert "Now with {department}.</textarea>" in form


async def test_a_preview_fills_the_text_for_an_example_and_saves_nothing(client):
    council = await make_council()
    await as_staff(client, council.supervisor)

    status, text, _ = await submit(client, TEMPLATES, {
        "name": "Draft", "body": "Dear {member_name}, about {reference}: {oops}",
        "action": "preview"})

    assert status == 200
    assert ('id="template-preview"' in text
            and "Dear Councillor Ann Example, about CH-000123: {oops}" in text)
    assert "Not placeholders, so left as typed: {oops}." in text
    assert await ResponseTemplate.all().count() == 0


@pytest.mark.parametrize(("sent", "field", "words"), [
    ({"name": "", "body": "Text"}, "name", "Give the template a name"),
    ({"name": "x" * 121, "body": "Text"}, "name", "shorten it to 120"),
    ({"name": "Name", "body": ""}, "body", "Write the text of the reply."),
    ({"name": "Name", "body": "Text", "category_id": "9999"}, "category_id",
     "There is no category 9999"),
    ({"name": "Name", "body": "Text", "category_id": "bins"}, "category_id",
     "Choose a category from the list."),
])
async def test_a_template_error_names_its_field(client, sent, field, words):
    council = await make_council()
    await as_staff(client, council.supervisor)

    status, text, _ = await submit(client, TEMPLATES, sent)

    assert status == 422
    assert error_summary(text)[0] == f"template-{field}"
    assert words in field_error(text, f"template-{field}")
    assert await ResponseTemplate.all().count() == 0


async def test_an_unknown_template_is_not_found(client):
    council = await make_council()
    await as_staff(client, council.supervisor)

    status, text = await page(client, f"{TEMPLATES}/9999")

    assert status == 404
    assert "There is no template 9999." in text


async def test_new_targets_are_saved_and_put_on_the_feed(client):
    council = await make_council()
    await as_staff(client, council.supervisor)
    form = {}
    for category in (council.fly_tipping, council.missed_bin, council.overgrown):
        form[f"ack-{category.id}"] = category.acknowledge_hours
        form[f"days-{category.id}"] = category.answer_days
    form[f"ack-{council.missed_bin.id}"] = 4
    form[f"days-{council.missed_bin.id}"] = 3
    before = await Change.filter(entity="category").count()

    status, _, location = await submit(client, TARGETS, form)
    _, text = await page(client, location)
    again, _, _ = await submit(client, TARGETS, form)
    _, same = await page(client, location)

    assert (status, again) == (302, 302)
    assert notices(text) == ["Targets saved for Missed bin."]
    assert notices(same) == ["Nothing changed: every category already had those "
                             "targets."]
    stored = await Category.get(id=council.missed_bin.id)
    assert (stored.acknowledge_hours, stored.answer_days) == (4, 3)
    assert await Change.filter(entity="category").count() == before + 1
    assert f'id="targets-ack-{stored.id}" name="ack-{stored.id}"' in text
    assert 'value="4"' in text


@pytest.mark.parametrize(("box", "value", "words"), [
    ("ack", "0", "acknowledgement target as a whole number from 1 to 100"),
    ("ack", "", "acknowledgement target as a whole number"),
    ("days", "66", "answer target as a whole number from 1 to 65"),
    ("days", "two", "answer target as a whole number"),
])
async def test_a_target_out_of_range_names_its_category_and_box(
        client, box, value, words):
    council = await make_council()
    await as_staff(client, council.supervisor)
    form = {}
    for category in (council.fly_tipping, council.missed_bin, council.overgrown):
        form[f"ack-{category.id}"] = 2
        form[f"days-{category.id}"] = 2
    form[f"{box}-{council.overgrown.id}"] = value

    status, text, _ = await submit(client, TARGETS, form)

    assert status == 422
    field = f"targets-{box}-{council.overgrown.id}"
    target, message = error_summary(text)
    assert (target, words in message) == (field, True), message
    assert "Overgrown grass" in message
    assert field_error(text, field)
    # Nothing is saved: not even the categories before the wrong one.
    stored = await Category.get(id=council.fly_tipping.id)
    assert stored.acknowledge_hours == council.fly_tipping.acknowledge_hours


@pytest.mark.parametrize("who", ["agent", "officer", "trainer"])
@pytest.mark.parametrize("path", [TEMPLATES, TARGETS])
async def test_settings_are_for_supervisors_and_admin(client, who, path):
    council = await make_council()
    await as_staff(client, getattr(council, who))

    shown, _ = await page(client, path)
    posted, _, _ = await submit(client, path, {"name": "x", "body": "y"})

    assert (shown, posted) == (403, 403)
    assert await ResponseTemplate.all().count() == 0


async def test_an_admin_keeps_the_settings_too(client):
    council = await make_council()
    await as_staff(client, council.admin)

    assert (await page(client, TEMPLATES))[0] == 200
    assert (await page(client, TARGETS))[0] == 200


@pytest.mark.parametrize("path", [TEMPLATES, TARGETS])
async def test_settings_forms_refuse_a_post_without_its_token(client, path):
    council = await make_council()
    await as_staff(client, council.supervisor)

    status, _, _ = await submit(client, path, {"name": "x", "body": "y"},
                                token=False)

    assert status == 403
    assert await ResponseTemplate.all().count() == 0


async def test_settings_pages_escape_what_people_typed(client):
    council = await make_council()
    council.overgrown.name = SCRIPT
    await council.overgrown.save()
    template = await ResponseTemplate.create(name=SCRIPT, body=SCRIPT)
    await as_staff(client, council.supervisor)

    shown = [(await page(client, path))[1] for path in (
        TEMPLATES, f"{TEMPLATES}/{template.id}", TARGETS)]
    shown.append((await submit(client, TEMPLATES, {
        "name": SCRIPT, "body": SCRIPT, "action": "preview"}))[1])

    for text in shown:
        assert SCRIPT not in text
        assert ESCAPED in text
