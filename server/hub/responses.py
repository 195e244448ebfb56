"""Keeping the hub's response templates: their text, category and preview."""

from __future__ import annotations

from dataclasses import dataclass

from server.hub.actions import PLACEHOLDER, PLACEHOLDERS, fill
from server.hub.models import ResponseTemplate
from server.models import Category
from sync.errors import Rejected

NAME_LENGTH = 120
BODY_LENGTH = 5000

# What each placeholder becomes, in words for the settings page.
MEANINGS = {
    "reference": "the case's reference",
    "member_name": "the name of the member who raised it",
    "category": "its category",
    "department": "the department it is with",
    "status": "its status",
    "address": "the address of the issue",
    "due_date": "the date a written answer is due",
    "constituent_name": "the constituent's name",
}
EXAMPLE = {
    "reference": "CH-000123",
    "member_name": "Councillor Ann Example",
    "category": "Fly-tipping",
    "department": "Cleansing and Waste",
    "status": "with department",
    "address": "12 Ormeau Road",
    "due_date": "14 December 2026",
    "constituent_name": "Sam Resident",
}


@dataclass(frozen=True)
class Draft:
    """A template as written on the settings page."""

    name: str
    body: str
    category_id: int | None
    active: bool = True


def preview(body: str) -> str:
    """The text as it would read on an example case."""
    return fill(body, EXAMPLE)


def unknown_placeholders(body: str) -> list[str]:
    """Words in braces that are no placeholder, which a reply would keep as typed."""
    found = dict.fromkeys(m[1] for m in PLACEHOLDER.finditer(body))
    return [name for name in found if name not in PLACEHOLDERS]


async def save(draft: Draft, template: ResponseTemplate | None = None,
               ) -> ResponseTemplate:
    """Create a template, or change `template`, after checking the draft."""
    name, body = draft.name.strip(), draft.body.strip()
    if not name:
        raise Rejected("name_required", "Give the template a name staff will "
                       "recognise, such as 'Passed to the department'.",
                       field="name")
    if len(name) > NAME_LENGTH:
        raise Rejected("name_too_long", f"The name has {len(name)} characters; "
                       f"shorten it to {NAME_LENGTH} or fewer.", field="name")
    if not body:
        raise Rejected("body_required", "Write the text of the reply.",
                       field="body")
    if len(body) > BODY_LENGTH:
        raise Rejected("body_too_long", f"The text has {len(body)} characters; "
                       f"shorten it to {BODY_LENGTH} or fewer.", field="body")
    if (draft.category_id is not None
            and not await Category.exists(id=draft.category_id)):
        raise Rejected("unknown_category", f"There is no category "
                       f"{draft.category_id}; choose one from the list.",
                       field="category_id")

    if template is None:
        return await ResponseTemplate.create(
            name=name, body=body, category_id=draft.category_id,
            active=draft.active)
    template.name, template.body = name, body
    template.category_id = draft.category_id
    template.active = draft.active
    await template.save()
    return template
