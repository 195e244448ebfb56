"""The council's categories as Open311 services, and answers to their questions.

Each active category is a service: its code is the service code, its
department the group, its extra questions the attributes of its definition.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from server.models import Category, Department
from server.open311.documents import Many
from server.open311.errors import Open311Error, Problems
from server.open311.limits import ANSWER_CHARS
from sync.models import Change

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# casehub's question types, as the standard's datatypes.
DATATYPES = {"choice": "singlevaluelist", "text": "string"}
ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")


def datatype(question: dict[str, Any]) -> str:
    return DATATYPES.get(str(question.get("type")), "string")


async def changeset() -> str:
    """A number that grows whenever a service or its questions change."""
    # Reference data is public, so this reads the small public part of the feed.
    latest = await Change.filter(
        public=True, entity__in=["category", "department"]
    ).order_by("-version").first()
    return str(latest.version if latest else 0)


async def active_categories() -> list[Category]:
    return await Category.filter(active=True).order_by("name")


async def departments() -> dict[int, str]:
    return {department.id: department.name for department in await Department.all()}


async def category_for(code: str | None) -> Category:
    if not code:
        raise Open311Error(400, "service_code is required: pick one from "
                           "services.xml.")
    category = await Category.get_or_none(code=code, active=True)
    if category is None:
        raise Open311Error(404, f"service_code {code} was not found; "
                           "services.xml lists the services.")
    return category


def service(category: Category, department: str | None) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": (f"{category.name}, dealt with by {department}."
                        if department else category.name),
        "metadata": bool(category.questions),
        "type": "realtime",
        "keywords": None,
        "group": department,
    }


def definition(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": Many("attribute", [
            _attribute(question, order)
            for order, question in enumerate(category.questions, start=1)
        ]),
    }


def _attribute(question: dict[str, Any], order: int) -> dict[str, Any]:
    kind = datatype(question)
    options = question.get("options") or []
    return {
        "variable": True,
        "code": question["id"],
        "datatype": kind,
        "required": bool(question.get("required")),
        "datatype_description": (
            f"One of: {', '.join(options)}." if kind == "singlevaluelist" else None
        ),
        "order": order,
        "description": question["label"],
        "values": Many("value", [{"key": option, "name": option}
                                 for option in options]),
    }


def sent_attributes(form: MultiDict[str, str]) -> dict[str, list[str]]:
    """Every attribute[CODE] and attribute[CODE][] of a form, empty ones left out."""
    sent: dict[str, list[str]] = {}
    for name, value in form.items(multi=True):
        match = ATTRIBUTE.fullmatch(name)
        if match and value.strip():
            sent.setdefault(match[1], []).append(value.strip())
    return sent


def answers_for(category: Category, sent: dict[str, list[str]],
                problems: Problems) -> dict[str, Any]:
    """The case's answers from the attributes sent; faults go to `problems`.

    Attributes the service does not ask for are not answers, but they are
    kept with the request all the same.
    """
    answers: dict[str, Any] = {}
    for question in category.questions:
        code = question["id"]
        values = sent.get(code, [])
        field = f"attribute[{code}]"
        if not values:
            if question.get("required"):
                problems.add(f"{field} is required: {question['label']}.")
            continue
        if len(values) > 1:
            problems.add(f"{field} takes one value, got {len(values)}.")
            continue
        value = values[0]
        options = question.get("options") or []
        if datatype(question) == "singlevaluelist" and value not in options:
            problems.add(f"{field} must be one of: {', '.join(options)}; "
                         f"got {value!r}.")
        elif len(value) > ANSWER_CHARS:
            problems.add(f"{field} is longer than {ANSWER_CHARS} characters.")
        else:
            answers[code] = value
    return answers
